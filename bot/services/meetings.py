"""Meeting use cases (schedule, list, change, cancel, join, start now), independent of Slack."""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.domain.accounts import Link
from bot.domain.clock import Clock
from bot.domain.meetings import (
    DEFAULT_DURATION_MINUTES,
    MAX_AGENDA_LENGTH,
    MAX_TOPIC_LENGTH,
    CreatedMeeting,
    Invitee,
    Meeting,
    MeetingChanges,
    MeetingDraft,
    MeetingPage,
)
from bot.domain.timezones import GMT_ZONE_ID, webex_zone_for, webex_zone_matching
from bot.webex.client import WebexCredentials
from bot.webex.errors import AccessTokenInvalid, MeetingNotFound, WebexError, WebexUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

MIN_DURATION_MINUTES = 1
MAX_DURATION_MINUTES = 24 * 60
MAX_INVITEES = 100
MAX_PASSWORD_LENGTH = 16  # meeting.xsd accessControlType/meetingPassword
# A meeting may start a little in the past (the form was open for a while); Webex accepts that.
PAST_START_TOLERANCE = timedelta(minutes=5)
# How far back `list` looks, so a meeting that started a while ago and is still running is shown.
RUNNING_LOOKBACK = timedelta(hours=12)
LIST_PAGE_SIZE = 10
# After a create timed out, how long to wait before each look for the meeting (seconds): Webex may
# still be working on the request the bot stopped waiting for.
RECHECK_PAUSES = (0.0, 0.5, 1.0, 2.0)
MAX_ATTEMPTS = 5
# A request still "started" after this long is taken to be abandoned (its process died) and is taken
# over, looking for its meeting first. Longer than a create can take: the Webex timeout, the looks
# after it, and the description calls; the composition root may set it from the Webex timeout.
STALE_AFTER = timedelta(seconds=60)
RUNNING_POLL_SECONDS = 0.2  # of one keyed request (each failed attempt is kept as a record)
STARTED, DONE, FAILED = "started", "done", "failed"  # idempotency record states


# ---- ports -------------------------------------------------------------------------------------


class Tokens(Protocol):
    """The token service: a link with an access token Webex should accept."""

    async def link_with_fresh_token(self, team_id: str, user_id: str) -> Link: ...

    async def refresh_after_rejection(
        self, team_id: str, user_id: str, rejected_access_token: str
    ) -> Link: ...


class MeetingsApi(Protocol):
    """The Webex XML API operations meetings need (bot.webex.client.WebexClient)."""

    async def create_meeting(self, creds: WebexCredentials, draft: MeetingDraft) -> CreatedMeeting: ...

    async def set_meeting(self, creds: WebexCredentials, key: str, changes: MeetingChanges) -> None: ...

    async def get_meeting(self, creds: WebexCredentials, key: str) -> Meeting: ...

    async def delete_meeting(self, creds: WebexCredentials, key: str) -> None: ...

    async def list_meetings(
        self,
        creds: WebexCredentials,
        *,
        start_from: int = 1,
        maximum: int = 10,
        starts_after: datetime | None = None,
        starts_before: datetime | None = None,
    ) -> MeetingPage: ...

    async def join_url(
        self,
        creds: WebexCredentials,
        key: str,
        *,
        attendee_name: str | None = None,
        attendee_email: str | None = None,
    ) -> str: ...

    async def host_url(self, creds: WebexCredentials, key: str) -> str: ...


class OperationRecord(Protocol):
    """An idempotency record as the store returns it."""

    @property
    def status(self) -> str: ...  # "started", "done" or "failed"

    @property
    def owned(self) -> bool: ...  # True only for the caller whose `begin` created it

    @property
    def result(self) -> dict[str, Any] | None: ...

    @property
    def updated_at(self) -> datetime: ...


class Operations(Protocol):
    """Idempotency records (bot.store.operations.OperationStore): a keyed request runs once."""

    async def begin(
        self, key: str, team_id: str, user_id: str, kind: str, request: dict[str, Any] | None = None
    ) -> OperationRecord: ...

    async def get(self, key: str) -> OperationRecord | None: ...

    async def finish(self, key: str, result: dict[str, Any] | None = None) -> bool: ...

    async def fail(self, key: str, error: str, result: dict[str, Any] | None = None) -> bool: ...


# ---- values ------------------------------------------------------------------------------------


class ListWindow(StrEnum):
    UPCOMING = "upcoming"
    TODAY = "today"
    WEEK = "week"


@dataclass(frozen=True)
class ScheduleRequest:
    """What a person asked for, before it is checked and turned into a Webex draft."""

    topic: str
    start: datetime  # aware
    user_tz: str  # IANA zone of the person scheduling
    duration_minutes: int = DEFAULT_DURATION_MINUTES
    agenda: str = ""
    invitees: tuple[Invitee, ...] = ()
    password: str = ""  # only where the Webex site requires one
    time_zone: str = ""  # the zone the start was asked in ("3pm Berlin time"); "" for the user's own


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
class ScheduledMeeting:
    """A meeting for its card; the card's Join and Start links are asked of Webex only when clicked."""

    meeting: Meeting
    calendar_url: str = ""
    repeated: bool = False  # this request had already created it (double click, retried delivery)
    answered_elsewhere: bool = False  # another delivery of the request made it and is showing it


@dataclass(frozen=True)
class UpcomingMeetings:
    meetings: tuple[Meeting, ...]
    window: ListWindow
    next_start_from: int | None  # where the "More" button continues, None at the end
    total: int


@dataclass(frozen=True)
class CancelResult:
    meeting_key: str
    topic: str
    already_cancelled: bool = False


@dataclass(frozen=True)
class ChangeResult:
    meeting: Meeting
    changed: tuple[str, ...]  # field names in the user's words: "topic", "time", ...


# ---- errors ------------------------------------------------------------------------------------


class MeetingRequestInvalid(ValueError):
    """The person's request cannot be used as is; `field` names the form field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ScheduleInProgress(RuntimeError):
    """The same request is being carried out by another delivery (a double click or a retry)."""


class CreateOutcomeUnknown(WebexUnavailable):
    """Webex did not answer a create in time, and could not be asked afterwards whether it happened."""


class MeetingNotCreated(WebexUnavailable):
    """Webex did not answer a create in time, and the meeting did not appear in the list afterwards."""


# ---- text checks -------------------------------------------------------------------------------


def _forbidden_character(text: str, *, allow_newlines: bool) -> str | None:
    """The first character XML 1.0 (and so Webex) cannot carry, or that a one-line field must not hold."""
    allowed = {"\t", "\n", "\r"} if allow_newlines else {"\t"}
    for char in text:
        code = ord(char)
        if char in allowed:
            continue
        if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            return char
    return None


def _character_name(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def clean_topic(topic: str) -> str:
    """The topic as Webex will store it: one line, trimmed; refused when XML cannot carry it."""
    one_line = topic.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").strip()
    bad = _forbidden_character(one_line, allow_newlines=False)
    if bad is not None:
        raise MeetingRequestInvalid(
            "topic",
            f"The topic contains a character Webex cannot store ({_character_name(bad)}). "
            "Remove it and try again.",
        )
    if not one_line:
        raise MeetingRequestInvalid("topic", "Give the meeting a topic, e.g. “Design review”.")
    if len(one_line) > MAX_TOPIC_LENGTH:
        raise MeetingRequestInvalid(
            "topic", f"The topic is {len(one_line)} characters long; Webex takes at most {MAX_TOPIC_LENGTH}."
        )
    return one_line


def clean_agenda(agenda: str) -> str:
    """The agenda as Webex will store it; refused when XML cannot carry it or it is too long."""
    bad = _forbidden_character(agenda, allow_newlines=True)
    if bad is not None:
        raise MeetingRequestInvalid(
            "agenda",
            f"The agenda contains a character Webex cannot store ({_character_name(bad)}). "
            "Remove it and try again.",
        )
    text = agenda.strip()
    if len(text) > MAX_AGENDA_LENGTH:
        raise MeetingRequestInvalid(
            "agenda", f"The agenda is {len(text)} characters long; Webex takes at most {MAX_AGENDA_LENGTH}."
        )
    return text


def check_password(password: str) -> str | None:
    text = password.strip()
    if not text:
        return None
    if len(text) > MAX_PASSWORD_LENGTH or _forbidden_character(text, allow_newlines=False) or " " in text:
        raise MeetingRequestInvalid(
            "password", f"A meeting password is 1 to {MAX_PASSWORD_LENGTH} characters without spaces."
        )
    return text


def check_duration(minutes: int) -> int:
    if not MIN_DURATION_MINUTES <= minutes <= MAX_DURATION_MINUTES:
        raise MeetingRequestInvalid(
            "duration", "A meeting lasts between 1 minute and 24 hours; pick a duration in that range."
        )
    return minutes


def check_start(start: datetime, now: datetime) -> datetime:
    if start.tzinfo is None:
        raise ValueError("a meeting start must be an aware datetime")
    start = start.astimezone(UTC).replace(microsecond=0)
    if start < now - PAST_START_TOLERANCE:
        raise MeetingRequestInvalid("start", "That time is in the past. Pick a time from now on.")
    return start


def check_invitees(invitees: tuple[Invitee, ...]) -> tuple[Invitee, ...]:
    unique: dict[str, Invitee] = {}
    for invitee in invitees:
        email = invitee.email.strip()
        if "@" not in email or _forbidden_character(email + invitee.name, allow_newlines=False):
            raise MeetingRequestInvalid(
                "invitees", f"“{invitee.email}” is not an email address Webex can invite."
            )
        unique.setdefault(email.lower(), Invitee(email=email, name=invitee.name.strip()))
    if len(unique) > MAX_INVITEES:
        raise MeetingRequestInvalid("invitees", f"Invite at most {MAX_INVITEES} people at once.")
    return tuple(unique.values())


def webex_zone_id(user_tz: str, at: datetime, asked_tz: str = "") -> int:
    """The Webex timeZoneID for a person in `user_tz`, using the offset on the meeting's own date.

    A meeting asked for in another zone (`asked_tz`) is shown in Webex in that zone when a Webex zone
    has its offset on that date; otherwise (Kathmandu's +05:45) in the person's own zone. Either way
    the meeting starts at the instant asked for: only the zone Webex shows it in differs."""
    if asked_tz and asked_tz != user_tz:
        matching = webex_zone_matching(asked_tz, at)
        if matching is not None:
            return matching.id
    return webex_zone_for(user_tz, at).id if user_tz else GMT_ZONE_ID


def user_zone(user_tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(user_tz)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def window_bounds(window: ListWindow, now: datetime, user_tz: str) -> tuple[datetime, datetime | None]:
    """The UTC range of start times a list shows; days are the person's own days."""
    zone = user_zone(user_tz)
    local_now = now.astimezone(zone)
    if window is ListWindow.TODAY:
        day_start = datetime.combine(local_now.date(), time(0), tzinfo=zone)
        day_end = datetime.combine(local_now.date() + timedelta(days=1), time(0), tzinfo=zone)
        return day_start.astimezone(UTC), day_end.astimezone(UTC)
    after = now - RUNNING_LOOKBACK
    if window is ListWindow.WEEK:
        week_end = datetime.combine(local_now.date() + timedelta(days=8), time(0), tzinfo=zone)
        return after, week_end.astimezone(UTC)
    return after, None


# ---- the service -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    """What an idempotency record keeps about a created meeting."""

    meeting_key: str
    calendar_url: str = ""

    def as_result(self) -> dict[str, Any]:
        return {"meeting_key": self.meeting_key, "calendar_url": self.calendar_url}

    @classmethod
    def from_result(cls, result: dict[str, Any] | None) -> _Stored | None:
        if not result or not result.get("meeting_key"):
            return None
        return cls(meeting_key=str(result["meeting_key"]), calendar_url=str(result.get("calendar_url") or ""))


@dataclass
class _HeldLink:
    """The link one request works with, so its calls do not each look it up again."""

    link: Link | None = None


class MeetingService:
    """Schedules and manages a person's Webex meetings with their own linked account."""

    def __init__(
        self,
        tokens: Tokens,
        webex: MeetingsApi,
        operations: Operations,
        clock: Clock,
        *,
        recheck_pauses: tuple[float, ...] = RECHECK_PAUSES,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self._recheck_pauses = recheck_pauses or (0.0,)
        self._stale_after = stale_after
        self._tokens = tokens
        self._webex = webex
        self._operations = operations
        self._clock = clock

    # -- every Webex call goes through here: a fresh token, one refresh and one retry on rejection

    async def _call(
        self,
        team_id: str,
        user_id: str,
        call: Callable[[WebexCredentials], Awaitable[T]],
        held: _HeldLink | None = None,
    ) -> T:
        """`held`, when given, is the link shared by the calls made for one request: looked up once,
        and replaced there when it had to be refreshed."""
        if held is not None and held.link is not None:
            link = held.link
        else:
            link = await self._tokens.link_with_fresh_token(team_id, user_id)
        try:
            result = await call(_credentials(link))
        except AccessTokenInvalid:
            log.info(
                "webex rejected the access token; refreshing once", extra={"team": team_id, "user": user_id}
            )
            link = await self._tokens.refresh_after_rejection(team_id, user_id, link.access_token)
            result = await call(_credentials(link))
        if held is not None:
            held.link = link
        return result

    async def _held_link(self, team_id: str, user_id: str) -> _HeldLink:
        return _HeldLink(await self._tokens.link_with_fresh_token(team_id, user_id))

    # -- schedule

    def draft_for(self, request: ScheduleRequest) -> MeetingDraft:
        """Check a request and turn it into what CreateMeeting needs (raises MeetingRequestInvalid)."""
        start = check_start(request.start, self._clock.now())
        return MeetingDraft(
            topic=clean_topic(request.topic),
            start=start,
            duration_minutes=check_duration(request.duration_minutes),
            time_zone_id=webex_zone_id(request.user_tz, start, request.time_zone),
            agenda=clean_agenda(request.agenda),
            invitees=check_invitees(request.invitees),
            password=check_password(request.password),
        )

    async def schedule(
        self, team_id: str, user_id: str, request: ScheduleRequest, *, request_key: str
    ) -> ScheduledMeeting:
        """Create the meeting once per `request_key`, however many times the request arrives."""
        draft = self.draft_for(request)
        return await self._create_once(team_id, user_id, draft, request_key=request_key, kind="schedule")

    async def start_now(
        self, team_id: str, user_id: str, topic: str, user_tz: str, *, request_key: str
    ) -> ScheduledMeeting:
        """A meeting that starts now (at the next whole minute), with the host's start link."""
        now = self._clock.now()
        start = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        draft = MeetingDraft(
            topic=clean_topic(topic),
            start=start,
            duration_minutes=DEFAULT_DURATION_MINUTES,
            time_zone_id=webex_zone_id(user_tz, start),
        )
        return await self._create_once(team_id, user_id, draft, request_key=request_key, kind="now")

    async def _create_once(
        self, team_id: str, user_id: str, draft: MeetingDraft, *, request_key: str, kind: str
    ) -> ScheduledMeeting:
        # A failed attempt closes its record for good; a retry of the same request takes the next
        # attempt's key and, since the failed one may have reached Webex, looks before creating. An
        # attempt still running is waited for; one left running too long (its process died) is taken
        # over the same way.
        for attempt in range(MAX_ATTEMPTS):
            key = request_key if attempt == 0 else f"{request_key}#{attempt}"
            record = await self._operations.begin(key, team_id, user_id, kind, {"topic": draft.topic})
            if record.owned:
                return await self._create_owned(team_id, user_id, draft, key=key, look_first=attempt > 0)
            waited = record.status == STARTED
            if waited:
                record = await self._wait_while_running(key, record)
            if record.status == DONE:
                stored = _Stored.from_result(record.result)
                if stored is not None:
                    described = await self._describe(team_id, user_id, stored, repeated=True, draft=draft)
                    # Finished while this delivery waited: the one that made it is showing it right now.
                    return replace(described, answered_elsewhere=waited)
        raise ScheduleInProgress("this request failed too many times; start a new one")

    async def _wait_while_running(self, key: str, record: OperationRecord) -> OperationRecord:
        """The record once its attempt has finished, or as it is when the attempt looks abandoned."""
        remaining = (record.updated_at + self._stale_after - self._clock.now()).total_seconds()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, remaining)
        while loop.time() < deadline:
            await asyncio.sleep(min(RUNNING_POLL_SECONDS, max(0.0, deadline - loop.time())))
            current = await self._operations.get(key)
            if current is None or current.status != STARTED:
                return current or record
        log.warning("request %s has been running too long; taking it over", key)
        return record

    async def _create_owned(
        self, team_id: str, user_id: str, draft: MeetingDraft, *, key: str, look_first: bool
    ) -> ScheduledMeeting:
        held = _HeldLink()
        created: CreatedMeeting | None = None
        try:
            held = await self._held_link(team_id, user_id)
            stored = await self._find_created(team_id, user_id, draft, held) if look_first else None
            repeated = stored is not None
            if stored is None:
                stored, created = await self._create(team_id, user_id, draft, held)
        except BaseException as exc:
            await self._record(self._operations.fail(key, type(exc).__name__), key)
            raise
        # The meeting exists now: a record that cannot be written must not hide it from the person.
        await self._record(self._operations.finish(key, stored.as_result()), key)
        if created is not None:
            # Webex stored what it accepted: the card needs no second round trip to Webex.
            meeting = replace(
                _from_draft(created.meeting_key, draft),
                password=created.password,
                host_webex_id=held.link.webex_id if held.link else "",
            )
            return ScheduledMeeting(meeting=meeting, calendar_url=stored.calendar_url)
        return await self._describe(team_id, user_id, stored, repeated=repeated, draft=draft, held=held)

    async def _record(self, write: Awaitable[bool], key: str) -> None:
        try:
            await write
        except Exception:  # the database may be gone; what Webex did still has to reach the person
            log.exception("could not record the outcome of request %s", key)

    async def _create(
        self, team_id: str, user_id: str, draft: MeetingDraft, held: _HeldLink
    ) -> tuple[_Stored, CreatedMeeting | None]:
        """The meeting made, with Webex's answer; found after a create whose answer was lost, no answer."""
        try:
            created = await self._call(
                team_id, user_id, lambda creds: self._webex.create_meeting(creds, draft), held
            )
        except WebexUnavailable as exc:
            if not (exc.timed_out or getattr(exc, "outcome_unknown", False)):
                raise
            # The request may have been carried out although its answer was lost, or may still be
            # carried out a little later: look for it a few times before giving up.
            log.warning(
                "create meeting did not complete; looking for it", extra={"team": team_id, "user": user_id}
            )
            for pause in self._recheck_pauses:
                await asyncio.sleep(pause)
                try:
                    found = await self._find_created(team_id, user_id, draft, held)
                except WebexUnavailable:
                    raise CreateOutcomeUnknown(
                        "Webex did not answer and could not be asked whether the meeting was created"
                    ) from exc
                if found is not None:
                    return found, None
            raise MeetingNotCreated("Webex did not answer in time and the meeting did not appear") from exc
        return _Stored(meeting_key=created.meeting_key, calendar_url=created.attendee_calendar_url), created

    async def _find_created(
        self, team_id: str, user_id: str, draft: MeetingDraft, held: _HeldLink
    ) -> _Stored | None:
        after, before = draft.start - timedelta(minutes=1), draft.start + timedelta(minutes=1)
        start_from = 1
        while True:
            page = await self._list_page(team_id, user_id, start_from, 50, after, before, held)
            for meeting in page.meetings:
                if meeting.topic == draft.topic and meeting.start == draft.start:
                    return _Stored(meeting_key=meeting.meeting_key)
            if not page.has_more or not page.meetings:
                return None
            start_from = page.start_from + len(page.meetings)

    async def _list_page(
        self,
        team_id: str,
        user_id: str,
        start_from: int,
        maximum: int,
        after: datetime | None,
        before: datetime | None,
        held: _HeldLink | None = None,
    ) -> MeetingPage:
        return await self._call(
            team_id,
            user_id,
            lambda creds: self._webex.list_meetings(
                creds, start_from=start_from, maximum=maximum, starts_after=after, starts_before=before
            ),
            held,
        )

    async def _describe(
        self,
        team_id: str,
        user_id: str,
        stored: _Stored,
        *,
        repeated: bool,
        draft: MeetingDraft | None = None,
        held: _HeldLink | None = None,
    ) -> ScheduledMeeting:
        """A meeting this request did not just create, as Webex has it now. With the `draft` it was made
        from, a meeting that exists is never reported as a failure: if Webex will not describe it right
        now, the card is filled in from the draft."""
        key = stored.meeting_key
        try:
            meeting = await self._call(
                team_id, user_id, lambda creds: self._webex.get_meeting(creds, key), held
            )
        except WebexError as error:
            if draft is None:
                raise
            log.warning("meeting %s exists but Webex did not describe it: %s", key, error)
            meeting = _from_draft(key, draft)
        return ScheduledMeeting(meeting=meeting, calendar_url=stored.calendar_url, repeated=repeated)

    # -- read

    async def get(self, team_id: str, user_id: str, meeting_key: str) -> Meeting:
        key = check_meeting_key(meeting_key)
        return await self._call(team_id, user_id, lambda creds: self._webex.get_meeting(creds, key))

    async def details(self, team_id: str, user_id: str, meeting_key: str) -> ScheduledMeeting:
        """The meeting as Webex has it, for its card."""
        return await self._describe(team_id, user_id, _Stored(check_meeting_key(meeting_key)), repeated=False)

    async def list_upcoming(
        self,
        team_id: str,
        user_id: str,
        *,
        user_tz: str,
        window: ListWindow = ListWindow.UPCOMING,
        start_from: int = 1,
        page_size: int = LIST_PAGE_SIZE,
    ) -> UpcomingMeetings:
        now = self._clock.now()
        after, before = window_bounds(window, now, user_tz)
        page = await self._list_page(team_id, user_id, max(1, start_from), page_size, after, before)
        # Today's list keeps the meetings already over (it is a plan of the day); the others drop them.
        shown = (
            page.meetings if window is ListWindow.TODAY else tuple(m for m in page.meetings if m.end > now)
        )
        next_start = page.start_from + len(page.meetings) if page.has_more and page.meetings else None
        return UpcomingMeetings(
            meetings=tuple(sorted(shown, key=lambda m: m.start)),
            window=window,
            next_start_from=next_start,
            total=page.total,
        )

    async def join_url(
        self,
        team_id: str,
        user_id: str,
        meeting_key: str,
        *,
        name: str | None = None,
        email: str | None = None,
    ) -> str:
        key = check_meeting_key(meeting_key)
        return await self._call(
            team_id,
            user_id,
            lambda creds: self._webex.join_url(
                creds, key, attendee_name=name or None, attendee_email=email or None
            ),
        )

    async def host_url(self, team_id: str, user_id: str, meeting_key: str) -> str:
        key = check_meeting_key(meeting_key)
        return await self._call(team_id, user_id, lambda creds: self._webex.host_url(creds, key))

    # -- change and cancel

    def changes_for(self, current: Meeting, edit: MeetingEdit) -> tuple[MeetingChanges, tuple[str, ...]]:
        """Only what differs from the meeting as it is, with the names of what changed."""
        changed: list[str] = []
        topic = agenda = None
        start = None
        duration = zone = None
        invitees = None
        if edit.topic is not None and clean_topic(edit.topic) != current.topic:
            topic = clean_topic(edit.topic)
            changed.append("topic")
        if edit.start is not None:
            new_start = edit.start.astimezone(UTC).replace(microsecond=0)
            if new_start != current.start:
                start = check_start(new_start, self._clock.now())
                zone = webex_zone_id(edit.user_tz, start)
                changed.append("time")
        if edit.duration_minutes is not None and edit.duration_minutes != current.duration_minutes:
            duration = check_duration(edit.duration_minutes)
            changed.append("duration")
        if edit.agenda is not None and clean_agenda(edit.agenda) != current.agenda.strip():
            agenda = clean_agenda(edit.agenda)
            changed.append("agenda")
        if edit.invitees is not None:
            wanted = check_invitees(edit.invitees)
            if {i.email.lower() for i in wanted} != {i.email.lower() for i in current.invitees}:
                invitees = wanted
                changed.append("invitees")
        changes = MeetingChanges(
            topic=topic,
            start=start,
            duration_minutes=duration,
            time_zone_id=zone,
            agenda=agenda,
            invitees=invitees,
        )
        return changes, tuple(changed)

    async def change(self, team_id: str, user_id: str, meeting_key: str, edit: MeetingEdit) -> ChangeResult:
        """SetMeeting with only what changed; nothing changed means no call at all."""
        key = check_meeting_key(meeting_key)
        current = await self._call(team_id, user_id, lambda creds: self._webex.get_meeting(creds, key))
        changes, changed = self.changes_for(current, edit)
        if changes.is_empty():
            return ChangeResult(meeting=current, changed=())
        await self._call(team_id, user_id, lambda creds: self._webex.set_meeting(creds, key, changes))
        try:
            updated = await self._call(team_id, user_id, lambda creds: self._webex.get_meeting(creds, key))
        except WebexUnavailable:
            updated = _apply(current, changes)
        return ChangeResult(meeting=updated, changed=changed)

    async def cancel(self, team_id: str, user_id: str, meeting_key: str) -> CancelResult:
        """DelMeeting; a meeting already gone is reported as such, not as a failure."""
        key = check_meeting_key(meeting_key)
        try:
            current = await self._call(team_id, user_id, lambda creds: self._webex.get_meeting(creds, key))
        except MeetingNotFound:
            return CancelResult(meeting_key=key, topic="", already_cancelled=True)
        try:
            await self._call(team_id, user_id, lambda creds: self._webex.delete_meeting(creds, key))
        except MeetingNotFound:
            return CancelResult(meeting_key=key, topic=current.topic, already_cancelled=True)
        return CancelResult(meeting_key=key, topic=current.topic)


def check_meeting_key(text: str) -> str:
    """A meeting number as people type it (spaces and dashes allowed) -> Webex's digits."""
    digits = "".join(ch for ch in text if ch not in " -")
    if not digits.isdigit() or not 6 <= len(digits) <= 20:
        raise MeetingRequestInvalid(
            "meeting",
            f"“{text.strip()}” is not a meeting number. It is the 9 to 11 digits on the meeting card.",
        )
    return digits


def _credentials(link: Link) -> WebexCredentials:
    return WebexCredentials(site=link.site, webex_id=link.webex_id, access_token=link.access_token)


def _from_draft(key: str, draft: MeetingDraft) -> Meeting:
    return Meeting(
        meeting_key=key,
        topic=draft.topic,
        start=draft.start,
        duration_minutes=draft.duration_minutes,
        time_zone_id=draft.time_zone_id,
        agenda=draft.agenda,
        invitees=draft.invitees,
        password=draft.password or "",
    )


def _apply(meeting: Meeting, changes: MeetingChanges) -> Meeting:
    return replace(
        meeting,
        topic=changes.topic if changes.topic is not None else meeting.topic,
        start=changes.start if changes.start is not None else meeting.start,
        duration_minutes=changes.duration_minutes
        if changes.duration_minutes is not None
        else meeting.duration_minutes,
        time_zone_id=changes.time_zone_id if changes.time_zone_id is not None else meeting.time_zone_id,
        agenda=changes.agenda if changes.agenda is not None else meeting.agenda,
        invitees=changes.invitees if changes.invitees is not None else meeting.invitees,
    )
