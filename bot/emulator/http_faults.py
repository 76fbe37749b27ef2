"""How injected faults become HTTP answers at the XML service and the token endpoint."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from starlette.requests import Request
from starlette.responses import Response

from bot.emulator.errors import RATE_LIMITED_EXCEPTION_ID, RATE_LIMITED_REASON
from bot.emulator.faults import Fault, FaultKind
from bot.emulator.wire import SERV, XML_DECLARATION, failure_document

XML_HEADERS = {"Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "Thu, 01 Jan 1970 00:00:00 GMT"}
XML_MEDIA_TYPE = "text/xml;charset=UTF-8"
JSON_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_TRUNCATED_XML = (
    XML_DECLARATION
    + f'<serv:message xmlns:serv="{SERV}"><serv:header><serv:response><serv:result>SUCC'.encode()
)
_TRUNCATED_JSON = b'{"access_token": "'
_HANG_POLL_SECONDS = 0.02


async def delay(faults: list[Fault]) -> None:
    for fault in faults:
        if fault.kind is FaultKind.LATENCY and fault.seconds > 0:
            await asyncio.sleep(fault.seconds)


def terminal(faults: list[Fault]) -> Fault | None:
    return next((fault for fault in faults if fault.terminal), None)


async def hang(request: Request, fault: Fault, release: threading.Event) -> None:
    """Hold the request until the client gives up, the fault is cleared, or `fault.seconds` pass."""
    deadline = time.monotonic() + fault.seconds
    while time.monotonic() < deadline and not release.is_set():
        if await request.is_disconnected():
            return
        await asyncio.sleep(_HANG_POLL_SECONDS)


def _json(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"error": error, "error_description": description}).encode()
    return Response(
        body, status_code=status, media_type="application/json", headers={**JSON_HEADERS, **(headers or {})}
    )


def xml_fault_response(fault: Fault, package: str) -> Response:
    """The XML service's answer for a terminal fault (after any hang has ended)."""
    if fault.kind is FaultKind.MALFORMED:
        return Response(_TRUNCATED_XML, media_type=XML_MEDIA_TYPE, headers=XML_HEADERS)
    if fault.kind is FaultKind.FAILURE:
        reason = fault.reason or f"Injected failure {fault.exception_id}"
        return Response(
            failure_document(package, fault.exception_id, reason),
            media_type=XML_MEDIA_TYPE,
            headers=XML_HEADERS,
        )
    if fault.kind is FaultKind.RATE_LIMITED:
        if fault.style == "webex":
            body = failure_document(package, RATE_LIMITED_EXCEPTION_ID, RATE_LIMITED_REASON)
            return Response(body, media_type=XML_MEDIA_TYPE, headers=XML_HEADERS)
        return Response(
            b"Too Many Requests",
            status_code=429,
            media_type="text/plain",
            headers={"Retry-After": str(fault.retry_after)},
        )
    status = fault.status if fault.kind is FaultKind.HTTP_ERROR else 504
    return Response(f"Emulated HTTP {status}".encode(), status_code=status, media_type="text/plain")


def token_fault_response(fault: Fault) -> Response:
    """The token endpoint's answer for a terminal fault; a FAILURE fault's exception_id is the OAuth error."""
    if fault.kind is FaultKind.MALFORMED:
        return Response(_TRUNCATED_JSON, media_type="application/json", headers=JSON_HEADERS)
    if fault.kind is FaultKind.FAILURE:
        return _json(400, fault.exception_id or "server_error", fault.reason or "Injected failure")
    if fault.kind is FaultKind.RATE_LIMITED:
        return _json(429, "rate_limited", RATE_LIMITED_REASON, {"Retry-After": str(fault.retry_after)})
    status = fault.status if fault.kind is FaultKind.HTTP_ERROR else 504
    return _json(status, "temporarily_unavailable", f"Emulated HTTP {status}")
