"""Token minting and checking: what the token endpoint and the XML API's securityContext rely on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.emulator.state import (
    ACCESS_TOKEN_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
    Client,
    EmulatorState,
    IssuedToken,
    User,
)


@dataclass(frozen=True)
class TokenOptions:
    rotate_refresh_tokens: bool = True
    refresh_token_site_prefix: bool = True  # "{site}_{random}", as the spec describes
    minimal_response: bool = False  # only access_token, refresh_token and expires_in, as some servers do


def mint(
    state: EmulatorState,
    *,
    now: datetime,
    client: Client,
    user: User,
    scopes: tuple[str, ...],
    options: TokenOptions,
    code: str = "",
    refresh_token: IssuedToken | None = None,
) -> dict[str, object]:
    """A new access token (and a new refresh token unless one is kept); returns the token JSON."""
    with state.lock:
        access = IssuedToken(
            token=state.new_secret(),
            kind="access",
            client_id=client.client_id,
            site=user.site,
            webex_id=user.webex_id,
            scopes=scopes,
            issued_at=now,
            expires_at=now + ACCESS_TOKEN_LIFETIME,
            code=code,
        )
        state.tokens[access.token] = access
        if refresh_token is None or options.rotate_refresh_tokens:
            if refresh_token is not None:
                refresh_token.revoked = True
            value = state.new_secret()
            if options.refresh_token_site_prefix:
                value = f"{user.site}_{value}"
            refresh_token = IssuedToken(
                token=value,
                kind="refresh",
                client_id=client.client_id,
                site=user.site,
                webex_id=user.webex_id,
                scopes=scopes,
                issued_at=now,
                expires_at=now + REFRESH_TOKEN_LIFETIME,
                code=code or (refresh_token.code if refresh_token is not None else ""),
            )
            state.tokens[refresh_token.token] = refresh_token
    body: dict[str, object] = {
        "access_token": access.token,
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "refresh_token": refresh_token.token,
    }
    if options.minimal_response:
        return body
    site = state.site_state(user.site)
    site_id = site.site.site_id if site is not None else 0
    body.update(
        {
            "token_type": "bearer",
            "refresh_token_expires_in": max(0, int((refresh_token.expires_at - now).total_seconds())),
            "scope": " ".join(scopes),
            "user_name": user.webex_id,
            "iss": f"https://{user.site}.webex.com",
            "siteid": str(site_id),
            "userid": str(user.user_id),
            "authentication_id": f"{site_id}-{user.user_id}",
            "email": user.email,
        }
    )
    return body


def lookup(state: EmulatorState, token: str, kind: str, now: datetime) -> IssuedToken | None:
    """The token if it exists, is of this kind, is not revoked and has not expired."""
    issued = state.tokens.get(token)
    if issued is None or issued.kind != kind or not issued.usable(now):
        return None
    return issued


def revoke_from_code(state: EmulatorState, code: str) -> None:
    """A reused authorization code revokes what it produced (RFC 6749 section 4.1.2)."""
    with state.lock:
        for issued in state.tokens.values():
            if issued.code == code:
                issued.revoked = True
