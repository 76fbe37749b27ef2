"""The REST API's OAuth server: `GET /v1/authorize` (the same consent page), `POST /v1/access_token`.

Tokens are separate from the XML API's, as on Webex: integrations on webexapis.com and the XML API's
`api.webex.com/v1/oauth2` were different OAuth servers, so a REST token is refused by the XML API and
an XML token by the REST API (the XML API took a REST token only through `AuthenticateUser`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.emulator.state import (
    CONSENT_LIFETIME,
    AuthorizationCode,
    Client,
    EmulatorState,
    IssuedToken,
    PendingConsent,
    User,
)
from bot.emulator.tokens import TokenKinds, TokenOptions, issue_pair, lookup, revoke_from_code

ACCESS_KIND: Final = "rest_access"
REFRESH_KIND: Final = "rest_refresh"
# The reference's figures (14 days, about 90 days) are UNCONFIRMED; clients must read expires_in.
ACCESS_TOKEN_LIFETIME: Final = timedelta(days=14)
REFRESH_TOKEN_LIFETIME: Final = timedelta(days=90)
REST_SCOPES: Final = frozenset(
    {
        "meeting:schedules_read",
        "meeting:schedules_write",
        "meeting:recordings_read",
        "meeting:recordings_write",
        "meeting:preferences_read",
        "meeting:preferences_write",
        "meeting:participants_read",
        "meeting:admin_schedule_read",
        "meeting:admin_schedule_write",
        "spark:people_read",
        "spark:kms",
    }
)
DEFAULT_SCOPES: Final = ("meeting:schedules_read", "meeting:schedules_write", "spark:people_read")
_VERIFIER: Final = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_S256_CHALLENGE: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")


class TokenError(Exception):
    """An RFC 6749 error from the token endpoint (401 for invalid_client, 400 otherwise)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class AuthorizeProblem:
    """Why an authorize request cannot go on: `page` when the redirect cannot be trusted."""

    error: str
    description: str
    page: bool = False


def split_scopes(text: str) -> tuple[str, ...]:
    """Space-separated (`%20`) as Webex documents; a `+` is read as a space, as form decoding does."""
    seen: list[str] = []
    for scope in re.split(r"[+\s]+", text.strip()):
        if scope and scope not in seen:
            seen.append(scope)
    return tuple(seen)


def challenge_problem(challenge: str, method: str) -> str:
    """PKCE is optional for integrations; when sent, S256 (what Webex's own client uses) or plain."""
    if not challenge:
        return "" if not method else "code_challenge_method needs a code_challenge"
    if method in ("", "plain"):
        return "" if _VERIFIER.match(challenge) else "a plain code_challenge must be 43 to 128 characters"
    if method == "S256":
        return (
            ""
            if _S256_CHALLENGE.match(challenge)
            else "an S256 code_challenge must be 43 base64url characters"
        )
    return "code_challenge_method must be S256 or plain"


def check_authorize(
    client: Client | None,
    redirect_uri: str,
    response_type: str,
    scopes: tuple[str, ...],
    challenge: str,
    method: str,
) -> AuthorizeProblem | None:
    if client is None:
        return AuthorizeProblem("invalid_client", "The client_id is missing or not registered.", page=True)
    if not redirect_uri or not client.accepts_redirect(redirect_uri):
        return AuthorizeProblem(
            "invalid_request",
            "The redirect_uri is missing or is not registered for this application.",
            page=True,
        )
    if response_type != "code":
        return AuthorizeProblem("unsupported_response_type", "response_type must be code")
    if not scopes:
        return AuthorizeProblem("invalid_scope", "scope is required")
    unknown = [scope for scope in scopes if scope not in REST_SCOPES]
    if unknown:
        return AuthorizeProblem("invalid_scope", f"unknown scope: {', '.join(unknown)}")
    problem = challenge_problem(challenge, method)
    if problem:
        return AuthorizeProblem("invalid_request", problem)
    return None


def new_consent(
    state: EmulatorState,
    client: Client,
    redirect_uri: str,
    scopes: tuple[str, ...],
    oauth_state: str,
    challenge: str,
    method: str,
    now: datetime,
) -> PendingConsent:
    consent = PendingConsent(
        consent_id=state.new_secret(),
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=oauth_state,
        code_challenge=challenge,
        code_challenge_method=(method or "plain") if challenge else "",
        expires_at=now + CONSENT_LIFETIME,
    )
    with state.lock:
        state.consents[consent.consent_id] = consent
    return consent


def client_from(state: EmulatorState, form: dict[str, str], authorization: str) -> Client:
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if authorization.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError("invalid_client", "malformed Basic credentials", 401) from None
    client = state.clients.get(client_id)
    if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
        raise TokenError("invalid_client", "Invalid client ID or client secret", 401)
    return client


def _verifier_matches(code: AuthorizationCode, verifier: str) -> bool:
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return hmac.compare_digest(expected, code.code_challenge)
    return hmac.compare_digest(verifier.encode(), code.code_challenge.encode())


REST_TOKENS: Final = TokenKinds(ACCESS_KIND, REFRESH_KIND, ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME)


def mint(
    state: EmulatorState,
    *,
    now: datetime,
    client: Client,
    user: User,
    scopes: tuple[str, ...],
    options: TokenOptions,
    code: str = "",
    refresh: IssuedToken | None = None,
) -> dict[str, object]:
    """The REST token JSON for a new access token, and a new refresh token unless one is kept."""
    access, refresh = issue_pair(
        state,
        REST_TOKENS,
        now=now,
        client=client,
        user=user,
        scopes=scopes,
        rotate=options.rotate_refresh_tokens,
        code=code,
        refresh=refresh,
    )
    return {
        "access_token": access.token,
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "refresh_token": refresh.token,
        "refresh_token_expires_in": max(0, int((refresh.expires_at - now).total_seconds())),
        "token_type": "Bearer",
        "scope": " ".join(scopes),
    }


def grant(
    state: EmulatorState, form: dict[str, str], authorization: str, now: datetime, options: TokenOptions
) -> tuple[dict[str, object], User, str]:
    """Carry out an authorization_code or refresh_token grant: the token JSON, the user, the grant type."""
    grant_type = form.get("grant_type", "")
    if not grant_type:
        raise TokenError("invalid_request", "grant_type is required")
    if grant_type not in ("authorization_code", "refresh_token"):
        raise TokenError("unsupported_grant_type", f"grant_type {grant_type} is not supported")
    client = client_from(state, form, authorization)
    with state.lock:
        if grant_type == "authorization_code":
            body, user = _exchange_code(state, form, client, now, options)
            return body, user, grant_type
        value = form.get("refresh_token", "")
        if not value:
            raise TokenError("invalid_request", "refresh_token is required")
        refresh = lookup(state, value, REFRESH_KIND, now)
        if refresh is None or refresh.client_id != client.client_id:
            raise TokenError("invalid_grant", "The refresh token is invalid, expired or revoked")
        holder = state.find_user(refresh.site, refresh.webex_id)
        if holder is None:
            raise TokenError("invalid_grant", "The user no longer exists")
        state.counters.token_refreshes += 1
        body = mint(
            state,
            now=now,
            client=client,
            user=holder,
            scopes=refresh.scopes,
            options=options,
            refresh=refresh,
        )
        return body, holder, grant_type


def _exchange_code(
    state: EmulatorState, form: dict[str, str], client: Client, now: datetime, options: TokenOptions
) -> tuple[dict[str, object], User]:
    value = form.get("code", "")
    if not value:
        raise TokenError("invalid_request", "code is required")
    code = state.codes.get(value)
    # A code the XML API's consent gave (its scopes are XML scopes) is not a REST code.
    if code is None or code.client_id != client.client_id or not set(code.scopes) <= REST_SCOPES:
        raise TokenError("invalid_grant", "The authorization code is invalid")
    if code.used:
        revoke_from_code(state, code.code)
        raise TokenError("invalid_grant", "The authorization code has already been used")
    if code.expires_at <= now:
        raise TokenError("invalid_grant", "The authorization code has expired")
    if form.get("redirect_uri", "") != code.redirect_uri:
        raise TokenError("invalid_grant", "redirect_uri does not match the authorization request")
    if code.code_challenge:
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise TokenError("invalid_request", "code_verifier is required")
        if not _verifier_matches(code, verifier):
            raise TokenError("invalid_grant", "code_verifier does not match the code_challenge")
    owner = state.find_user(code.site, code.webex_id)
    if owner is None:
        raise TokenError("invalid_grant", "The user no longer exists")
    code.used = True
    state.counters.codes_exchanged += 1
    body = mint(
        state, now=now, client=client, user=owner, scopes=code.scopes, options=options, code=code.code
    )
    return body, owner


def issue(
    state: EmulatorState,
    now: datetime,
    client: Client,
    user: User,
    scopes: tuple[str, ...],
    options: TokenOptions,
) -> dict[str, object]:
    """Tokens without the consent page (the Python and control APIs)."""
    unknown = [scope for scope in scopes if scope not in REST_SCOPES]
    if unknown:
        raise ValueError(f"unknown REST scopes: {', '.join(unknown)}")
    return mint(state, now=now, client=client, user=user, scopes=scopes, options=options)
