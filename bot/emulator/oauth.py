"""The emulated OAuth server: `GET/POST /v1/oauth2/authorize` (consent) and `POST /v1/oauth2/token`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.emulator import http_faults
from bot.emulator.consent_page import FOR_DEVELOPERS, NO_ACCOUNT, consent_page, error_page
from bot.emulator.faults import TOKEN_ENDPOINT, FaultKind
from bot.emulator.requestlog import log_request
from bot.emulator.state import (
    AUTHORIZATION_CODE_LIFETIME,
    CONSENT_LIFETIME,
    SCOPES,
    AuthorizationCode,
    Client,
    PendingConsent,
)
from bot.emulator.tokens import lookup, mint, revoke_from_code

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

MAX_PLAIN_CHALLENGE_LENGTH = 10
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_PAGE_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


class OAuthError(Exception):
    """An RFC 6749 error answer from the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


def split_scopes(text: str) -> tuple[str, ...]:
    """Scopes joined by '+' (as Webex's own samples send them) or by spaces."""
    seen: list[str] = []
    for scope in re.split(r"[+\s]+", text.strip()):
        if scope and scope not in seen:
            seen.append(scope)
    return tuple(seen)


def _redirect_with(uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(params)}", status_code=302, headers=_PAGE_HEADERS)


def _error_page(status: int, title: str, detail: str, next_step: str = FOR_DEVELOPERS) -> HTMLResponse:
    return HTMLResponse(error_page(title, detail, next_step), status_code=status, headers=_PAGE_HEADERS)


def _challenge_problem(challenge: str, method: str) -> str:
    if not challenge:
        return "code_challenge is required (PKCE)"
    if method == "plain":
        if len(challenge) > MAX_PLAIN_CHALLENGE_LENGTH:
            return f"a plain code_challenge must be at most {MAX_PLAIN_CHALLENGE_LENGTH} characters"
        return ""
    if method == "S256":
        return (
            ""
            if _S256_CHALLENGE.match(challenge)
            else "an S256 code_challenge must be 43 base64url characters"
        )
    return "code_challenge_method must be plain or S256"


async def authorize(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    started = time.perf_counter()
    response, client = _authorize(emulator, request)
    outcome = "ok" if response.status_code == 200 else f"HTTP {response.status_code}"
    site = client.site if client else ""
    log_request(
        emulator, started, "authorize", "authorize", site=site, outcome=outcome, status=response.status_code
    )
    return response


def _authorize(emulator: Emulator, request: Request) -> tuple[Response, Client | None]:
    query = request.query_params
    client = emulator.state.clients.get(query.get("client_id", ""))
    if client is None:
        return _error_page(400, "Unknown application", "The client_id is missing or not registered."), None
    redirect_uri = query.get("redirect_uri", "")
    if not redirect_uri or not client.accepts_redirect(redirect_uri):
        detail = "The redirect_uri is missing or is not registered for this application."
        return _error_page(400, "Redirect address not allowed", detail), client
    state = query.get("state", "")
    problem = ("", "")
    scopes = split_scopes(query.get("scope", ""))
    method = query.get("code_challenge_method", "plain") or "plain"
    challenge = query.get("code_challenge", "")
    if query.get("response_type") != "code":
        problem = ("unsupported_response_type", "response_type must be code")
    elif not scopes:
        problem = ("invalid_scope", "scope is required")
    elif any(scope not in SCOPES for scope in scopes):
        unknown = ", ".join(scope for scope in scopes if scope not in SCOPES)
        problem = ("invalid_scope", f"unknown scope: {unknown}")
    elif not state:
        problem = ("invalid_request", "state is required")
    elif _challenge_problem(challenge, method):
        problem = ("invalid_request", _challenge_problem(challenge, method))
    if problem[0]:
        params = {"error": problem[0], "error_description": problem[1]}
        if state:
            params["state"] = state
        return _redirect_with(redirect_uri, params), client
    now = emulator.now()
    consent = PendingConsent(
        consent_id=emulator.state.new_secret(),
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        code_challenge=challenge,
        code_challenge_method=method,
        expires_at=now + CONSENT_LIFETIME,
    )
    with emulator.state.lock:
        emulator.state.consents[consent.consent_id] = consent
        site = emulator.state.site_state(client.site)
        users = sorted(site.users.values(), key=lambda user: user.email) if site else []
    return HTMLResponse(consent_page(consent, client, client.site, users), headers=_PAGE_HEADERS), client


async def decide(request: Request) -> Response:
    """The consent form's answer: Allow issues a code, Deny sends access_denied; both go back to the app."""
    emulator: Emulator = request.app.state.emulator
    started = time.perf_counter()
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    now = emulator.now()
    with emulator.state.lock:
        consent = emulator.state.consents.pop(form.get("consent_id", ""), None)
    user_name = form.get("user", "")
    if consent is None or consent.expires_at <= now:
        response: Response = _error_page(
            400,
            "This sign-in request has expired",
            "Sign-in pages work for a few minutes and once only.",
            "Go back to the app and start again from there to get a fresh sign-in page.",
        )
        log_request(emulator, started, "consent", "consent", outcome="expired", status=400)
        return response
    client = emulator.state.clients[consent.client_id]
    if form.get("decision") != "allow":
        params = {
            "error": "access_denied",
            "error_description": "The user denied access",
            "state": consent.state,
        }
        log_request(
            emulator, started, "consent", "deny", site=client.site, outcome="access_denied", status=302
        )
        return _redirect_with(consent.redirect_uri, params)
    user = emulator.state.find_user(client.site, user_name) if user_name else None
    if user is None:
        log_request(
            emulator, started, "consent", "allow", site=client.site, outcome="unknown user", status=400
        )
        return _error_page(
            400,
            "You have no Webex account on this site",
            f"The site {client.site} has no account for {user_name or 'you'}.",
            NO_ACCOUNT,
        )
    code = AuthorizationCode(
        code=emulator.state.new_secret(),
        client_id=client.client_id,
        redirect_uri=consent.redirect_uri,
        scopes=consent.scopes,
        code_challenge=consent.code_challenge,
        code_challenge_method=consent.code_challenge_method,
        site=client.site,
        webex_id=user.webex_id,
        expires_at=now + AUTHORIZATION_CODE_LIFETIME,
    )
    with emulator.state.lock:
        emulator.state.codes[code.code] = code
    log_request(
        emulator, started, "consent", "allow", site=client.site, user=user.webex_id, outcome="ok", status=302
    )
    return _redirect_with(consent.redirect_uri, {"code": code.code, "state": consent.state})


def _verifier_matches(code: AuthorizationCode, verifier: str) -> bool:
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return hmac.compare_digest(expected, code.code_challenge)
    return hmac.compare_digest(verifier.encode(), code.code_challenge.encode())


def _client(emulator: Emulator, request: Request, form: dict[str, str]) -> Client:
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
    client = emulator.state.clients.get(client_id)
    if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
        raise OAuthError("invalid_client", "Invalid client ID or client secret", 401)
    return client


def _grant(emulator: Emulator, request: Request, form: dict[str, str]) -> tuple[dict[str, object], str, str]:
    grant_type = form.get("grant_type", "")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type} is not supported")
    client = _client(emulator, request, form)
    state = emulator.state
    now = emulator.now()
    with state.lock:
        if grant_type == "authorization_code":
            value = form.get("code", "")
            if not value:
                raise OAuthError("invalid_request", "code is required")
            code = state.codes.get(value)
            # A code from the REST consent (REST scopes) is not an XML API code.
            if code is None or code.client_id != client.client_id or not set(code.scopes) <= set(SCOPES):
                raise OAuthError("invalid_grant", "The authorization code is invalid")
            if code.used:
                revoke_from_code(state, code.code)
                raise OAuthError("invalid_grant", "The authorization code has already been used")
            if code.expires_at <= now:
                raise OAuthError("invalid_grant", "The authorization code has expired")
            if form.get("redirect_uri", "") != code.redirect_uri:
                raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
            verifier = form.get("code_verifier", "")
            if not verifier:
                raise OAuthError("invalid_request", "code_verifier is required")
            if not _verifier_matches(code, verifier):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
            code.used = True
            user = state.find_user(code.site, code.webex_id)
            if user is None:
                raise OAuthError("invalid_grant", "The user no longer exists")
            state.counters.codes_exchanged += 1
            body = mint(
                state,
                now=now,
                client=client,
                user=user,
                scopes=code.scopes,
                options=emulator.token_options,
                code=code.code,
            )
            return body, user.site, user.webex_id
        value = form.get("refresh_token", "")
        if not value:
            raise OAuthError("invalid_request", "refresh_token is required")
        refresh = lookup(state, value, "refresh", now)
        if refresh is None or refresh.client_id != client.client_id:
            raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked")
        user = state.find_user(refresh.site, refresh.webex_id)
        if user is None:
            raise OAuthError("invalid_grant", "The user no longer exists")
        state.counters.token_refreshes += 1
        body = mint(
            state,
            now=now,
            client=client,
            user=user,
            scopes=refresh.scopes,
            options=emulator.token_options,
            refresh_token=refresh,
        )
        return body, user.site, user.webex_id


async def token(request: Request) -> Response:
    emulator: Emulator = request.app.state.emulator
    started = time.perf_counter()
    faults = emulator.faults.take(TOKEN_ENDPOINT)
    if faults:
        await http_faults.delay(faults)
        fault = http_faults.terminal(faults)
        if fault is not None:
            if fault.kind is FaultKind.HANG:
                await http_faults.hang(request, fault, emulator.hang_release)
            response = http_faults.token_fault_response(fault)
            log_request(
                emulator,
                started,
                "token",
                "token",
                outcome=f"fault:{fault.kind.value}",
                status=response.status_code,
            )
            return response
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    grant_type = form.get("grant_type", "") or "token"
    try:
        body, site, user = _grant(emulator, request, form)
    except OAuthError as error:
        headers = dict(http_faults.JSON_HEADERS)
        if error.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="webex"'
        payload = json.dumps({"error": error.error, "error_description": error.description}).encode()
        log_request(emulator, started, "token", grant_type, outcome=error.error, status=error.status)
        return Response(payload, status_code=error.status, media_type="application/json", headers=headers)
    log_request(emulator, started, "token", grant_type, site=site, user=user, outcome="ok", status=200)
    return Response(
        json.dumps(body).encode(), media_type="application/json", headers=http_faults.JSON_HEADERS
    )
