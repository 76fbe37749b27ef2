"""Recurring meetings: RRULE bodies checked and tidied as Webex does, and series expanded into occurrences."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

FREQUENCIES: Final = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
HORIZON: Final = timedelta(days=5 * 365 + 1)  # dated ends are capped at five years
MAX_COUNT: Final = {"YEARLY": 5, "MONTHLY": 60, "WEEKLY": 261, "DAILY": 1826}
_KNOWN_PARTS: Final = frozenset(
    {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
)
# Every occurrence a listing can ask about lies within the five-year horizon of its series.
_MAX_EXPANSION: Final = 2000


class RecurrenceError(ValueError):
    """A recurrence rule Webex would refuse; the message says why."""


def normalise(text: str, first_start: datetime, zone: ZoneInfo) -> str:
    """The rule as Webex keeps it (upper case, only the first day for MONTHLY/YEARLY), or RecurrenceError."""
    start = first_start.astimezone(zone).replace(tzinfo=None)
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip() or name not in _KNOWN_PARTS:
            raise RecurrenceError(f"Invalid recurrence rule part '{item}'.")
        parts[name] = value.strip().upper()
    frequency = parts.get("FREQ", "")
    if frequency not in FREQUENCIES:
        raise RecurrenceError("The recurrence rule needs FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("A recurrence rule may have COUNT or UNTIL, not both.")
    if frequency in ("MONTHLY", "YEARLY"):
        for name in ("BYMONTHDAY", "BYDAY"):
            if name in parts:
                parts[name] = parts[name].split(",")[0]
    normalised = ";".join(f"{name}={value}" for name, value in parts.items())
    rule = build(normalised, start, zone)
    if "COUNT" in parts:
        count = int(parts["COUNT"]) if parts["COUNT"].isdigit() else 0
        if not 1 <= count <= MAX_COUNT[frequency]:
            raise RecurrenceError(
                f"COUNT must be between 1 and {MAX_COUNT[frequency]} for a {frequency.lower()} meeting."
            )
    if "UNTIL" in parts:
        last = rule.before(start + HORIZON + timedelta(days=1), inc=True)
        beyond = rule.after(start + HORIZON, inc=False)
        if last is None:
            raise RecurrenceError("UNTIL is before the first occurrence.")
        if beyond is not None:
            raise RecurrenceError("A recurring meeting may not end more than 5 years after it starts.")
    if rule.after(start, inc=True) is None:
        raise RecurrenceError("The recurrence rule has no occurrence.")
    return normalised


def build(text: str, start: datetime, zone: ZoneInfo) -> rrule:
    """The dateutil rule on naive local wall-clock times from `start` (local), so occurrences keep the clock.

    A UTC `UNTIL` (`...Z`) is turned into the meeting's local time first.
    """
    parts = []
    for item in text.split(";"):
        name, _, value = item.partition("=")
        if name == "UNTIL" and value.endswith("Z"):
            try:
                until = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            except ValueError:
                raise RecurrenceError(
                    f"UNTIL {value} is not a date and time like 20300101T000000Z."
                ) from None
            value = until.astimezone(zone).strftime("%Y%m%dT%H%M%S")
        parts.append(f"{name}={value}")
    try:
        rule = rrulestr("RRULE:" + ";".join(parts), dtstart=start.replace(tzinfo=None))
    except (ValueError, TypeError) as error:
        raise RecurrenceError(f"Invalid recurrence rule: {error}.") from None
    if not isinstance(rule, rrule):
        raise RecurrenceError("Invalid recurrence rule.")
    return rule


def starts(
    rule_text: str,
    first_start: datetime,
    zone: ZoneInfo,
    *,
    after: datetime | None = None,
    before: datetime | None = None,
) -> Iterator[datetime]:
    """UTC starts of the series' occurrences, in order: those strictly after `after` and before `before`.

    The rule runs on the meeting's local wall clock (a 9:00 weekly meeting stays at 9:00 across a
    daylight-saving change), as Webex schedules series.
    """
    local_first = first_start.astimezone(zone)
    if not rule_text:
        candidates: Iterator[datetime] = iter([local_first.replace(tzinfo=None)])
    else:
        rule = build(rule_text, local_first, zone)
        low = after.astimezone(zone).replace(tzinfo=None) if after is not None else None
        candidates = rule.xafter(low, inc=False) if low is not None else iter(rule)
    for produced, naive in enumerate(candidates):
        if produced >= _MAX_EXPANSION:
            return
        instant = naive.replace(tzinfo=zone).astimezone(first_start.tzinfo)
        if after is not None and instant <= after:
            continue
        if before is not None and instant >= before:
            return
        yield instant
