"""The schedule form's Repeats field: its choices, and the series a person picked (pure: no I/O)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Final

from bot.domain.meeting_rules import MeetingRequestInvalid
from bot.domain.recurrence import WEEKDAYS, Frequency, Recurrence, RecurrenceInvalid

NO_REPEAT: Final = "none"

# The everyday rules; a rule read from the text that is none of these is offered as its own choice.
PRESETS: Final = (
    ("Every weekday (Monday to Friday)", Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS)),
    ("Daily", Recurrence(Frequency.DAILY)),
    ("Weekly, on the same weekday", Recurrence(Frequency.WEEKLY)),
    ("Every 2 weeks, on the same weekday", Recurrence(Frequency.WEEKLY, interval=2)),
    ("Monthly, on the same day of the month", Recurrence(Frequency.MONTHLY)),
)


def rule_value(rule: Recurrence) -> str:
    """The rule without its end, as an option's value (its end has fields of its own)."""
    data: dict[str, Any] = {"f": rule.frequency.value, "i": rule.interval, "d": sorted(rule.weekdays)}
    if rule.month_week is not None:
        data["w"] = rule.month_week
    if rule.month_day is not None:
        data["m"] = rule.month_day
    return json.dumps(data, separators=(",", ":"))


def read_rule(value: str) -> Recurrence | None:
    """The rule an option carries; None for "does not repeat". ValueError for a value not made here."""
    if not value or value == NO_REPEAT:
        return None
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError("not a rule")
    try:
        return Recurrence(
            frequency=Frequency(str(data.get("f"))),
            interval=int(data.get("i") or 1),
            weekdays=frozenset(int(day) for day in data.get("d") or ()),
            month_week=int(data["w"]) if data.get("w") is not None else None,
            month_day=int(data["m"]) if data.get("m") is not None else None,
        )
    except (RecurrenceInvalid, TypeError) as error:
        raise ValueError(str(error)) from None


def options(prefilled: Recurrence | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The choices, and the one to start with: the text's rule when it gave one, else no repeat."""

    def option(label: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": label[:75], "emoji": True}, "value": value}

    choices = [option("Does not repeat", NO_REPEAT)]
    choices += [option(label, rule_value(rule)) for label, rule in PRESETS]
    if prefilled is None:
        return choices, choices[0]
    wanted = rule_value(prefilled)
    chosen = next((c for c in choices if c["value"] == wanted), None)
    if chosen is None:
        words = prefilled.rule_words()
        chosen = option(words[:1].upper() + words[1:], wanted)
        choices.insert(1, chosen)
    return choices, chosen


def recurrence_from_form(value: str, until: str, count: str) -> Recurrence | None:
    """The series picked: the rule with its end. MeetingRequestInvalid names the field to fix."""
    try:
        rule = read_rule(value)
    except ValueError:
        raise MeetingRequestInvalid("repeats", "Pick how the meeting repeats from the list.") from None
    if rule is None:
        if until or count:
            raise MeetingRequestInvalid("repeats", "Pick how the meeting repeats, or clear when it ends.")
        return None
    if until and count:
        raise MeetingRequestInvalid(
            "repeat_count", "A series ends on a date or after a number of meetings: keep one."
        )
    ends_on = None
    if until:
        try:
            ends_on = date.fromisoformat(until)
        except ValueError:
            raise MeetingRequestInvalid("repeat_until", "Pick the last day from the calendar.") from None
    times = None
    if count:
        if not count.strip().isdigit():
            raise MeetingRequestInvalid("repeat_count", "Give the number of meetings as a whole number.")
        times = int(count.strip())
    try:
        return Recurrence(
            frequency=rule.frequency,
            interval=rule.interval,
            weekdays=rule.weekdays,
            month_week=rule.month_week,
            month_day=rule.month_day,
            until=ends_on,
            count=times,
        )
    except RecurrenceInvalid as invalid:
        raise MeetingRequestInvalid("repeat_count" if times else "repeats", f"{invalid}.") from None
