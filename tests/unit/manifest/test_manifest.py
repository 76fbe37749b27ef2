"""The Slack app manifest creates the app the code expects: command, events, scopes, interactivity."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.sandbox.workspace import BOT_SCOPES
from bot.slack.router import COMMAND
from bot.slack.texts import BOT_HANDLE

ROOT = Path(__file__).resolve().parents[3]
SOURCE = "\n".join(path.read_text() for path in (ROOT / "bot").rglob("*.py"))

# Web API methods the bot may call, and the bot scope each needs (None: no scope needed).
METHOD_SCOPES: dict[str, str | None] = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "users_info": "users:read",
    "conversations_open": "im:write",
    "views_open": None,
    "views_update": None,
    "views_push": None,
    "views_publish": None,
}


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return loaded


def test_the_one_slash_command_matches_the_code() -> None:
    commands = manifest()["features"]["slash_commands"]
    assert [command["command"] for command in commands] == [COMMAND]
    # Mentions must arrive escaped (<@U123|name>) so invitees resolve to Slack users.
    assert commands[0]["should_escape"] is True
    assert "schedule" in commands[0]["usage_hint"]


def test_subscribed_events_are_exactly_the_ones_handled() -> None:
    handled = set(re.findall(r'app\.event\("([a-z_]+)"\)', SOURCE))
    assert set(manifest()["settings"]["event_subscriptions"]["bot_events"]) == handled


def test_bot_scopes_are_exactly_the_ones_used() -> None:
    called = {method for method in METHOD_SCOPES if re.search(rf"\.{method}\(", SOURCE)}
    unknown = set(re.findall(r"services\.slack\.([a-z]+_[a-zA-Z]+)\(", SOURCE)) - set(METHOD_SCOPES)
    assert not unknown, f"add these Web API methods to METHOD_SCOPES with their scope: {unknown}"
    needed = {"commands"} | {scope for method in called if (scope := METHOD_SCOPES[method])}
    if "users_info" in called:
        needed.add("users:read.email")  # the identity check and invitees read profile emails
    if "chat_postMessage" in called:
        needed.add("chat:write.public")  # "Post the meeting in this channel" where the bot was not invited
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_the_sandbox_workspace_grants_the_scopes_the_manifest_asks_for() -> None:
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES


def test_messages_name_the_bot_as_the_manifest_does() -> None:
    # People type `/invite @<display name>`; a different name there finds nobody.
    assert manifest()["features"]["bot_user"]["display_name"] == BOT_HANDLE


def test_home_tab_and_interactivity_are_on() -> None:
    data = manifest()
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["interactivity"]["request_url"].endswith("/slack/events")


def test_the_shortcuts_are_the_ones_the_code_listens_for() -> None:
    from bot.slack.meetings.shortcuts import MESSAGE_SHORTCUT, SCHEDULE_SHORTCUT

    shortcuts = {s["callback_id"]: s for s in manifest()["features"]["shortcuts"]}
    assert set(shortcuts) == {SCHEDULE_SHORTCUT, MESSAGE_SHORTCUT}
    assert shortcuts[SCHEDULE_SHORTCUT]["type"] == "global"
    assert shortcuts[SCHEDULE_SHORTCUT]["name"] == "Schedule a Webex meeting"
    assert shortcuts[MESSAGE_SHORTCUT]["type"] == "message"
    assert shortcuts[MESSAGE_SHORTCUT]["name"] == "Schedule a meeting about this"
    for shortcut in shortcuts.values():
        # Slack shows the description under the name in its menus: one short line.
        assert shortcut["description"] and len(shortcut["description"]) <= 80
