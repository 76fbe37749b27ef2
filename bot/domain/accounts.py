"""Webex account links and their tokens: plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class TokenGrant:
    """What the Webex token endpoint answered (either grant). Only the first three are certain."""

    # Secrets stay out of repr, so logging a grant or a link never prints a token.
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    refresh_expires_in: int | None = None
    scopes: tuple[str, ...] = ()
    user_name: str = ""
    email: str = ""
    site: str = ""  # from `iss` or the refresh token's prefix, when present


@dataclass(frozen=True)
class Link:
    """One Slack user's link to their Webex account, with tokens decrypted."""

    team_id: str
    user_id: str
    site: str
    webex_id: str
    email: str
    scopes: tuple[str, ...]
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime  # aware, UTC
    refresh_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    status: str = "active"  # "active" or "expired" (refresh rejected: the user must reconnect)

    def access_token_fresh(self, now: datetime, margin: timedelta = timedelta(seconds=60)) -> bool:
        return now + margin < self.access_expires_at

    @property
    def expired(self) -> bool:
        return self.status == "expired"
