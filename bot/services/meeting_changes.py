"""Changing and cancelling a meeting: only what differs is sent, once per request however often it
arrives, and a meeting already gone is no failure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.domain.clock import Clock
from bot.domain.meeting_rules import (
    MeetingRequestInvalid,
    check_duration,
    check_invitees,
    check_start,
    clean_agenda,
    clean_topic,
)
from bot.domain.meetings import Invitee, Meeting, MeetingChanges
from bot.domain.timezones import zone_info
from bot.services.errors import AnsweredElsewhere
from bot.services.idempotency import OncePerKey
from bot.services.meeting_calls import BackendCalls
from bot.services.ports import BackendUnavailable, MeetingBackend, MeetingNotFound


@dataclass(frozen=True)
class MeetingEdit:
    """A change a person asked for: None leaves a field as it is."""

    user_tz: str
    topic: str | None = None
    start: datetime | None = None
    duration_minutes: int | None = None
    agenda: str | None = None
    invitees: tuple[Invitee, ...] | None = None


@dataclass(frozen=True)
class CancelResult:
    meeting_id: str
    topic: str
    already_cancelled: bool = False
    number: str = ""  # as people know it; "" when the meeting could not be read
    series: bool = False  # a recurring meeting: the whole series was cancelled


@dataclass(frozen=True)
class ChangeResult:
    meeting: Meeting
    changed: tuple[str, ...]  # field names in the user's words: "topic", "time", ...
    repeated: bool = False  # an earlier delivery of this request made the change (a retried Save)


class ChangeInProgress(RuntimeError):
    """Every attempt at the same change failed or was left running; nothing more is tried for it."""


class MeetingChanger:
    """Changes and cancels a person's meetings with their own linked account."""

    def __init__(self, calls: BackendCalls, once: OncePerKey, clock: Clock) -> None:
        self._calls = calls
        self._backend = calls.backend
        self._once = once
        self._clock = clock

    def changes_for(self, current: Meeting, edit: MeetingEdit) -> tuple[MeetingChanges, tuple[str, ...]]:
        """Only what differs from the meeting as it is, with the names of what changed."""
        changed: list[str] = []
        limits = self._backend.meeting_limits
        topic = agenda = None
        start = None
        duration = None
        zone = None
        invitees = None
        if edit.topic is not None and clean_topic(edit.topic, limits.topic) != current.topic:
            topic = clean_topic(edit.topic, limits.topic)
            changed.append("topic")
        if edit.start is not None:
            new_start = edit.start.astimezone(UTC).replace(microsecond=0)
            if new_start != current.start:
                start = check_start(new_start, self._clock.now())
                zone = edit.user_tz
                _check_series_meets_on(current, start, zone)
                changed.append("time")
        if edit.duration_minutes is not None and edit.duration_minutes != current.duration_minutes:
            duration = check_duration(edit.duration_minutes, limits)
            changed.append("duration")
        if edit.agenda is not None and clean_agenda(edit.agenda, limits.agenda) != current.agenda.strip():
            agenda = clean_agenda(edit.agenda, limits.agenda)
            changed.append("agenda")
        if edit.invitees is not None:
            wanted = check_invitees(edit.invitees)
            if {i.email.lower() for i in wanted} != {i.email.lower() for i in current.invitees}:
                invitees = wanted
                changed.append("invitees")
        changes = MeetingChanges(
            topic=topic,
            start=start,
            time_zone=zone,
            duration_minutes=duration,
            agenda=agenda,
            invitees=invitees,
        )
        return changes, tuple(changed)

    async def change(
        self, team_id: str, user_id: str, meeting_id: str, edit: MeetingEdit, *, request_key: str
    ) -> ChangeResult:
        """Send only what changed, once per `request_key` (a Save pressed twice, a delivery Slack sends
        again): a delivery that waited for another's change raises AnsweredElsewhere, one that comes
        after it is answered with the meeting as it is and `repeated`."""

        async def attempt(key: str, number: int) -> ChangeResult:
            # A later attempt needs no look first: what to send is worked out again from the meeting.
            try:
                result = await self._change(team_id, user_id, meeting_id, edit)
            except BaseException as error:
                await self._once.failed(key, error)
                raise
            done = {"meeting_id": meeting_id, "changed": list(result.changed)}
            await self._once.closed(self._once.operations.finish(key, done), key)
            return result

        async def finished(result: dict[str, Any] | None, waited: bool) -> ChangeResult:
            if waited:  # the delivery that made the change is showing its card right now
                raise AnsweredElsewhere(f"change {request_key} was made by another delivery")
            changed = tuple(str(name) for name in (result or {}).get("changed") or ())
            current = await self._get(team_id, user_id, meeting_id)
            return ChangeResult(meeting=current, changed=changed, repeated=True)

        return await self._once.carry_out(
            request_key,
            team_id=team_id,
            user_id=user_id,
            kind="edit",
            request={"meeting_id": meeting_id},
            attempt=attempt,
            finished=finished,
            in_progress=lambda: ChangeInProgress("this change failed too many times; start a new one"),
        )

    async def _change(self, team_id: str, user_id: str, meeting_id: str, edit: MeetingEdit) -> ChangeResult:
        """Send only what changed; nothing changed means no call at all."""
        current = await self._get(team_id, user_id, meeting_id)
        changes, changed = self.changes_for(current, edit)
        if changes.is_empty():
            return ChangeResult(meeting=current, changed=())
        await self._calls.call(
            team_id, user_id, lambda creds: self._backend.change(creds, meeting_id, changes)
        )
        try:
            updated = await self._get(team_id, user_id, meeting_id)
        except BackendUnavailable:
            updated = _apply(current, changes)
        return ChangeResult(meeting=updated, changed=changed)

    async def cancel(self, team_id: str, user_id: str, meeting_id: str) -> CancelResult:
        """Delete the meeting; a meeting already gone is reported as such, not as a failure."""
        try:
            current = await self._get(team_id, user_id, meeting_id)
        except MeetingNotFound:
            return gone(meeting_id, self._backend)
        try:
            await self._calls.call(team_id, user_id, lambda creds: self._backend.cancel(creds, meeting_id))
        except MeetingNotFound:
            return CancelResult(
                meeting_id=meeting_id,
                topic=current.topic,
                already_cancelled=True,
                number=current.number,
                series=current.recurrence is not None,
            )
        return CancelResult(
            meeting_id=meeting_id,
            topic=current.topic,
            number=current.number,
            series=current.recurrence is not None,
        )

    async def _get(self, team_id: str, user_id: str, meeting_id: str) -> Meeting:
        return await self._calls.call(
            team_id, user_id, lambda creds: self._backend.meeting(creds, meeting_id)
        )


def gone(meeting_id: str, backend: MeetingBackend) -> CancelResult:
    """A meeting Webex no longer has, named by its number where its id is one (the XML API)."""
    number = meeting_id if backend.ids_are_numbers else ""
    return CancelResult(meeting_id=meeting_id, topic="", already_cancelled=True, number=number)


def _check_series_meets_on(current: Meeting, start: datetime, zone: str) -> None:
    """A series moved to a day its rule does not meet on is refused: the rule is kept, so Webex would
    skip that day and start on the next one the rule names ("every Monday" moved to a Tuesday)."""
    rule = current.recurrence
    if rule is None:
        return
    day = start.astimezone(zone_info(zone) or UTC).date()
    if not rule.meets_on(day):
        raise MeetingRequestInvalid(
            "start",
            f"This series repeats {rule.rule_words(day)}; {day:%a} {day.day} {day:%b} is not a day it "
            "meets on. Pick one that is.",
        )


def _apply(meeting: Meeting, changes: MeetingChanges) -> Meeting:
    return replace(
        meeting,
        topic=changes.topic if changes.topic is not None else meeting.topic,
        start=changes.start if changes.start is not None else meeting.start,
        duration_minutes=changes.duration_minutes
        if changes.duration_minutes is not None
        else meeting.duration_minutes,
        agenda=changes.agenda if changes.agenda is not None else meeting.agenda,
        invitees=changes.invitees if changes.invitees is not None else meeting.invitees,
    )
