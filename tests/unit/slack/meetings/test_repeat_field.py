"""The schedule form's Repeats field: its choices, the series read back, and values the bot never made."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.domain.meeting_rules import MeetingRequestInvalid
from bot.domain.recurrence import LAST_WEEK, WEEKDAYS, Frequency, Recurrence
from bot.domain.schedule_text import parse_schedule_text
from bot.slack.meetings import blocks, form_blocks
from bot.slack.meetings.forms import form_errors, read_form
from bot.slack.meetings.prefill import prefill_from_text, prefill_value, read_prefill_value
from bot.slack.meetings.repeat_field import NO_REPEAT, options, read_rule, recurrence_from_form, rule_value

NOW = datetime(2026, 12, 6, 18, 7, tzinfo=UTC)  # Sunday 13:07 in New York
NEW_YORK = "America/New_York"
WEEKDAY_RULE = Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS)


def by_id(prefill: form_blocks.FormPrefill) -> dict[str, Any]:
    view = form_blocks.schedule_modal(prefill, form_blocks.FormContext(user_tz=NEW_YORK), NOW)
    return {b.get("block_id"): b for b in view["blocks"]}


def submitted(day: str, repeats: str, until: str = "", count: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {
        blocks.TOPIC: {blocks.VALUE: {"value": "Standup"}},
        blocks.DATE: {blocks.VALUE: {"selected_date": day}},
        blocks.TIME: {blocks.VALUE: {"selected_time": "09:00"}},
        blocks.DURATION: {blocks.VALUE: {"selected_option": {"value": "15"}}},
        blocks.REPEATS: {blocks.VALUE: {"selected_option": {"value": repeats}}},
        blocks.REPEAT_UNTIL: {blocks.VALUE: {"selected_date": until or None}},
        blocks.REPEAT_COUNT: {blocks.VALUE: {"value": count or None}},
    }
    return {"state": {"values": values}}


def test_a_plain_form_starts_with_does_not_repeat() -> None:
    form = by_id(form_blocks.FormPrefill())
    assert form[blocks.REPEATS]["element"]["initial_option"]["value"] == NO_REPEAT
    assert form[blocks.REPEAT_UNTIL]["optional"] and form[blocks.REPEAT_COUNT]["optional"]


def test_the_texts_rule_is_chosen_and_its_end_filled_in() -> None:
    parsed = parse_schedule_text("Standup every weekday at 9 until 31 March", now=NOW, user_tz=NEW_YORK)
    form = by_id(prefill_from_text(parsed, "Standup", "check"))
    assert (
        form[blocks.REPEATS]["element"]["initial_option"]["text"]["text"]
        == "Every weekday (Monday to Friday)"
    )
    assert form[blocks.REPEAT_UNTIL]["element"]["initial_date"] == "2027-03-31"


def test_a_rule_that_is_no_preset_is_offered_as_it_was_read() -> None:
    rule = Recurrence(Frequency.MONTHLY, weekdays=frozenset({4}), month_week=LAST_WEEK)
    choices, chosen = options(rule)
    assert chosen["text"]["text"] == "Monthly on the last Friday" and chosen in choices
    assert read_rule(chosen["value"]) == rule


def test_the_prefill_button_carries_the_series() -> None:
    prefill = form_blocks.FormPrefill(topic="Standup", recurrence=Recurrence(Frequency.DAILY, count=10))
    back, _ = read_prefill_value(prefill_value(prefill, "C1"))
    assert back.recurrence == Recurrence(Frequency.DAILY, count=10)


def test_the_form_reads_the_series_with_its_end() -> None:
    form = read_form(submitted("2026-12-07", rule_value(WEEKDAY_RULE), until="2027-03-31"))
    assert form_errors(form, NEW_YORK, NOW) == {}
    assert form.recurrence() == Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, until=date(2027, 3, 31))
    assert read_form(submitted("2026-12-07", NO_REPEAT)).recurrence() is None


@pytest.mark.parametrize(
    ("day", "repeats", "until", "count", "block", "says"),
    [
        ("2026-12-12", rule_value(WEEKDAY_RULE), "", "", blocks.REPEATS, "is not a day the series meets on"),
        ("2026-12-07", rule_value(WEEKDAY_RULE), "2026-12-01", "", blocks.REPEAT_UNTIL, "ends before"),
        ("2026-12-07", rule_value(WEEKDAY_RULE), "2032-01-01", "", blocks.REPEAT_UNTIL, "5 years"),
        ("2026-12-07", rule_value(WEEKDAY_RULE), "2027-01-01", "3", blocks.REPEAT_COUNT, "keep one"),
        ("2026-12-07", rule_value(WEEKDAY_RULE), "", "9999", blocks.REPEAT_COUNT, "1 to 261"),
        ("2026-12-07", rule_value(WEEKDAY_RULE), "", "2.5", blocks.REPEAT_COUNT, "whole number"),
        ("2026-12-07", NO_REPEAT, "", "4", blocks.REPEATS, "Pick how the meeting repeats"),
    ],
)
def test_what_cannot_be_made_is_said_beside_its_field(
    day: str, repeats: str, until: str, count: str, block: str, says: str
) -> None:
    errors = form_errors(read_form(submitted(day, repeats, until, count)), NEW_YORK, NOW)
    assert says in errors.get(block, ""), errors


@pytest.mark.parametrize(
    "forged",
    [
        json.dumps({"f": "HOURLY", "i": 1, "d": []}),
        json.dumps({"f": "WEEKLY", "i": 10**9, "d": []}),
        json.dumps({"f": "WEEKLY", "i": 1, "d": [9]}),
        json.dumps({"f": "DAILY", "i": 1, "d": [0]}),
        json.dumps(["WEEKLY"]),
        json.dumps({"f": "MONTHLY", "i": 1, "d": [0, 1], "w": 1}),
        "{not json",
    ],
)
def test_a_value_the_bot_never_offered_is_refused_and_nothing_is_made(forged: str) -> None:
    # A hand-made request could send anything as the option's value: the form is refused, no series.
    with pytest.raises(MeetingRequestInvalid):
        recurrence_from_form(forged, "", "")
    errors = form_errors(read_form(submitted("2026-12-07", forged)), NEW_YORK, NOW)
    assert blocks.REPEATS in errors


def test_a_forged_prefill_button_opens_a_form_without_a_series() -> None:
    value = json.dumps({"topic": "x", "repeat": json.dumps({"f": "SECONDLY"}), "count": 5})
    prefill, _ = read_prefill_value(value)
    assert prefill.recurrence is None
