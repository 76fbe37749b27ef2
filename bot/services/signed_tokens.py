"""Signed, dated, opaque tokens for the links the bot hands out, with a key per purpose from TOKEN_KEYS."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import orjson
from cryptography.fernet import InvalidToken

from bot.domain.clock import Clock
from bot.store.crypto import SecretBox, derive_key

# A token dated this far ahead of the bot's clock is refused, as Fernet does (another process's clock
# may run a little ahead).
MAX_CLOCK_SKEW = 60


class TokenInvalid(Exception):
    """Not a token the bot issued for this purpose: cut short, changed, or signed with a key since removed."""


class TokenExpired(TokenInvalid):
    """A genuine token, older than its lifetime; what it carried is still readable for the explanation."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__("the token has expired")
        self.payload = payload


class SignedTokens:
    """Issues and reads tokens for one purpose (a connect link, a meeting link, ...).

    Each purpose has its own key, derived from each token key with HKDF, so a token made for one
    purpose is never accepted for another. The first key signs; every key reads, so rotation keeps
    tokens already handed out working.
    """

    def __init__(self, keys: Sequence[str], *, purpose: str, ttl: timedelta, clock: Clock) -> None:
        self._box = SecretBox(
            [derive_key(key, f"webex-bot {purpose} (AES-GCM-SIV)") for key in keys],
            # Tokens issued before SecretBox were Fernet tokens under these keys, and still open.
            [base64.urlsafe_b64encode(derive_key(key, f"webex-bot {purpose}")) for key in keys],
        )
        self._ttl = int(ttl.total_seconds())
        self._clock = clock

    def issue(self, payload: Mapping[str, Any]) -> str:
        return self._box.seal(orjson.dumps(payload), self._now())

    def read(self, token: str) -> dict[str, Any]:
        """The payload of a genuine token that is not too old (raises TokenExpired or TokenInvalid)."""
        now = self._now()
        try:
            data, issued = self._box.open(token)
            payload = _payload(data)
        except InvalidToken:
            raise TokenInvalid("the token is not one this bot issued") from None
        if issued > now + MAX_CLOCK_SKEW:
            raise TokenInvalid("the token is dated in the future")
        if issued + self._ttl < now:
            raise TokenExpired(payload)
        return payload

    def _now(self) -> int:
        return int(self._clock.now().timestamp())


def _payload(data: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(data)
    except ValueError:
        raise InvalidToken from None
    if not isinstance(payload, dict):
        raise InvalidToken
    return payload
