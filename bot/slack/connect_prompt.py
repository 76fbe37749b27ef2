"""The Connect Webex button and prompt every feature shows when a person has no usable link."""

from __future__ import annotations

from typing import Any

from bot.services.errors import LinkExpired, NeedsConnect, NeedsScope
from bot.slack.replies import Blocks

CONNECT_ACTION = "connect_webex"
DISCONNECT_ACTION = "disconnect_webex"


def connect_button(url: str, label: str = "Connect Webex") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": CONNECT_ACTION,
        "text": {"type": "plain_text", "text": label},
        "url": url,
        "style": "primary",
    }


def connect_prompt(
    url: str, *, reason: NeedsConnect | None = None, resumes: bool = False, again: str = ""
) -> tuple[str, Blocks]:
    """The message with the Connect button, worded for why it is shown. `resumes`: the work finishes by
    itself once linked; else `again` says what to do once linked ("press *Edit* again")."""
    if isinstance(reason, NeedsScope):
        lead = (
            f"To {reason.what}, Webex must allow the bot to do that too; it was not asked for when you "
            "connected. Reconnect and approve it."
        )
    elif isinstance(reason, LinkExpired):
        lead = "Your Webex link has expired, so the bot can no longer act for you. Please reconnect."
    elif reason is not None:
        lead = "To do that, link your Webex account first. It takes under a minute."
    else:
        lead = "Link your Webex account so webex-bot can schedule and manage meetings for you."
    if resumes:
        after = " When you are done, I will finish what you asked for."
    elif again:
        after = f" When you are done, {again}."
    else:
        after = " Then try `/webex schedule`."
    text = lead + after
    blocks: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "elements": [connect_button(url, _label(reason))]},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "You will sign in on your Webex site and approve access. "
                    "The bot stores your Webex tokens encrypted and never sees your password.",
                }
            ],
        },
    ]
    return text, blocks


def disconnect_button() -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": DISCONNECT_ACTION,
        "text": {"type": "plain_text", "text": "Disconnect"},
        "style": "danger",
        "value": "disconnect",
        "confirm": {
            "title": {"type": "plain_text", "text": "Disconnect Webex?"},
            "text": {
                "type": "mrkdwn",
                "text": "The bot will delete your Webex tokens and stop acting for you and reminding you "
                "of your meetings. Your meetings stay on Webex.",
            },
            "confirm": {"type": "plain_text", "text": "Disconnect"},
            "deny": {"type": "plain_text", "text": "Keep"},
        },
    }


def _label(reason: NeedsConnect | None) -> str:
    return "Reconnect" if isinstance(reason, NeedsScope) else "Connect Webex"
