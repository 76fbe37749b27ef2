"""The FAILURE answers the emulated XML API gives: exceptionIDs and reasons in one place."""

from __future__ import annotations

from typing import Final

# Codes seen from real Webex servers (see the XML API reference, section 4.2).
ACCESS_DENIED_EXCEPTION_ID: Final = "000001"
NO_RECORDS_EXCEPTION_ID: Final = "000015"
USER_NOT_FOUND_EXCEPTION_ID: Final = "030001"
INCORRECT_PASSWORD_EXCEPTION_ID: Final = "030002"
INVALID_SESSION_TICKET_EXCEPTION_ID: Final = "030047"
MEETING_NOT_FOUND_EXCEPTION_ID: Final = "060001"
HOST_NOT_FOUND_EXCEPTION_ID: Final = "060019"
MAY_NOT_SCHEDULE_FOR_HOST_EXCEPTION_ID: Final = "060021"
PASSWORD_REQUIRED_EXCEPTION_ID: Final = "060026"

# Codes the emulator chose where Webex's own is unknown. Clients should match the reason text for
# the access-token case ("WebEx access token is invalid"), as production clients do.
INVALID_ACCESS_TOKEN_EXCEPTION_ID: Final = "030048"
SITE_NOT_FOUND_EXCEPTION_ID: Final = "030050"
INVALID_REQUEST_EXCEPTION_ID: Final = "999999"
RATE_LIMITED_EXCEPTION_ID: Final = "000429"

INVALID_ACCESS_TOKEN_REASON: Final = "WebEx access token is invalid"
ACCESS_DENIED_REASON: Final = "Access denied, additional privileges are required"
NO_RECORDS_REASON: Final = "Sorry, no record found"
MEETING_NOT_FOUND_REASON: Final = "Corresponding Meeting not found"
PASSWORD_REQUIRED_REASON: Final = "Meeting password must not be null"
RATE_LIMITED_REASON: Final = "Request rate exceeded the limit, please retry later"


class XmlFailure(Exception):
    """An operation's FAILURE answer: becomes `serv:result FAILURE` with this reason and exceptionID."""

    def __init__(self, exception_id: str, reason: str) -> None:
        super().__init__(f"{exception_id}: {reason}")
        self.exception_id = exception_id
        self.reason = reason


def invalid_request(reason: str) -> XmlFailure:
    return XmlFailure(INVALID_REQUEST_EXCEPTION_ID, reason)


def access_denied() -> XmlFailure:
    return XmlFailure(ACCESS_DENIED_EXCEPTION_ID, ACCESS_DENIED_REASON)


def meeting_not_found() -> XmlFailure:
    return XmlFailure(MEETING_NOT_FOUND_EXCEPTION_ID, MEETING_NOT_FOUND_REASON)


def no_records() -> XmlFailure:
    return XmlFailure(NO_RECORDS_EXCEPTION_ID, NO_RECORDS_REASON)


def invalid_access_token() -> XmlFailure:
    return XmlFailure(INVALID_ACCESS_TOKEN_EXCEPTION_ID, INVALID_ACCESS_TOKEN_REASON)
