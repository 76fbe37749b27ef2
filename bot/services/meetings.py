"""The meeting use cases behind one name for the entry points: scheduling, reading, changing, cancelling.

Each use case lives in its own module (scheduling, meeting_reading, meeting_changes) and calls the
backend through bot.services.ports.MeetingBackend only; this module wires them to one backend.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.clock import Clock
from bot.domain.meeting_rules import (
    MeetingRequestInvalid,
    check_meeting_number,
    clean_agenda,
    clean_topic,
)
from bot.services.meeting_calls import BackendCalls, ScheduledMeeting, Tokens
from bot.services.meeting_changes import CancelResult, ChangeResult, MeetingChanger, MeetingEdit
from bot.services.meeting_reading import (
    ListWindow,
    MeetingReader,
    UpcomingMeetings,
    window_bounds,
)
from bot.services.ports import MeetingBackend
from bot.services.scheduling import (
    RECHECK_PAUSES,
    STALE_AFTER,
    CreateOutcomeUnknown,
    MeetingNotCreated,
    Operations,
    ScheduleInProgress,
    ScheduleRequest,
    Scheduling,
    SlowDown,
    Throttle,
)

__all__ = [
    "CancelResult",
    "ChangeResult",
    "CreateOutcomeUnknown",
    "ListWindow",
    "MeetingEdit",
    "MeetingNotCreated",
    "MeetingRequestInvalid",
    "MeetingService",
    "ScheduleInProgress",
    "ScheduleRequest",
    "ScheduledMeeting",
    "SlowDown",
    "UpcomingMeetings",
    "clean_agenda",
    "clean_topic",
    "window_bounds",
]


class MeetingService:
    """Schedules and manages a person's meetings with their own linked account, on one backend."""

    def __init__(
        self,
        tokens: Tokens,
        backend: MeetingBackend,
        operations: Operations,
        clock: Clock,
        *,
        recheck_pauses: tuple[float, ...] = RECHECK_PAUSES,
        stale_after: timedelta = STALE_AFTER,
        throttle: Throttle | None = None,
    ) -> None:
        self._calls = BackendCalls(tokens, backend)
        self.scheduling = Scheduling(
            self._calls,
            operations,
            clock,
            recheck_pauses=recheck_pauses,
            stale_after=stale_after,
            throttle=throttle,
        )
        self.reading = MeetingReader(self._calls, clock)
        self.changing = MeetingChanger(self._calls, clock)
        # The use cases, by the names the entry points call them.
        self.draft_for = self.scheduling.draft_for
        self.schedule = self.scheduling.schedule
        self.start_now = self.scheduling.start_now
        self.get = self.reading.get
        self.details = self.reading.details
        self.list_upcoming = self.reading.list_upcoming
        self.join_url = self.reading.join_url
        self.host_url = self.reading.host_url
        self.changes_for = self.changing.changes_for
        self.change = self.changing.change
        self.cancel = self.changing.cancel

    async def meeting_id_for(self, team_id: str, user_id: str, typed_number: str) -> str:
        """The id of the meeting a person named by its number (raises MeetingRequestInvalid)."""
        number = check_meeting_number(typed_number)
        return await self._calls.meeting_id_for(team_id, user_id, number)
