"""Recurring meetings end to end: typed in Slack, kept by the emulated Webex as one series, listed once,
cancelled whole, and at nine o'clock local on both sides of a clock change."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from lxml import etree

from bot.emulator import XML_SERVICE_PATH
from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import Stage, button, on_both_databases, shown_text, stage_on_emulator_clock
from tests.support.emulator import ALICE, link_account, read_answer, xml_request
from tests.support.servers import BotFactory
from tests.support.slack import DriverFactory

NEW_YORK = ZoneInfo("America/New_York")  # Alice's zone
EVERY_WEEKDAY = "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR"


def next_weekday_at_nine() -> date:
    now = datetime.now(UTC).astimezone(NEW_YORK)
    first = now.date() if now.time() < time(9) else now.date() + timedelta(days=1)
    while first.weekday() >= 5:
        first += timedelta(days=1)
    return first


def next_first_monday_at_ten() -> datetime:
    """When "monthly on the first monday 10am" next meets, in New York (this month's, if still ahead)."""
    now = datetime.now(UTC).astimezone(NEW_YORK)
    month = now.date().replace(day=1)
    while True:
        monday = month + timedelta(days=(7 - month.weekday()) % 7)
        meets = datetime.combine(monday, time(10), NEW_YORK)
        if meets > now:
            return meets
        month = (month + timedelta(days=32)).replace(day=1)


async def schedule_standup(stage: Stage, text: str = "Standup every weekday 9am") -> tuple[str, str]:
    """Alice types it; the card she gets, and the key of the one meeting Webex now holds."""
    exchange = await stage.alice.driver.command(f"schedule {text}", replies=1)
    [meeting] = stage.emulator.meetings()
    return shown_text(exchange.replies[0]), str(meeting.key)


async def listed_starts(stage: Stage, key: str, low: datetime, high: datetime) -> list[datetime]:
    """The series' starts Webex itself lists between two instants (LstsummaryMeeting, asked directly)."""
    gmt = "%m/%d/%Y %H:%M:%S"
    async with httpx.AsyncClient(timeout=10) as client:
        grant = await link_account(client, stage.emulator_url, user=stage.alice.webex_email)
        response = await client.post(
            stage.emulator_url + XML_SERVICE_PATH,
            content=xml_request(
                "LstsummaryMeeting",
                "<listControl><startFrom>1</startFrom><maximumNum>100</maximumNum></listControl>"
                f"<dateScope><startDateStart>{low:{gmt}}</startDateStart>"
                f"<startDateEnd>{high:{gmt}}</startDateEnd><timeZoneID>20</timeZoneID></dateScope>",
                token=grant["access_token"],
                webex_id=stage.alice.webex_email,
            ),
        )
    answer = read_answer(response)
    assert answer.result == "SUCCESS", answer.reason
    rows = zip(answer.texts("meetingKey"), answer.texts("startDate"), strict=True)
    # Rows show the meeting's own zone (New York here).
    return [datetime.strptime(start, gmt).replace(tzinfo=NEW_YORK) for k, start in rows if k == key]


async def test_every_weekday_is_one_series_in_webex_and_the_card_says_how_it_repeats(linked: Stage) -> None:
    card, key = await schedule_standup(linked)
    assert "Repeats every weekday" in card
    stored = linked.emulator.meeting(key)
    assert stored is not None and stored.rest is not None
    assert stored.rest.recurrence == EVERY_WEEKDAY
    first = next_weekday_at_nine()
    assert stored.start == datetime.combine(first, time(9), NEW_YORK).astimezone(UTC)
    # What went over the wire: CreateMeeting with its repeat element (the emulator checks it against
    # the XSD in strict mode).
    [create] = linked.calls("create")
    if linked.api == "xml":
        sent = etree.fromstring(create.body)
        days = sent.xpath(
            "//*[local-name()='repeat']/*[local-name()='dayInWeek']/*[local-name()='day']/text()"
        )
        assert days == ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    else:
        # POST /v1/meetings with the RRULE (the emulator checks it against Cisco's description).
        assert json.loads(create.body)["recurrence"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR"
    starts = await listed_starts(
        linked, key, stored.start - timedelta(minutes=1), stored.start + timedelta(days=13)
    )
    assert len(starts) == 10 and all(s.weekday() < 5 and s.time() == time(9) for s in starts)


async def test_until_and_count_show_on_the_card_and_in_webex(linked: Stage) -> None:
    until = next_weekday_at_nine() + timedelta(days=30)
    card, key = await schedule_standup(linked, f"Standup every weekday 9am until {until:%Y-%m-%d}")
    assert f"Repeats every weekday until {until:%a} {until.day} {until:%b}" in card
    stored = linked.emulator.meeting(key)
    assert stored is not None and stored.rest is not None
    assert stored.rest.recurrence == f"{EVERY_WEEKDAY};UNTIL={until:%Y%m%d}T235959"


async def test_the_list_shows_the_series_once_at_its_next_meeting_with_its_rule(linked: Stage) -> None:
    await schedule_standup(linked)
    await linked.alice.driver.command("schedule Planning monthly on the first monday 10am", replies=1)
    listed = (await linked.alice.driver.command("list", replies=1)).replies[0]
    text = shown_text(listed)
    rows = [b for b in listed.blocks if str(b.get("block_id", "")).startswith("row:")]
    # In time order: on a first Monday before ten, Planning's next meeting comes before the Standup's.
    standup_first = datetime.combine(next_weekday_at_nine(), time(9), NEW_YORK) < next_first_monday_at_ten()
    standup, planning = (rows[0], rows[1]) if standup_first else (rows[1], rows[0])
    assert len(rows) == 2 and "Standup" in str(standup) and "Planning" in str(planning)
    assert "Repeats every weekday" in str(standup) and "Repeats monthly on the first Monday" in str(planning)
    # Every other row Webex gave is another meeting of the same two series: nothing more to show.
    assert blocks.MORE not in str(listed.blocks)
    first = next_weekday_at_nine()
    assert f"{first:%a} {first.day} {first:%b}" in text
    # Each series is asked about once (GetMeeting) for its rule.
    assert len(linked.emulator.xml_requests("GetMeeting")) <= 2


async def test_cancel_cancels_the_whole_series_and_says_so(linked: Stage) -> None:
    _, key = await schedule_standup(linked)
    asked = (await linked.alice.driver.command(f"cancel {key}", replies=1)).replies[0]
    assert "the whole series" in shown_text(asked)
    done = await linked.alice.driver.click(asked, blocks.CANCEL, replies=1)
    assert "the whole series" in shown_text(done.replies[0])
    assert linked.emulator.meeting(key) is None and linked.emulator.meetings() == []
    listed = (await linked.alice.driver.command("list", replies=1)).replies[0]
    assert "Standup" not in shown_text(listed)


async def test_a_nine_oclock_series_stays_at_nine_across_the_clock_change(linked: Stage) -> None:
    # The next change of New York's clocks (March or November), whichever comes first from today.
    today = datetime.now(UTC).astimezone(NEW_YORK).date()
    change = next(
        today + timedelta(days=n)
        for n in range(1, 370)
        if datetime.combine(today + timedelta(days=n), time(12), NEW_YORK).utcoffset()
        != datetime.combine(today + timedelta(days=n - 1), time(12), NEW_YORK).utcoffset()
    )
    start = change - timedelta(days=10)
    if start <= today:
        start = today + timedelta(days=1)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    until = change + timedelta(days=10)
    _, key = await schedule_standup(
        linked, f"Standup every weekday 9am from {start:%Y-%m-%d} until {until:%Y-%m-%d}"
    )
    low = datetime.combine(start, time(0), NEW_YORK).astimezone(UTC)
    high = datetime.combine(until + timedelta(days=1), time(0), NEW_YORK).astimezone(UTC)
    starts = await listed_starts(linked, key, low, high)
    before = [s for s in starts if s.date() < change]
    after = [s for s in starts if s.date() > change]
    assert before and after
    assert {s.time() for s in starts} == {time(9)}
    # Nine local is a different UTC hour on each side of the change.
    assert {s.utcoffset() for s in before} != {s.utcoffset() for s in after}


async def test_edit_moves_the_whole_series_and_says_so(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("schedule Standup every weekday 9am", replies=1)
    card = exchange.replies[0]
    [before] = linked.emulator.meetings()
    clicked = await linked.alice.driver.click(card, blocks.EDIT, replies=2)
    form = clicked.replies[1]
    assert "Changes apply to the whole series" in shown_text(form)
    local = before.start.astimezone(NEW_YORK)
    saved = await linked.alice.driver.submit(
        form,
        {blocks.DATE: local.strftime("%Y-%m-%d"), blocks.TIME: "09:30"},
    )
    assert saved.status == 200
    updated = await linked.alice.driver.standin.wait_for(
        lambda c: c.method == "response_url" and c.seq >= saved.first_seq
    )
    assert "Updated the time of the whole series" in shown_text(updated)
    assert "Repeats every weekday" in shown_text(updated)
    [after] = linked.emulator.meetings()
    assert after.start == before.start + timedelta(minutes=30)
    assert after.rest is not None and after.rest.recurrence == EVERY_WEEKDAY
    starts = await listed_starts(linked, str(after.key), after.start, after.start + timedelta(days=7))
    assert starts and {s.time() for s in starts} == {time(9, 30)}


@on_both_databases
async def test_a_series_from_the_form_waits_through_a_reconnect_and_is_made_once(linked: Stage) -> None:
    linked.emulator.revoke_tokens(user=ALICE)
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    weekly = next(
        o["value"]
        for b in (form.view or {})["blocks"]
        if b.get("block_id") == blocks.REPEATS
        for o in b["element"]["options"]
        if o["text"]["text"].startswith("Every weekday")
    )
    first = next_weekday_at_nine() + timedelta(days=7)
    while first.weekday() >= 5:
        first += timedelta(days=1)
    values = {
        blocks.TOPIC: "Standup",
        blocks.DATE: first.isoformat(),
        blocks.TIME: "09:00",
        blocks.REPEATS: weekly,
        blocks.REPEAT_COUNT: "20",
    }
    submitted = await linked.alice.driver.submit(form, values, replies=1)
    prompt = submitted.replies[0]
    assert "expired" in shown_text(prompt) and linked.emulator.meetings() == []
    await linked.follow_connect(button(prompt.blocks, "connect_webex")["url"], ALICE)
    card = await linked.alice.driver.standin.wait_for(
        lambda c: c.seq > prompt.seq and "Repeats every weekday, 20 times" in shown_text(c)
    )
    assert card is not None
    [meeting] = linked.emulator.meetings()
    assert meeting.rest is not None and meeting.rest.recurrence == f"{EVERY_WEEKDAY};COUNT=20"


async def test_edit_refuses_to_move_a_series_to_a_day_its_rule_does_not_meet_on(linked: Stage) -> None:
    # Once accepted: Webex kept "every Monday" and skipped the Tuesday, while the card showed a Tuesday.
    exchange = await linked.alice.driver.command("schedule Sync every monday 9am", replies=1)
    [before] = linked.emulator.meetings()
    clicked = await linked.alice.driver.click(exchange.replies[0], blocks.EDIT, replies=2)
    tuesday = before.start.astimezone(NEW_YORK) + timedelta(days=1)
    saved = await linked.alice.driver.submit(
        clicked.replies[1], {blocks.DATE: tuesday.strftime("%Y-%m-%d"), blocks.TIME: "09:00"}
    )
    answer = await linked.alice.driver.standin.wait_for(
        lambda c: c.method == "response_url" and c.seq >= saved.first_seq
    )
    said = (
        f"This series repeats every Monday; {tuesday:%a} {tuesday.day} {tuesday:%b} is not a day it meets on"
    )
    assert said in shown_text(answer)
    [after] = linked.emulator.meetings()
    assert after.start == before.start


async def test_until_the_end_of_the_month_ends_the_series_on_its_last_day(linked: Stage) -> None:
    # Once "until end of month" went into the topic and the series had no end, with no word said.
    card, key = await schedule_standup(linked, "Standup every weekday 9am until end of month")
    first = next_weekday_at_nine()
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert f"Repeats every weekday until {last:%a} {last.day} {last:%b}" in card
    assert "end of month" not in card
    stored = linked.emulator.meeting(key)
    assert stored is not None and stored.rest is not None and stored.conf_name == "Standup"
    assert stored.rest.recurrence == f"{EVERY_WEEKDAY};UNTIL={last:%Y%m%d}T235959"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Standup every weekday 9am until christmas", "until christmas"),
        # Once "through the holidays" went into the topic and the series was made with no end, unsaid.
        ("Standup every monday 9am through the holidays", "through the holidays"),
    ],
)
async def test_an_end_that_is_not_a_date_opens_the_form_and_says_so(
    linked: Stage, text: str, said: str
) -> None:
    form = (await linked.alice.driver.command(f"schedule {text}", replies=1)).replies[0]
    assert form.method == "views.open"
    assert f'"{said}": I couldn\'t read that as the end of the series' in shown_text(form)
    assert linked.emulator.meetings() == []


async def test_walk_through_without_a_rule_is_a_meeting_with_that_topic(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("schedule Walk through the plan tomorrow 9am", replies=1)
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "Walk through the plan"
    assert "Walk through the plan" in shown_text(exchange.replies[0])


async def test_a_series_of_one_meeting_says_1_time_on_the_card(linked: Stage) -> None:
    card, key = await schedule_standup(linked, "Standup every weekday 9am for one time")
    assert "Repeats every weekday, 1 time" in card and "1 times" not in card
    stored = linked.emulator.meeting(key)
    assert stored is not None and stored.rest is not None and stored.conf_name == "Standup"
    assert stored.rest.recurrence == f"{EVERY_WEEKDAY};COUNT=1"


async def test_every_weekend_is_a_saturday_and_sunday_series(linked: Stage) -> None:
    card, key = await schedule_standup(linked, "Brunch every weekend 10am")
    assert "Repeats every Saturday and Sunday" in card
    stored = linked.emulator.meeting(key)
    assert stored is not None and stored.rest is not None and stored.conf_name == "Brunch"
    assert stored.rest.recurrence == "FREQ=WEEKLY;INTERVAL=1;BYDAY=SA,SU"


@pytest.fixture
async def clocked(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, webex_api: str
) -> Stage:
    return await stage_on_emulator_clock(bot_factory, slack_driver, emulator_server, webex_timeout_seconds=2)


def slack_time(instant: datetime) -> str:
    """How a card or list row names an instant: Slack's date token, which each reader sees in their zone."""
    return f"<!date^{int(instant.timestamp())}^"


async def test_a_series_whose_meeting_today_is_over_lists_its_next_meeting_and_today_keeps_todays(
    clocked: Stage,
) -> None:
    await schedule_standup(clocked)
    [stored] = clocked.emulator.meetings()
    first = stored.start
    # 10:00 in New York: today's 9:00 meeting is over, the next is on the next weekday.
    clocked.emulator.clock.set(first + timedelta(hours=1))
    following = next_weekday_after(first)
    for command in ("list", "week"):
        listed = (await clocked.alice.driver.command(command, replies=1)).replies[0]
        shown = shown_text(listed)
        assert "Standup" in shown and "no upcoming" not in shown and "no Webex meetings" not in shown
        assert slack_time(following) in shown and slack_time(first) not in shown
    home = (await clocked.alice.driver.open_home(replies=1)).replies[0]
    assert "Standup" in shown_text(home) and slack_time(following) in shown_text(home)
    # Today's list is the plan of the day: today's meeting, over, and not the next weekday's.
    today = (await clocked.alice.driver.command("today", replies=1)).replies[0]
    assert slack_time(first) in shown_text(today) and slack_time(following) not in shown_text(today)


def next_weekday_after(start: datetime) -> datetime:
    """The same wall-clock time in New York on the next weekday."""
    local = start.astimezone(NEW_YORK)
    day = local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, local.time(), NEW_YORK)


async def test_a_monthly_series_met_this_morning_is_not_in_this_weeks_list(clocked: Stage) -> None:
    await clocked.alice.driver.command("schedule Planning monthly on the first monday 10am", replies=1)
    [stored] = clocked.emulator.meetings()
    clocked.emulator.clock.set(stored.start + timedelta(hours=2))  # its meeting this morning is over
    week = shown_text((await clocked.alice.driver.command("week", replies=1)).replies[0])
    assert "Planning" not in week and "no Webex meetings" in week
    upcoming = shown_text((await clocked.alice.driver.command("list", replies=1)).replies[0])
    assert "Planning" in upcoming and slack_time(stored.start) not in upcoming


async def test_cancel_or_edit_of_one_meeting_of_a_series_does_nothing_and_says_what_the_command_does(
    linked: Stage,
) -> None:
    _, key = await schedule_standup(linked)
    driver = linked.alice.driver
    asked = []
    for typed, command in ((f"cancel {key} tomorrow", "cancel"), (f"edit {key} only on friday", "edit")):
        exchange = await driver.command(typed)
        asked.append(exchange)
        said = exchange.ack_text
        words = typed.split(maxsplit=2)[2]
        assert f"I read the meeting number {key}, then “{words}”" in said
        assert f"Type `/webex {command} {key}` alone." in said
        assert "every meeting of the series" in said and "do it in Webex" in said
        assert "is not a meeting number" not in said
    # Nothing was asked, cancelled or opened: the series is whole, no form, no dialog.
    assert [m.key for m in linked.emulator.meetings()] == [int(key)]
    assert not driver.standin.calls_to("views.open")
    await driver.command("list", replies=1)
    assert [call for exchange in asked for call in driver.replies_so_far(exchange)] == []
