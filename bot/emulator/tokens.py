"""Token minting and checking: what the token endpoint and the XML API's securityContext rely on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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


@dataclass(frozen=True)
class TokenKinds:
    """What one API's tokens are called in the token table, and how long they last."""

    access: str
    refresh: str
    access_lifetime: timedelta
    refresh_lifetime: timedelta


XML_TOKENS = TokenKinds("access", "refresh", ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME)


def issue_pair(
    state: EmulatorState,
    kinds: TokenKinds,
    *,
    now: datetime,
    client: Client,
    user: User,
    scopes: tuple[str, ...],
    rotate: bool,
    code: str = "",
    refresh: IssuedToken | None = None,
    refresh_prefix: str = "",
) -> tuple[IssuedToken, IssuedToken]:
    """A new access token, and a new refresh token unless `refresh` is kept (rotation off; a rotated
    one is revoked). Both remember the code they descend from, so reusing that code revokes them."""
    with state.lock:
        access = IssuedToken(
            token=state.new_secret(),
            kind=kinds.access,
            client_id=client.client_id,
            site=user.site,
            webex_id=user.webex_id,
            scopes=scopes,
            issued_at=now,
            expires_at=now + kinds.access_lifetime,
            code=code or (refresh.code if refresh is not None else ""),
        )
        state.tokens[access.token] = access
        if refresh is None or rotate:
            if refresh is not None:
                refresh.revoked = True
            refresh = IssuedToken(
                token=refresh_prefix + state.new_secret(),
                kind=kinds.refresh,
                client_id=client.client_id,
                site=user.site,
                webex_id=user.webex_id,
                scopes=scopes,
                issued_at=now,
                expires_at=now + kinds.refresh_lifetime,
                code=access.code,
            )
            state.tokens[refresh.token] = refresh
    return access, refresh


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
    """The XML API's token JSON for a new access token (and a new refresh token unless one is kept)."""
    access, refresh_token = issue_pair(
        state,
        XML_TOKENS,
        now=now,
        client=client,
        user=user,
        scopes=scopes,
        rotate=options.rotate_refresh_tokens,
        code=code,
        refresh=refresh_token,
        refresh_prefix=f"{user.site}_" if options.refresh_token_site_prefix else "",
    )
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
