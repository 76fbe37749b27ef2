"""The neutral recurrence as an RFC 5545 RRULE (the Webex REST API's `recurrence`) and back.

Pure functions. UNTIL is written as a local date-time at the end of the last day (Webex reads a
value without `Z` in the meeting's own zone); a `Z` value read back is turned into that zone first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Final

from bot.domain.recurrence import LAST_WEEK, Frequency, Recurrence, RecurrenceInvalid

__all__ = ["RRuleUnreadable", "recurrence_to_rrule", "rrule_to_recurrence"]

_BYDAY: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class RRuleUnreadable(ValueError):
    """An RRULE this product cannot show as a neutral recurrence (YEARLY, BYMONTH, several BYSETPOS...)."""


def recurrence_to_rrule(recurrence: Recurrence) -> str:
    """`FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20270331T235959`, without the `RRULE:` prefix."""
    parts = [f"FREQ={recurrence.frequency.value}"]
    if recurrence.interval != 1:
        parts.append(f"INTERVAL={recurrence.interval}")
    if recurrence.frequency is Frequency.WEEKLY and recurrence.weekdays:
        parts.append("BYDAY=" + ",".join(_BYDAY[day] for day in sorted(recurrence.weekdays)))
    if recurrence.frequency is Frequency.MONTHLY:
        if recurrence.month_week is not None:
            (day,) = recurrence.weekdays
            parts.append(f"BYDAY={recurrence.month_week}{_BYDAY[day]}")
        elif recurrence.month_day is not None:
            parts.append(f"BYMONTHDAY={recurrence.month_day}")
    if recurrence.count is not None:
        parts.append(f"COUNT={recurrence.count}")
    if recurrence.until is not None:
        parts.append(f"UNTIL={recurrence.until:%Y%m%d}T235959")
    return ";".join(parts)


def rrule_to_recurrence(text: str, zone: tzinfo = UTC) -> Recurrence:
    """The recurrence an RRULE describes; `zone` is the meeting's, for a UTC (`Z`) UNTIL.

    Raises RRuleUnreadable for a rule the neutral value cannot carry."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise RRuleUnreadable(f"{item!r} is not NAME=VALUE")
        parts[name.strip().upper()] = value.strip().upper()
    unknown = set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"}
    if unknown:
        raise RRuleUnreadable(f"{', '.join(sorted(unknown))} cannot be shown")
    try:
        frequency = Frequency(parts.get("FREQ", ""))
    except ValueError:
        raise RRuleUnreadable(f"FREQ={parts.get('FREQ', '')} cannot be shown") from None
    weekdays: frozenset[int] = frozenset()
    month_week: int | None = None
    if "BYDAY" in parts:
        weekdays, weeks = _by_day(parts["BYDAY"])
        if frequency is Frequency.DAILY:
            # "every weekday" is sometimes written DAILY;BYDAY=MO,...,FR: the same series, weekly.
            frequency = Frequency.WEEKLY
        if weeks:
            if frequency is not Frequency.MONTHLY or len(weeks) != 1 or len(weekdays) != 1:
                raise RRuleUnreadable(f"BYDAY={parts['BYDAY']} cannot be shown")
            month_week = weeks.pop()
    interval = _integer(parts, "INTERVAL")
    try:
        return Recurrence(
            frequency=frequency,
            interval=1 if interval is None else interval,
            weekdays=weekdays,
            month_week=month_week,
            month_day=_integer(parts, "BYMONTHDAY"),
            count=_integer(parts, "COUNT"),
            until=_until(parts["UNTIL"], zone) if "UNTIL" in parts else None,
        )
    except RecurrenceInvalid as error:
        raise RRuleUnreadable(str(error)) from None


def _by_day(value: str) -> tuple[frozenset[int], set[int]]:
    days: set[int] = set()
    weeks: set[int] = set()
    for item in value.split(","):
        item = item.strip()
        prefix, code = item[:-2], item[-2:]
        if code not in _BYDAY:
            raise RRuleUnreadable(f"BYDAY {item!r} is not a weekday")
        days.add(_BYDAY.index(code))
        if prefix:
            try:
                week = int(prefix)
            except ValueError:
                raise RRuleUnreadable(f"BYDAY {item!r} is not a weekday") from None
            if week not in (1, 2, 3, 4, LAST_WEEK):
                raise RRuleUnreadable(f"BYDAY {item!r} cannot be shown")
            weeks.add(week)
    return frozenset(days), weeks


def _integer(parts: dict[str, str], name: str) -> int | None:
    if name not in parts:
        return None
    if not parts[name].isdigit():
        raise RRuleUnreadable(f"{name}={parts[name]} is not a number")
    return int(parts[name])


def _until(value: str, zone: tzinfo) -> date:
    try:
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).astimezone(zone).date()
        if "T" in value:
            return datetime.strptime(value, "%Y%m%dT%H%M%S").date()
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise RRuleUnreadable(f"UNTIL={value} is not a date") from None
