"""Typed Webex XML API operations for one user: meetings, join and host links, the user, recordings."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import httpx

from bot.domain.recurrence import Recurrence
from bot.webex import xml
from bot.webex.errors import (
    InvalidRequest,
    NoRecordsFound,
    WebexRateLimited,
    WebexTimeout,
    WebexUnavailable,
)
from bot.webex.http import Answer, StaleConnection, exchange
from bot.webex.repeat import add_repeat, read_repeat
from bot.webex.timezones import (
    GMT_ZONE_ID,
    UnknownTimeZone,
    from_webex_local,
    to_webex_local,
    zone_by_id,
    zone_by_name,
)
from bot.webex.values import (
    CreatedMeeting,
    Invitee,
    Meeting,
    MeetingChanges,
    MeetingDraft,
    MeetingPage,
    Recording,
    WebexUser,
)

logger = logging.getLogger("bot.webex")

# The XML API's own limits, checked before anything is sent (the product's rules, in
# bot.domain.meeting_rules, are checked earlier and may be narrower).
MAX_TOPIC_LENGTH = 512  # metaData/confName
MAX_AGENDA_LENGTH = 2500  # metaData/agenda
MAX_PASSWORD_LENGTH = 16  # meeting.xsd accessControlType/meetingPassword
MAX_DURATION_MINUTES = 24 * 60
MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # the largest real answer (GetUser) is about 6 kB
MAX_PAGE_SIZE = 500

# Told of every call: its operation, its outcome ("ok" or the error's class name) and its seconds.
CallObserver = Callable[[str, str, float], None]

_XML_HEADERS = {"content-type": "application/xml; charset=utf-8"}
_MEETING_KEY = re.compile(r"^\d{1,19}$")
_KEY_SEPARATORS = re.compile(r"[\s-]")


@dataclass(frozen=True)
class WebexCredentials:
    """Who calls: the site, the user's webExID (or, before it is known, their email) and their token."""

    site: str
    webex_id: str
    access_token: str = field(repr=False)
    email: str = ""


class WebexClient:
    """The Webex XML API for the bot. One instance per process; it holds no per-user state."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        xml_url: str,
        deadline: float | None = None,
        observe: CallObserver | None = None,
    ) -> None:
        """`xml_url` may contain `{site}`. `deadline` bounds a whole call in seconds (the HTTP client's
        own timeout bounds each phase: connecting, each read); None leaves only the per-phase limits.
        `observe` is told of every call (the metrics)."""
        if deadline is not None and deadline <= 0:
            raise ValueError("deadline must be positive")
        self._http = http
        self._xml_url = xml_url
        self._deadline = deadline
        self._observe = observe

    # -- operations ---------------------------------------------------------------------------

    async def get_user(self, creds: WebexCredentials, webex_id: str | None = None) -> WebexUser:
        """GetUser for `webex_id`, or for the caller."""
        message, body = self._request("GetUser", creds)
        xml.add(body, "webExId", webex_id or creds.webex_id or creds.email)
        content = await self._call("GetUser", creds.site, message)
        zone = xml.text(content, "timeZoneID")
        return WebexUser(
            webex_id=xml.text(content, "webExId") or webex_id or creds.webex_id,
            email=xml.text(content, "email") or "",
            first_name=xml.text(content, "firstName") or "",
            last_name=xml.text(content, "lastName") or "",
            time_zone_id=_int_or_none(zone),
            meeting_types=tuple(
                number
                for element in xml.children(xml.child(content, "meetingTypes"), "meetingType")
                if (number := _int_or_none(element.text)) is not None
            ),
        )

    async def create_meeting(
        self, creds: WebexCredentials, draft: MeetingDraft, *, new_connection: bool = False
    ) -> CreatedMeeting:
        """CreateMeeting: topic, agenda, start in the draft's own zone, duration, invitees (emailed).

        Never sent twice by itself: when the connection it went out on turns out dead, the error says
        so (`stale_connection`) and the caller looks for the meeting before sending it again with
        `new_connection` (on a connection opened for it, not a pooled one)."""
        message, body = self._request("CreateMeeting", creds)
        _fill_meeting(
            body,
            topic=draft.topic,
            agenda=draft.agenda or None,
            password=draft.password,
            invitees=draft.invitees,
            start=draft.start,
            time_zone_id=draft.time_zone_id,
            duration=draft.duration_minutes,
            recurrence=draft.recurrence,
            first_day=_local_day(draft.start, draft.time_zone_id),
        )
        content = await self._call(
            "CreateMeeting", creds.site, message, resendable=False, new_connection=new_connection
        )
        key = xml.text(content, "meetingkey")
        if not key:
            raise WebexUnavailable(
                "Webex created a meeting but its answer has no meeting key.", outcome_unknown=True
            )
        return CreatedMeeting(
            meeting_key=key.strip(),
            host_calendar_url=xml.text(content, "iCalendarURL", "host") or "",
            attendee_calendar_url=xml.text(content, "iCalendarURL", "attendee") or "",
            guest_token=xml.text(content, "guestToken") or "",
            password=xml.text(content, "meetingPassword") or draft.password or "",
        )

    async def set_meeting(self, creds: WebexCredentials, key: str, changes: MeetingChanges) -> None:
        """SetMeeting with only what changed. A new start without a zone is sent in the meeting's own zone."""
        meeting_key = normalize_meeting_key(key)
        if changes.is_empty():
            return
        zone_id = changes.time_zone_id
        first_day = None
        # A new start needs the meeting's zone when none is given; a new rule alone, its first day.
        needs_zone = changes.start is not None and zone_id is None
        if needs_zone or (changes.recurrence is not None and changes.start is None):
            current = await self.get_meeting(creds, meeting_key)
            if needs_zone:
                zone_id = current.time_zone_id
            else:
                first_day = _local_day(current.start, current.time_zone_id)
        if changes.start is not None:
            first_day = _local_day(changes.start, zone_id if zone_id is not None else GMT_ZONE_ID)
        message, body = self._request("SetMeeting", creds)
        _fill_meeting(
            body,
            topic=changes.topic,
            agenda=changes.agenda,
            password=None,
            invitees=changes.invitees,
            start=changes.start,
            time_zone_id=zone_id,
            duration=changes.duration_minutes,
            recurrence=changes.recurrence,
            first_day=first_day,
        )
        # meetingInstanceType puts the key after every meetingType section.
        xml.add(body, "meetingkey", meeting_key)
        await self._call("SetMeeting", creds.site, message)

    async def get_meeting(self, creds: WebexCredentials, key: str) -> Meeting:
        message, body = self._request("GetMeeting", creds)
        xml.add(body, "meetingKey", normalize_meeting_key(key))
        content = await self._call("GetMeeting", creds.site, message)
        schedule = xml.child(content, "schedule")
        return Meeting(
            meeting_key=(xml.text(content, "meetingkey") or normalize_meeting_key(key)).strip(),
            topic=xml.text(content, "metaData", "confName") or "",
            start=_read_start(schedule),
            duration_minutes=_int_or_none(xml.text(schedule, "duration")) or 0,
            time_zone_id=_read_zone(schedule),
            host_webex_id=xml.text(schedule, "hostWebExID") or "",
            agenda=xml.text(content, "metaData", "agenda") or "",
            status=xml.text(content, "status") or "NOT_INPROGRESS",
            invitees=tuple(
                Invitee(email=xml.text(person, "email") or "", name=xml.text(person, "name") or "")
                for attendee in xml.children(xml.child(content, "participants", "attendees"), "attendee")
                if (person := xml.child(attendee, "person")) is not None
            ),
            password=xml.text(content, "accessControl", "meetingPassword") or "",
            host_key=xml.text(content, "hostKey") or "",
            recurrence=read_repeat(content),
        )

    async def delete_meeting(self, creds: WebexCredentials, key: str) -> None:
        message, body = self._request("DelMeeting", creds)
        xml.add(body, "meetingKey", normalize_meeting_key(key))
        await self._call("DelMeeting", creds.site, message)

    async def list_meetings(
        self,
        creds: WebexCredentials,
        *,
        start_from: int = 1,
        maximum: int = 10,
        starts_after: datetime | None = None,
        starts_before: datetime | None = None,
        mine_only: bool = True,
    ) -> MeetingPage:
        """LstsummaryMeeting by start time, ascending; `start_from` is 1-based. No meetings: an empty page.

        `mine_only` restricts the list to meetings the caller hosts (without it a site admin would
        see every host's meetings).
        """
        if start_from < 1 or not 1 <= maximum <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"A page starts at 1 and holds 1 to {MAX_PAGE_SIZE} meetings.")
        message, body = self._request("LstsummaryMeeting", creds)
        list_control = xml.add(body, "listControl")
        xml.add(list_control, "startFrom", start_from)
        xml.add(list_control, "maximumNum", maximum)
        order = xml.add(body, "order")
        xml.add(order, "orderBy", "STARTTIME")
        xml.add(order, "orderAD", "ASC")
        if starts_after is not None or starts_before is not None:
            scope = xml.add(body, "dateScope")
            if starts_after is not None:
                xml.add(scope, "startDateStart", _gmt_text(starts_after, "starts_after"))
            if starts_before is not None:
                xml.add(scope, "startDateEnd", _gmt_text(starts_before, "starts_before"))
            xml.add(scope, "timeZoneID", GMT_ZONE_ID)
        if mine_only and creds.webex_id:
            xml.add(body, "hostWebExID", creds.webex_id)
        try:
            content = await self._call("LstsummaryMeeting", creds.site, message)
        except NoRecordsFound:
            return MeetingPage(meetings=(), total=0, start_from=start_from)
        meetings = tuple(_read_summary(row) for row in xml.children(content, "meeting"))
        records = xml.child(content, "matchingRecords")
        total = _int_or_none(xml.text(records, "total"))
        first = _int_or_none(xml.text(records, "startFrom")) or start_from
        return MeetingPage(
            meetings=meetings,
            total=total if total is not None else first - 1 + len(meetings),
            start_from=first,
        )

    async def join_url(
        self,
        creds: WebexCredentials,
        key: str,
        *,
        attendee_name: str | None = None,
        attendee_email: str | None = None,
    ) -> str:
        """GetjoinurlMeeting: the link an attendee opens (the name and email prefill the join form)."""
        message, body = self._request("GetjoinurlMeeting", creds)
        xml.add(body, "sessionKey", normalize_meeting_key(key))
        if attendee_name:
            xml.add(body, "attendeeName", attendee_name)
        if attendee_email:
            xml.add(body, "attendeeEmail", attendee_email)
        content = await self._call("GetjoinurlMeeting", creds.site, message)
        url = xml.text(content, "joinMeetingURL") or xml.text(content, "inviteMeetingURL")
        if not url:
            raise WebexUnavailable("Webex's join-link answer has no link.")
        return url.strip()

    async def host_url(self, creds: WebexCredentials, key: str) -> str:
        """GethosturlMeeting: a one-time link that starts the meeting as its host. Never share it."""
        message, body = self._request("GethosturlMeeting", creds)
        xml.add(body, "sessionKey", normalize_meeting_key(key))
        content = await self._call("GethosturlMeeting", creds.site, message)
        url = xml.text(content, "hostMeetingURL")
        if not url:
            raise WebexUnavailable("Webex's host-link answer has no link.")
        return url.strip()

    async def list_recordings(
        self,
        creds: WebexCredentials,
        *,
        start_from: int = 1,
        maximum: int = 10,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        meeting_key: str | None = None,
    ) -> tuple[Recording, ...]:
        """LstRecording of the caller's recordings, optionally of one meeting or a creation window."""
        if start_from < 1 or not 1 <= maximum <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"A page starts at 1 and holds 1 to {MAX_PAGE_SIZE} recordings.")
        message, body = self._request("LstRecording", creds)
        list_control = xml.add(body, "listControl")
        xml.add(list_control, "startFrom", start_from)
        xml.add(list_control, "maximumNum", maximum)
        if created_after is not None or created_before is not None:
            # createTimeScope needs both ends.
            scope = xml.add(body, "createTimeScope")
            after = created_after or datetime(2000, 1, 1, tzinfo=UTC)
            before = created_before or datetime(2100, 1, 1, tzinfo=UTC)
            xml.add(scope, "createTimeStart", _gmt_text(after, "created_after"))
            xml.add(scope, "createTimeEnd", _gmt_text(before, "created_before"))
            xml.add(scope, "timeZoneID", GMT_ZONE_ID)
        if creds.webex_id:
            xml.add(body, "hostWebExID", creds.webex_id)
        if meeting_key is not None:
            xml.add(body, "sessionKey", normalize_meeting_key(meeting_key))
        try:
            content = await self._call("LstRecording", creds.site, message)
        except NoRecordsFound:
            return ()
        return tuple(_read_recording(row) for row in xml.children(content, "recording"))

    async def rename_recording(self, creds: WebexCredentials, recording_id: str, name: str) -> None:
        """SetRecordingInfo with a new `basic/topic`: the recording's name (needs `recording_modify`)."""
        if not recording_id.isdigit():
            raise InvalidRequest("A recording id is a number.")
        message, body = self._request("SetRecordingInfo", creds)
        recording = xml.add(body, "recording")
        xml.add(recording, "recordingID", int(recording_id))
        basic = xml.add(body, "basic")
        xml.add(basic, "topic", name)
        await self._call("SetRecordingInfo", creds.site, message)

    async def api_version(self, site: str) -> str:
        """GetAPIVersion (needs no user): the server's version text, e.g. `WebEx XML API V10.0.0`."""
        message, _ = xml.new_request("GetAPIVersion", site=site)
        content = await self._call("GetAPIVersion", site, message)
        version = (xml.text(content, "apiVersion") or "").strip()
        release = (xml.text(content, "release") or "").strip()
        if not version:
            raise WebexUnavailable("Webex's version answer has no apiVersion.")
        return f"{version} {release}" if release else version

    # -- transport ----------------------------------------------------------------------------

    def _request(self, operation: str, creds: WebexCredentials) -> tuple[xml.Element, xml.Element]:
        return xml.new_request(
            operation,
            site=creds.site,
            webex_id=creds.webex_id,
            email=creds.email,
            access_token=creds.access_token,
        )

    async def _call(
        self,
        operation: str,
        site: str,
        message: xml.Element,
        *,
        resendable: bool = True,
        new_connection: bool = False,
    ) -> xml.Element:
        """Every operation but CreateMeeting is `resendable`: reads, and changes that set the same
        values again (a delete sent twice answers "no such meeting", which the caller takes as done)."""
        url = self._xml_url.replace("{site}", xml.check_site(site))
        payload = xml.to_bytes(message)
        started = time.perf_counter()
        outcome = "ok"
        try:
            try:
                async with asyncio.timeout(self._deadline):
                    async with exchange(
                        self._http,
                        "POST",
                        url,
                        content=payload,
                        headers=_XML_HEADERS,
                        resendable=resendable,
                        new_connection=new_connection,
                    ) as response:
                        if response.status_code != 200:
                            raise _status_error(operation, response)
                        data = await _read_limited(response)
            except (httpx.HTTPError, OSError) as exc:
                raise _transport_error(operation, exc) from None
            # Webex answers failures with HTTP 200: the outcome is known once the answer is read.
            return xml.parse_response(data)
        except BaseException as error:
            outcome = type(error).__name__
            raise
        finally:
            seconds = time.perf_counter() - started
            if self._observe is not None:
                self._observe(operation, outcome, seconds)
            logger.debug("webex %s site=%s %s %.1f ms", operation, site, outcome, seconds * 1000)


def normalize_meeting_key(key: str) -> str:
    """A meeting key as digits: Webex shows meeting numbers with spaces (`2345 678 901`)."""
    compact = _KEY_SEPARATORS.sub("", str(key))
    if not _MEETING_KEY.match(compact):
        raise InvalidRequest(f"{key!r} is not a Webex meeting number (digits only).", field="meeting_key")
    return compact


# -- building ---------------------------------------------------------------------------------


def _fill_meeting(
    body: xml.Element,
    *,
    topic: str | None,
    agenda: str | None,
    password: str | None,
    invitees: tuple[Invitee, ...] | None,
    start: datetime | None,
    time_zone_id: int | None,
    duration: int | None,
    recurrence: Recurrence | None = None,
    first_day: date | None = None,
) -> None:
    """The meetingType sections that carry something, in the schema's order."""
    if password:
        access = xml.add(body, "accessControl")
        xml.add(
            access,
            "meetingPassword",
            xml.checked_text(password, limit=MAX_PASSWORD_LENGTH, field="password", label="meeting password"),
        )
    if topic is not None or agenda is not None:
        meta = xml.add(body, "metaData")
        if topic is not None:
            cleaned = xml.checked_text(topic, limit=MAX_TOPIC_LENGTH, field="topic", label="meeting topic")
            if not cleaned.strip():
                raise InvalidRequest("A meeting needs a topic.", field="topic")
            xml.add(meta, "confName", cleaned)
        if agenda is not None:
            xml.add(
                meta,
                "agenda",
                xml.checked_text(agenda, limit=MAX_AGENDA_LENGTH, field="agenda", label="agenda"),
            )
    if invitees:
        attendees = xml.add(xml.add(body, "participants"), "attendees")
        for invitee in invitees:
            email_address = xml.clean_text(invitee.email).strip()
            if not email_address or any(ch.isspace() for ch in email_address) or "@" not in email_address:
                raise InvalidRequest(f"{invitee.email!r} is not an email address.", field="invitees")
            attendee = xml.add(attendees, "attendee")
            person = xml.add(attendee, "person")
            if invitee.name:
                xml.add(person, "name", invitee.name)
            xml.add(person, "email", email_address)
            xml.add(attendee, "emailInvitations", True)
    if start is not None or time_zone_id is not None or duration is not None:
        schedule = xml.add(body, "schedule")
        if start is not None:
            if time_zone_id is None:
                time_zone_id = GMT_ZONE_ID
            xml.add(schedule, "startDate", _local_text(start, time_zone_id))
        if time_zone_id is not None:
            _check_zone(time_zone_id)
            xml.add(schedule, "timeZoneID", time_zone_id)
        if duration is not None:
            if not 1 <= duration <= MAX_DURATION_MINUTES:
                raise InvalidRequest(
                    f"A meeting lasts 1 to {MAX_DURATION_MINUTES} minutes, not {duration}.", field="duration"
                )
            xml.add(schedule, "duration", duration)
    if recurrence is not None and first_day is not None:
        add_repeat(body, recurrence, first_day)
    if invitees:
        xml.add(xml.add(body, "attendeeOptions"), "emailInvitations", True)


def _local_day(instant: datetime, zone_id: int) -> date:
    """The day `instant` falls on in Webex zone `zone_id` (GMT for an unknown one)."""
    try:
        return instant.astimezone(zone_by_id(zone_id).tzinfo).date()
    except UnknownTimeZone:
        return instant.astimezone(UTC).date()


def _check_zone(zone_id: int) -> None:
    try:
        zone_by_id(zone_id)
    except UnknownTimeZone as exc:
        raise InvalidRequest(str(exc), field="time_zone_id") from None


def _local_text(instant: datetime, zone_id: int) -> str:
    if instant.tzinfo is None:
        raise InvalidRequest("A meeting start needs a time zone (an aware datetime).", field="start")
    _check_zone(zone_id)
    return to_webex_local(instant, zone_id)


def _gmt_text(instant: datetime, name: str) -> str:
    if instant.tzinfo is None:
        raise InvalidRequest(f"{name} needs a time zone (an aware datetime).", field="start")
    return to_webex_local(instant, GMT_ZONE_ID)


# -- reading ----------------------------------------------------------------------------------


def _int_or_none(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _read_zone(parent: xml.Element | None) -> int:
    """The meeting's own zone: its timeZoneID, else its timeZone name, else GMT."""
    zone_id = _int_or_none(xml.text(parent, "timeZoneID"))
    if zone_id is not None:
        try:
            return zone_by_id(zone_id).id
        except UnknownTimeZone:
            pass
    name = xml.text(parent, "timeZone")
    if name:
        try:
            return zone_by_name(name).id
        except UnknownTimeZone:
            pass
    if zone_id is None and not name:
        return GMT_ZONE_ID
    raise WebexUnavailable(f"Webex sent a time zone the bot does not know (timeZoneID {zone_id}, {name!r}).")


def _read_start(parent: xml.Element | None) -> datetime:
    raw = xml.text(parent, "startDate")
    if not raw:
        raise WebexUnavailable("Webex's meeting has no start date.")
    try:
        return from_webex_local(raw, _read_zone(parent))
    except ValueError:
        raise WebexUnavailable(f"Webex sent an unreadable start date {raw!r}.") from None


def _read_summary(row: xml.Element) -> Meeting:
    return Meeting(
        meeting_key=(xml.text(row, "meetingKey") or "").strip(),
        topic=xml.text(row, "confName") or "",
        start=_read_start(row),
        duration_minutes=_int_or_none(xml.text(row, "duration")) or 0,
        time_zone_id=_read_zone(row),
        host_webex_id=xml.text(row, "hostWebExID") or "",
        status=xml.text(row, "status") or "NOT_INPROGRESS",
    )


def _read_recording(row: xml.Element) -> Recording:
    created = xml.text(row, "createTime") or ""
    try:
        instant = from_webex_local(created, _read_zone(row))
    except ValueError:
        raise WebexUnavailable(f"Webex sent an unreadable recording time {created!r}.") from None
    return Recording(
        recording_id=(xml.text(row, "recordingID") or "").strip(),
        name=xml.text(row, "name") or "",
        created=instant,
        duration_seconds=_int_or_none(xml.text(row, "duration")) or 0,
        stream_url=(xml.text(row, "streamURL") or "").strip(),
        file_url=(xml.text(row, "fileURL") or "").strip(),
        meeting_key=(xml.text(row, "sessionKey") or "").strip(),
    )


# -- HTTP -------------------------------------------------------------------------------------


async def _read_limited(response: Answer) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise WebexUnavailable(
                f"Webex's answer is larger than {MAX_RESPONSE_BYTES} bytes; refused.", outcome_unknown=True
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After in seconds, from either form (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def _status_error(operation: str, response: Answer) -> WebexUnavailable:
    status = response.status_code
    if status == 429:
        return WebexRateLimited(
            f"Webex is rate limiting {operation} (HTTP 429).",
            retry_after=_retry_after(response.headers.get("retry-after")),
            status_code=status,
        )
    # 503 says the request was not handled; another 5xx (often from a proxy) may come after Webex acted.
    unknown = status >= 500 and status != 503
    if status >= 500:
        return WebexUnavailable(
            f"Webex is unavailable (HTTP {status}) for {operation}.",
            outcome_unknown=unknown,
            status_code=status,
        )
    return WebexUnavailable(f"Webex answered {operation} with HTTP {status}.", status_code=status)


def _transport_error(operation: str, exc: Exception) -> WebexUnavailable:
    if isinstance(exc, StaleConnection):
        return WebexUnavailable(
            f"Webex dropped the connection before answering {operation} "
            "(a connection kept open from an earlier request).",
            outcome_unknown=True,
            stale_connection=True,
        )
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return WebexTimeout(f"Webex did not answer {operation} in time.")
    # Only a connection that was never made guarantees the request was not carried out.
    never_sent = isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol | ConnectionRefusedError)
    return WebexUnavailable(
        f"Webex could not be reached for {operation} ({type(exc).__name__}).", outcome_unknown=not never_sent
    )
