"""Channel cards follow a meeting changed or deleted on Webex itself: the timed check, run as each
process's timed jobs run it, on the emulator's clock (moved, never slept)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import Any

import pytest

from bot.emulator import Fault
from bot.slack.meetings import blocks
from bot.web.jobs import TimedJobs
from tests.e2e.meetings.conftest import Person, Stage, on_both_databases
from tests.e2e.meetings.test_channel_cards_e2e import delete_in_webex, shared_twice
from tests.e2e.meetings.test_reminders_e2e import make_stage
from tests.support.emulator import ALICE
from tests.support.servers import BotFactory
from tests.support.slack import DriverFactory


@pytest.fixture
async def timed(bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any) -> Stage:
    """Alice and Bob linked, with a bot on the emulator's clock whose own turns wait (the tests run them)."""
    stage = await make_stage(bot_factory, slack_driver, emulator_server)
    await stage.link(stage.bob)
    return stage


def jobs_of(stage: Stage) -> TimedJobs:
    found: TimedJobs = stage.bot.app.state.jobs
    return found


def move_in_webex(stage: Stage, key: int, *, by: timedelta, topic: str | None = None) -> None:
    """The meeting moved (and renamed) on the Webex site, behind the bot's back."""
    site = stage.emulator.state.site_state("sandbox")
    assert site is not None
    with stage.emulator.state.lock:
        meeting = site.meetings[key]
        site.meetings[key] = dataclasses.replace(
            meeting, start=meeting.start + by, conf_name=topic or meeting.conf_name
        )


def updates(stage: Stage) -> int:
    return len(stage.alice.driver.standin.calls_to("chat.update"))


def shown_in_channel(stage: Stage, copy: tuple[str, str]) -> str:
    return str(stage.alice.driver.standin.workspace.messages[copy]["blocks"])


async def post_in_general(stage: Stage, person: Person, topic: str, time: str) -> tuple[str, str]:
    """`person` schedules with "Post the meeting in this channel" from #general: the copy's place."""
    form = (await person.driver.command("schedule", channel_id="C_GENERAL", replies=1)).replies[0]
    values = {blocks.TOPIC: topic, blocks.DATE: "2027-03-02", blocks.TIME: time, blocks.POST: ["post"]}
    submitted = await person.driver.submit(form, values, replies=1)
    [posted] = [c for c in stage.bot_calls("chat.postMessage", after=submitted.first_seq) if c.ok]
    return str(posted.channel), str(posted.message_ts)


@on_both_databases
async def test_a_meeting_moved_on_webex_shows_its_new_time_in_every_copy_once(timed: Stage) -> None:
    _, copies = await shared_twice(timed)
    [meeting] = timed.emulator.meetings()
    for copy in copies:
        assert "10:00" in shown_in_channel(timed, copy)
    move_in_webex(timed, meeting.key, by=timedelta(hours=2), topic="Roadmap, moved")
    before = updates(timed)
    run = await jobs_of(timed).check_channel_cards()
    assert run.rewritten == 2 and updates(timed) == before + 2
    for copy in copies:
        shown = shown_in_channel(timed, copy)
        assert "Roadmap, moved" in shown and "12:00" in shown and "10:00" not in shown
        assert blocks.JOIN in shown and blocks.START not in shown
    # The copies now show the meeting as it is: the next turn reads Webex but asks Slack nothing.
    again = await jobs_of(timed).check_channel_cards()
    assert again.checked == 1 and again.rewritten == 0 and updates(timed) == before + 2


async def test_an_unchanged_meeting_costs_no_slack_call(timed: Stage) -> None:
    _, copies = await shared_twice(timed)
    before = updates(timed)
    for _ in range(2):
        run = await jobs_of(timed).check_channel_cards()
        assert run.checked == 1 and run.rewritten == 0
    assert updates(timed) == before
    assert all("10:00" in shown_in_channel(timed, copy) for copy in copies)


@on_both_databases
async def test_a_meeting_deleted_on_webex_turns_every_copy_into_the_gone_card(timed: Stage) -> None:
    _, copies = await shared_twice(timed)
    meeting_id = timed.meeting_id(timed.emulator.meetings()[0].key)
    delete_in_webex(timed)
    run = await jobs_of(timed).check_channel_cards()
    assert run.gone == 1 and run.rewritten == 2
    for copy in copies:
        shown = shown_in_channel(timed, copy)
        assert "Webex no longer has this meeting" in shown and "was cancelled" in shown
        assert blocks.JOIN not in shown and blocks.CALENDAR not in shown
    # Nothing is left to follow: the copies are forgotten, and later turns do nothing.
    assert await timed.bot.services.channel_cards.copies("T_SANDBOX", meeting_id) == []
    before = updates(timed)
    assert (await jobs_of(timed).check_channel_cards()).checked == 0
    assert updates(timed) == before


@on_both_databases
async def test_a_host_whose_link_was_revoked_leaves_the_cards_alone_and_the_others_are_still_followed(
    timed: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    alices = await post_in_general(timed, timed.alice, "Alice's sync", "10:00")
    bobs = await post_in_general(timed, timed.bob, "Bob's sync", "15:00")
    for meeting in timed.emulator.meetings():
        move_in_webex(timed, meeting.key, by=timedelta(hours=1))
    alice_shows = shown_in_channel(timed, alices)
    # Alice revoked the bot's access on Webex: her link can no longer be refreshed.
    assert timed.emulator.revoke_tokens(user=ALICE) > 0
    with caplog.at_level(logging.INFO):
        run = await jobs_of(timed).check_channel_cards()
    assert run.checked == 2 and run.skipped == 1 and run.rewritten == 1
    # Alice's copy still shows what it showed; Bob's follows his meeting (15:00 Berlin, moved to 16:00).
    assert shown_in_channel(timed, alices) == alice_shows
    assert "16:00" in shown_in_channel(timed, bobs)
    [skipped] = [r for r in caplog.records if "not checked this turn" in r.getMessage()]
    assert "the host's Webex link is missing or has lapsed" in skipped.getMessage()
    assert skipped.levelno in (logging.INFO, logging.WARNING) and skipped.exc_info is None
    # The copy is still known: once Alice links again, it follows her meeting.
    await timed.link(timed.alice)
    await jobs_of(timed).check_channel_cards()
    assert "11:00" in shown_in_channel(timed, alices)


async def test_webex_down_skips_the_turn_and_the_next_one_catches_up(timed: Stage) -> None:
    _, copies = await shared_twice(timed)
    [meeting] = timed.emulator.meetings()
    move_in_webex(timed, meeting.key, by=timedelta(hours=2))
    timed.emulator.add_fault(Fault.http_error(503, operation=timed.operation("get"), count=1))
    before = updates(timed)
    run = await jobs_of(timed).check_channel_cards()
    assert run.skipped == 1 and updates(timed) == before
    assert all("10:00" in shown_in_channel(timed, copy) for copy in copies)
    await jobs_of(timed).check_channel_cards()
    assert all("12:00" in shown_in_channel(timed, copy) for copy in copies)


async def test_copies_of_a_meeting_over_are_no_longer_checked(timed: Stage) -> None:
    _, copies = await shared_twice(timed)
    [meeting] = timed.emulator.meetings()
    meeting_id = timed.meeting_id(meeting.key)
    # Moved on Webex to start in ten minutes (the clock then moves within the links' lifetime).
    soon = timed.emulator.now() + timedelta(minutes=10)
    move_in_webex(timed, meeting.key, by=soon - meeting.start)
    assert (await jobs_of(timed).check_channel_cards()).rewritten == 2
    end = soon + timedelta(minutes=meeting.duration_minutes)
    timed.emulator.clock.set(end + timedelta(minutes=30))  # just over: still followed
    assert (await jobs_of(timed).check_channel_cards()).over == 0
    timed.emulator.clock.set(end + timedelta(hours=1, minutes=1))
    before = updates(timed)
    run = await jobs_of(timed).check_channel_cards()
    assert run.over == 1 and updates(timed) == before
    assert await timed.bot.services.channel_cards.copies("T_SANDBOX", meeting_id) == []
    assert all(blocks.JOIN in shown_in_channel(timed, copy) for copy in copies)


async def test_the_check_runs_in_one_process_every_card_check_minutes(timed: Stage) -> None:
    await shared_twice(timed)
    [meeting] = timed.emulator.meetings()
    move_in_webex(timed, meeting.key, by=timedelta(hours=2))
    before = updates(timed)
    jobs = jobs_of(timed)
    await jobs.take_turns()
    assert updates(timed) == before + 2
    move_in_webex(timed, meeting.key, by=timedelta(hours=1))
    await jobs.take_turns()  # its turn has not come again
    assert updates(timed) == before + 2
    timed.emulator.clock.advance(timedelta(minutes=10))
    await jobs.take_turns()
    assert updates(timed) == before + 4
