"""Text that opens the form, end to end: what the text settled is in the form, and Webex gets that instant.

Alice is in New York, Bob in Berlin. Dates are counted from the real day in the person's zone, as the
bot counts them, so the tests hold whatever day they run."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.emulator.state import StoredMeeting
from bot.sandbox.workspace import RecordedCall
from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import Person, Stage, on_both_databases, shown_text

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def today_in(zone: ZoneInfo) -> date:
    return datetime.now(UTC).astimezone(zone).date()


def fields(view: RecordedCall) -> dict[str, Any]:
    """What the opened form shows in each field, as a person sees it (None: left empty)."""
    assert view.method == "views.open" and view.view is not None
    by_id = {b.get("block_id"): b for b in view.view["blocks"]}
    element = {key: block.get("element", {}) for key, block in by_id.items()}
    return {
        "topic": element[blocks.TOPIC].get("initial_value"),
        "date": element[blocks.DATE].get("initial_date"),
        "time": element[blocks.TIME].get("initial_time"),
        "zone": (element[blocks.TIME_ZONE].get("initial_option") or {}).get("value"),
        "duration": (element[blocks.DURATION].get("initial_option") or {}).get("value"),
        "emails": element[blocks.EMAILS].get("initial_value"),
        "warning": by_id["problem"]["text"]["text"] if "problem" in by_id else "",
    }


async def open_form(person: Person, text: str) -> RecordedCall:
    exchange = await person.driver.command(f"schedule {text}", replies=1)
    return exchange.replies[0]


async def submit(person: Person, form: RecordedCall, values: dict[str, Any]) -> RecordedCall:
    done = await person.driver.submit(form, values, replies=1)
    assert done.status == 200 and not done.body.strip(b"{} "), done.body
    return done.replies[0]


def only_meeting(stage: Stage) -> StoredMeeting:
    [meeting] = stage.emulator.meetings()
    return meeting


@on_both_databases
async def test_fixing_only_the_duration_keeps_the_day_and_time_the_text_gave(linked: Stage) -> None:
    tomorrow = today_in(NEW_YORK) + timedelta(days=1)
    form = await open_form(linked.alice, "Offsite tomorrow 9am for 25h with ops@example.com")
    shown = fields(form)
    assert shown == {
        "topic": "Offsite",
        "date": tomorrow.isoformat(),
        "time": "09:00",
        "zone": "America/New_York",
        "duration": None,  # the length the text gave cannot be used: left to pick, not replaced
        "emails": "ops@example.com",
        "warning": ":warning: A meeting can last at most 24 hours",
    }
    assert linked.emulator.meetings() == []
    unpicked = await linked.alice.driver.submit(form, {})
    assert set(unpicked.json()["errors"]) == {blocks.DURATION}

    card = await submit(linked.alice, form, {blocks.DURATION: "240"})
    meeting = only_meeting(linked)
    assert meeting.start == datetime.combine(tomorrow, time(9, 0), NEW_YORK).astimezone(UTC)
    assert meeting.duration_minutes == 240 and meeting.conf_name == "Offsite"
    assert [a.email for a in meeting.attendees] == ["ops@example.com"]
    assert meeting.time_zone_name.endswith("(New York)")
    assert f"<!date^{int(meeting.start.timestamp())}^" in shown_text(card)


async def test_a_day_without_a_time_fills_the_day_and_leaves_the_time_to_the_person(linked: Stage) -> None:
    tomorrow = today_in(NEW_YORK) + timedelta(days=1)
    form = await open_form(linked.alice, "Kickoff tomorrow")
    shown = fields(form)
    assert (shown["date"], shown["time"]) == (tomorrow.isoformat(), None)
    # The warning names the day the Date field shows.
    assert f"I couldn't read a time for {tomorrow:%a} {tomorrow.day} {tomorrow:%b}" in shown["warning"]

    empty = await linked.alice.driver.submit(form, {})
    assert empty.json()["errors"] == {blocks.TIME: "Pick a start time."}
    await submit(linked.alice, form, {blocks.TIME: "10:30"})
    meeting = only_meeting(linked)
    assert meeting.start == datetime.combine(tomorrow, time(10, 30), NEW_YORK).astimezone(UTC)


async def test_a_named_zone_creates_the_meeting_at_that_instant_in_that_webex_zone(linked: Stage) -> None:
    year = today_in(NEW_YORK).year + 1
    text = f"schedule Review 25 Dec {year} 10:00 Europe/Berlin"
    exchange = await linked.alice.driver.command(text, replies=1)
    meeting = only_meeting(linked)
    assert meeting.conf_name == "Review"
    assert meeting.start == datetime(year, 12, 25, 10, 0, tzinfo=BERLIN).astimezone(UTC)
    assert meeting.time_zone_name.endswith("(Berlin)")
    text = shown_text(exchange.replies[0])
    assert 'I read "Europe/Berlin" as Berlin time' in text
    assert "04:00 in your time zone (America/New_York)" in text


async def test_a_named_zone_is_kept_in_the_form_and_used_on_submit(linked: Stage) -> None:
    year = today_in(NEW_YORK).year + 1
    form = await open_form(linked.alice, f"Review 3pm London on 2 July {year} for 30h")
    shown = fields(form)
    assert (shown["topic"], shown["date"], shown["time"]) == ("Review", f"{year}-07-02", "15:00")
    assert shown["duration"] is None
    assert shown["zone"] == "Europe/London"
    await submit(linked.alice, form, {blocks.DURATION: "60"})
    meeting = only_meeting(linked)
    # 15:00 in London's summer time is 14:00 UTC; Webex shows it in its London zone.
    assert meeting.start == datetime(year, 7, 2, 14, 0, tzinfo=UTC)
    assert meeting.time_zone_name.endswith("(London)")


async def test_a_zone_webex_lacks_keeps_the_instant_and_says_so(linked: Stage) -> None:
    year = today_in(NEW_YORK).year + 1
    exchange = await linked.alice.driver.command(f"schedule Sync {year}-01-20 10am Kathmandu", replies=1)
    meeting = only_meeting(linked)
    # Kathmandu is UTC+05:45, a zone Webex does not have: the same instant, shown in Alice's zone.
    assert meeting.start == datetime(year, 1, 20, 4, 15, tzinfo=UTC)
    if linked.api == "xml":
        assert meeting.time_zone_name.endswith("(New York)")
        assert "Webex has no time zone for Asia/Kathmandu" in shown_text(exchange.replies[0])
    else:
        # The REST API takes any IANA zone: the meeting stays in Kathmandu's, and nothing is said.
        [stored] = linked.emulator.rest.meetings("sandbox")
        assert stored["timezone"] == "Asia/Kathmandu"
        assert "Webex has no time zone" not in shown_text(exchange.replies[0])


async def test_a_zone_that_cannot_be_read_is_asked_not_put_in_the_topic(linked: Stage) -> None:
    tomorrow = today_in(NEW_YORK) + timedelta(days=1)
    form = await open_form(linked.alice, "Sync tomorrow 10:00 Gotham time")
    shown = fields(form)
    assert shown["topic"] == "Sync" and "Gotham time" in shown["warning"]
    assert (shown["date"], shown["time"]) == (tomorrow.isoformat(), "10:00")
    assert shown["zone"] == "America/New_York"
    assert linked.emulator.meetings() == []
    # West of New York, so tomorrow 10:00 there is ahead whatever the hour the test runs.
    await submit(linked.alice, form, {blocks.TIME_ZONE: "America/Los_Angeles"})
    meeting = only_meeting(linked)
    los_angeles = ZoneInfo("America/Los_Angeles")
    assert meeting.start == datetime.combine(tomorrow, time(10, 0), los_angeles).astimezone(UTC)
    assert meeting.time_zone_name.endswith("(San Jose)")


async def test_a_repeating_rule_the_form_is_opened_for_keeps_its_series(linked: Stage) -> None:
    now = datetime.now(UTC).astimezone(NEW_YORK)
    first = now.date() + timedelta(days=1)
    while first.weekday() >= 5:
        first += timedelta(days=1)
    # "at 9" could be morning or evening: the form asks, with the rule already picked under Repeats.
    form = await open_form(linked.alice, "Standup every weekday at 9 for 10 times")
    shown = fields(form)
    assert shown["date"] is not None and shown["time"] == "09:00"
    repeats = next(b for b in form.view["blocks"] if b.get("block_id") == blocks.REPEATS)["element"]
    assert repeats["initial_option"]["text"]["text"] == "Every weekday (Monday to Friday)"
    count = next(b for b in form.view["blocks"] if b.get("block_id") == blocks.REPEAT_COUNT)["element"]
    assert count["initial_value"] == "10"
    await submit(linked.alice, form, {blocks.DATE: first.isoformat()})
    meeting = only_meeting(linked)
    assert meeting.start == datetime.combine(first, time(9, 0), NEW_YORK).astimezone(UTC)
    assert meeting.rest is not None
    assert meeting.rest.recurrence == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;COUNT=10"


async def test_the_plain_form_makes_a_series_and_refuses_a_first_day_off_the_rule(linked: Stage) -> None:
    saturday = today_in(BERLIN) + timedelta(days=1)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    form = (await linked.bob.driver.command("schedule", replies=1)).replies[0]
    weekdays = next(
        o["value"]
        for b in form.view["blocks"]
        if b.get("block_id") == blocks.REPEATS
        for o in b["element"]["options"]
        if o["text"]["text"].startswith("Every weekday")
    )
    values = {blocks.TOPIC: "Standup", blocks.TIME: "09:00", blocks.REPEATS: weekdays}
    refused = await linked.bob.driver.submit(form, {**values, blocks.DATE: saturday.isoformat()}, replies=0)
    assert b"is not a day the series meets on" in refused.body
    assert linked.emulator.meetings() == []
    monday = saturday + timedelta(days=2)
    until = monday + timedelta(days=11)
    await submit(
        linked.bob,
        form,
        {**values, blocks.DATE: monday.isoformat(), blocks.REPEAT_UNTIL: until.isoformat()},
    )
    meeting = only_meeting(linked)
    assert meeting.start == datetime.combine(monday, time(9, 0), BERLIN).astimezone(UTC)
    assert meeting.rest is not None
    assert (
        meeting.rest.recurrence == f"FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;UNTIL={until:%Y%m%d}T235959"
    )


async def test_the_zone_field_of_the_plain_form_decides_the_instant(linked: Stage) -> None:
    year = today_in(BERLIN).year + 1
    form = (await linked.bob.driver.command("schedule", replies=1)).replies[0]
    assert fields(form)["zone"] == "Europe/Berlin"
    values = {blocks.TOPIC: "Partner call", blocks.DATE: f"{year}-03-02", blocks.TIME: "09:00"}
    await submit(linked.bob, form, values | {blocks.TIME_ZONE: "America/Sao_Paulo"})
    meeting = only_meeting(linked)
    assert meeting.start == datetime(year, 3, 2, 12, 0, tzinfo=UTC)  # Sao Paulo is UTC-3 all year
    assert meeting.time_zone_name.endswith("(Brasilia)")


async def test_a_forged_zone_is_refused_beside_the_field(linked: Stage) -> None:
    form = (await linked.bob.driver.command("schedule", replies=1)).replies[0]
    assert form.view is not None
    # What a client could send back: a value that is not one of the options.
    for block in form.view["blocks"]:
        if block.get("block_id") == blocks.TIME_ZONE:
            block["element"]["options"].append({"text": {"type": "plain_text", "text": "x"}, "value": "../x"})
    answer = await linked.bob.driver.submit(
        form, {blocks.TOPIC: "x", blocks.DATE: "2030-01-02", blocks.TIME: "09:00", blocks.TIME_ZONE: "../x"}
    )
    assert answer.json()["errors"] == {blocks.TIME_ZONE: "Pick a time zone from the list."}
    assert linked.emulator.meetings() == []


async def test_a_named_address_in_the_text_is_in_the_form_as_written_and_keeps_its_name(
    linked: Stage,
) -> None:
    form = await open_form(linked.alice, 'Planning with "Lima, Ana" <ana@x.io>')  # no time: the form opens
    shown = fields(form)
    assert (shown["topic"], shown["emails"]) == ("Planning", '"Lima, Ana" <ana@x.io>')
    tomorrow = today_in(NEW_YORK) + timedelta(days=1)
    await submit(linked.alice, form, {blocks.DATE: tomorrow.isoformat(), blocks.TIME: "10:00"})
    assert [(a.email, a.name) for a in only_meeting(linked).attendees] == [("ana@x.io", "Lima, Ana")]


async def test_a_length_the_webex_api_does_not_take_opens_the_form_before_anything_is_sent(
    linked: Stage,
) -> None:
    exchange = await linked.alice.driver.command("schedule Quick check tomorrow 3pm for 5m", replies=1)
    if linked.api == "xml":
        # The XML API takes 1 minute to 24 hours: the meeting is made as typed.
        assert only_meeting(linked).duration_minutes == 5
        return
    # The REST API takes 10 minutes to 23 h 59 min: Webex is not asked; the form says what to change,
    # with what the text settled filled in.
    form = exchange.replies[0]
    shown = fields(form)
    assert shown["warning"] == (
        ":warning: A meeting lasts between 10 min and 23 h 59 min; pick a duration in that range."
    )
    assert (shown["topic"], shown["time"], shown["duration"]) == ("Quick check", "15:00", "5")
    assert linked.emulator.meetings() == [] and linked.calls("create") == []
    unchanged = await linked.alice.driver.submit(form, {})
    assert unchanged.json()["errors"] == {
        blocks.DURATION: "A meeting lasts between 10 min and 23 h 59 min; pick a duration in that range."
    }
    await submit(linked.alice, form, {blocks.DURATION: "15"})
    assert only_meeting(linked).duration_minutes == 15


async def test_two_times_with_a_place_after_them_open_the_form_and_say_so(linked: Stage) -> None:
    # Once "and 17 in room 4" went into the topic of a meeting made at 9 without a word.
    tomorrow = today_in(NEW_YORK) + timedelta(days=1)
    form = await open_form(linked.alice, "Review tomorrow at 9 and 17 in room 4")
    shown = fields(form)
    assert (shown["topic"], shown["date"], shown["time"]) == ("Review in room 4", tomorrow.isoformat(), None)
    assert 'I read more than one time: "at 9", "17"' in shown["warning"]
    assert linked.emulator.meetings() == []
