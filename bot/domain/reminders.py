"""A host's reminder of a meeting the bot has just made, as it is written beside the meeting's record, and
which meeting of a series a reminder is for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.meetings import Meeting
from bot.domain.recurrence import Recurrence


@dataclass(frozen=True)
class Series:
    """A recurring meeting as its reminder keeps it: the rule on `zone`'s wall clock, from `first_start`."""

    rule: Recurrence
    zone: str
    first_start: datetime

    def start_after(self, after: datetime) -> datetime | None:
        """The first meeting's start after `after`; None once the series has ended."""
        if self.first_start > after:
            return self.first_start
        return self.rule.next_start(self.first_start, self.zone, after)


@dataclass(frozen=True)
class Occurrence:
    """One meeting to remind of: a single meeting, or one meeting of `series`."""

    starts_at: datetime
    ends_at: datetime
    series: Series | None = None

    def following(self, now: datetime) -> Occurrence | None:
        """The series' next meeting after this one that is not over at `now`; None for a single meeting
        or a series that has ended."""
        if self.series is None:
            return None
        length = self.ends_at - self.starts_at
        start = self.series.start_after(max(self.starts_at, now - length))
        return None if start is None else Occurrence(start, start + length, self.series)


def upcoming(meeting: Meeting, now: datetime) -> Occurrence | None:
    """The meeting to remind of: the meeting itself, or the series' first meeting not over at `now`
    (None when that is none: the meeting is over, the series has ended)."""
    if meeting.recurrence is None:
        return Occurrence(meeting.start, meeting.end) if meeting.end > now else None
    series = Series(meeting.recurrence, meeting.time_zone, meeting.start)
    first = Occurrence(meeting.start, meeting.end, series)
    return first if first.ends_at > now else first.following(now)


@dataclass(frozen=True)
class HostReminder:
    """Remind `host_user_id` of this meeting, as many minutes before as they chose (`default_minutes`
    when they never chose; None: no reminders unless they chose some)."""

    team_id: str
    host_user_id: str
    meeting_id: str
    topic: str
    starts_at: datetime
    ends_at: datetime
    default_minutes: int | None
    series: Series | None = None
