"""webex-bot: run your Webex meetings from Slack."""

from __future__ import annotations

import importlib.metadata

DISTRIBUTION = "slack-webex-meetings"


def version() -> str:
    """The installed distribution's version, as `pip` knows it."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed; run pip install -e . in the checkout)"
