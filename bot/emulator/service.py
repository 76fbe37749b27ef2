"""`POST /WBXService/XMLService`: authenticate the securityContext, run the operation, answer HTTP 200."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from bot.emulator import http_faults
from bot.emulator.errors import (
    INCORRECT_PASSWORD_EXCEPTION_ID,
    INVALID_SESSION_TICKET_EXCEPTION_ID,
    SITE_NOT_FOUND_EXCEPTION_ID,
    XmlFailure,
    access_denied,
    invalid_access_token,
    invalid_request,
)
from bot.emulator.faults import FaultKind
from bot.emulator.operations import OPERATIONS, Call
from bot.emulator.requestlog import log_request
from bot.emulator.state import SCOPES, Site, SiteState
from bot.emulator.tokens import lookup
from bot.emulator.wire import ResponseBuilder, XmlRequest, parse_request

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

_NO_SITE = SiteState(Site("", 0))


@dataclass(frozen=True)
class XmlAnswer:
    body: bytes
    operation: str
    package: str
    result: str
    exception_id: str
    site: str
    user: str


def _authenticate(emulator: Emulator, request: XmlRequest, needs_user: bool) -> Call:
    security = request.security
    state = emulator.state
    now = emulator.now()
    site_name = security.get("siteName", "")
    site = state.site_state(site_name) if site_name else None
    if site is None and security.get("siteID"):
        site = next((s for s in state.sites.values() if str(s.site.site_id) == security["siteID"]), None)
    if site is None:
        if not needs_user and not site_name:
            return Call(state, now, _NO_SITE, None, frozenset(), emulator.public_url)
        raise XmlFailure(
            SITE_NOT_FOUND_EXCEPTION_ID, f"Site not found: {site_name or security.get('siteID', '')}"
        )
    if not needs_user:
        return Call(state, now, site, None, frozenset(), emulator.public_url)
    name = security.get("webExID") or security.get("email") or ""
    token = security.get("webExAccessToken")
    if token:
        issued = lookup(state, token, "access", now)
        if issued is None or issued.site.lower() != site.site.name.lower():
            raise invalid_access_token()
        owner = state.find_user(issued.site, issued.webex_id)
        if owner is None or (name and not owner.matches(name)):
            raise invalid_access_token()
        return Call(state, now, site, owner, frozenset(issued.scopes), emulator.public_url)
    if security.get("sessionTicket"):
        raise XmlFailure(INVALID_SESSION_TICKET_EXCEPTION_ID, "Not a valid session ticket")
    password = security.get("password")
    user = state.find_user(site.site.name, name) if name else None
    if user is None or password is None or user.password is None or user.password != password:
        raise XmlFailure(INCORRECT_PASSWORD_EXCEPTION_ID, "Incorrect user or password")
    return Call(state, now, site, user, frozenset(SCOPES), emulator.public_url)


def answer(emulator: Emulator, request: XmlRequest) -> XmlAnswer:
    """Run one parsed request to completion (no faults): the response bytes and what happened."""
    operation = OPERATIONS.get(request.operation)
    package = operation.package if operation is not None else request.package
    site_name = request.security.get("siteName", "")
    user_name = request.security.get("webExID") or request.security.get("email") or ""
    try:
        if operation is None or operation.package != request.package:
            raise invalid_request(f"Unsupported operation {request.package}.{request.operation}")
        if emulator.strict:
            errors = emulator.request_schema().validate(
                request.body, package=request.package, operation=request.operation
            )
            if errors:
                raise invalid_request(f"Request does not match the schema: {errors[0]}")
        with emulator.state.lock:
            call = _authenticate(emulator, request, needs_user=operation.scope is not None)
            if operation.scope is not None and operation.scope not in call.scopes:
                raise access_denied()
            builder = ResponseBuilder(package)
            content = builder.success(operation.response_type)
            operation.run(call, request.body, content)
        if call.caller is not None:
            user_name = call.caller.webex_id
        return XmlAnswer(builder.to_bytes(), request.operation, package, "SUCCESS", "", site_name, user_name)
    except XmlFailure as failure:
        failed = ResponseBuilder(package)
        failed.failure(failure.exception_id, failure.reason)
        return XmlAnswer(
            failed.to_bytes(),
            request.operation,
            package,
            "FAILURE",
            failure.exception_id,
            site_name,
            user_name,
        )


def answer_bytes(emulator: Emulator, raw: bytes) -> XmlAnswer:
    """Parse and answer raw request bytes (what the HTTP endpoint does, minus faults)."""
    try:
        request = parse_request(raw)
    except XmlFailure as failure:
        failed = ResponseBuilder("meeting")
        failed.failure(failure.exception_id, failure.reason)
        return XmlAnswer(failed.to_bytes(), "unknown", "meeting", "FAILURE", failure.exception_id, "", "")
    return answer(emulator, request)


async def xml_service(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    started = time.perf_counter()
    raw = await request.body()
    emulator.state.counters.xml_requests += 1
    try:
        parsed: XmlRequest | None = parse_request(raw)
        operation = parsed.operation if parsed else "unknown"
    except XmlFailure:
        parsed, operation = None, "unknown"
    faults = emulator.faults.take(operation)
    if faults:
        await http_faults.delay(faults)
        fault = http_faults.terminal(faults)
        if fault is not None:
            if fault.kind is FaultKind.HANG:
                await http_faults.hang(request, fault, emulator.hang_release)
            package = OPERATIONS[operation].package if operation in OPERATIONS else "meeting"
            response = http_faults.xml_fault_response(fault, package)
            log_request(
                emulator,
                started,
                "xml",
                operation,
                outcome=f"fault:{fault.kind.value}",
                exception_id=fault.exception_id,
                status=response.status_code,
                body=raw,
            )
            return response
    result = answer(emulator, parsed) if parsed is not None else answer_bytes(emulator, raw)
    log_request(
        emulator,
        started,
        "xml",
        result.operation,
        site=result.site,
        user=result.user,
        outcome=result.result,
        exception_id=result.exception_id,
        status=200,
        body=raw,
    )
    return Response(result.body, media_type=http_faults.XML_MEDIA_TYPE, headers=http_faults.XML_HEADERS)
