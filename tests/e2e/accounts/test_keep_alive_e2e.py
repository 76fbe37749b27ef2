"""Links that do not lapse: the daily keep-alive job renews a link near its refresh token's end, once; a
renewal Webex refuses gives exactly one DM with Reconnect. The bot shares the emulator's clock, which the
tests move (54 days of idleness take no time)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.emulator import Emulator
from bot.sandbox import SlackDriver
from bot.web.jobs import KEEP_ALIVE_EVERY, TimedJobs
from tests.e2e.accounts.test_connect import answered, everything_shown
from tests.e2e.accounts.test_link_lifecycle import home, link
from tests.support.emulator import ALICE, BOB
from tests.support.servers import BotFactory, BotServer
from tests.support.slack import DriverFactory

# How long the emulator's refresh tokens live on each API (XML 60 days, REST 90 days).
REFRESH_LIFETIME = {"xml": timedelta(days=60), "rest": timedelta(days=90)}


def idle(api: str) -> timedelta:
    """Unused this long, a link's refresh token is within the 7 days the job looks ahead."""
    return REFRESH_LIFETIME[api] - timedelta(days=6)


@pytest.fixture
async def bot(bot_factory: BotFactory, emulator: Emulator) -> BotServer:
    # The tests run the keep-alive job themselves (as the daily turn would): the loop's own turns wait.
    return await bot_factory(clock=emulator.clock, reminder_check_seconds=300)


@pytest.fixture
def alice(bot: BotServer, slack_driver: DriverFactory) -> SlackDriver:
    return slack_driver(bot.events_url, user_id="U_ALICE")


def jobs_of(bot: BotServer) -> TimedJobs:
    found: TimedJobs = bot.app.state.jobs
    return found


def lapse_notices(driver: SlackDriver) -> list[Any]:
    return [
        call
        for call in driver.standin.calls_to("chat.postMessage")
        if call.body.get("channel") == driver.user_id and "would not renew" in (call.text or "")
    ]


async def test_a_link_near_its_end_is_renewed_once_and_status_says_when(
    bot: BotServer, alice: SlackDriver, slack_driver: DriverFactory, emulator: Emulator, webex_api: str
) -> None:
    await link(alice, ALICE)
    bob = slack_driver(bot.events_url, user_id="U_BOB")
    await link(bob, BOB)
    team = alice.standin.workspace.team_id
    before = await bot.services.links.get(team, "U_ALICE")
    assert before is not None and before.refresh_expires_at is not None
    # A week in, nothing is near its end: the job renews nothing.
    emulator.advance(timedelta(days=7))
    assert (await jobs_of(bot).keep_links_alive()).renewed == 0
    assert emulator.token_refreshes == 0
    # Nobody uses the bot for weeks: both links come within a week of their end.
    emulator.advance(idle(webex_api) - timedelta(days=7))
    refreshes = emulator.token_refreshes
    run = await jobs_of(bot).keep_links_alive()
    assert run.renewed == 2 and run.refused == []
    assert emulator.token_refreshes == refreshes + 2
    after = await bot.services.links.get(team, "U_ALICE")
    assert after is not None and after.refresh_expires_at is not None
    assert after.refresh_expires_at >= emulator.now() + REFRESH_LIFETIME[webex_api] - timedelta(days=1)
    # The next day's run finds nothing near its end again: no second renewal.
    emulator.advance(KEEP_ALIVE_EVERY)
    assert (await jobs_of(bot).keep_links_alive()).renewed == 0
    assert emulator.token_refreshes == refreshes + 2
    # The renewed link works (Webex accepts its tokens) and status and the Home tab say when it renewed.
    listed = await answered(alice, "list", timeout=10)
    assert "expired" not in everything_shown(listed.replies).lower()
    status = everything_shown((await answered(alice, "status")).replies)
    now_stored = await bot.services.links.get(team, "U_ALICE")
    assert now_stored is not None
    renewed_on = f"{now_stored.updated_at:%Y-%m-%d}"  # the list may have renewed the access token too
    assert "Last renewed:" in status and renewed_on in status, status
    tab = everything_shown([await home(alice)])
    assert "Last renewed" in tab and renewed_on in tab
    assert lapse_notices(alice) == []


async def test_a_refused_renewal_sends_one_dm_with_reconnect(
    bot: BotServer, alice: SlackDriver, emulator: Emulator, webex_api: str
) -> None:
    await link(alice, ALICE)
    emulator.revoke_tokens(site="sandbox", user=ALICE)  # withdrawn in Webex: the refresh will be refused
    emulator.advance(idle(webex_api))
    run = await jobs_of(bot).keep_links_alive()
    assert run.refused == [(alice.standin.workspace.team_id, "U_ALICE")]
    [notice] = lapse_notices(alice)
    reconnect = [
        element
        for block in notice.blocks
        for element in block.get("elements") or []
        if element.get("action_id") == "connect_webex"
    ]
    assert [element["text"]["text"] for element in reconnect] == ["Reconnect"]
    assert reconnect[0]["url"].startswith(bot.url + "/webex/connect/")
    # Day after day, the expired link is not tried again and the person is not told again.
    for _ in range(3):
        emulator.advance(KEEP_ALIVE_EVERY)
        assert (await jobs_of(bot).keep_links_alive()).refused == []
    assert len(lapse_notices(alice)) == 1
    status = everything_shown((await answered(alice, "status")).replies)
    assert "Expired" in status
