"""Encryption with the keys in TOKEN_KEYS, newest first: of tokens at rest, and of the bot's signed tokens.

Values are sealed with AES-GCM-SIV (`SecretBox`), which costs a quarter of the CPU of Fernet; values sealed
with Fernet before still open, and `webex-bot db reencrypt` rewrites stored ones in the new form.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct
import time
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_HINT = (
    'generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


class InvalidTokenKey(ValueError):
    """TOKEN_KEYS is empty or one of its entries is not a Fernet key."""


class UndecryptableToken(Exception):
    """A stored value that none of the configured keys can read (the key that wrote it is missing)."""


def parse_token_keys(text: str) -> list[str]:
    """Split a TOKEN_KEYS setting: keys separated by commas or whitespace, newest first."""
    return [part for part in re.split(r"[\s,]+", text) if part]


# A sealed value: version, when it was sealed (seconds, both authenticated), nonce, ciphertext and tag.
# Fernet's version byte is 0x80, so the first byte tells the two forms apart.
_VERSION = 0x02
_HEADER = struct.Struct(">BQ")
_NONCE = 12
_TAG = 16
_NONCE_END = _HEADER.size + _NONCE


def derive_key(key: str, info: str) -> bytes:
    """32 bytes for one use of a TOKEN_KEYS entry (HKDF-SHA256), so no two uses ever share a key."""
    raw = base64.urlsafe_b64decode(key.strip().encode())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(raw)


class SecretBox:
    """Seals bytes with the first key and opens what any key sealed, dated like Fernet and checked like it.

    `keys` are AES-GCM-SIV keys, newest first; `legacy` are the Fernet keys that sealed the same kind of
    value before, so what was handed out or stored then still opens. AES-GCM-SIV stays safe if a random
    nonce ever repeats, which matters for a key that seals millions of button values a year.
    """

    def __init__(self, keys: Sequence[bytes], legacy: Sequence[str | bytes]) -> None:
        self._boxes = [AESGCMSIV(key) for key in keys]
        self._newest = self._boxes[0]
        self._legacy = MultiFernet([Fernet(key) for key in legacy])

    def seal(self, data: bytes, now: int) -> str:
        header = _HEADER.pack(_VERSION, now)
        nonce = os.urandom(_NONCE)
        sealed = self._newest.encrypt(nonce, data, header)
        return base64.urlsafe_b64encode(header + nonce + sealed).decode("ascii")

    def open(self, token: str) -> tuple[bytes, int]:
        """What was sealed and when (seconds), or InvalidToken when no key opens it as it is."""
        raw = _decoded(token)
        if raw[:1] == b"\x80":
            return self._legacy.decrypt(token.encode("ascii")), int.from_bytes(raw[1:9], "big")
        return self._opened(raw, self._boxes)

    def sealed_by_newest(self, token: str) -> bool:
        """Whether the newest key sealed `token` in the current form (so re-sealing would change nothing)."""
        try:
            self._opened(_decoded(token), self._boxes[:1])
        except InvalidToken:
            return False
        return True

    @staticmethod
    def _opened(raw: bytes, boxes: Sequence[AESGCMSIV]) -> tuple[bytes, int]:
        if len(raw) < _NONCE_END + _TAG or raw[0] != _VERSION:
            raise InvalidToken
        header, nonce, sealed = raw[: _HEADER.size], raw[_HEADER.size : _NONCE_END], raw[_NONCE_END:]
        for box in boxes:
            try:
                data = box.decrypt(nonce, sealed, header)
            except InvalidTag:
                continue
            return data, _HEADER.unpack(header)[1]
        raise InvalidToken


def _decoded(token: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, UnicodeError):
        raise InvalidToken from None


class TokenCipher:
    """Encrypts with the first key, decrypts with any key, and rotates values onto the first key."""

    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            keys = parse_token_keys(keys)
        if not keys:
            raise InvalidTokenKey(f"TOKEN_KEYS is empty: give at least one Fernet key ({KEY_HINT})")
        keys = [key.strip() for key in keys]
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                # Never echo the key itself: a typo'd key is still mostly a secret.
                raise InvalidTokenKey(
                    f"TOKEN_KEYS entry {position} of {len(keys)} is not a Fernet key "
                    f"(32 bytes, url-safe base64, 44 characters); {KEY_HINT}"
                ) from None
        # Values stored before SecretBox were sealed with the keys themselves, as Fernet keys.
        self._box = SecretBox([derive_key(key, "webex-bot value at rest") for key in keys], keys)
        self.key_count = len(keys)

    def encrypt(self, plaintext: str) -> str:
        return self._box.seal(plaintext.encode(), self._now())

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._box.open(ciphertext)[0].decode()
        except (InvalidToken, UnicodeError):
            raise UndecryptableToken(
                "a stored token cannot be decrypted with any key in TOKEN_KEYS: the key that encrypted "
                "it is missing (put it back, after the newest key, until the re-encryption has run)"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """The value encrypted under the newest key (a fresh ciphertext even when it already was)."""
        try:
            plaintext = self._box.open(ciphertext)[0]
        except (InvalidToken, UnicodeError):
            raise UndecryptableToken(
                "a stored token cannot be re-encrypted: no key in TOKEN_KEYS can read it"
            ) from None
        return self._box.seal(plaintext, self._now())

    def is_current(self, ciphertext: str) -> bool:
        """Whether the newest key sealed this value in the current form, so rotation would change nothing."""
        return self._box.sealed_by_newest(ciphertext)

    @staticmethod
    def _now() -> int:
        # A stored value's date is never read (it has no lifetime), so the wall clock does, as in Fernet.
        return int(time.time())
