"""The schedule form opened from text: settled fields prefilled, open ones empty, and its time zone field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.meetings import Meeting
from bot.domain.schedule_text import parse_schedule_text
from bot.slack.meetings import blocks, form_blocks, texts
from bot.slack.meetings.forms import form_errors, read_form
from bot.slack.meetings.prefill import prefill_from_text, prefill_value, read_prefill_value
from bot.webex.xml_backend import shown_zone

NOW = datetime(2026, 12, 6, 18, 7, tzinfo=UTC)  # Sunday 13:07 in New York
NEW_YORK = "America/New_York"


def modal(prefill: form_blocks.FormPrefill, user_tz: str = NEW_YORK) -> dict[str, Any]:
    view = form_blocks.schedule_modal(prefill, form_blocks.FormContext(channel_id="C1", user_tz=user_tz), NOW)
    return {b.get("block_id"): b for b in view["blocks"]}


def shown(by_id: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (
        by_id[blocks.DATE]["element"].get("initial_date"),
        by_id[blocks.TIME]["element"].get("initial_time"),
        by_id[blocks.TIME_ZONE]["element"]["initial_option"]["value"],
    )


def test_a_day_and_time_from_text_are_shown_as_read_in_the_zone_read() -> None:
    prefill = form_blocks.FormPrefill(
        topic="Review", day=date(2026, 12, 25), clock=time(10), time_zone="Europe/Berlin", suggest_start=False
    )
    assert shown(modal(prefill)) == ("2026-12-25", "10:00", "Europe/Berlin")


@pytest.mark.parametrize(
    ("day", "clock", "expected"),
    [
        (date(2026, 12, 7), None, ("2026-12-07", None)),
        (None, time(15, 30), (None, "15:30")),
        (None, None, (None, None)),
    ],
)
def test_what_the_text_left_open_stays_empty(day: date | None, clock: time | None, expected: Any) -> None:
    prefill = form_blocks.FormPrefill(day=day, clock=clock, time_zone=NEW_YORK, suggest_start=False)
    assert shown(modal(prefill))[:2] == expected


def test_the_plain_form_still_offers_the_next_half_hour() -> None:
    assert shown(modal(form_blocks.FormPrefill())) == ("2026-12-06", "13:30", NEW_YORK)


def test_the_zone_field_offers_the_users_zone_the_texts_zone_and_webex_zones() -> None:
    by_id = modal(form_blocks.FormPrefill(time_zone="UTC+05:45", suggest_start=False), user_tz="Asia/Kolkata")
    element = by_id[blocks.TIME_ZONE]["element"]
    values = [option["value"] for option in element["options"]]
    assert values[:3] == ["Asia/Kolkata", "UTC+05:45", "UTC"]
    assert {"Europe/Berlin", "America/Sao_Paulo", NEW_YORK} <= set(values)
    assert len(values) == len(set(values)) <= 100
    assert element["initial_option"] in element["options"]
    assert element["options"][0]["text"]["text"] == "Asia/Kolkata (your time zone)"
    assert all(len(option["text"]["text"]) <= 75 for option in element["options"])


@pytest.mark.parametrize("zone", ["", "Not/AZone", "../etc/passwd", "UTC+99:00"])
def test_a_zone_that_is_not_one_falls_back_to_the_users(zone: str) -> None:
    assert shown(modal(form_blocks.FormPrefill(time_zone=zone)))[2] == NEW_YORK


def test_a_user_without_a_known_zone_gets_utc() -> None:
    assert shown(modal(form_blocks.FormPrefill(), user_tz="Nowhere/Land"))[2] == "UTC"


def test_the_edit_form_has_no_zone_field() -> None:
    meeting = Meeting(
        meeting_id="123",
        number="123",
        topic="x",
        start=datetime(2027, 1, 1, tzinfo=UTC),
        duration_minutes=30,
        time_zone="America/New_York",
    )
    view = form_blocks.edit_modal(meeting, form_blocks.FormContext(user_tz=NEW_YORK, meeting_id="123"), NOW)
    assert blocks.TIME_ZONE not in {b.get("block_id") for b in view["blocks"]}


def submitted(zone: str | None, day: str = "2027-03-02", clock: str = "09:00") -> dict[str, Any]:
    values: dict[str, Any] = {
        blocks.TOPIC: {blocks.VALUE: {"type": "plain_text_input", "value": "Partner call"}},
        blocks.DATE: {blocks.VALUE: {"type": "datepicker", "selected_date": day}},
        blocks.TIME: {blocks.VALUE: {"type": "timepicker", "selected_time": clock}},
    }
    if zone is not None:
        option = {"text": {"type": "plain_text", "text": zone}, "value": zone}
        values[blocks.TIME_ZONE] = {blocks.VALUE: {"type": "static_select", "selected_option": option}}
    return {"state": {"values": values}}


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("America/Sao_Paulo", datetime(2027, 3, 2, 12, 0, tzinfo=UTC)),
        ("UTC+05:30", datetime(2027, 3, 2, 3, 30, tzinfo=UTC)),
        ("UTC", datetime(2027, 3, 2, 9, 0, tzinfo=UTC)),
        (None, datetime(2027, 3, 2, 14, 0, tzinfo=UTC)),  # an older form: the user's zone
    ],
)
def test_the_picked_zone_decides_the_instant(zone: str | None, start: datetime) -> None:
    form = read_form(submitted(zone))
    assert form_errors(form, NEW_YORK, NOW) == {}
    assert form.start(NEW_YORK) == start


@pytest.mark.parametrize("zone", ["../x", "Mars/Base", "UTC+99:00", "x" * 500])
def test_a_forged_zone_is_refused_beside_its_field(zone: str) -> None:
    form = read_form(submitted(zone))
    assert form_errors(form, NEW_YORK, NOW) == {blocks.TIME_ZONE: "Pick a time zone from the list."}


def test_a_time_past_in_the_picked_zone_is_refused() -> None:
    # 14:00 on Sunday in Tokyo was 00:00 New York time, already past at 13:07.
    form = read_form(submitted("Asia/Tokyo", day="2026-12-06", clock="14:00"))
    assert set(form_errors(form, NEW_YORK, NOW)) == {blocks.TIME}


def test_the_open_form_button_carries_the_settled_fields() -> None:
    prefill = form_blocks.FormPrefill(
        topic="Review",
        day=date(2026, 12, 25),
        clock=time(10),
        time_zone="Europe/Berlin",
        suggest_start=False,
        duration_minutes=45,
        problem="A meeting can last at most 24 hours",
    )
    value = prefill_value(prefill, "C1")
    assert len(value) <= blocks.BUTTON_VALUE_LIMIT
    assert read_prefill_value(value) == (prefill, "C1")


@pytest.mark.parametrize(
    "value",
    [
        '{"day":"2026-02-31","time":"25:00","tz":"Europe/Berlin","suggest":false}',
        '{"day":7,"time":["x"],"suggest":false}',
    ],
)
def test_a_tampered_button_leaves_fields_empty_rather_than_failing(value: str) -> None:
    prefill, _ = read_prefill_value(value)
    assert (prefill.day, prefill.clock, prefill.suggest_start) == (None, None, False)
    assert shown(modal(prefill))[:2] == (None, None)


def test_a_length_the_text_gave_but_cannot_be_used_is_left_to_pick() -> None:
    element = modal(form_blocks.FormPrefill(duration_minutes=None, suggest_start=False))[blocks.DURATION][
        "element"
    ]
    assert "initial_option" not in element and element["placeholder"]["text"] == "Pick a duration"
    unpicked = submitted(NEW_YORK)
    unpicked["state"]["values"][blocks.DURATION] = {
        blocks.VALUE: {"type": "static_select", "selected_option": None}
    }
    assert set(form_errors(read_form(unpicked), NEW_YORK, NOW)) == {blocks.DURATION}
    # A form without the field at all (an older one) keeps the 30 minutes it always had.
    assert read_form(submitted(NEW_YORK)).duration_minutes == 30


def test_the_open_form_button_keeps_a_duration_left_to_pick() -> None:
    prefill = form_blocks.FormPrefill(duration_minutes=None, suggest_start=False)
    assert read_prefill_value(prefill_value(prefill, "C1"))[0].duration_minutes is None
    assert read_prefill_value('{"duration": -5}')[0].duration_minutes == 30


def created_in(asked: str, user_tz: str, start: datetime) -> Meeting:
    """The meeting as the Webex XML backend makes it when asked in `asked` by someone in `user_tz`."""
    iana, label = shown_zone(asked or user_tz, start, user_tz)
    return Meeting(
        meeting_id="123456789",
        number="123456789",
        topic="x",
        start=start,
        duration_minutes=30,
        time_zone=iana,
        time_zone_label=label,
    )


@pytest.mark.parametrize(
    ("asked", "user_tz", "shown_in"),
    [
        ("Asia/Kathmandu", NEW_YORK, "GMT-05:00, Eastern (New York)"),
        ("UTC+05:45", "Europe/Berlin", "GMT+01:00, Europe (Berlin)"),
        ("UTC+05:45", "Asia/Kathmandu", "GMT+00:00, Greenwich (Casablanca)"),  # no zone for either
    ],
)
def test_the_card_says_which_webex_zone_shows_a_meeting_asked_in_a_zone_webex_lacks(
    asked: str, user_tz: str, shown_in: str
) -> None:
    start = datetime(2027, 1, 20, 4, 15, tzinfo=UTC)
    [note] = texts.zone_notes(asked, user_tz, created_in(asked, user_tz, start))
    assert note.startswith(f"Webex has no time zone for {asked} on that date")
    assert shown_in in note


@pytest.mark.parametrize(
    ("asked", "user_tz"), [("", NEW_YORK), (NEW_YORK, NEW_YORK), ("Europe/Berlin", NEW_YORK)]
)
def test_no_note_when_webex_has_the_zone(asked: str, user_tz: str) -> None:
    start = datetime(2027, 1, 20, tzinfo=UTC)
    assert texts.zone_notes(asked, user_tz, created_in(asked, user_tz, start)) == ()


WORDS = [
    "Offsite", "tomorrow", "today", "next", "friday", "every", "weekday", "9am", "3pm", "10:00", "for", "25h",
    "45m", "Europe/Berlin", "Berlin time", "3pm London", "UTC+2", "Gotham time", "31 Feb", "25 Dec", "12/03",
    "2020-01-05", "at 10", "afternoon", "midnight", "with", "<@U1|ana>", "ops@example.com", "@bob",
    "in 2 hours",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=8),
    now=st.sampled_from([NOW, NOW.replace(hour=3)]),
)
def test_the_form_from_any_text_shows_what_the_text_settled(words: list[str], now: datetime) -> None:
    parsed = parse_schedule_text(" ".join(words), now=now, user_tz=NEW_YORK)
    prefill = prefill_from_text(parsed, parsed.topic or "x", "\n".join(parsed.problems + parsed.ambiguities))
    view = form_blocks.schedule_modal(
        prefill, form_blocks.FormContext(channel_id="C1", user_tz=NEW_YORK), now
    )
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    day, clock, zone = shown(by_id)
    assert day == (parsed.day.isoformat() if parsed.day else None)
    assert clock == (parsed.clock.strftime("%H:%M") if parsed.clock else None)
    assert zone == parsed.time_zone
    # A warning that names "a time for <day>" names the day the Date field shows.
    for line in prefill.problem.splitlines():
        if line.startswith("I couldn't read a time for ") and parsed.day is not None:
            assert line.endswith(f"{parsed.day:%a} {parsed.day.day} {parsed.day:%b}")
