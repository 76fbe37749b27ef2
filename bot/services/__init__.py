"""Use cases, independent of Slack: accounts and tokens, meetings."""
