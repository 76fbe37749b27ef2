"""Signed, dated, opaque tokens for the links the bot hands out, with a key per purpose from TOKEN_KEYS."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.domain.clock import Clock

# json.dumps(..., separators=...) builds an encoder per call; this one is built once.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


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
        fernets = [Fernet(derive_key(key, purpose)) for key in keys]
        self._fernet = MultiFernet(fernets)
        self._signer = fernets[0]  # what MultiFernet signs with
        self._ttl = int(ttl.total_seconds())
        self._clock = clock

    def issue(self, payload: Mapping[str, Any]) -> str:
        data = _COMPACT.encode(payload).encode()
        return self._signer.encrypt_at_time(data, self._now()).decode()

    def read(self, token: str) -> dict[str, Any]:
        """The payload of a genuine token that is not too old (raises TokenExpired or TokenInvalid)."""
        raw = token.encode()
        try:
            return _payload(self._fernet.decrypt_at_time(raw, self._ttl, self._now()))
        except InvalidToken:
            pass
        try:
            # With no age limit a genuine token reads, so it is merely too old; anything else was not ours.
            payload = _payload(self._fernet.decrypt_at_time(raw, 2**62, self._now()))
        except InvalidToken:
            raise TokenInvalid("the token is not one this bot issued") from None
        raise TokenExpired(payload)

    def _now(self) -> int:
        return int(self._clock.now().timestamp())


def _payload(data: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except ValueError:
        raise InvalidToken from None
    if not isinstance(payload, dict):
        raise InvalidToken
    return payload


def derive_key(key: str, purpose: str) -> bytes:
    """A Fernet key for one purpose, derived from a token key so no two uses ever share a key."""
    raw = base64.urlsafe_b64decode(key.encode())
    info = f"webex-bot {purpose}".encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(raw)
    return base64.urlsafe_b64encode(derived)
