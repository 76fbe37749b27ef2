"""The Webex Meetings REST API (webexapis.com/v1) as a meeting backend: the port's values in, JSON out.

Everything REST-shaped stays here: string meeting ids beside the meeting numbers people type, ISO 8601
instants with offsets, the `Link: rel="next"` paging (the port's cursor is the next page's query),
Webex's error JSON and its statuses, and `POST /meetings/join` for the join and host links. The
OAuth server (`/authorize`, `/access_token`, PKCE S256) has no identity in its token answer, so the
authorization server asks `GET /people/me` who signed in, as the XML side reads it from its token.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from bot.domain.accounts import TokenGrant
from bot.services import ports
from bot.services.ports import (
    BackendUser,
    CreatedMeeting,
    Credentials,
    Invitee,
    Meeting,
    MeetingChanges,
    MeetingDraft,
    MeetingPage,
    Recording,
    Recurrence,
)
from bot.webex.client import _read_limited, _retry_after, _transport_error
from bot.webex.errors import WebexRateLimited, WebexUnavailable
from bot.webex.http import exchange
from bot.webex.oauth import WebexOAuth
from bot.webex.rrule import RRuleUnreadable, recurrence_to_rrule, rrule_to_recurrence

logger = logging.getLogger("bot.webex.rest")

MAX_PAGE_SIZE = 100  # GET /meetings takes max 1-100
# Without an end to the window, a list looks this far ahead (GET /meetings needs a `to`, else 7 days).
OPEN_WINDOW = timedelta(days=366)
# A 429/423 asking to wait at most this long is waited out and the call sent once more (nothing was
# done, so even a create may go again); a longer wait is the caller's to report.
WAIT_OUT_SECONDS = 5.0
# Retry-After missing or unreadable (`rand(30),add(30)` has been seen): what the Python SDK assumes.
DEFAULT_RETRY_AFTER = 15.0
# Query parameters a list cursor may carry; anything else came from somewhere else and is refused.
_CURSOR_KEYS = frozenset({"meetingType", "from", "to", "max", "offset", "cursor", "state", "current"})
_NUMBER_SEPARATORS = re.compile(r"[\s-]")
_DIGITS = re.compile(r"^\d{1,19}$")

CallObserver = Callable[[str, str, float], None]
Sleep = Callable[[float], Awaitable[None]]

# Fields of Webex's 400 answers, as named in its messages, and the port's names for them.
_FIELDS = (
    ("title", "topic"),
    ("agenda", "agenda"),
    ("password", "password"),
    ("invitee", "invitees"),
    ("timezone", "time_zone"),
    ("duration", "duration"),
    ("end", "duration"),
    ("start", "start"),
)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: Any = field(default=None)


class RestApi:
    """Bearer calls to the REST API with Webex's errors mapped onto the port's. One per process."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        deadline: float | None = None,
        observe: CallObserver | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`deadline` bounds one request in seconds; `observe` is told of every call (the metrics);
        `sleep` waits out a short Retry-After (tests pass a fake)."""
        if deadline is not None and deadline <= 0:
            raise ValueError("deadline must be positive")
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._deadline = deadline
        self._observe = observe
        self._sleep = sleep

    async def call(
        self,
        operation: str,
        method: str,
        path: str,
        token: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        resendable: bool = True,
        new_connection: bool = False,
    ) -> _Answer:
        """One call; a short Retry-After is waited out once. Raises the port's errors.

        Every call but a create is `resendable` (a read, or a change that sets the same values again):
        one that dies on a dropped kept-open connection before any answer goes again on a new one."""
        connection = {"resendable": resendable, "new_connection": new_connection}
        try:
            return await self._call_once(operation, method, path, token, params, body, connection)
        except ports.RateLimited as limited:
            wait = limited.retry_after
            if wait is None or wait > WAIT_OUT_SECONDS:
                raise
            await self._sleep(wait)
            return await self._call_once(operation, method, path, token, params, body, connection)

    async def _call_once(
        self,
        operation: str,
        method: str,
        path: str,
        token: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
        connection: dict[str, bool],
    ) -> _Answer:
        started = time.perf_counter()
        outcome = "ok"
        headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        try:
            try:
                async with asyncio.timeout(self._deadline):
                    async with exchange(
                        self._http,
                        method,
                        self.base_url + path,
                        params=params,
                        content=content,
                        headers=headers,
                        **connection,
                    ) as response:
                        data = await _read_limited(response)
            except (httpx.HTTPError, OSError) as exc:
                raise _transport_error(operation, exc) from None
            return _answer(operation, method, response.status_code, response.headers, data)
        except BaseException as error:
            outcome = type(error).__name__
            raise
        finally:
            seconds = time.perf_counter() - started
            if self._observe is not None:
                self._observe(operation, outcome, seconds)
            logger.debug("webex rest %s %s %.1f ms", operation, outcome, seconds * 1000)

    async def person(self, token: str) -> BackendUser:
        """GET /people/me: who the token belongs to."""
        return (await self.person_and_site(token))[0]

    async def person_and_site(self, token: str) -> tuple[BackendUser, str]:
        """GET /people/me, once: who the token belongs to, and their Webex site name (`acme` for
        `acme.webex.com#attendee`; "" when none is listed)."""
        answer = await self.call("people.me", "GET", "/people/me", token)
        body = _object(answer.body, "people/me")
        emails = body.get("emails")
        email = next((e for e in emails if isinstance(e, str) and e), "") if isinstance(emails, list) else ""
        # Webex's description names it `timezone`; a live answer once said `timeZone`.
        zone = _text(body.get("timezone")) or _text(body.get("timeZone"))
        person = BackendUser(
            user_id=_text(body.get("id")),
            email=email,
            display_name=_text(body.get("displayName")),
            time_zone=zone if zone and _zone(zone) is not None else None,
        )
        return person, _site(body.get("siteUrls"))


class RestMeetingBackend:
    """bot.services.ports.MeetingBackend over the Webex Meetings REST API."""

    # CreateMeetingObject: title at most 128 characters, agenda at most 1300, a password meeting Webex's
    # complexity rule (reference/webex-rest-api.md).
    ids_are_numbers = False
    meeting_limits = ports.MeetingLimits(
        topic=128, agenda=1300, shortest_minutes=10, longest_minutes=23 * 60 + 59, strong_password=True
    )

    def __init__(self, api: RestApi) -> None:
        self._api = api

    async def schedule(self, creds: Credentials, draft: MeetingDraft) -> CreatedMeeting:
        zone = _rest_zone(draft.time_zone, draft.home_time_zone)
        end = draft.start + timedelta(minutes=draft.duration_minutes)
        body: dict[str, Any] = {
            "title": draft.topic,
            "start": _instant_text(draft.start, zone),
            "end": _instant_text(end, zone),
            "timezone": zone,
            "sendEmail": True,
        }
        if draft.agenda:
            body["agenda"] = draft.agenda
        if draft.password is not None:
            body["password"] = draft.password
        if draft.invitees:
            body["invitees"] = [_invitee_json(invitee) for invitee in draft.invitees]
        if draft.recurrence is not None:
            body["recurrence"] = _rule(draft.recurrence)
        # A lost or unreadable answer raises with outcome_unknown: the use case looks before trying again.
        try:
            answer = await self._api.call(
                "meetings.create", "POST", "/meetings", creds.access_token, body=body, resendable=False
            )
        except WebexUnavailable as exc:
            if not exc.stale_connection:
                raise
            # It went out on a kept-open connection dropped before any answer: most likely Webex never
            # saw it. Look once; send it again, on a new connection, only if it is not there.
            logger.info("Webex dropped the connection before answering the create; looking for it")
            try:
                found = await self._find(creds, draft)
            except ports.BackendUnavailable:
                raise exc from None  # the use case looks again, with pauses, before giving up
            if found is not None:
                return CreatedMeeting(meeting=replace(found, invitees=draft.invitees))
            answer = await self._api.call(
                "meetings.create",
                "POST",
                "/meetings",
                creds.access_token,
                body=body,
                new_connection=True,
                resendable=False,
            )
        meeting = _meeting(_object(answer.body, "meetings.create"))
        # Webex's create answer has no invitees; it stored the ones it accepted.
        return CreatedMeeting(meeting=replace(meeting, invitees=draft.invitees))

    async def meeting(self, creds: Credentials, meeting_id: str) -> Meeting:
        path = "/meetings/" + _checked_id(meeting_id)
        answer = await self._api.call("meetings.get", "GET", path, creds.access_token)
        meeting = _meeting(_object(answer.body, "meetings.get"))
        invitees = await self._invitees(creds, meeting.meeting_id)
        return replace(meeting, invitees=tuple(Invitee(email, name) for _, email, name in invitees))

    async def meeting_id_for(self, creds: Credentials, number: str) -> str:
        digits = _NUMBER_SEPARATORS.sub("", number)
        if not _DIGITS.match(digits):
            raise MeetingGone(f"{number!r} is not a meeting number")
        answer = await self._api.call(
            "meetings.list",
            "GET",
            "/meetings",
            creds.access_token,
            params={"meetingNumber": digits},
        )
        for item in _items(answer.body):
            if _digits(item.get("meetingNumber")) == digits and isinstance(item.get("id"), str):
                return str(item["id"])
        raise MeetingGone(f"no meeting numbered {digits}")

    async def change(self, creds: Credentials, meeting_id: str, changes: MeetingChanges) -> None:
        path = "/meetings/" + _checked_id(meeting_id)
        body: dict[str, Any] = {}
        if changes.topic is not None:
            body["title"] = changes.topic
        if changes.agenda is not None:
            body["agenda"] = changes.agenda
        if changes.recurrence is not None:
            body["recurrence"] = _rule(changes.recurrence)
        if changes.start is not None or changes.duration_minutes is not None:
            # Webex takes a start and an end together: what is not changing comes from the meeting.
            current = _meeting(
                _object((await self._api.call("meetings.get", "GET", path, creds.access_token)).body, "get")
            )
            start = changes.start or current.start
            minutes = changes.duration_minutes or current.duration_minutes
            zone = (
                _rest_zone(changes.time_zone, current.time_zone) if changes.time_zone else current.time_zone
            )
            zone = zone if _zone(zone) is not None else "UTC"
            body["start"] = _instant_text(start, zone)
            body["end"] = _instant_text(start + timedelta(minutes=minutes), zone)
            body["timezone"] = zone
        if body:
            await self._api.call("meetings.update", "PATCH", path, creds.access_token, body=body)
        if changes.invitees is not None:
            await self._set_invitees(creds, meeting_id, changes.invitees)

    async def cancel(self, creds: Credentials, meeting_id: str) -> None:
        path = "/meetings/" + _checked_id(meeting_id)
        await self._api.call("meetings.delete", "DELETE", path, creds.access_token)

    async def list_meetings(
        self,
        creds: Credentials,
        *,
        starts_after: datetime,
        starts_before: datetime | None,
        page_size: int,
        cursor: str | None = None,
    ) -> MeetingPage:
        size = max(1, min(page_size, MAX_PAGE_SIZE))
        until = starts_before if starts_before is not None else starts_after + OPEN_WINDOW
        first = {
            "meetingType": "meetingSeries",
            # A series at its first meeting, not the one Webex calls current (which may be after the
            # window, or tomorrow's when today's is over): the list picks the meeting to show from it.
            "current": "false",
            "from": _instant_text(starts_after, "UTC"),
            "to": _instant_text(until, "UTC"),
            "max": str(size),
        }
        params = _cursor_params(cursor, first) if cursor else first
        answer = await self._api.call("meetings.list", "GET", "/meetings", creds.access_token, params=params)
        meetings = [_meeting(item) for item in _items(answer.body)]
        # Webex lists a recurring series overlapping the window although its first start is earlier:
        # it is kept (at its first start); single meetings outside the window are not.
        shown = tuple(
            m
            for m in meetings
            if m.recurrence is not None
            or (m.start >= starts_after and (starts_before is None or m.start <= until))
        )
        return MeetingPage(
            meetings=tuple(sorted(shown, key=lambda m: m.start)),
            next_cursor=self._next_cursor(answer.headers, first),
        )

    async def join_link(
        self, creds: Credentials, meeting_id: str, *, name: str | None = None, email: str | None = None
    ) -> str:
        links = await self._links(creds, _join_body("meetingId", _checked_id(meeting_id), name, email))
        return _link(links, "joinLink")

    async def join_link_by_number(
        self, creds: Credentials, number: str, *, name: str | None = None, email: str | None = None
    ) -> str:
        # Asked by number, not looked up in GET /meetings?meetingNumber= first (which finds the meetings
        # the caller hosts or is invited to): /meetings/join gives the link of any meeting Webex lets
        # them join, one without a password too. For another's meeting with a password it needs that
        # password, which the bot does not ask for; the status of that refusal is not documented.
        digits = _NUMBER_SEPARATORS.sub("", number)
        if not _DIGITS.match(digits):
            raise MeetingGone(f"{number!r} is not a meeting number")
        try:
            links = await self._links(creds, _join_body("meetingNumber", digits, name, email))
        except (MeetingGone, ports.NotPermitted) as refused:
            raise ports.MeetingNotVisible(refused.reason) from None
        return _link(links, "joinLink")

    async def host_link(self, creds: Credentials, meeting_id: str) -> str:
        links = await self._links(creds, {"meetingId": _checked_id(meeting_id), "joinDirectly": False})
        if not _text(links.get("startLink")):
            raise ports.NotPermitted("only the host or a co-host gets a start link")
        return _link(links, "startLink")

    async def who_am_i(self, creds: Credentials) -> BackendUser:
        return await self._api.person(creds.access_token)

    async def list_recordings(
        self, creds: Credentials, *, created_after: datetime, limit: int
    ) -> tuple[Recording, ...]:
        # GET /recordings answers newest first; without a `to` it looks only 7 days from `from`.
        params: dict[str, str] | None = {
            "from": _instant_text(created_after, "UTC"),
            "to": _instant_text(datetime.now(UTC) + timedelta(days=1), "UTC"),
            "max": str(MAX_PAGE_SIZE),
        }
        found: list[Recording] = []
        while params is not None and len(found) < limit:
            answer = await self._api.call(
                "recordings.list", "GET", "/recordings", creds.access_token, params=params
            )
            for item in _items(answer.body):
                created = _instant(item.get("createTime"))
                if created is None or not _text(item.get("id")):
                    continue
                seconds = item.get("durationSeconds")
                found.append(
                    Recording(
                        recording_id=_text(item.get("id")),
                        name=_text(item.get("topic")),
                        created=created,
                        duration_seconds=seconds if isinstance(seconds, int) else 0,
                        playback_url=_text(item.get("playbackUrl")) or _text(item.get("downloadUrl")),
                        meeting_id=_text(item.get("meetingSeriesId")) or _text(item.get("meetingId")),
                    )
                )
            query = _next_query(answer.headers, self._api.base_url + "/recordings")
            params = dict(parse_qsl(query)) if query else None
        found.sort(key=lambda r: (r.created, r.recording_id), reverse=True)
        return tuple(found[:limit])

    async def rename_recording(self, creds: Credentials, recording_id: str, name: str) -> None:
        raise ports.NotPermitted("the Webex REST API cannot rename a recording (GET and DELETE only)")

    # -- helpers ------------------------------------------------------------------------------

    async def _find(self, creds: Credentials, draft: MeetingDraft) -> Meeting | None:
        """The caller's meeting with the draft's title and start, if Webex has it."""
        page = await self.list_meetings(
            creds,
            starts_after=draft.start - timedelta(minutes=1),
            starts_before=draft.start + timedelta(minutes=1),
            page_size=MAX_PAGE_SIZE,
        )
        return next((m for m in page.meetings if m.topic == draft.topic and m.start == draft.start), None)

    async def _links(self, creds: Credentials, body: Mapping[str, Any]) -> dict[str, Any]:
        answer = await self._api.call(
            "meetings.join", "POST", "/meetings/join", creds.access_token, body=body
        )
        return _object(answer.body, "meetings.join")

    async def _invitees(self, creds: Credentials, meeting_id: str) -> list[tuple[str, str, str]]:
        """(invitee id, email, name) of every invitee, following the pages."""
        found: list[tuple[str, str, str]] = []
        params: dict[str, str] | None = {"meetingId": meeting_id, "max": str(MAX_PAGE_SIZE)}
        while params is not None:
            answer = await self._api.call(
                "invitees.list", "GET", "/meetingInvitees", creds.access_token, params=params
            )
            for item in _items(answer.body):
                email = _text(item.get("email"))
                if email:
                    found.append((_text(item.get("id")), email, _text(item.get("displayName"))))
            next_query = _next_query(answer.headers, self._api.base_url + "/meetingInvitees")
            params = dict(parse_qsl(next_query)) if next_query else None
            if params is not None:
                params["meetingId"] = meeting_id
        return found

    async def _set_invitees(self, creds: Credentials, meeting_id: str, wanted: Sequence[Invitee]) -> None:
        """Make the invitees `wanted`: those missing are added, those no longer wanted removed."""
        current = await self._invitees(creds, meeting_id)
        have = {email.casefold() for _, email, _ in current}
        keep = {invitee.email.casefold() for invitee in wanted}
        for invitee in wanted:
            if invitee.email.casefold() not in have:
                body = {"meetingId": meeting_id, **_invitee_json(invitee), "sendEmail": True}
                try:
                    await self._api.call(
                        "invitees.create", "POST", "/meetingInvitees", creds.access_token, body=body
                    )
                except _Conflict:
                    pass  # invited meanwhile: what was wanted
        for invitee_id, email, _ in current:
            if email.casefold() not in keep and invitee_id:
                path = "/meetingInvitees/" + _checked_id(invitee_id)
                await self._api.call("invitees.delete", "DELETE", path, creds.access_token)

    def _next_cursor(self, headers: httpx.Headers, first: Mapping[str, str]) -> str | None:
        query = _next_query(headers, self._api.base_url + "/meetings")
        if query is None:
            return None
        params = dict(parse_qsl(query))
        # Next links have been seen with `max=null` and without the filters: the first page's come back.
        for key, value in first.items():
            if params.get(key) in (None, "", "null"):
                params[key] = value
        return urlencode(sorted(params.items()))


class RestAuthorizationServer:
    """bot.services.ports.AuthorizationServer for a Webex integration on webexapis.com (PKCE S256).

    The token answer does not say who signed in: the code exchange asks `GET /people/me` and fills in
    the person id, their email and their site, as the XML side's token answer carries them.
    """

    def __init__(self, oauth: WebexOAuth, api: RestApi) -> None:
        self._oauth = oauth
        self._api = api

    def new_code_verifier(self) -> str:
        # RFC 7636: 43-128 characters; 48 random bytes give 64.
        return secrets.token_urlsafe(48)

    def authorize_url(self, *, state: str, code_verifier: str, scopes: Sequence[str]) -> str:
        return self._oauth.authorize_url(state=state, code_challenge=s256(code_verifier), scopes=scopes)

    async def exchange_code(self, code: str, code_verifier: str) -> TokenGrant:
        grant = await self._oauth.exchange_code(code, code_verifier)
        try:
            person, site = await self._api.person_and_site(grant.access_token)
        except ports.BackendError as exc:
            raise ports.AuthorizationServerUnavailable(f"GET /people/me failed: {exc.reason}") from None
        return replace(grant, user_name=person.user_id, email=person.email, site=site)

    async def refresh(self, refresh_token: str) -> TokenGrant:
        return await self._oauth.refresh(refresh_token)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# ---- errors -----------------------------------------------------------------------------------


class _Conflict(ports.BackendRefused):
    """HTTP 409: the change conflicts with what is there (an invitee already invited)."""


# Webex answered and refused: logged as a refusal in one line, as the XML adapter's FAILUREs are.
class MeetingGone(ports.BackendRefused, ports.MeetingNotFound):
    """HTTP 404 (or 410), or no meeting with that number: unknown, deleted, or not the caller's to see."""


class TokenRefused(ports.BackendRefused, ports.CredentialsRejected):
    """HTTP 401: the access token is expired or revoked."""


def _answer(operation: str, method: str, status: int, headers: httpx.Headers, data: bytes) -> _Answer:
    if 200 <= status < 300:
        if status == 204 or method == "DELETE" or not data:
            return _Answer(status, headers)
        try:
            return _Answer(status, headers, json.loads(data))
        except (ValueError, UnicodeDecodeError):
            raise WebexUnavailable(
                f"Webex's answer to {operation} is not JSON.", outcome_unknown=True, status_code=status
            ) from None
    said, message = _error_message(data)
    reason = f"{operation}: HTTP {status}: {message}" if message else f"{operation}: HTTP {status}"
    if status == 401:
        raise TokenRefused(reason)
    if status == 403:
        raise ports.NotPermitted(reason)
    if status in (404, 410):
        raise MeetingGone(reason)
    if status == 409:
        raise _Conflict(reason)
    if status in (423, 429):
        wait = _retry_after(headers.get("retry-after"))
        raise WebexRateLimited(
            f"Webex is rate limiting {operation} (HTTP {status}).",
            retry_after=wait if wait is not None else DEFAULT_RETRY_AFTER,
            status_code=status,
        )
    if status >= 500:
        # 503 says the request was not handled; another 5xx may come after Webex acted.
        raise WebexUnavailable(
            f"Webex is unavailable (HTTP {status}) for {operation}.",
            outcome_unknown=status != 503,
            status_code=status,
        )
    raise ports.RequestRejected(reason, field=_field_of(said), said=said)


def _error_message(data: bytes) -> tuple[str, str]:
    """Webex's `message` and each `errors[].description` (what it said, fit to show), and the same with
    its trackingId, for logs."""
    try:
        body = json.loads(data[:65536]) if data else None
    except (ValueError, UnicodeDecodeError):
        text = data[:200].decode("utf-8", "replace").strip()
        return text, text
    if not isinstance(body, dict):
        return "", ""
    parts = [_text(body.get("message"))]
    errors = body.get("errors")
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict):
            parts.append(_text(item.get("description")))
    said = " ".join(part for part in parts if part)[:500]
    if body.get("trackingId"):
        parts.append(f"trackingId {_text(body.get('trackingId'))}")
    return said, " ".join(part for part in parts if part)[:500]


def _field_of(message: str) -> str:
    lowered = message.lower()
    for word, name in _FIELDS:
        if word in lowered:
            return name
    return ""


# ---- values -----------------------------------------------------------------------------------


def _meeting(item: Mapping[str, Any]) -> Meeting:
    meeting_id = _text(item.get("id"))
    start, end = _instant(item.get("start")), _instant(item.get("end"))
    if not meeting_id or start is None or end is None:
        raise WebexUnavailable("Webex's meeting has no id, start or end.", outcome_unknown=True)
    zone = _text(item.get("timezone"))
    recurrence = None
    rule = _text(item.get("recurrence"))
    if rule:
        try:
            recurrence = rrule_to_recurrence(rule, _zone(zone) or UTC)
        except (RRuleUnreadable, ValueError):
            logger.info("a Webex recurrence this product cannot show: %s", rule[:120])
    return Meeting(
        meeting_id=meeting_id,
        number=_digits(item.get("meetingNumber")),
        topic=_text(item.get("title")),
        start=start,
        duration_minutes=max(0, round((end - start).total_seconds() / 60)),
        time_zone=zone if zone and _zone(zone) is not None else "UTC",
        host_id=_text(item.get("hostUserId")),
        agenda=_text(item.get("agenda")),
        in_progress=item.get("state") == "inProgress",
        password=_text(item.get("password")),
        host_key=_text(item.get("hostKey")),
        recurrence=recurrence,
    )


def _rule(recurrence: Recurrence) -> str:
    """The RRULE as Webex keeps it, INTERVAL always said (`FREQ=WEEKLY;INTERVAL=1;BYDAY=...`)."""
    rule = recurrence_to_rrule(recurrence)
    if "INTERVAL=" in rule:
        return rule
    frequency, _, rest = rule.partition(";")
    return f"{frequency};INTERVAL=1" + (f";{rest}" if rest else "")


def _join_body(which: str, meeting: str, name: str | None, email: str | None) -> dict[str, Any]:
    """POST /meetings/join for the meeting named by `which` (meetingId or meetingNumber)."""
    body: dict[str, Any] = {which: meeting, "joinDirectly": False}
    if email:
        body["email"] = email
        if name:
            body["displayName"] = name[:128]
    return body


def _invitee_json(invitee: Invitee) -> dict[str, str]:
    entry = {"email": invitee.email}
    if invitee.name:
        entry["displayName"] = invitee.name[:128]
    return entry


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Webex answers in UTC unless asked for a zone
    return parsed.astimezone(UTC)


def _instant_text(instant: datetime, zone: str) -> str:
    """ISO 8601 with the zone's own offset at that instant (`2026-12-08T09:00:00-05:00`), Z for UTC."""
    local = instant.astimezone(_zone(zone) or UTC).replace(microsecond=0)
    text = local.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _zone(name: str) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _rest_zone(time_zone: str, home_time_zone: str = "") -> str:
    """The IANA zone Webex shows the meeting in: the meeting's own, else the person's, else UTC.

    A fixed offset (`UTC+05:45`) is no IANA name; the start instant is the same in any zone."""
    for name in (time_zone, home_time_zone):
        if _zone(name) is not None:
            return name
    return "UTC"


def _site(urls: Any) -> str:
    for url in urls if isinstance(urls, list) else []:
        if isinstance(url, str) and url:
            host = url.split("#", 1)[0].strip().lower()
            host = urlsplit(host if "//" in host else f"//{host}").hostname or ""
            label = host.split(".", 1)[0]
            if label:
                return label
    return ""


def _object(body: Any, operation: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise WebexUnavailable(f"Webex's answer to {operation} is not a JSON object.", outcome_unknown=True)
    return body


def _items(body: Any) -> list[dict[str, Any]]:
    items = _object(body, "list").get("items")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _digits(value: Any) -> str:
    return _NUMBER_SEPARATORS.sub("", value) if isinstance(value, str) else str(value or "")


def _link(links: Mapping[str, Any], name: str) -> str:
    url = _text(links.get(name))
    if not url.startswith(("https://", "http://")):
        raise WebexUnavailable(f"Webex's join answer has no usable {name}.")
    return url


def _checked_id(value: str) -> str:
    """An id goes into a path: only the characters Webex's ids use (hex, digits, `_`, letters, `=`)."""
    if not value or not re.fullmatch(r"[A-Za-z0-9_=-]{1,200}", value):
        raise MeetingGone(f"{value!r} is not a Webex id")
    return value


def _next_query(headers: httpx.Headers, expected: str) -> str | None:
    """The query of the `rel="next"` link when it points where the first page came from, else None."""
    for value in headers.get_list("link"):
        for part in value.split(","):
            match = re.match(r"\s*<([^>]*)>\s*;(.*)", part)
            if match is None or not re.search(r'rel\s*=\s*"?next"?', match.group(2)):
                continue
            url = urlsplit(match.group(1))
            want = urlsplit(expected)
            if (url.scheme, url.netloc, url.path.rstrip("/")) != (want.scheme, want.netloc, want.path):
                logger.warning("ignoring a next link to another address: %s", match.group(1)[:200])
                return None
            return url.query
    return None


def _cursor_params(cursor: str, first: Mapping[str, str]) -> dict[str, str]:
    """The next page's query from a cursor this adapter made; anything else is refused."""
    params = dict(parse_qsl(cursor, keep_blank_values=True))
    if not params or not set(params) <= _CURSOR_KEYS:
        raise ports.RequestRejected(
            f"{cursor[:80]!r} is not a place in a Webex meeting list.", field="cursor"
        )
    return {**first, **params}
