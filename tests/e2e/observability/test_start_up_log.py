"""What an operator reads when the bot starts: one line saying what it serves, and no false alarm."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.engine import make_url


async def test_start_up_says_what_it_serves_and_warns_of_nothing(
    bot_factory: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slack's library reads SLACK_BOT_TOKEN itself, as it finds it in every one-workspace deployment; it
    # used to warn at each start that the token would go unused (the client carries it).
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    caplog.set_level(logging.INFO)
    bot = await bot_factory(slack_bot_token="xoxb-start-up")
    assert (await bot.get("/readyz")).status_code == 200
    [ready] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("webex-bot ready")]
    assert "Webex XML API at " in ready or f"Webex REST API at {bot.settings.webex_rest_base}" in ready
    database = make_url(bot.settings.database_url)
    where = f"file {database.database}" if database.drivername.startswith("sqlite") else database.host
    assert f"{database.get_backend_name()} database {where}" in ready
    assert f"Slack requests at {bot.url}/slack/events for one workspace" in ready
    assert "xoxb" not in ready and (database.password is None or database.password not in ready)
    alarms = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]
    assert alarms == []
