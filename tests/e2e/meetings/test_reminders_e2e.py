"""Reminders end to end: the real bot and the emulator share one clock, which the tests move (never sleep);
the reminder job runs as each process's timed jobs run it, and the Slack stand-in shows what arrived."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.emulator.faults import Fault
from bot.sandbox.workspace import RecordedCall, SlackChannel
from bot.slack import reminders
from bot.slack.meetings import blocks
from bot.web.jobs import TimedJobs
from tests.e2e.meetings.conftest import (
    Stage,
    button,
    iter_elements,
    on_both_databases,
    shown_text,
    stage_on_emulator_clock,
)
from tests.support.emulator import ALICE
from tests.support.servers import BotFactory, BotServer, stop_bot
from tests.support.slack import DriverFactory

ALARM = ":alarm_clock:"
# The tests run the reminder job themselves (as each process's turn would): the loop's own turns wait.
TIMED: dict[str, Any] = {"webex_timeout_seconds": 2, "reminder_check_seconds": 300}


def jobs_of(bot: BotServer) -> TimedJobs:
    found: TimedJobs = bot.app.state.jobs
    return found


async def make_stage(bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any) -> Stage:
    return await stage_on_emulator_clock(bot_factory, slack_driver, emulator_server, **TIMED)


@pytest.fixture
async def timed(bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any) -> Stage:
    return await make_stage(bot_factory, slack_driver, emulator_server)


def reminders_to(stage: Stage, recipient: str) -> list[RecordedCall]:
    return [
        call
        for call in stage.alice.driver.standin.calls_to("chat.postMessage")
        if call.body.get("channel") == recipient and call.ok and ALARM in (call.text or "")
    ]


async def schedule(stage: Stage, text: str) -> tuple[RecordedCall, datetime]:
    """What Alice types; the card and when Webex says the meeting starts."""
    card = (await stage.alice.driver.command(f"schedule {text}", replies=1)).replies[0]
    meeting = stage.emulator.meetings()[-1]
    return card, meeting.start


async def settled(stage: Stage) -> None:
    """Until the bot has finished the work it does after answering Slack (a short wait, not a timer)."""
    for _ in range(500):
        if stage.bot.services.work.in_flight == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot is still working")


def set_clock(stage: Stage, instant: datetime) -> None:
    stage.emulator.clock.set(instant)


async def run_reminders(stage: Stage) -> int:
    return await jobs_of(stage.bot).send_reminders()


async def test_the_host_gets_one_reminder_ten_minutes_before_with_join_and_start(timed: Stage) -> None:
    _, start = await schedule(timed, "Planning tomorrow 3pm")
    set_clock(timed, start - timedelta(minutes=11))
    assert await run_reminders(timed) == 0 and reminders_to(timed, timed.alice.user_id) == []
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 1
    [dm] = reminders_to(timed, timed.alice.user_id)
    assert "Planning" in shown_text(dm) and "starts in 10 minutes" in shown_text(dm)
    assert {e["action_id"] for e in iter_elements(dm.blocks)} == {blocks.JOIN, blocks.START}
    # Join opens the meeting through the bot, which asks Webex at the click.
    joined = await timed.open_in_browser(button(dm.blocks, blocks.JOIN)["url"])
    key = button(dm.blocks, blocks.JOIN)["value"]
    assert joined.status_code == 302
    webex = await timed.webex_link("GetjoinurlMeeting", key, timed.alice)
    # The same link but for the one-time ticket REST puts in each.
    assert re.sub(r"ticket=\w+", "", joined.headers["location"]) == re.sub(r"ticket=\w+", "", webex)
    # Start as host works from the reminder as from the card: the press in Slack lets the link open once.
    await timed.alice.driver.click(dm, blocks.START)
    started = await timed.open_in_browser(button(dm.blocks, blocks.START)["url"])
    assert started.status_code == 302, started.text[:300]
    host_link = await timed.webex_link("GethosturlMeeting", key, timed.alice)
    assert (
        re.split(r"&(?:TK|ticket)=", started.headers["location"])[0]
        == re.split(r"&(?:TK|ticket)=", host_link)[0]
    )
    # Later turns of the job do not send it again.
    set_clock(timed, start - timedelta(minutes=5))
    assert await run_reminders(timed) == 0
    assert len(reminders_to(timed, timed.alice.user_id)) == 1


@on_both_databases
async def test_two_processes_running_the_job_at_once_send_each_reminder_once(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    stage = await make_stage(bot_factory, slack_driver, emulator_server)
    # A second bot process on the same database (and the same clock).
    keys = [key.get_secret_value() for key in stage.bot.settings.token_keys]
    other = await bot_factory(**TIMED, clock=emulator_server.emulator.clock, token_keys=keys)
    for n in range(3):
        await schedule(stage, f"Sync {n} tomorrow {3 + n}pm for 3h")
    starts = sorted(m.start for m in stage.emulator.meetings())
    set_clock(stage, starts[-1] - timedelta(minutes=10))  # all three are due: the last one just now
    counts = await asyncio.gather(
        *(jobs_of(bot).send_reminders() for bot in (stage.bot, other, stage.bot, other))
    )
    assert sum(counts) == 3
    sent = reminders_to(stage, stage.alice.user_id)
    assert sorted(shown_text(c).split("*")[1] for c in sent) == ["Sync 0", "Sync 1", "Sync 2"]


async def test_an_edited_time_moves_the_reminder(timed: Stage) -> None:
    card, start = await schedule(timed, "Planning tomorrow 11am")
    clicked = await timed.alice.driver.click(card, blocks.EDIT, replies=2)
    later = (start + timedelta(hours=2)).astimezone(ZoneInfo("America/New_York"))
    saved = await timed.alice.driver.submit(
        clicked.replies[1],
        {blocks.TOPIC: "Planning", blocks.DATE: f"{later:%Y-%m-%d}", blocks.TIME: f"{later:%H:%M}"},
    )
    assert saved.status == 200
    await timed.alice.driver.standin.wait_for(
        lambda c: c.method == "response_url" and c.seq >= saved.first_seq and "Updated" in shown_text(c)
    )
    [moved] = timed.emulator.meetings()
    assert moved.start == start + timedelta(hours=2)
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 0
    set_clock(timed, moved.start - timedelta(minutes=10))
    assert await run_reminders(timed) == 1
    [dm] = reminders_to(timed, timed.alice.user_id)
    assert "starts in 10 minutes" in shown_text(dm)


async def test_a_cancelled_meeting_has_no_reminder(timed: Stage) -> None:
    card, start = await schedule(timed, "Standup tomorrow 9am")
    done = await timed.alice.driver.click(card, blocks.CANCEL, replies=1)
    assert "cancelled" in shown_text(done.replies[0]) and timed.emulator.meetings() == []
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 0
    assert reminders_to(timed, timed.alice.user_id) == []


async def test_a_reminder_missed_while_the_bot_was_down_comes_late_and_says_so(timed: Stage) -> None:
    _, start = await schedule(timed, "Review tomorrow 2pm for 60m")
    set_clock(timed, start + timedelta(minutes=7))  # no process ran from T-10 until now
    assert await run_reminders(timed) == 1
    [dm] = reminders_to(timed, timed.alice.user_id)
    assert "started 7 minutes ago" in shown_text(dm)
    assert blocks.JOIN in {e["action_id"] for e in iter_elements(dm.blocks)}


async def test_no_reminder_once_the_meeting_is_over(timed: Stage) -> None:
    _, start = await schedule(timed, "Quick one tomorrow 2pm for 30m")
    set_clock(timed, start + timedelta(minutes=31))
    assert await run_reminders(timed) == 0
    set_clock(timed, start + timedelta(minutes=40))
    assert await run_reminders(timed) == 0
    assert reminders_to(timed, timed.alice.user_id) == []


async def test_remind_off_stops_them_and_a_number_changes_the_lead_time(timed: Stage) -> None:
    asked = await timed.alice.driver.command("remind", replies=1)
    assert "10 minutes" in shown_text(asked.replies[0])
    bad = await timed.alice.driver.command("remind 7", replies=1)
    assert "/webex remind 10" in shown_text(bad.replies[0])
    off = await timed.alice.driver.command("remind off", replies=1)
    assert "off" in shown_text(off.replies[0])
    _, first = await schedule(timed, "Silent tomorrow 10am")
    set_clock(timed, first - timedelta(minutes=10))
    assert await run_reminders(timed) == 0
    # Back on at 5 minutes: the meeting already made follows the new choice.
    five = await timed.alice.driver.command("remind 5", replies=1)
    assert "5 minutes" in shown_text(five.replies[0])
    assert await run_reminders(timed) == 0
    set_clock(timed, first - timedelta(minutes=5))
    assert await run_reminders(timed) == 1
    [dm] = reminders_to(timed, timed.alice.user_id)
    assert "starts in 5 minutes" in shown_text(dm)


async def test_remind_on_after_off_brings_the_default_lead_time_back(timed: Stage) -> None:
    await timed.alice.driver.command("remind off", replies=1)
    on = await timed.alice.driver.command("remind on", replies=1)
    assert "10 minutes" in shown_text(on.replies[0]) and ":warning:" not in shown_text(on.replies[0])
    _, start = await schedule(timed, "Back on tomorrow 10am")
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 1
    assert "starts in 10 minutes" in shown_text(reminders_to(timed, timed.alice.user_id)[0])


async def test_the_home_tab_menu_changes_the_lead_time(timed: Stage) -> None:
    home = (await timed.alice.driver.open_home(replies=1)).replies[0]
    [menu] = [
        e
        for e in iter_elements((home.view or {}).get("blocks", []))
        if e.get("action_id") == "reminders.choose"
    ]
    assert menu["initial_option"]["value"] == "10"
    clicked = await timed.alice.driver.click(home, reminders.CHOOSE_ACTION, value="15")
    assert clicked.status == 200
    republished = await timed.alice.driver.standin.wait_for(
        lambda c: c.method == "views.publish" and c.seq >= clicked.first_seq
    )
    [menu] = [
        e
        for e in iter_elements((republished.view or {}).get("blocks", []))
        if e.get("action_id") == reminders.CHOOSE_ACTION
    ]
    assert menu["initial_option"]["value"] == "15" and "15 minutes" in shown_text(republished)
    _, start = await schedule(timed, "Early tomorrow 4pm")
    set_clock(timed, start - timedelta(minutes=15))
    assert await run_reminders(timed) == 1
    assert "starts in 15 minutes" in shown_text(reminders_to(timed, timed.alice.user_id)[0])


async def test_a_meeting_shared_in_a_channel_reminds_the_channel_without_the_host_button(
    timed: Stage,
) -> None:
    card, start = await schedule(timed, "Demo tomorrow 4pm")
    shared = await timed.alice.driver.click(card, blocks.SHARE, replies=1)
    assert shared.replies[0].method == "chat.postMessage" and shared.replies[0].channel == "C_SANDBOX"
    await settled(timed)
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 2
    channel = timed.alice.driver.channel_id
    [post] = reminders_to(timed, channel)
    assert "Demo" in shown_text(post)
    assert {e["action_id"] for e in iter_elements(post.blocks)} == {blocks.JOIN}
    assert len(reminders_to(timed, timed.alice.user_id)) == 1


async def test_a_reminder_survives_a_restart(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    stage = await make_stage(bot_factory, slack_driver, emulator_server)
    _, start = await schedule(stage, "Board tomorrow 1pm")
    await stop_bot(stage.bot)  # every process is down when the reminder falls due
    set_clock(stage, start - timedelta(minutes=3))
    keys = [key.get_secret_value() for key in stage.bot.settings.token_keys]
    restarted = await bot_factory(**TIMED, clock=emulator_server.emulator.clock, token_keys=keys)
    assert await jobs_of(restarted).send_reminders() == 1
    [dm] = reminders_to(stage, stage.alice.user_id)
    assert "Board" in shown_text(dm) and "starts in 3 minutes" in shown_text(dm)


async def test_another_persons_choice_and_meetings_stay_their_own(timed: Stage) -> None:
    await timed.link(timed.bob)
    off = await timed.bob.driver.command("remind off", replies=1)
    assert "off" in shown_text(off.replies[0])
    _, start = await schedule(timed, "Alice's own tomorrow 10am")
    # Bob forges a Home tab menu answer with a value the menu never offers: nothing changes for anyone.
    forged = await timed.bob.driver.click(
        [home_menu_block("7")], reminders.CHOOSE_ACTION, value="7", user_id=timed.bob.user_id
    )
    assert forged.status == 200
    await settled(timed)
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 1
    assert len(reminders_to(timed, timed.alice.user_id)) == 1
    assert reminders_to(timed, timed.bob.user_id) == []
    assert await timed.bot.services.reminders.choice("T_SANDBOX", timed.bob.user_id) is None
    assert await timed.bot.services.reminders.choice("T_SANDBOX", timed.alice.user_id) == 10


def home_menu_block(value: str) -> dict[str, Any]:
    """A section carrying the reminder menu with one option of the sender's making."""
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    return {
        "type": "section",
        "block_id": "home_reminders",
        "text": {"type": "mrkdwn", "text": "Reminders"},
        "accessory": {"type": "static_select", "action_id": reminders.CHOOSE_ACTION, "options": [option]},
    }


async def test_a_person_who_leaves_slack_leaves_no_reminders(timed: Stage) -> None:
    _, start = await schedule(timed, "Goodbye tomorrow 10am")
    services = timed.bot.services
    await services.tokens.forget_user("T_SANDBOX", timed.alice.user_id)
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 0
    assert reminders_to(timed, timed.alice.user_id) == []


async def test_a_channel_the_bot_can_no_longer_post_in_is_tried_once_and_the_host_still_hears(
    timed: Stage,
) -> None:
    card, start = await schedule(timed, "Offsite tomorrow 4pm")
    await timed.alice.driver.click(card, blocks.SHARE, replies=1)
    await settled(timed)
    # The bot was removed from the channel, and the workspace took back chat:write.public.
    workspace = timed.alice.driver.standin.workspace
    channel = timed.alice.driver.channel_id
    workspace.add_channels([SlackChannel(id=channel, name="sandbox", bot_is_member=False)])
    workspace.bot_scopes = workspace.bot_scopes - {"chat:write.public"}
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 1  # the host's DM
    set_clock(timed, start - timedelta(minutes=9))
    assert await run_reminders(timed) == 0  # the channel's is not tried again every turn
    refused = [
        c
        for c in timed.alice.driver.standin.calls_to("chat.postMessage")
        if c.body.get("channel") == channel and ALARM in (c.text or "")
    ]
    assert [c.answer.get("error") for c in refused] == ["not_in_channel"]
    assert len(reminders_to(timed, timed.alice.user_id)) == 1


async def test_disconnecting_stops_the_reminders_of_ones_meetings(timed: Stage) -> None:
    _, start = await schedule(timed, "Before I leave tomorrow 10am")
    gone = await timed.alice.driver.command("disconnect", replies=1)
    assert "deleted" in shown_text(gone.replies[0]).lower()
    # It says so: the reminders are among what was deleted.
    assert "my reminders of your meetings" in shown_text(gone.replies[0])
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 0
    assert reminders_to(timed, timed.alice.user_id) == []


@on_both_databases
async def test_a_series_is_reminded_before_each_of_its_meetings(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    stage = await make_stage(bot_factory, slack_driver, emulator_server)
    _, first = await schedule(stage, "Standup every weekday 9am")
    new_york = ZoneInfo("America/New_York")  # Alice's zone: the series meets at 9:00 there
    assert first.astimezone(new_york).hour == 9 and first.astimezone(new_york).weekday() < 5
    set_clock(stage, first - timedelta(minutes=10))
    assert await run_reminders(stage) == 1
    set_clock(stage, first - timedelta(minutes=5))
    assert await run_reminders(stage) == 0  # the first meeting's reminder went once
    # The next weekday (after a weekend when the first is a Friday), 08:50 in New York.
    day = first.astimezone(new_york).date() + timedelta(days=1)
    if day.weekday() == 5:
        set_clock(stage, datetime.combine(day, time(8, 50), new_york))
        assert await run_reminders(stage) == 0  # no meeting on Saturday, so no reminder
    while day.weekday() >= 5:
        day += timedelta(days=1)
    set_clock(stage, datetime.combine(day, time(8, 49), new_york))
    assert await run_reminders(stage) == 0
    set_clock(stage, datetime.combine(day, time(8, 50), new_york))
    assert await run_reminders(stage) == 1
    dms = reminders_to(stage, stage.alice.user_id)
    assert len(dms) == 2
    for dm in dms:
        assert "Standup" in shown_text(dm) and "starts in 10 minutes" in shown_text(dm)
        assert {e["action_id"] for e in iter_elements(dm.blocks)} == {blocks.JOIN, blocks.START}
    # The second speaks of that day's meeting (Slack shows the date from the timestamp it carries).
    second_start = datetime.combine(day, time(9, 0), new_york)
    assert f"<!date^{int(second_start.timestamp())}^" in (dms[1].text or "") + json.dumps(dms[1].blocks)


def change_in_webex(stage: Stage, **changes: Any) -> None:
    """The one meeting changed on the Webex site itself, behind the bot's back (no change: deleted)."""
    [meeting] = stage.emulator.meetings()
    site = stage.emulator.state.site_state("sandbox")
    assert site is not None
    with stage.emulator.state.lock:
        if changes:
            site.meetings[meeting.key] = dataclasses.replace(meeting, **changes)
        else:
            del site.meetings[meeting.key]


async def test_a_meeting_deleted_in_webex_itself_is_not_reminded_in_dm_or_channel(timed: Stage) -> None:
    card, start = await schedule(timed, "Deleted on the site tomorrow 3pm")
    await timed.alice.driver.click(card, blocks.SHARE, replies=1)
    await settled(timed)
    change_in_webex(timed)
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 0
    assert reminders_to(timed, timed.alice.user_id) == []
    assert reminders_to(timed, timed.alice.driver.channel_id) == []
    asked = len(timed.calls("get"))
    set_clock(timed, start - timedelta(minutes=5))
    assert await run_reminders(timed) == 0  # dropped, not asked about again every turn
    assert len(timed.calls("get")) == asked


async def test_a_meeting_moved_in_webex_itself_is_reminded_before_its_new_time(timed: Stage) -> None:
    card, start = await schedule(timed, "Moved on the site tomorrow 3pm")
    await timed.alice.driver.click(card, blocks.SHARE, replies=1)
    await settled(timed)
    later = start + timedelta(hours=2)
    change_in_webex(timed, start=later, conf_name="Moved and renamed")
    set_clock(timed, start - timedelta(minutes=10))  # when the old time's reminder was due
    assert await run_reminders(timed) == 0
    assert reminders_to(timed, timed.alice.user_id) == []
    set_clock(timed, later - timedelta(minutes=11))
    assert await run_reminders(timed) == 0
    set_clock(timed, later - timedelta(minutes=10))
    assert await run_reminders(timed) == 2  # the host's and the channel's, at the new time
    for recipient in (timed.alice.user_id, timed.alice.driver.channel_id):
        [post] = reminders_to(timed, recipient)
        assert "Moved and renamed" in shown_text(post) and "starts in 10 minutes" in shown_text(post)
        assert f"<!date^{int(later.timestamp())}^" in (post.text or "")


async def test_a_reminder_goes_as_written_when_webex_does_not_answer_the_check(timed: Stage) -> None:
    _, start = await schedule(timed, "Webex down tomorrow 3pm")
    timed.emulator.add_fault(Fault.http_error(503, operation=timed.operation("get")))
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 1
    [dm] = reminders_to(timed, timed.alice.user_id)
    assert "Webex down" in shown_text(dm) and "starts in 10 minutes" in shown_text(dm)


def next_weekday(after: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of the first weekday after the day `after` falls on, in `zone`."""
    day = after.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(0), zone)


async def test_a_series_moved_then_deleted_in_webex_itself_is_reminded_as_webex_has_it(timed: Stage) -> None:
    _, first = await schedule(timed, "Standup every weekday 9am")
    set_clock(timed, first - timedelta(minutes=10))
    assert await run_reminders(timed) == 1
    # On the Webex site the series moves from 9:00 to 10:00.
    change_in_webex(timed, start=first + timedelta(hours=1))
    new_york = ZoneInfo("America/New_York")
    day = next_weekday(first, new_york)
    set_clock(timed, day.replace(hour=8, minute=50))
    assert await run_reminders(timed) == 0
    set_clock(timed, day.replace(hour=9, minute=50))
    assert await run_reminders(timed) == 1
    second = reminders_to(timed, timed.alice.user_id)[-1]
    assert f"<!date^{int(day.replace(hour=10).timestamp())}^" in (second.text or "")
    # Then the whole series is deleted there: no reminder the next weekday.
    change_in_webex(timed)
    day = next_weekday(day, new_york)
    set_clock(timed, day.replace(hour=9, minute=50))
    assert await run_reminders(timed) == 0
    assert len(reminders_to(timed, timed.alice.user_id)) == 2


async def test_a_reminder_still_comes_when_the_hosts_access_was_withdrawn_in_webex(timed: Stage) -> None:
    _, start = await schedule(timed, "Board review tomorrow 3pm")
    timed.emulator.revoke_tokens(site="sandbox", user=ALICE)  # the check cannot ask Webex as her
    set_clock(timed, start - timedelta(minutes=10))
    assert await run_reminders(timed) == 1
    [dm] = reminders_to(timed, timed.alice.user_id)
    assert "Board review" in shown_text(dm) and "starts in 10 minutes" in shown_text(dm)
