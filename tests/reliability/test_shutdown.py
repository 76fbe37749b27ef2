"""The bot process stopped while commands are in flight, as `webex-bot serve` runs in production:
SIGTERM stops taking requests and finishes (or clearly reports) what was in flight before exiting;
SIGKILL loses nothing and doubles nothing, and after a restart the user sees what happened."""

from __future__ import annotations

import asyncio
import signal

import aiohttp
import pytest

from bot.emulator import Emulator, Fault
from bot.slack import texts
from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import shown_text
from tests.reliability.conftest import Launch, link
from tests.reliability.test_webex_faults import spent
from tests.support.emulator import ALICE, BOB
from tests.support.slack import DriverFactory

pytestmark = pytest.mark.slow

# uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see why it stopped.
STOPPED_BY_SIGTERM = (0, -signal.SIGTERM)


def topics(emulator: Emulator) -> list[str]:
    return sorted(meeting.conf_name for meeting in emulator.meetings())


async def test_sigterm_finishes_commands_in_flight_and_takes_no_new_ones(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    bot = await launch(shutdown_grace_seconds=20)
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    bob = slack_driver(bot.events_url, user_id="U_BOB")
    await link(alice, ALICE)
    await link(bob, BOB)
    slow = emulator.add_fault(Fault.latency(1.5, operation="CreateMeeting", count=2))
    first = await alice.command("schedule Finish me tomorrow 3pm")
    second = await bob.command("schedule Me too tomorrow 4pm")
    await spent(emulator, slow)

    bot.signal(signal.SIGTERM)
    await asyncio.sleep(0.3)
    lists_before = len(emulator.xml_requests("LstsummaryMeeting"))
    late = slack_driver(bot.events_url, user_id="U_ALICE")  # a new connection, as Slack would open
    try:
        refused = await late.command("list")
    except aiohttp.ClientError:
        pass  # no longer listening: Slack shows its own "did not respond" and nothing runs
    else:
        assert refused.ack_text == texts.SHUTTING_DOWN, refused.text

    for driver, exchange, topic in ((alice, first, "Finish me"), (bob, second, "Me too")):
        [answer] = await driver.wait_replies(exchange, 1, timeout=10)
        assert "Scheduled" in shown_text(answer) and topic in shown_text(answer)
    assert await bot.wait(20) in STOPPED_BY_SIGTERM
    assert "Application shutdown complete" in bot.output()
    assert topics(emulator) == ["Finish me", "Me too"]
    assert len(emulator.xml_requests("LstsummaryMeeting")) == lists_before


async def test_sigterm_reports_what_it_could_not_finish_in_time(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    bot = await launch(shutdown_grace_seconds=1, webex_timeout_seconds=10)
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    await link(alice, ALICE)
    stuck = emulator.add_fault(Fault.hang(operation="CreateMeeting", count=1, seconds=8))
    exchange = await alice.command("schedule Cut short tomorrow 3pm")
    await spent(emulator, stuck)

    bot.signal(signal.SIGTERM)
    [answer] = await alice.wait_replies(exchange, 1, timeout=10)
    assert shown_text(answer) == texts.CUT_SHORT  # "may or may not have happened. Check with /webex list"
    assert await bot.wait(15) in STOPPED_BY_SIGTERM
    assert "cut short" in bot.output()
    assert topics(emulator) == []


async def test_sigkill_then_restart_doubles_nothing_and_shows_what_happened(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    bot = await launch()
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    await link(alice, ALICE)
    slow = emulator.add_fault(Fault.latency(1.0, operation="CreateMeeting", count=1))
    await alice.command("schedule Killed midway tomorrow 3pm")
    await spent(emulator, slow)
    bot.signal(signal.SIGKILL)
    assert await bot.wait(10) == -signal.SIGKILL
    for _ in range(100):  # Webex goes on with the request the dead bot sent
        if emulator.meetings():
            break
        await asyncio.sleep(0.05)

    again = await launch(settings=bot.settings)
    alice = slack_driver(again.events_url, user_id="U_ALICE")
    listed = await alice.command("list", replies=1)
    assert shown_text(listed.replies[0]).count("Killed midway") >= 1
    await asyncio.sleep(0.5)
    assert topics(emulator) == ["Killed midway"]


async def test_a_form_resubmitted_after_sigkill_answers_with_the_meeting_not_a_second_one(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    # With a 1 s Webex timeout, a create can take no more than about ten seconds; a record older than
    # that belongs to a process that died, and the resubmitted form takes it over.
    bot = await launch(webex_timeout_seconds=1)
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    await link(alice, ALICE)
    opened = await alice.command("schedule")
    form = await alice.standin.wait_for(lambda c: c.method == "views.open" and c.seq >= opened.first_seq)
    values = {blocks.TOPIC: "Submitted twice", blocks.DATE: "2027-04-04", blocks.TIME: "10:00"}
    slow = emulator.add_fault(Fault.latency(0.8, operation="CreateMeeting", count=1))
    await alice.submit(form, values)
    await spent(emulator, slow)
    bot.signal(signal.SIGKILL)
    await bot.wait(10)
    for _ in range(100):
        if emulator.meetings():
            break
        await asyncio.sleep(0.05)

    again = await launch(settings=bot.settings)
    alice = slack_driver(again.events_url, user_id="U_ALICE")
    # The person presses Submit again on the same form (Slack kept it open: the bot never answered).
    retried = await alice.submit(form, values)
    answer = await alice.standin.wait_for(
        lambda c: c.seq >= retried.first_seq and c.is_reply and "Submitted twice" in shown_text(c), timeout=20
    )
    [meeting] = emulator.meetings()
    assert str(meeting.key) in shown_text(answer), shown_text(answer)
