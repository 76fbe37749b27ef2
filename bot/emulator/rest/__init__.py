"""The emulator's Webex Meetings REST API (`/v1/...`): OAuth, people, meetings, join links, recordings."""
