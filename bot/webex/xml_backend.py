"""The Webex XML API as a meeting backend: the port's neutral values in, XML client calls out.

Everything XML-shaped stays here or below: timeZoneIDs (the meeting's zone is named by an IANA zone
in the port), meeting keys (a meeting's id and its number are the same digits), 1-based list offsets
(the port's cursor is the next offset as text) and status words. The client's errors already
subclass the port's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.accounts import TokenGrant
from bot.services.ports import (
    BackendUser,
    CreatedMeeting,
    Credentials,
    Meeting,
    MeetingChanges,
    MeetingDraft,
    MeetingLimits,
    MeetingNotFound,
    MeetingPage,
    Recording,
    RecordingNotFound,
)
from bot.webex import values as xml_values
from bot.webex.client import WebexClient, WebexCredentials, normalize_meeting_key
from bot.webex.errors import InvalidRequest, NoRecordsFound, WebexError, WebexUnavailable
from bot.webex.oauth import WebexOAuth, new_code_verifier
from bot.webex.timezones import (
    GMT_ZONE_ID,
    UnknownTimeZone,
    webex_zone_for,
    webex_zone_matching,
    zone_by_id,
)

log = logging.getLogger(__name__)

IN_PROGRESS = "INPROGRESS"  # LstsummaryMeeting/GetMeeting status of a running meeting
# A series comes as one row per occurrence: the first read asks for this many rows per meeting
# wanted; when series fill them, the next reads ask for Webex's largest page, at most READS_PER_PAGE
# reads in all (five years of a weekday series is about 1,300 rows; "More" goes on past that).
ROWS_PER_MEETING = 5
MAX_ROWS_PER_CALL = 500
READS_PER_PAGE = 4
MAX_SHOWN_SERIES = 60
FIND_PAGE_SIZE = 50
# The XML integration's permission to change recordings; asked for only when someone first renames one.
RENAME_RECORDING_SCOPE = "recording_modify"


def zone_id_for(time_zone: str, at: datetime, home_time_zone: str = "") -> int:
    """The Webex timeZoneID showing `time_zone`'s clock at `at`; else the person's `home_time_zone`.

    An IANA name tied to a Webex zone takes it; another name takes a Webex zone with the same offset
    on the meeting's date. A zone no Webex zone matches (Kathmandu's +05:45) falls back to the home
    zone, and that to GMT: the start instant is the same, only the zone Webex shows differs."""
    if time_zone and time_zone != home_time_zone:
        matching = webex_zone_matching(time_zone, at)
        if matching is not None:
            return matching.id
    home = home_time_zone or time_zone
    return webex_zone_for(home, at).id if home else GMT_ZONE_ID


def shown_zone(time_zone: str, at: datetime, home_time_zone: str = "") -> tuple[str, str]:
    """The zone Webex would show a meeting in, as (IANA name, Webex's own name)."""
    zone = zone_by_id(zone_id_for(time_zone, at, home_time_zone))
    return zone.iana, zone.name


class XmlMeetingBackend:
    """bot.services.ports.MeetingBackend over the Webex XML API client."""

    meeting_limits = MeetingLimits()  # the schema's confName and agenda lengths are the product's own
    ids_are_numbers = True  # a meeting key is its number

    def __init__(self, client: WebexClient) -> None:
        self._client = client

    async def schedule(self, creds: Credentials, draft: MeetingDraft) -> CreatedMeeting:
        zone_id = zone_id_for(draft.time_zone, draft.start, draft.home_time_zone)
        xml_draft = xml_values.MeetingDraft(
            topic=draft.topic,
            start=draft.start,
            duration_minutes=draft.duration_minutes,
            time_zone_id=zone_id,
            agenda=draft.agenda,
            invitees=draft.invitees,
            password=draft.password,
            recurrence=draft.recurrence,
        )
        try:
            created = await self._client.create_meeting(_xml_creds(creds), xml_draft)
        except WebexUnavailable as exc:
            if not exc.stale_connection:
                raise
            # It went out on a kept-open connection that was dropped before any answer: most likely
            # Webex never saw it. Look once; send it again, on a new connection, only if it is not there.
            log.info(
                "Webex dropped the connection before answering the create; looking for it, then resending",
                extra={"user": creds.user_id},
            )
            try:
                found = await self._find(creds, draft)
            except WebexUnavailable:
                raise exc from None  # the use case looks again, with pauses, before giving up
            if found is not None:
                return CreatedMeeting(meeting=found)
            created = await self._client.create_meeting(_xml_creds(creds), xml_draft, new_connection=True)
        zone = zone_by_id(zone_id)
        # Webex stored what it accepted: the card needs no second round trip to describe it.
        meeting = Meeting(
            meeting_id=created.meeting_key,
            number=created.meeting_key,
            topic=draft.topic,
            start=draft.start,
            duration_minutes=draft.duration_minutes,
            time_zone=zone.iana,
            time_zone_label=zone.name,
            host_id=creds.user_id,
            agenda=draft.agenda,
            invitees=draft.invitees,
            password=created.password,
            recurrence=draft.recurrence,
        )
        return CreatedMeeting(meeting=meeting, calendar_url=created.attendee_calendar_url)

    async def _find(self, creds: Credentials, draft: MeetingDraft) -> Meeting | None:
        """The meeting a create whose answer was lost made, as Webex describes it; None if not there."""
        after, before = draft.start - timedelta(minutes=1), draft.start + timedelta(minutes=1)
        cursor: str | None = None
        while True:
            page = await self.list_meetings(
                creds, starts_after=after, starts_before=before, page_size=FIND_PAGE_SIZE, cursor=cursor
            )
            for row in page.meetings:
                if row.topic == draft.topic and row.start == draft.start:
                    try:
                        return await self.meeting(creds, row.meeting_id)
                    except WebexError as error:
                        log.warning(
                            "meeting %s exists but Webex did not describe it: %s", row.meeting_id, error
                        )
                        return row
            if page.next_cursor is None:
                return None
            cursor = page.next_cursor

    async def meeting(self, creds: Credentials, meeting_id: str) -> Meeting:
        return _neutral(await self._client.get_meeting(_xml_creds(creds), meeting_id))

    async def meeting_id_for(self, creds: Credentials, number: str) -> str:
        # A meeting's key is its number: no call needed.
        return normalize_meeting_key(number)

    async def change(self, creds: Credentials, meeting_id: str, changes: MeetingChanges) -> None:
        zone_id = None
        if changes.start is not None and changes.time_zone is not None:
            zone_id = zone_id_for(changes.time_zone, changes.start)
        await self._client.set_meeting(
            _xml_creds(creds),
            meeting_id,
            xml_values.MeetingChanges(
                topic=changes.topic,
                start=changes.start,
                duration_minutes=changes.duration_minutes,
                time_zone_id=zone_id,
                agenda=changes.agenda,
                invitees=changes.invitees,
                recurrence=changes.recurrence,
            ),
        )

    async def cancel(self, creds: Credentials, meeting_id: str) -> None:
        await self._client.delete_meeting(_xml_creds(creds), meeting_id)

    async def list_meetings(
        self,
        creds: Credentials,
        *,
        starts_after: datetime,
        starts_before: datetime | None,
        page_size: int,
        cursor: str | None = None,
    ) -> MeetingPage:
        """Webex lists a series as one row per occurrence: each series is shown once, at its next
        occurrence, with its rule (one GetMeeting per series). Rows are read ahead until the page holds
        `page_size` meetings; the cursor carries the next row and the series already shown."""
        start_from, shown = _offset(cursor)
        xml_creds = _xml_creds(creds)
        rows: list[xml_values.Meeting] = []
        keys: dict[str, int] = {}  # rows taken into this page, by key
        rows_of: dict[str, int] = {}  # rows Webex sent, by key
        position, total, more, reads = start_from, 0, True, 0
        while more and len(rows) < page_size and reads < READS_PER_PAGE:
            reads += 1
            page = await self._client.list_meetings(
                xml_creds,
                start_from=position,
                maximum=min(
                    MAX_ROWS_PER_CALL, page_size * ROWS_PER_MEETING if reads == 1 else MAX_ROWS_PER_CALL
                ),
                starts_after=starts_after,
                starts_before=starts_before,
            )
            total, more = page.total, page.has_more and bool(page.meetings)
            for row in page.meetings:
                # A key on two rows of what Webex sent is a series, read ahead or not.
                rows_of[row.meeting_key] = rows_of.get(row.meeting_key, 0) + 1
            for row in page.meetings:
                if len(rows) >= page_size and row.meeting_key not in keys:
                    more = True
                    break
                position += 1
                keys[row.meeting_key] = keys.get(row.meeting_key, 0) + 1
                if keys[row.meeting_key] == 1 and row.meeting_key not in shown:
                    rows.append(row)
            else:
                continue
            break
        series = {key for key, seen in rows_of.items() if seen > 1}
        meetings = [await self._with_rule(xml_creds, row, row.meeting_key in series) for row in rows]
        collapsed = bool(series) or bool(shown)
        return MeetingPage(
            meetings=tuple(meetings),
            next_cursor=_cursor(position, shown | (series & set(keys))) if more else None,
            total=None if collapsed else total,
        )

    async def _with_rule(self, creds: WebexCredentials, row: xml_values.Meeting, series: bool) -> Meeting:
        """A list row, with its series' rule when the row is one occurrence of several."""
        meeting = _neutral(row)
        if not series:
            return meeting
        try:
            described = await self._client.get_meeting(creds, row.meeting_key)
        except MeetingNotFound:
            return meeting
        return replace(meeting, recurrence=described.recurrence)

    async def join_link(
        self, creds: Credentials, meeting_id: str, *, name: str | None = None, email: str | None = None
    ) -> str:
        return await self._client.join_url(
            _xml_creds(creds), meeting_id, attendee_name=name, attendee_email=email
        )

    async def join_link_by_number(
        self, creds: Credentials, number: str, *, name: str | None = None, email: str | None = None
    ) -> str:
        # GetjoinurlMeeting answers any user of the site; Webex's page then asks for the password.
        return await self.join_link(creds, normalize_meeting_key(number), name=name, email=email)

    async def host_link(self, creds: Credentials, meeting_id: str) -> str:
        return await self._client.host_url(_xml_creds(creds), meeting_id)

    async def who_am_i(self, creds: Credentials) -> BackendUser:
        user = await self._client.get_user(_xml_creds(creds))
        zone: str | None = None
        if user.time_zone_id is not None:
            try:
                zone = zone_by_id(user.time_zone_id).iana
            except UnknownTimeZone:
                zone = None
        return BackendUser(
            user_id=user.webex_id, email=user.email, display_name=user.display_name, time_zone=zone
        )

    async def list_recordings(
        self, creds: Credentials, *, created_after: datetime, limit: int
    ) -> tuple[Recording, ...]:
        # LstRecording answers oldest first, one page at a time: read the window, keep the newest.
        found: list[xml_values.Recording] = []
        start_from = 1
        while True:
            page = await self._client.list_recordings(
                _xml_creds(creds), start_from=start_from, maximum=FIND_PAGE_SIZE, created_after=created_after
            )
            found.extend(page)
            if len(page) < FIND_PAGE_SIZE:
                break
            start_from += len(page)
        found.sort(key=lambda r: (r.created, r.recording_id), reverse=True)
        return tuple(
            Recording(
                recording_id=r.recording_id,
                name=r.name,
                created=r.created,
                duration_seconds=r.duration_seconds,
                playback_url=r.stream_url or r.file_url,
                meeting_id=r.meeting_key,
            )
            for r in found[:limit]
        )

    async def rename_recording(self, creds: Credentials, recording_id: str, name: str) -> None:
        try:
            await self._client.rename_recording(_xml_creds(creds), recording_id, name)
        except (NoRecordsFound, InvalidRequest) as error:
            if isinstance(error, InvalidRequest) and recording_id.isdigit():
                raise
            raise RecordingNotFound(str(error)) from None


class XmlAuthorizationServer:
    """bot.services.ports.AuthorizationServer for the Webex Meetings integration's OAuth server."""

    def __init__(self, oauth: WebexOAuth) -> None:
        self._oauth = oauth

    def new_code_verifier(self) -> str:
        return new_code_verifier()

    def authorize_url(self, *, state: str, code_verifier: str, scopes: Sequence[str]) -> str:
        # The plain method: the challenge is the verifier itself.
        return self._oauth.authorize_url(state=state, code_challenge=code_verifier, scopes=scopes)

    async def exchange_code(self, code: str, code_verifier: str) -> TokenGrant:
        return await self._oauth.exchange_code(code, code_verifier)

    async def refresh(self, refresh_token: str) -> TokenGrant:
        return await self._oauth.refresh(refresh_token)


def _xml_creds(creds: Credentials) -> WebexCredentials:
    return WebexCredentials(
        site=creds.site, webex_id=creds.user_id, access_token=creds.access_token, email=creds.email
    )


def _offset(cursor: str | None) -> tuple[int, frozenset[str]]:
    """The 1-based offset a cursor carries and the series already shown; a cursor this adapter did
    not make is refused."""
    if cursor is None or cursor == "":
        return 1, frozenset()
    offset, _, keys = cursor.partition(":")
    shown = frozenset(key for key in keys.split(",") if key)
    if not offset.isdigit() or int(offset) < 1 or not all(key.isdigit() for key in shown):
        raise InvalidRequest(f"{cursor!r} is not a place in a Webex meeting list.", field="cursor")
    return int(offset), shown


def _cursor(offset: int, shown: frozenset[str] | set[str]) -> str:
    """The next row and the series already shown, at most MAX_SHOWN_SERIES of them so the cursor fits
    in a button (past that, a series may be shown again on a later page)."""
    keys = sorted(shown)[:MAX_SHOWN_SERIES]
    return f"{offset}:{','.join(keys)}" if keys else str(offset)


def _neutral(meeting: xml_values.Meeting) -> Meeting:
    zone = zone_by_id(meeting.time_zone_id)
    return Meeting(
        meeting_id=meeting.meeting_key,
        number=meeting.meeting_key,
        topic=meeting.topic,
        start=meeting.start,
        duration_minutes=meeting.duration_minutes,
        time_zone=zone.iana,
        time_zone_label=zone.name,
        host_id=meeting.host_webex_id,
        agenda=meeting.agenda,
        in_progress=meeting.status == IN_PROGRESS,
        invitees=meeting.invitees,
        password=meeting.password,
        host_key=meeting.host_key,
        recurrence=meeting.recurrence,
    )
