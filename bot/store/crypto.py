"""Encryption of tokens at rest with Fernet keys from settings, newest key first."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

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


class TokenCipher:
    """Encrypts with the first key, decrypts with any key, and rotates values onto the first key."""

    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            keys = parse_token_keys(keys)
        if not keys:
            raise InvalidTokenKey(f"TOKEN_KEYS is empty: give at least one Fernet key ({KEY_HINT})")
        fernets: list[Fernet] = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip()))
            except (ValueError, TypeError):
                # Never echo the key itself: a typo'd key is still mostly a secret.
                raise InvalidTokenKey(
                    f"TOKEN_KEYS entry {position} of {len(keys)} is not a Fernet key "
                    f"(32 bytes, url-safe base64, 44 characters); {KEY_HINT}"
                ) from None
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)
        self.key_count = len(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._all.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._all.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise UndecryptableToken(
                "a stored token cannot be decrypted with any key in TOKEN_KEYS: the key that encrypted "
                "it is missing (put it back, after the newest key, until the re-encryption has run)"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """The value encrypted under the newest key (a fresh ciphertext even when it already was)."""
        try:
            return self._all.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise UndecryptableToken(
                "a stored token cannot be re-encrypted: no key in TOKEN_KEYS can read it"
            ) from None

    def is_current(self, ciphertext: str) -> bool:
        """Whether the newest key already reads this value, so rotation would change nothing useful."""
        try:
            self._newest.decrypt(ciphertext.encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True
