"""Commands after an idle pause, when Webex (or the network before it) has dropped the bot's idle
connection: the served bot over both HTTP transports, the emulator behind a hop that drops connections
reused after a pause, by closing them as a server does or resetting them as a NAT or firewall does."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.emulator import XML_SERVICE_PATH
from bot.webex import TRANSPORTS
from tests.e2e.meetings.conftest import Person, Stage, on_both_databases, shown_text
from tests.support.emulator import ALICE, BOB
from tests.support.idle_connections import Drop, IdleDroppingProxy
from tests.support.servers import BotFactory
from tests.support.slack import DriverFactory

IDLE = 0.3  # the network's idle timeout here; the bot keeps connections longer (4 s), as it would a server's
PAUSE = IDLE + 0.3


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["close", "reset"])
async def proxy(request: pytest.FixtureRequest, emulator_server: Any) -> AsyncIterator[IdleDroppingProxy]:
    port = int(emulator_server.url.rsplit(":", 1)[1])
    how: Drop = request.param
    hop = IdleDroppingProxy("127.0.0.1", port, idle_after=IDLE, how=how)
    await hop.start()
    yield hop
    await hop.close()


@pytest.fixture
async def after_idle(
    bot_factory: BotFactory,
    slack_driver: DriverFactory,
    emulator_server: Any,
    proxy: IdleDroppingProxy,
    transport: str,
    webex_api: str,
) -> Stage:
    """Alice linked, through the hop, to a bot on `transport` whose Webex calls all go through it."""
    bot = await bot_factory(
        webex_timeout_seconds=2,
        webex_http_transport=transport,
        webex_oauth_url=f"{proxy.url}/v1/oauth2",
        webex_xml_url=f"{proxy.url}{XML_SERVICE_PATH}",
        webex_rest_url=f"{proxy.url}/v1",
    )
    events = bot.url + "/slack/events"
    stage = Stage(
        bot=bot,
        emulator=emulator_server.emulator,
        alice=Person(slack_driver(events, user_id="U_ALICE"), ALICE),
        bob=Person(slack_driver(events, user_id="U_BOB"), BOB),
        emulator_url=emulator_server.url,
        api=webex_api,
    )
    await stage.link(stage.alice)
    return stage


def once(text: str) -> str:
    """A join link's text without its one-time ticket."""
    return re.sub(r"ticket=[^&\s>|]*", "ticket=", text)


def tracebacks_and_errors(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.levelno >= logging.ERROR or r.exc_info]


@on_both_databases
async def test_a_schedule_after_an_idle_pause_makes_the_meeting_once(
    after_idle: Stage, proxy: IdleDroppingProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await after_idle.alice.driver.command("schedule Before the pause tomorrow 9am", replies=1)
    dropped = proxy.dropped
    await asyncio.sleep(PAUSE)
    exchange = await after_idle.alice.driver.command("schedule After the pause tomorrow 10am", replies=1)
    assert proxy.dropped > dropped  # the bot's kept-open connection was dropped under the create
    text = shown_text(exchange.replies[0])
    assert "Scheduled" in text and "After the pause" in text, text
    topics = [m.conf_name for m in after_idle.emulator.meetings()]
    assert sorted(topics) == ["After the pause", "Before the pause"]  # each once
    assert tracebacks_and_errors(caplog.records) == []


async def test_reads_after_an_idle_pause_answer(
    after_idle: Stage, proxy: IdleDroppingProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    card = (await after_idle.alice.driver.command("schedule Standup tomorrow 9am", replies=1)).replies[0]
    [meeting] = after_idle.emulator.meetings()
    dropped = proxy.dropped
    await asyncio.sleep(PAUSE)
    listed = await after_idle.alice.driver.command("list", replies=1)
    assert "Standup" in shown_text(listed.replies[0]) and str(meeting.key) in shown_text(card)
    assert proxy.dropped == dropped + 1  # the list went out on a dropped connection first
    # The dropped connection is gone from the pool: the join opens one, which is kept for the next call.
    joined = await after_idle.alice.driver.command(f"join {meeting.key}", replies=1)
    assert "http" in shown_text(joined.replies[0])
    await asyncio.sleep(PAUSE)
    again = await after_idle.alice.driver.command(f"join {meeting.key}", replies=1)
    # The same link both times, but for REST's one-time ticket in each.
    assert once(shown_text(again.replies[0])) == once(shown_text(joined.replies[0]))
    assert proxy.dropped == dropped + 2
    assert tracebacks_and_errors(caplog.records) == []
