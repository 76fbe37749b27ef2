"""Scheduling a meeting once per request, however often the request arrives (double click, retry, crash).

Each keyed request has its idempotency records (bot.services.idempotency); a create whose answer was
lost is looked for before anything is created again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.domain.clock import Clock
from bot.domain.meeting_rules import (
    DEFAULT_DURATION_MINUTES,
    check_duration,
    check_invitees,
    check_password,
    check_recurrence,
    check_start,
    clean_agenda,
    clean_topic,
)
from bot.domain.meetings import CreatedMeeting, Invitee, Meeting, MeetingDraft
from bot.domain.recurrence import Recurrence
from bot.domain.reminders import HostReminder
from bot.domain.timezones import zone_info
from bot.services.idempotency import OncePerKey
from bot.services.meeting_calls import BackendCalls, HeldLink, ScheduledMeeting
from bot.services.ports import BackendUnavailable
from bot.store.throttle import ThrottleFull

log = logging.getLogger(__name__)

# After a create timed out, how long to wait before each look for the meeting (seconds): Webex may
# still be working on the request the bot stopped waiting for.
RECHECK_PAUSES = (0.0, 0.5, 1.0, 2.0)
FIND_PAGE_SIZE = 50


@dataclass(frozen=True)
class ScheduleRequest:
    """What a person asked for, before it is checked and turned into a draft."""

    topic: str
    start: datetime  # aware
    user_tz: str  # IANA zone of the person scheduling
    duration_minutes: int = DEFAULT_DURATION_MINUTES
    agenda: str = ""
    invitees: tuple[Invitee, ...] = ()
    password: str = ""  # only where the Webex site requires one
    time_zone: str = ""  # the zone the start was asked in ("3pm Berlin time"); "" for the user's own
    recurrence: Recurrence | None = None  # a series whose first meeting is `start`


class ScheduleInProgress(RuntimeError):
    """The same request is being carried out by another delivery (a double click or a retry)."""


class SlowDown(Exception):
    """The person is creating meetings faster than allowed; nothing was created."""

    def __init__(self, retry_after: int, *, limit: str) -> None:
        super().__init__(f"over the {limit} limit; try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.limit = limit  # "per minute" or "in flight"


class CreateOutcomeUnknown(BackendUnavailable):
    """Webex gave no usable answer to a create, and could not be asked afterwards whether it happened.

    `timed_out` says whether that was because Webex did not answer in time."""


class MeetingNotCreated(BackendUnavailable):
    """Webex gave no usable answer to a create, and the meeting did not appear in the list afterwards.

    `timed_out` says whether that was because Webex did not answer in time."""


@dataclass(frozen=True)
class _Stored:
    """What an idempotency record keeps about a created meeting."""

    meeting_id: str
    calendar_url: str = ""
    number: str = ""

    def as_result(self) -> dict[str, Any]:
        result = {"meeting_key": self.meeting_id, "calendar_url": self.calendar_url}
        if self.number and self.number != self.meeting_id:
            result["number"] = self.number
        return result

    @classmethod
    def from_result(cls, result: dict[str, Any] | None) -> _Stored | None:
        if not result or not result.get("meeting_key"):
            return None
        return cls(
            meeting_id=str(result["meeting_key"]),
            calendar_url=str(result.get("calendar_url") or ""),
            number=str(result.get("number") or ""),
        )


class Scheduling:
    """Schedules meetings with the person's own linked account, once per request key."""

    def __init__(
        self,
        calls: BackendCalls,
        once: OncePerKey,
        clock: Clock,
        *,
        recheck_pauses: tuple[float, ...] = RECHECK_PAUSES,
        host_reminder: Callable[[str, str, Meeting], HostReminder | None] | None = None,
    ) -> None:
        """`host_reminder(team_id, host_user_id, meeting)`: the reminder to keep of a meeting scheduled
        (None for none), written with its record."""
        self._host_reminder = host_reminder
        self._calls = calls
        self._backend = calls.backend
        self._once = once
        self._operations = once.operations
        self._clock = clock
        self._recheck_pauses = recheck_pauses or (0.0,)

    def draft_for(self, request: ScheduleRequest) -> MeetingDraft:
        """Check a request and turn it into a draft (raises MeetingRequestInvalid)."""
        start = check_start(request.start, self._clock.now())
        limits = self._backend.meeting_limits
        return MeetingDraft(
            topic=clean_topic(request.topic, limits.topic),
            start=start,
            duration_minutes=check_duration(request.duration_minutes, limits),
            time_zone=request.time_zone or request.user_tz,
            home_time_zone=request.user_tz,
            agenda=clean_agenda(request.agenda, limits.agenda),
            invitees=check_invitees(request.invitees),
            password=check_password(request.password, limits),
            recurrence=check_recurrence(
                request.recurrence, _local_day(start, request.time_zone or request.user_tz)
            ),
        )

    async def schedule(
        self, team_id: str, user_id: str, request: ScheduleRequest, *, request_key: str
    ) -> ScheduledMeeting:
        """Create the meeting once per `request_key`, however many times the request arrives."""
        draft = self.draft_for(request)
        return await self._create_once(
            team_id, user_id, draft, request_key=request_key, kind="schedule", remind=True
        )

    async def start_now(
        self, team_id: str, user_id: str, topic: str, user_tz: str, *, request_key: str
    ) -> ScheduledMeeting:
        """A meeting that starts now (at the next whole minute), with the host's start link."""
        now = self._clock.now()
        start = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        draft = MeetingDraft(
            topic=clean_topic(topic, self._backend.meeting_limits.topic),
            start=start,
            duration_minutes=DEFAULT_DURATION_MINUTES,
            time_zone=user_tz,
            home_time_zone=user_tz,
        )
        return await self._create_once(
            team_id, user_id, draft, request_key=request_key, kind="now", remind=False
        )

    async def _create_once(
        self, team_id: str, user_id: str, draft: MeetingDraft, *, request_key: str, kind: str, remind: bool
    ) -> ScheduledMeeting:
        async def attempt(key: str, number: int) -> ScheduledMeeting:
            # A later attempt follows one that failed and may have reached Webex: it looks first.
            return await self._create_owned(
                team_id, user_id, draft, key=key, look_first=number > 0, remind=remind
            )

        async def finished(result: dict[str, Any] | None, waited: bool) -> ScheduledMeeting | None:
            stored = _Stored.from_result(result)
            if stored is None:
                return None
            described = await self._describe(team_id, user_id, stored, draft=draft)
            # Finished while this delivery waited: the one that made it is showing it right now.
            return replace(described, answered_elsewhere=waited)

        try:
            return await self._once.carry_out(
                request_key,
                team_id=team_id,
                user_id=user_id,
                kind=kind,
                request={"topic": draft.topic},
                attempt=attempt,
                finished=finished,
                in_progress=lambda: ScheduleInProgress("this request failed too many times; start a new one"),
            )
        except ThrottleFull as full:  # nothing was recorded, nothing created
            log.info("creation throttled (%s)", full.limit, extra={"team": team_id, "user": user_id})
            raise SlowDown(full.retry_after, limit=full.limit) from None

    async def _create_owned(
        self, team_id: str, user_id: str, draft: MeetingDraft, *, key: str, look_first: bool, remind: bool
    ) -> ScheduledMeeting:
        held = HeldLink()
        created: CreatedMeeting | None = None
        try:
            held = await self._calls.held_link(team_id, user_id)
            stored = await self._find_created(team_id, user_id, draft, held) if look_first else None
            repeated = stored is not None
            if stored is None:
                stored, created = await self._create(team_id, user_id, draft, held)
        except BaseException as exc:
            # Closing the record also ends the creation's place in the throttle's in-flight count.
            await self._once.failed(key, exc)
            raise
        if created is None:
            # Found after a lost answer: it is described first, and its reminder kept by the caller.
            await self._once.closed(self._operations.finish(key, stored.as_result()), key)
            return await self._describe(team_id, user_id, stored, repeated=repeated, draft=draft, held=held)
        reminder = None
        if remind and self._host_reminder is not None:
            reminder = self._host_reminder(team_id, user_id, created.meeting)
        # The meeting exists now: a record that cannot be written must not hide it from the person.
        finishing = self._operations.finish(key, stored.as_result(), reminder=reminder)
        recorded = await self._once.closed(finishing, key)
        # The backend stored what it accepted: the card needs no second round trip.
        return ScheduledMeeting(
            meeting=created.meeting,
            calendar_url=stored.calendar_url,
            reminder_kept=recorded and remind and self._host_reminder is not None,
        )

    async def _create(
        self, team_id: str, user_id: str, draft: MeetingDraft, held: HeldLink
    ) -> tuple[_Stored, CreatedMeeting | None]:
        """The meeting made, with the backend's answer; found after a lost answer, without one."""
        try:
            created = await self._calls.call(
                team_id, user_id, lambda creds: self._backend.schedule(creds, draft), held
            )
        except BackendUnavailable as exc:
            if not exc.outcome_unknown:
                raise
            # The request may have been carried out although its answer was lost, or may still be
            # carried out a little later: look for it a few times before giving up.
            log.warning(
                "create meeting did not complete (%s); looking for it",
                exc,
                extra={"team": team_id, "user": user_id},
            )
            for pause in self._recheck_pauses:
                await asyncio.sleep(pause)
                try:
                    found = await self._find_created(team_id, user_id, draft, held)
                except BackendUnavailable:
                    raise CreateOutcomeUnknown(
                        "Webex gave no usable answer and could not be asked whether the meeting was created",
                        timed_out=exc.timed_out,
                    ) from exc
                if found is not None:
                    return found, None
            raise MeetingNotCreated(
                "Webex gave no usable answer and the meeting did not appear", timed_out=exc.timed_out
            ) from exc
        meeting = created.meeting
        stored = _Stored(
            meeting_id=meeting.meeting_id, calendar_url=created.calendar_url, number=meeting.number
        )
        return stored, created

    async def _find_created(
        self, team_id: str, user_id: str, draft: MeetingDraft, held: HeldLink
    ) -> _Stored | None:
        after, before = draft.start - timedelta(minutes=1), draft.start + timedelta(minutes=1)
        cursor: str | None = None
        while True:
            page = await self._calls.call(
                team_id,
                user_id,
                lambda creds, at=cursor: self._backend.list_meetings(  # type: ignore[misc]
                    creds, starts_after=after, starts_before=before, page_size=FIND_PAGE_SIZE, cursor=at
                ),
                held,
            )
            for meeting in page.meetings:
                if meeting.topic == draft.topic and meeting.start == draft.start:
                    return _Stored(meeting_id=meeting.meeting_id, number=meeting.number)
            if page.next_cursor is None:
                return None
            cursor = page.next_cursor

    async def _describe(
        self,
        team_id: str,
        user_id: str,
        stored: _Stored,
        *,
        repeated: bool = True,
        draft: MeetingDraft | None = None,
        held: HeldLink | None = None,
    ) -> ScheduledMeeting:
        return await self._calls.describe(
            team_id,
            user_id,
            stored.meeting_id,
            calendar_url=stored.calendar_url,
            number=stored.number,
            repeated=repeated,
            draft=draft,
            held=held,
        )


def _local_day(start: datetime, zone_name: str) -> date:
    """The day `start` falls on in the zone the meeting is shown in (UTC for a zone not known here)."""
    return start.astimezone(zone_info(zone_name) or UTC).date()
