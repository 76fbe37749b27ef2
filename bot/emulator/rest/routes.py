"""The REST API over HTTP: bearer tokens, faults, strict checks, Webex's error JSON and the request log."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.emulator import http_faults
from bot.emulator.consent_page import consent_page, error_page
from bot.emulator.faults import Fault, FaultKind
from bot.emulator.oauth import decide
from bot.emulator.requestlog import log_request
from bot.emulator.rest import errors
from bot.emulator.rest.contract import Answer, ContractViolation, Exchange
from bot.emulator.rest.errors import RestError, malformed, new_tracking_id, unauthorized
from bot.emulator.rest.invitees import add_invitee, get_invitee, list_invitees, remove_invitee
from bot.emulator.rest.join import join_links
from bot.emulator.rest.listing import Page, list_meetings, list_recordings
from bot.emulator.rest.meetings import (
    RestCall,
    answer_view,
    create_meeting,
    delete_meeting,
    get_meeting,
    update_meeting,
)
from bot.emulator.rest.oauth import (
    ACCESS_KIND,
    TokenError,
    check_authorize,
    grant,
    new_consent,
    split_scopes,
)
from bot.emulator.rest.times import zone_or_error
from bot.emulator.rest.views import person_view
from bot.emulator.tokens import lookup

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

API_PREFIX: Final = "/v1"
REST_AUTHORIZE_PATH: Final = "/v1/authorize"
REST_TOKEN_PATH: Final = "/v1/access_token"
TOKEN_OPERATION: Final = "POST /v1/access_token"
JSON_TYPE: Final = "application/json;charset=UTF-8"
PEOPLE_SCOPE: Final = "spark:people_read"
_PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_TRUNCATED_JSON: Final = b'{"id": "'


@dataclass(frozen=True)
class Incoming:
    """What a REST handler reads from its request."""

    path_params: Mapping[str, str]
    query: Mapping[str, str]
    body: dict[str, Any]
    base_url: str  # the absolute URL without the query, for Link headers


@dataclass
class Outgoing:
    status: int
    body: object = None  # JSON, or None for an empty body
    headers: dict[str, str] | None = None
    media_type: str = JSON_TYPE


Handler = Callable[[RestCall, Incoming], Outgoing]


def _listed(result: Page) -> Outgoing:
    headers = {"Link": f'<{result.next_url}>; rel="next"'} if result.next_url else None
    return Outgoing(200, {"items": result.items}, headers)


def _people_me(call: RestCall, incoming: Incoming) -> Outgoing:
    if PEOPLE_SCOPE not in call.scopes:
        raise errors.forbidden()
    return Outgoing(200, person_view(call.user, None), media_type="application/json")


def _list_meetings(call: RestCall, incoming: Incoming) -> Outgoing:
    return _listed(list_meetings(call, incoming.query, incoming.base_url))


def _create(call: RestCall, incoming: Incoming) -> Outgoing:
    meeting = create_meeting(call, incoming.body)
    return Outgoing(200, answer_view(call, meeting, None))


def _get(call: RestCall, incoming: Incoming) -> Outgoing:
    current = incoming.query.get("current", "false").lower() == "true"
    return Outgoing(200, get_meeting(call, incoming.path_params["meetingId"], current=current))


def _put(call: RestCall, incoming: Incoming) -> Outgoing:
    return Outgoing(
        200, update_meeting(call, incoming.path_params["meetingId"], incoming.body, replace_all=True)
    )


def _patch(call: RestCall, incoming: Incoming) -> Outgoing:
    return Outgoing(
        200, update_meeting(call, incoming.path_params["meetingId"], incoming.body, replace_all=False)
    )


def _delete(call: RestCall, incoming: Incoming) -> Outgoing:
    delete_meeting(call, incoming.path_params["meetingId"])
    return Outgoing(204)


def _join(call: RestCall, incoming: Incoming) -> Outgoing:
    links, directly = join_links(call, incoming.body)
    if directly:
        return Outgoing(302, None, {"Location": str(links["joinLink"])})
    return Outgoing(200, links)


def _recordings(call: RestCall, incoming: Incoming) -> Outgoing:
    return _listed(list_recordings(call, incoming.query, incoming.base_url))


def _invitees(call: RestCall, incoming: Incoming) -> Outgoing:
    return _listed(list_invitees(call, incoming.query, incoming.base_url))


def _invite(call: RestCall, incoming: Incoming) -> Outgoing:
    return Outgoing(200, add_invitee(call, incoming.body))


def _invitee(call: RestCall, incoming: Incoming) -> Outgoing:
    return Outgoing(200, get_invitee(call, incoming.path_params["meetingInviteeId"]))


def _uninvite(call: RestCall, incoming: Incoming) -> Outgoing:
    remove_invitee(call, incoming.path_params["meetingInviteeId"])
    return Outgoing(204)


# plumbing ------------------------------------------------------------------------------------------


def _authenticate(emulator: Emulator, request: Request) -> RestCall:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    state = emulator.state
    now = emulator.now()
    issued = lookup(state, token.strip(), ACCESS_KIND, now)
    if issued is None:
        raise unauthorized()
    user = state.find_user(issued.site, issued.webex_id)
    site = state.site_state(issued.site)
    if user is None or site is None:
        raise unauthorized()
    zone_header = request.headers.get("timezone")
    zone = zone_or_error(zone_header, "timezone") if zone_header else None
    return RestCall(state, now, site, user, frozenset(issued.scopes), emulator.public_url, zone)


def _json_body(raw: bytes, method: str) -> dict[str, Any]:
    if method not in ("POST", "PUT", "PATCH"):
        return {}
    try:
        data = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise malformed("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise malformed("The request body must be a JSON object.")
    return data


def _exchange(request: Request, raw: bytes) -> Exchange:
    return Exchange(
        method=request.method.lower(),
        path=request.url.path[len(API_PREFIX) :],
        query=request.query_params,
        headers=dict(request.headers),
        body=raw if raw else None,
        content_type=request.headers.get("content-type", ""),
    )


def _response(outgoing: Outgoing, tracking_id: str) -> Response:
    headers = {"TrackingID": tracking_id, **(outgoing.headers or {})}
    if outgoing.body is None:
        return Response(status_code=outgoing.status, headers=headers)
    content = json.dumps(outgoing.body).encode()
    return Response(content, status_code=outgoing.status, media_type=outgoing.media_type, headers=headers)


def _error(error: RestError, tracking_id: str) -> Outgoing:
    return Outgoing(error.status, error.body(tracking_id), error.headers)


def fault_outgoing(fault: Fault, tracking_id: str) -> Outgoing | Response:
    """A REST route's answer for a terminal fault: Webex's error JSON with the fault's status."""
    retry = {"Retry-After": str(fault.retry_after)}
    if fault.kind is FaultKind.MALFORMED:
        return Response(_TRUNCATED_JSON, media_type=JSON_TYPE, headers={"TrackingID": tracking_id})
    if fault.kind is FaultKind.RATE_LIMITED:
        if fault.style == "webex":
            return _error(RestError(423, errors.LOCKED, headers=retry), tracking_id)
        return _error(RestError(429, errors.RATE_LIMITED, headers=retry), tracking_id)
    if fault.kind is FaultKind.FAILURE:
        reason = fault.reason or f"Injected failure {fault.exception_id}".strip()
        return _error(RestError(400, reason), tracking_id)
    status = fault.status if fault.kind is FaultKind.HTTP_ERROR else 504
    headers = retry if status in (423, 429, 503) else None
    return _error(RestError(status, errors.SERVER_TROUBLE, headers=headers), tracking_id)


async def _apply_faults(
    emulator: Emulator, request: Request, operation: str, tracking_id: str
) -> Outgoing | Response | None:
    faults = emulator.faults.take(operation)
    if not faults:
        return None
    await http_faults.delay(faults)
    fault = http_faults.terminal(faults)
    if fault is None:
        return None
    if fault.kind is FaultKind.HANG:
        await http_faults.hang(request, fault, emulator.hang_release)
    return fault_outgoing(fault, tracking_id)


def _api(operation: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        emulator: Emulator = request.app.state.emulator
        started = time.perf_counter()
        tracking_id = new_tracking_id(emulator.now())
        raw = await request.body()
        faulted = await _apply_faults(emulator, request, operation, tracking_id)
        if faulted is not None:
            response = faulted if isinstance(faulted, Response) else _response(faulted, tracking_id)
            kind = "malformed" if isinstance(faulted, Response) else "fault"
            log_request(
                emulator,
                started,
                "rest",
                operation,
                outcome=f"fault:{kind}",
                status=response.status_code,
                body=raw,
            )
            return response
        rest = emulator.rest
        site = user = ""
        try:
            with emulator.state.lock:
                call = _authenticate(emulator, request)
                site, user = call.site.site.name, call.user.webex_id
            if rest.strict:
                problems = rest.contract().request_errors(_exchange(request, raw))
                if problems:
                    raise malformed(
                        *(f"Request does not match Webex's API description: {p}" for p in problems[:5])
                    )
            incoming = Incoming(
                request.path_params,
                request.query_params,
                _json_body(raw, request.method),
                str(request.url.replace(query="")),
            )
            with emulator.state.lock:
                outgoing = handler(call, incoming)
        except RestError as error:
            outgoing = _error(error, tracking_id)
        response = _response(outgoing, tracking_id)
        if rest.strict and response.status_code != 302:
            rest.check_response(operation, _exchange(request, raw), response)
        message = outgoing.body.get("message") if isinstance(outgoing.body, dict) else None
        outcome = "ok" if outgoing.status < 400 else str(message or f"HTTP {outgoing.status}")
        log_request(
            emulator,
            started,
            "rest",
            operation,
            site=site,
            user=user,
            outcome=outcome,
            status=response.status_code,
            body=raw,
        )
        return response

    return endpoint


async def _authorize(request: Request) -> Response:
    """GET /v1/authorize: checks the request, then shows the same consent page as the XML API's flow."""
    emulator: Emulator = request.app.state.emulator
    started = time.perf_counter()
    query = request.query_params
    client = emulator.state.clients.get(query.get("client_id", ""))
    redirect_uri = query.get("redirect_uri", "")
    scopes = split_scopes(query.get("scope", ""))
    challenge, method = query.get("code_challenge", ""), query.get("code_challenge_method", "")
    problem = check_authorize(client, redirect_uri, query.get("response_type", ""), scopes, challenge, method)
    response: Response
    if problem is not None and problem.page:
        title = "Unknown application" if problem.error == "invalid_client" else "Redirect address not allowed"
        response = HTMLResponse(
            error_page(title, problem.description), status_code=400, headers=_PAGE_HEADERS
        )
    elif problem is not None:
        params = {"error": problem.error, "error_description": problem.description}
        if query.get("state"):
            params["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        response = RedirectResponse(
            f"{redirect_uri}{separator}{urlencode(params)}", 302, headers=_PAGE_HEADERS
        )
    else:
        assert client is not None
        consent = new_consent(
            emulator.state,
            client,
            redirect_uri,
            scopes,
            query.get("state", ""),
            challenge,
            method,
            emulator.now(),
        )
        with emulator.state.lock:
            site = emulator.state.site_state(client.site)
            users = sorted(site.users.values(), key=lambda user: user.email) if site else []
        response = HTMLResponse(consent_page(consent, client, client.site, users), headers=_PAGE_HEADERS)
    outcome = "ok" if response.status_code == 200 else (problem.error if problem else "")
    log_request(
        emulator,
        started,
        "rest",
        "GET /v1/authorize",
        site=client.site if client else "",
        outcome=outcome,
        status=response.status_code,
    )
    return response


async def _access_token(request: Request) -> Response:
    """POST /v1/access_token: RFC 6749 errors carry Webex's `message` and `trackingId` as well."""
    emulator: Emulator = request.app.state.emulator
    started = time.perf_counter()
    tracking_id = new_tracking_id(emulator.now())
    faulted = await _apply_faults(emulator, request, TOKEN_OPERATION, tracking_id)
    if faulted is not None:
        response = faulted if isinstance(faulted, Response) else _response(faulted, tracking_id)
        log_request(emulator, started, "rest", TOKEN_OPERATION, outcome="fault", status=response.status_code)
        return response
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    headers = {**http_faults.JSON_HEADERS, "TrackingID": tracking_id}
    try:
        body, user, grant_type = grant(
            emulator.state,
            form,
            request.headers.get("authorization", ""),
            emulator.now(),
            emulator.token_options,
        )
    except TokenError as error:
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="webex"'
        payload = {
            "error": error.error,
            "error_description": error.description,
            "message": error.description,
            "trackingId": tracking_id,
        }
        log_request(emulator, started, "rest", TOKEN_OPERATION, outcome=error.error, status=error.status)
        return Response(json.dumps(payload).encode(), error.status, headers, "application/json")
    log_request(
        emulator,
        started,
        "rest",
        TOKEN_OPERATION,
        site=user.site,
        user=user.webex_id,
        outcome=f"ok {grant_type}",
        status=200,
    )
    return Response(json.dumps(body).encode(), 200, headers, "application/json")


def rest_routes() -> list[Route]:
    """Every `/v1/...` REST route; mount them before the catch-all meeting-link route."""
    meeting = f"{API_PREFIX}/meetings/{{meetingId}}"
    invitee = f"{API_PREFIX}/meetingInvitees/{{meetingInviteeId}}"
    return [
        Route(REST_AUTHORIZE_PATH, _authorize, methods=["GET"]),
        # The consent form posts to the XML flow's address; this one answers the same form.
        Route(REST_AUTHORIZE_PATH, decide, methods=["POST"]),
        Route(REST_TOKEN_PATH, _access_token, methods=["POST"]),
        Route(f"{API_PREFIX}/people/me", _api("GET /v1/people/me", _people_me), methods=["GET"]),
        Route(f"{API_PREFIX}/meetings", _api("GET /v1/meetings", _list_meetings), methods=["GET"]),
        Route(f"{API_PREFIX}/meetings", _api("POST /v1/meetings", _create), methods=["POST"]),
        Route(f"{API_PREFIX}/meetings/join", _api("POST /v1/meetings/join", _join), methods=["POST"]),
        Route(meeting, _api("GET /v1/meetings/{meetingId}", _get), methods=["GET"]),
        Route(meeting, _api("PUT /v1/meetings/{meetingId}", _put), methods=["PUT"]),
        Route(meeting, _api("PATCH /v1/meetings/{meetingId}", _patch), methods=["PATCH"]),
        Route(meeting, _api("DELETE /v1/meetings/{meetingId}", _delete), methods=["DELETE"]),
        Route(f"{API_PREFIX}/meetingInvitees", _api("GET /v1/meetingInvitees", _invitees), methods=["GET"]),
        Route(f"{API_PREFIX}/meetingInvitees", _api("POST /v1/meetingInvitees", _invite), methods=["POST"]),
        Route(invitee, _api("GET /v1/meetingInvitees/{meetingInviteeId}", _invitee), methods=["GET"]),
        Route(invitee, _api("DELETE /v1/meetingInvitees/{meetingInviteeId}", _uninvite), methods=["DELETE"]),
        Route(f"{API_PREFIX}/recordings", _api("GET /v1/recordings", _recordings), methods=["GET"]),
    ]


def response_answer(response: Response) -> Answer:
    return Answer(
        status_code=response.status_code,
        data=bytes(response.body) or None,
        content_type=response.headers.get("content-type", ""),
        headers=response.headers,
    )


__all__ = ["ContractViolation", "REST_AUTHORIZE_PATH", "REST_TOKEN_PATH", "rest_routes", "response_answer"]
