"""How a meeting repeats, whatever the backend: a plain rule on the meeting's local wall clock.

A rule runs on the clock of the zone the meeting is shown in, so a 09:00 series stays at 09:00
local across a daylight-saving change. Adapters map it to their own shapes (the XML API's `repeat`
element, the REST API's RRULE in bot/webex/rrule.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, weekday

from bot.domain.timezones import zone_info

__all__ = [
    "LAST_WEEK",
    "MAX_OCCURRENCES",
    "MAX_YEARS",
    "WEEKDAYS",
    "Frequency",
    "Recurrence",
    "RecurrenceInvalid",
    "recurrence_from_text",
]

# Monday is 0, as date.weekday() counts.
WEEKDAYS: Final = frozenset(range(5))
LAST_WEEK: Final = -1  # month_week of "the last Monday"
MAX_INTERVAL: Final = 99
# Webex ends a series at most five years after it starts; a count is capped to fit (REST: 1826 days).
MAX_YEARS: Final = 5
MAX_OCCURRENCES: Final = {"DAILY": 1826, "WEEKLY": 261, "MONTHLY": 60}

_DAY_NAMES: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORDINALS: Final = {1: "first", 2: "second", 3: "third", 4: "fourth", LAST_WEEK: "last"}


class Frequency(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class RecurrenceInvalid(ValueError):
    """A rule the product does not make; the message says what to change."""


@dataclass(frozen=True)
class Recurrence:
    """A series: every `interval` days, weeks or months, from the first meeting's start.

    WEEKLY repeats on `weekdays` (0 = Monday; empty: the first meeting's weekday). MONTHLY repeats on
    the `month_week`-th (1-4, or LAST_WEEK) of its one weekday, or on `month_day`, or (neither) on the
    first meeting's day of the month. It ends after `until` (a local date, inclusive), after `count`
    meetings, or never (Webex then ends it after five years).
    """

    frequency: Frequency
    interval: int = 1
    weekdays: frozenset[int] = frozenset()
    month_week: int | None = None
    month_day: int | None = None
    until: date | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem:
            raise RecurrenceInvalid(problem)

    def problem(self) -> str:
        """Why the rule cannot be made ("" when it can)."""
        if not 1 <= self.interval <= MAX_INTERVAL:
            return f"A meeting can repeat every 1 to {MAX_INTERVAL} {self.unit}s"
        if any(not 0 <= day <= 6 for day in self.weekdays):
            return "A weekday is 0 (Monday) to 6 (Sunday)"
        if self.until is not None and self.count is not None:
            return "A series ends on a date or after a number of meetings, not both"
        if self.count is not None and not 1 <= self.count <= MAX_OCCURRENCES[self.frequency]:
            return f"A {self.unit}ly series has 1 to {MAX_OCCURRENCES[self.frequency]} meetings"
        if self.frequency is Frequency.MONTHLY:
            if self.month_week is not None and (self.month_week not in _ORDINALS or len(self.weekdays) != 1):
                return "A monthly series repeats on one weekday of the first to fourth, or last, week"
            if self.month_day is not None and not 1 <= self.month_day <= 31:
                return "A day of the month is 1 to 31"
        elif self.month_week is not None or self.month_day is not None:
            return "Only a monthly series repeats on a week or day of the month"
        if self.frequency is Frequency.DAILY and self.weekdays:
            return "A daily series repeats every day; name weekdays for a weekly one"
        return ""

    @property
    def unit(self) -> str:
        return {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}[self.frequency]

    def meets_on(self, first: date) -> bool:
        """Whether a series starting on `first` meets that day (a weekly rule on other weekdays does not)."""
        if self.weekdays and first.weekday() not in self.weekdays:
            return False
        if self.month_week is None:
            return True
        if self.month_week == LAST_WEEK:
            return (first + timedelta(days=7)).month != first.month
        return (first.day - 1) // 7 + 1 == self.month_week

    def days_for(self, first: date) -> frozenset[int]:
        """The weekdays a weekly series meets on, given its first day."""
        return self.weekdays or frozenset({first.weekday()})

    def describe(self, first: date | None = None) -> str:
        """The rule in words: "every weekday until Tue 31 Mar", "every 2 weeks on Tuesday, 10 times"."""
        return self.rule_words(first) + self.end_words(first)

    def rule_words(self, first: date | None = None) -> str:
        every = "every" if self.interval == 1 else f"every {self.interval} {self.unit}s"
        if self.frequency is Frequency.DAILY:
            return "every day" if self.interval == 1 else every
        if self.frequency is Frequency.WEEKLY:
            days = self.weekdays or (frozenset({first.weekday()}) if first is not None else frozenset())
            if not days:
                return "every week" if self.interval == 1 else every
            if self.interval == 1:
                if days == WEEKDAYS:
                    return "every weekday"
                if days == frozenset(range(7)):
                    return "every day"
                return "every " + _day_list(days)
            if days == WEEKDAYS:
                return f"{every} on weekdays"
            return f"{every} on {_day_list(days)}"
        lead = "monthly" if self.interval == 1 else every
        if self.month_week is not None and self.weekdays:
            (day,) = self.weekdays
            return f"{lead} on the {_ORDINALS[self.month_week]} {_DAY_NAMES[day]}"
        month_day = self.month_day or (first.day if first is not None else None)
        return f"{lead} on day {month_day}" if month_day else lead

    def end_words(self, first: date | None = None) -> str:
        if self.until is not None:
            year = "" if first is not None and first.year == self.until.year else f" {self.until.year}"
            return f" until {self.until:%a} {self.until.day} {self.until:%b}{year}"
        if self.count is not None:
            return f", {self.count} time{'' if self.count == 1 else 's'}"
        return ""

    def to_text(self) -> str:
        """The rule as a short text to keep (read back by `recurrence_from_text`)."""
        fields: dict[str, object] = {"frequency": self.frequency.value, "interval": self.interval}
        if self.weekdays:
            fields["weekdays"] = sorted(self.weekdays)
        if self.month_week is not None:
            fields["month_week"] = self.month_week
        if self.month_day is not None:
            fields["month_day"] = self.month_day
        if self.until is not None:
            fields["until"] = self.until.isoformat()
        if self.count is not None:
            fields["count"] = self.count
        return json.dumps(fields, separators=(",", ":"))

    def next_start(self, first_start: datetime, zone: str, after: datetime) -> datetime | None:
        """The start (UTC) of the series' first meeting that starts after `after`; None once it has ended.

        The series starts at `first_start` and runs on `zone`'s wall clock, so a 09:00 meeting stays at
        09:00 local across a daylight-saving change; the end (`until`, `count`) counts from the first."""
        clock = zone_info(zone) or UTC
        local_first = first_start.astimezone(clock).replace(tzinfo=None)
        local_after = after.astimezone(clock).replace(tzinfo=None)
        # A wall-clock time repeated by a change back is taken at its first instant, the one the
        # rule names; comparing on UTC below keeps a meeting from being found twice.
        for local in self._rule(local_first).xafter(local_after - timedelta(hours=3), inc=False):
            start = local.replace(tzinfo=clock).astimezone(UTC)
            if start > after:
                return start
        return None

    def day_after(self, first: date) -> date | None:
        """The day of the meeting after the first in a series that starts on `first`; None if none."""
        noon = datetime.combine(first, time(12))
        later: datetime | None = self._rule(noon).after(noon)
        return None if later is None else later.date()

    def _rule(self, local_first: datetime) -> rrule:
        days: list[weekday] | None = None
        if self.weekdays:
            week = self.month_week  # None: every week; else the n-th (or last) of the month
            days = [weekday(day, week) for day in sorted(self.weekdays)]
        until = None if self.until is None else datetime.combine(self.until, time.max)
        return rrule(
            DAILY
            if self.frequency is Frequency.DAILY
            else WEEKLY
            if self.frequency is Frequency.WEEKLY
            else MONTHLY,
            dtstart=local_first,
            interval=self.interval,
            byweekday=days,
            bymonthday=self.month_day,
            until=until,
            count=self.count,
        )


def recurrence_from_text(text: str) -> Recurrence:
    """The rule `Recurrence.to_text` wrote."""
    fields = json.loads(text)
    until = fields.get("until")
    return Recurrence(
        frequency=Frequency(fields["frequency"]),
        interval=int(fields.get("interval", 1)),
        weekdays=frozenset(int(day) for day in fields.get("weekdays", ())),
        month_week=fields.get("month_week"),
        month_day=fields.get("month_day"),
        until=None if until is None else date.fromisoformat(until),
        count=fields.get("count"),
    )


def _day_list(days: frozenset[int]) -> str:
    names = [_DAY_NAMES[day] for day in sorted(days)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
