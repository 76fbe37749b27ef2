"""Typed errors of the Webex side: what went wrong, precisely enough for callers to decide what to do.

Each subclasses the neutral error of the backend ports (bot.services.ports), so the use cases catch
those and never these; `exception_id` and the XML-only kinds stay here.
"""

from __future__ import annotations

from bot.services import ports


class WebexError(ports.BackendError):
    """Anything the Webex side reports. `reason` is for logs and developers, never shown raw to users."""

    def __init__(self, reason: str, exception_id: str = "") -> None:
        super().__init__(f"{reason} ({exception_id})" if exception_id else reason)
        self.reason = reason
        self.exception_id = exception_id


class WebexFailure(WebexError, ports.BackendRefused):
    """Webex answered FAILURE with an exceptionID no more precise type below covers."""


class AccessTokenInvalid(WebexFailure, ports.CredentialsRejected):
    """The credentials were refused (expired or revoked token): refresh once and retry once."""


class MeetingNotFound(WebexFailure, ports.MeetingNotFound):
    """No meeting with that key on the site (060001), or it was deleted."""


class AccessDenied(WebexFailure, ports.NotPermitted):
    """The user may not do this: missing privilege or scope (000001) or another host's meeting."""


class PasswordRequired(WebexFailure, ports.PasswordRequired):
    """The site requires a meeting password and none was given (060026)."""


class InvalidRequest(WebexFailure, ports.RequestRejected):
    """The request cannot be sent or was refused as invalid: bad time, too long a text, a bad key.

    `field` names the input at fault when it is known (`topic`, `agenda`, `start`, `duration`,
    `password`, `meeting_key`, `invitees`, `site`, `time_zone_id`), so a form can show the error beside it.
    """

    def __init__(self, reason: str, exception_id: str = "", *, field: str = "") -> None:
        super().__init__(reason, exception_id)
        self.field = field


class UserNotFound(WebexFailure):
    """No Webex user with that webExID on the site (030001)."""


class NoRecordsFound(WebexFailure):
    """Webex's way of saying a list is empty (000015); the list operations turn it into an empty result."""


class WebexUnavailable(WebexError, ports.BackendUnavailable):
    """Webex could not be used: network error, timeout, HTTP error status, malformed or unsafe XML.

    `timed_out`: Webex did not answer in time. `outcome_unknown`: the request may have been carried
    out although no usable answer came back (a timeout, a dropped connection after sending, a 5xx
    other than 503, an unreadable answer): a create may have happened, so look before creating
    again. A refused connection, a 503 or a 429 leave nothing done. `status_code` is the HTTP status.
    `stale_connection`: the request went out on a connection kept open from an earlier one, which
    was dropped before any answer; most likely Webex never saw it (a read is sent again on its own;
    a create is not, so its caller looks for the meeting first).
    """

    def __init__(
        self,
        reason: str,
        exception_id: str = "",
        *,
        timed_out: bool = False,
        outcome_unknown: bool = False,
        status_code: int | None = None,
        stale_connection: bool = False,
    ) -> None:
        super().__init__(reason, exception_id)
        self.timed_out = timed_out
        self.outcome_unknown = outcome_unknown or timed_out or stale_connection
        self.status_code = status_code
        self.retry_after: float | None = None
        self.stale_connection = stale_connection


class WebexTimeout(WebexUnavailable, ports.TimedOut):
    """Webex did not answer in time; whether it acted on the request is unknown."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        super().__init__(reason, timed_out=True, status_code=status_code)


class WebexRateLimited(WebexUnavailable, ports.RateLimited):
    """Webex throttled the caller (HTTP 429 or a rate-limit FAILURE); `retry_after` in seconds, if known."""

    def __init__(
        self,
        reason: str,
        exception_id: str = "",
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(reason, exception_id, status_code=status_code)
        self.retry_after = retry_after


class OAuthError(ports.AuthorizationFailed):
    """The token endpoint refused a request with an RFC 6749 `error` code and an optional description."""


class InvalidGrant(OAuthError, ports.GrantRevoked):
    """The code or refresh token is expired, used or revoked: the user must connect again."""


class TokenEndpointUnavailable(OAuthError, ports.AuthorizationServerUnavailable):
    """The token endpoint failed (5xx, network, timeout, unreadable answer): try again later."""
