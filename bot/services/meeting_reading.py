"""Reading meetings: one meeting, a person's upcoming meetings in a window, and join and host links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.clock import Clock
from bot.domain.meetings import Meeting, first_meeting_after
from bot.services.meeting_calls import BackendCalls, ScheduledMeeting
from bot.services.ports import MeetingPage

LIST_PAGE_SIZE = 10
# Reads of the backend one list page may take when meetings already over leave it short (a busy day
# before this one), so a page is not shown empty while meetings are still to come.
LIST_READS_PER_PAGE = 4


class ListWindow(StrEnum):
    UPCOMING = "upcoming"
    TODAY = "today"
    WEEK = "week"


@dataclass(frozen=True)
class UpcomingMeetings:
    meetings: tuple[Meeting, ...]
    window: ListWindow
    next_cursor: str | None  # where the "More" button continues, None at the end
    total: int | None


def user_zone(user_tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(user_tz)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def window_bounds(
    window: ListWindow, now: datetime, user_tz: str, *, longest_meeting: timedelta
) -> tuple[datetime, datetime | None]:
    """The UTC range of start times a list asks for; days are the person's own days. It looks back by
    the longest meeting the backend holds, so every meeting still running is found, however long (the
    list then drops what is over, except today's own)."""
    after = now - longest_meeting
    if window is ListWindow.TODAY:
        # From midnight, or earlier: a meeting begun last night and still running is part of today.
        after = min(day_start(now, user_tz), after)
    return after, window_end(window, now, user_tz)


def window_end(window: ListWindow, now: datetime, user_tz: str) -> datetime | None:
    """The UTC instant a list's days end: the person's midnight after today, or after the eighth day
    for the week; None for the upcoming list, which has no end."""
    days = {ListWindow.TODAY: 1, ListWindow.WEEK: 8}.get(window)
    if days is None:
        return None
    zone = user_zone(user_tz)
    end = datetime.combine(now.astimezone(zone).date() + timedelta(days=days), time(0), tzinfo=zone)
    return end.astimezone(UTC)


def day_start(now: datetime, user_tz: str) -> datetime:
    """The UTC instant the person's today began."""
    zone = user_zone(user_tz)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone).astimezone(UTC)


def shown_in_window(
    meeting: Meeting, now: datetime, *, since: datetime | None, before: datetime | None
) -> Meeting | None:
    """The meeting as a list shows it, or None. Today's list keeps today's meetings already over (it is
    a plan of the day); the others, and today's look back into last night, keep only what is still
    running or to come. A series is shown once, at its first such meeting, whichever of its meetings
    the backend gave; None when that one starts after the window (`before`)."""
    after = now - (meeting.end - meeting.start)  # a meeting starting after this is not over yet
    if since is not None:
        after = min(after, since - timedelta(microseconds=1))
    shown = first_meeting_after(meeting, after)
    if shown is None or (before is not None and shown.start > before):
        return None
    return shown


class MeetingReader:
    """What a person's meetings look like now, read with their own linked account."""

    def __init__(self, calls: BackendCalls, clock: Clock) -> None:
        self._calls = calls
        self._backend = calls.backend
        self._clock = clock

    async def get(self, team_id: str, user_id: str, meeting_id: str) -> Meeting:
        return await self._calls.call(
            team_id, user_id, lambda creds: self._backend.meeting(creds, meeting_id)
        )

    async def details(self, team_id: str, user_id: str, meeting_id: str) -> ScheduledMeeting:
        """The meeting as the backend has it, for its card."""
        return await self._calls.describe(team_id, user_id, meeting_id, repeated=False)

    async def list_upcoming(
        self,
        team_id: str,
        user_id: str,
        *,
        user_tz: str,
        window: ListWindow = ListWindow.UPCOMING,
        cursor: str | None = None,
        page_size: int = LIST_PAGE_SIZE,
    ) -> UpcomingMeetings:
        now = self._clock.now()
        longest = timedelta(minutes=self._backend.meeting_limits.longest_minutes)
        after, before = window_bounds(window, now, user_tz, longest_meeting=longest)
        since = day_start(now, user_tz) if window is ListWindow.TODAY else None
        shown: list[Meeting] = []
        dropped, reads, total, complete = 0, 0, None, False
        next_cursor = cursor
        while True:
            reads += 1
            page = await self._page(team_id, user_id, after, before, page_size - len(shown), next_cursor)
            if reads == 1:
                total = page.total
            for meeting in page.meetings:
                listed = shown_in_window(meeting, now, since=since, before=before)
                if listed is not None:
                    shown.append(listed)
                else:
                    dropped += 1
            next_cursor = page.next_cursor
            # Meetings come by start, and what is dropped began before now: once one starting from now
            # on is read, or the list's end, every dropped one has been seen.
            complete = complete or next_cursor is None or any(m.start >= now for m in page.meetings)
            if len(shown) >= page_size or next_cursor is None or reads >= LIST_READS_PER_PAGE:
                break
        return UpcomingMeetings(
            meetings=tuple(sorted(shown, key=lambda m: m.start)),
            window=window,
            next_cursor=next_cursor,
            # The backend's count holds the meetings dropped as over: known only when all were seen.
            total=total - dropped if total is not None and cursor is None and complete else None,
        )

    async def _page(
        self,
        team_id: str,
        user_id: str,
        after: datetime,
        before: datetime | None,
        size: int,
        cursor: str | None,
    ) -> MeetingPage:
        return await self._calls.call(
            team_id,
            user_id,
            lambda creds: self._backend.list_meetings(
                creds, starts_after=after, starts_before=before, page_size=size, cursor=cursor
            ),
        )

    async def join_url(
        self,
        team_id: str,
        user_id: str,
        meeting_id: str,
        *,
        name: str | None = None,
        email: str | None = None,
    ) -> str:
        return await self._calls.call(
            team_id,
            user_id,
            lambda creds: self._backend.join_link(creds, meeting_id, name=name or None, email=email or None),
        )

    async def join_url_by_number(
        self, team_id: str, user_id: str, number: str, *, name: str | None = None
    ) -> str:
        """The join link of the meeting with this (checked) number, whoever hosts it, when Webex lets
        this person join it (MeetingNotFound, or MeetingNotVisible, when it does not)."""
        return await self._calls.call(
            team_id,
            user_id,
            lambda creds: self._backend.join_link_by_number(creds, number, name=name or None),
        )

    async def host_url(self, team_id: str, user_id: str, meeting_id: str) -> str:
        return await self._calls.call(
            team_id, user_id, lambda creds: self._backend.host_link(creds, meeting_id)
        )
