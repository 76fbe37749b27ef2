"""The meeting use cases behind one name for the entry points: scheduling, reading, changing, cancelling.

Each use case lives in its own module (scheduling, meeting_reading, meeting_changes) and calls the
backend through bot.services.ports.MeetingBackend only; this module wires them to one backend.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import timedelta

from bot.domain.clock import Clock
from bot.domain.meeting_rules import (
    MeetingRequestInvalid,
    check_meeting_number,
    clean_agenda,
    clean_topic,
)
from bot.services.errors import AnsweredElsewhere
from bot.services.idempotency import STALE_AFTER, OncePerKey, Operations
from bot.services.meeting_calls import BackendCalls, ScheduledMeeting, Tokens
from bot.services.meeting_changes import (
    CancelResult,
    ChangeInProgress,
    ChangeResult,
    MeetingChanger,
    MeetingEdit,
    gone,
)
from bot.services.meeting_reading import (
    ListWindow,
    MeetingReader,
    UpcomingMeetings,
    window_bounds,
)
from bot.services.ports import MeetingBackend
from bot.services.reminders import ReminderService
from bot.services.scheduling import (
    RECHECK_PAUSES,
    CreateOutcomeUnknown,
    MeetingNotCreated,
    ScheduleInProgress,
    ScheduleRequest,
    Scheduling,
    SlowDown,
)

__all__ = [
    "AnsweredElsewhere",
    "CancelResult",
    "ChangeInProgress",
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

logger = logging.getLogger(__name__)


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
        reminders: ReminderService | None = None,
    ) -> None:
        self.reminders = reminders
        self.meeting_limits = backend.meeting_limits  # what a form checks before its ack
        self._calls = BackendCalls(tokens, backend)
        once = OncePerKey(operations, clock, stale_after=stale_after)
        self.scheduling = Scheduling(
            self._calls,
            once,
            clock,
            recheck_pauses=recheck_pauses,
            host_reminder=None if reminders is None else reminders.host_reminder,
        )
        self.reading = MeetingReader(self._calls, clock)
        self.changing = MeetingChanger(self._calls, once, clock)
        # The use cases, by the names the entry points call them.
        self.draft_for = self.scheduling.draft_for
        self.start_now = self.scheduling.start_now
        self.get = self.reading.get
        self.details = self.reading.details
        self.list_upcoming = self.reading.list_upcoming
        self.join_url = self.reading.join_url
        self.join_url_by_number = self.reading.join_url_by_number
        self.host_url = self.reading.host_url
        self.changes_for = self.changing.changes_for

    async def schedule(
        self, team_id: str, user_id: str, request: ScheduleRequest, *, request_key: str
    ) -> ScheduledMeeting:
        """Create the meeting once per `request_key`; the host's reminder is kept beside it."""
        scheduled = await self.scheduling.schedule(team_id, user_id, request, request_key=request_key)
        if self.reminders is not None and not scheduled.reminder_kept:
            # Found after a lost answer, made by another delivery, or its record could not be written.
            await _quietly(
                self.reminders.meeting_made(team_id, user_id, scheduled.meeting), "keep a reminder"
            )
        return scheduled

    async def change(
        self, team_id: str, user_id: str, meeting_id: str, edit: MeetingEdit, *, request_key: str
    ) -> ChangeResult:
        """Send only what changed, once per `request_key`; the meeting's reminders follow its new time."""
        result = await self.changing.change(team_id, user_id, meeting_id, edit, request_key=request_key)
        if self.reminders is not None and result.changed and not result.repeated:
            await _quietly(
                self.reminders.meeting_changed(team_id, user_id, result.meeting), "move a reminder"
            )
        return result

    async def cancel(self, team_id: str, user_id: str, meeting_id: str) -> CancelResult:
        """Delete the meeting, and its reminders with it."""
        result = await self.changing.cancel(team_id, user_id, meeting_id)
        if self.reminders is not None:
            await _quietly(self.reminders.meeting_cancelled(team_id, meeting_id), "drop a reminder")
        return result

    async def found_gone(self, team_id: str, meeting_id: str) -> CancelResult:
        """Webex said it has no such meeting (deleted on the Webex site): what a cancel would have found,
        and its reminders go, as they would have."""
        if self.reminders is not None:
            await _quietly(self.reminders.meeting_cancelled(team_id, meeting_id), "drop a reminder")
        return gone(meeting_id, self._calls.backend)

    async def meeting_id_for(self, team_id: str, user_id: str, typed_number: str) -> str:
        """The id of the meeting a person named by its number (raises MeetingRequestInvalid)."""
        number = check_meeting_number(typed_number)
        return await self._calls.meeting_id_for(team_id, user_id, number)


async def _quietly(work: Awaitable[None], what: str) -> None:
    """A reminder is worth less than the meeting: the database failing here must not hide the outcome."""
    try:
        await work
    except Exception:
        logger.warning("could not %s; the meeting itself is done", what, exc_info=True)
