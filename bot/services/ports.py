"""The seams between the use cases and a meeting backend: what a backend must do, in the product's words.

The values a backend takes and returns are the domain's (bot.domain.meetings), re-exported here so
an adapter imports everything it implements from this one module.

A backend (the Webex XML API or the REST API) is one adapter module that implements
`MeetingBackend` and `AuthorizationServer` over the neutral values and raises (subclasses of) the
neutral errors below; `bot/bootstrap.py` picks it. Nothing here knows XML, JSON, timeZoneIDs, 1-based
offsets or operation names: those stay inside the adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.domain.accounts import TokenGrant
from bot.domain.meeting_rules import MeetingLimits
from bot.domain.meetings import (
    BackendUser,
    CreatedMeeting,
    Invitee,
    Meeting,
    MeetingChanges,
    MeetingDraft,
    MeetingPage,
    Recording,
)
from bot.domain.recurrence import Frequency, Recurrence

__all__ = [
    "AuthorizationFailed",
    "AuthorizationServer",
    "AuthorizationServerUnavailable",
    "BackendError",
    "BackendRefused",
    "BackendUnavailable",
    "BackendUser",
    "Frequency",
    "CreatedMeeting",
    "Credentials",
    "CredentialsRejected",
    "GrantRevoked",
    "Invitee",
    "Meeting",
    "MeetingBackend",
    "MeetingChanges",
    "MeetingDraft",
    "MeetingNotFound",
    "MeetingNotVisible",
    "MeetingPage",
    "NotPermitted",
    "PasswordRequired",
    "Recurrence",
    "RateLimited",
    "Recording",
    "RecordingNotFound",
    "RequestRejected",
    "TimedOut",
    "MeetingLimits",
    "TokenGrant",
]


# ---- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """Who calls: the site, the user's id at the backend (or, before it is known, their email), the token."""

    site: str  # the site name ("acme" for acme.webex.com); "" lets the backend use the user's default
    user_id: str  # the backend's own id of the user (XML: webExID; REST: the person id)
    access_token: str = field(repr=False)
    email: str = ""


# ---- the meeting backend -----------------------------------------------------------------------


class MeetingBackend(Protocol):
    """Meetings of the user whose credentials are given. One instance per process, no per-user state.

    Every method may raise `CredentialsRejected` (refresh the token once and retry once),
    `BackendUnavailable` and `BackendRefused` (or their subclasses below).
    """

    # The longest topic and agenda and the durations it stores, checked before a request is sent (and in
    # a form's ack).
    meeting_limits: MeetingLimits
    # Whether a meeting's id is the number people see (the XML API), so a meeting gone from Webex can
    # still be named by it; the REST API's ids are never shown.
    ids_are_numbers: bool

    async def schedule(self, creds: Credentials, draft: MeetingDraft) -> CreatedMeeting:
        """Create the meeting (invitees are emailed). A lost answer raises BackendUnavailable with
        `outcome_unknown=True`: the meeting may exist, so look for it before creating it again."""
        ...

    async def meeting(self, creds: Credentials, meeting_id: str) -> Meeting:
        """The meeting as the backend has it now; MeetingNotFound when it is gone."""
        ...

    async def meeting_id_for(self, creds: Credentials, number: str) -> str:
        """The id of the meeting people know by `number` (digits only); MeetingNotFound when none."""
        ...

    async def change(self, creds: Credentials, meeting_id: str, changes: MeetingChanges) -> None:
        """Apply only what `changes` carries."""
        ...

    async def cancel(self, creds: Credentials, meeting_id: str) -> None:
        """Delete the meeting; MeetingNotFound when it was already gone."""
        ...

    async def list_meetings(
        self,
        creds: Credentials,
        *,
        starts_after: datetime,
        starts_before: datetime | None,
        page_size: int,
        cursor: str | None = None,
    ) -> MeetingPage:
        """The caller's own meetings starting in [starts_after, starts_before], by start, ascending."""
        ...

    async def join_link(
        self, creds: Credentials, meeting_id: str, *, name: str | None = None, email: str | None = None
    ) -> str:
        """The link an attendee opens; the name and email prefill the join form."""
        ...

    async def join_link_by_number(
        self, creds: Credentials, number: str, *, name: str | None = None, email: str | None = None
    ) -> str:
        """The join link of the meeting people know by `number` (digits only), whoever hosts it, when
        the backend lets the caller join it; MeetingNotFound when there is no such meeting, or
        MeetingNotVisible when the backend may be hiding one from the caller."""
        ...

    async def host_link(self, creds: Credentials, meeting_id: str) -> str:
        """A short-lived link that starts the meeting as its host. Never share it."""
        ...

    async def who_am_i(self, creds: Credentials) -> BackendUser:
        """The user the credentials belong to."""
        ...

    async def list_recordings(
        self, creds: Credentials, *, created_after: datetime, limit: int
    ) -> tuple[Recording, ...]:
        """The caller's own recordings made after `created_after`, newest first, at most `limit`."""
        ...

    async def rename_recording(self, creds: Credentials, recording_id: str, name: str) -> None:
        """Give one of the caller's recordings a new name; RecordingNotFound when it is not theirs or
        gone. Needs the recording-modify scope (NotPermitted without it). XML: SetRecordingInfo
        (basic/topic). The REST API has no operation that renames a recording (GET and DELETE only), so a
        REST adapter raises NotPermitted here."""
        ...


# ---- the authorization server ------------------------------------------------------------------


class AuthorizationServer(Protocol):
    """The backend's OAuth 2.0 server: where a person approves access, and where tokens come from."""

    def new_code_verifier(self) -> str:
        """A fresh PKCE verifier in the form this server accepts."""
        ...

    def authorize_url(self, *, state: str, code_verifier: str, scopes: Sequence[str]) -> str:
        """Where to send the browser; the server sends it back to the redirect URI with a code.
        The adapter derives the PKCE challenge from `code_verifier` in the method its server takes."""
        ...

    async def exchange_code(self, code: str, code_verifier: str) -> TokenGrant:
        """The tokens for an authorization code. Raises AuthorizationFailed (or a subclass)."""
        ...

    async def refresh(self, refresh_token: str) -> TokenGrant:
        """New tokens for a refresh token. Raises GrantRevoked when the person must connect again."""
        ...


# ---- errors ------------------------------------------------------------------------------------


class BackendError(Exception):
    """Anything a backend reports. `reason` is for logs and developers, never shown raw to people."""

    def __init__(self, reason: str = "", *args: object) -> None:
        super().__init__(reason, *args)
        self.reason = reason


class MeetingNotFound(BackendError):
    """No meeting with that id or number, or it was deleted."""


class RecordingNotFound(BackendError):
    """No recording of the caller's with that id."""


class CredentialsRejected(BackendError):
    """The access token was refused (expired or revoked): refresh it once and retry once."""


class BackendUnavailable(BackendError):
    """The backend could not be used: network, timeout, an HTTP error status, an unreadable answer.

    `outcome_unknown`: the request may have been carried out although no usable answer came back, so
    a create may have happened (look before creating again). `timed_out`: no answer in time (the
    outcome is then unknown too). `retry_after`: seconds to wait, when the backend said.
    """

    def __init__(
        self,
        reason: str = "",
        *args: object,
        outcome_unknown: bool = False,
        timed_out: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason, *args)
        self.timed_out = timed_out
        self.outcome_unknown = outcome_unknown or timed_out
        self.retry_after = retry_after


class TimedOut(BackendUnavailable):
    """The backend did not answer in time; whether it acted on the request is unknown."""

    def __init__(self, reason: str = "", *args: object, retry_after: float | None = None) -> None:
        super().__init__(reason, *args, timed_out=True, retry_after=retry_after)


class RateLimited(BackendUnavailable):
    """The backend throttled the caller; nothing was done."""


class BackendRefused(BackendError):
    """The backend understood the request and refused it; `reason` says why (for logs)."""


class NotPermitted(BackendRefused):
    """The user may not do this: another host's meeting, or a missing privilege or scope."""


class MeetingNotVisible(BackendRefused, MeetingNotFound):
    """No meeting by that number among those the backend shows the caller. One may exist that they are
    neither host nor invitee of: the REST API gives its join link only with the meeting password."""


class PasswordRequired(BackendRefused):
    """The site requires a meeting password and none was given."""


class RequestRejected(BackendRefused):
    """The request was refused as invalid; `field` names the input at fault when known (`topic`,
    `agenda`, `start`, `duration`, `password`, `meeting`, `invitees`, `time_zone`), for a form to show;
    `said` is why in the backend's own words, fit to show the person ("" when `reason` is)."""

    def __init__(self, reason: str = "", *args: object, field: str = "", said: str = "") -> None:
        super().__init__(reason, *args)
        self.field = field
        self.said = said


class AuthorizationFailed(Exception):
    """The authorization server refused a token request: an RFC 6749 `error` code and a description."""

    def __init__(self, error: str, description: str = "", *, status_code: int | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status_code = status_code


class GrantRevoked(AuthorizationFailed):
    """The code or refresh token is expired, used or revoked: the person must connect again."""


class AuthorizationServerUnavailable(AuthorizationFailed):
    """The token endpoint failed (5xx, network, timeout, unreadable answer): try again later."""

    def __init__(
        self,
        description: str = "",
        *,
        status_code: int | None = None,
        timed_out: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__("temporarily_unavailable", description, status_code=status_code)
        self.timed_out = timed_out
        self.retry_after = retry_after
