"""Webex's REST error answers: the `message` / `errors[].description` / `trackingId` body and its status."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Final

UNAUTHORIZED: Final = "The request requires a valid access token set in the Authorization request header."
FORBIDDEN: Final = (
    "The server understood the request, but refused to fulfill it because the access token is missing "
    "required scopes or the user is missing required roles or licenses."
)
NOT_FOUND: Final = "Cannot find the data"
ALREADY_DELETED: Final = "Meeting data not found(or null)"
MALFORMED: Final = "The request could not be understood by the server due to malformed syntax."
INVALID_ITEMS: Final = "The input parameters contain invalid items."
RATE_LIMITED: Final = "Too many requests have been sent in a given amount of time. Retry after some time."
LOCKED: Final = "The resource is temporarily unavailable. Retry after some time."
SERVER_TROUBLE: Final = "The server is having trouble answering the request. Retry after some time."
RECORDING_NOT_FOUND: Final = "Recording not found"


class RestError(Exception):
    """A REST call that ends with an error status and Webex's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *descriptions: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {message}" + "".join(f" ({d})" for d in descriptions))
        self.status = status
        self.message = message
        self.descriptions = descriptions
        self.headers = headers or {}

    def body(self, tracking_id: str) -> dict[str, object]:
        body: dict[str, object] = {"message": self.message}
        if self.descriptions:
            body["errors"] = [{"description": description} for description in self.descriptions]
        body["trackingId"] = tracking_id
        return body


def invalid(*descriptions: str) -> RestError:
    """400 for a value Webex refuses (a title too long, a start in the past, ...)."""
    return RestError(400, INVALID_ITEMS, *descriptions)


def malformed(*descriptions: str) -> RestError:
    """400 for a request Webex cannot read (bad JSON, a parameter of the wrong type, ...)."""
    return RestError(400, MALFORMED, *descriptions)


def unauthorized() -> RestError:
    return RestError(401, UNAUTHORIZED)


def forbidden() -> RestError:
    return RestError(403, FORBIDDEN)


def not_found() -> RestError:
    return RestError(404, NOT_FOUND)


def new_tracking_id(now: datetime) -> str:
    """`<32 hex>_<epoch ms>`, the shape of Webex's newer tracking ids."""
    return f"{secrets.token_hex(16).upper()}_{int(now.timestamp() * 1000)}"
