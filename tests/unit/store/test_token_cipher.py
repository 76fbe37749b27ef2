"""TokenCipher: encryption at rest, key rotation and clear errors for bad keys."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.store.crypto import InvalidTokenKey, TokenCipher, UndecryptableToken, parse_token_keys


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_round_trip_never_shows_the_plaintext() -> None:
    cipher = TokenCipher([new_key()])
    secret = "sandbox_access-token-üñí"
    encrypted = cipher.encrypt(secret)
    assert secret not in encrypted
    assert cipher.encrypt(secret) != encrypted  # fresh IV each time
    assert cipher.decrypt(encrypted) == secret


def test_newest_key_encrypts_and_older_keys_still_decrypt() -> None:
    old, new = new_key(), new_key()
    written_with_old = TokenCipher([old]).encrypt("refresh")
    both = TokenCipher([new, old])
    assert both.decrypt(written_with_old) == "refresh"
    assert not both.is_current(written_with_old)
    rotated = both.rotate(written_with_old)
    assert both.is_current(rotated)
    assert TokenCipher([new]).decrypt(rotated) == "refresh"
    assert TokenCipher([new]).decrypt(both.encrypt("x")) == "x"


def test_a_value_no_key_can_read_is_an_error_not_a_blank() -> None:
    written = TokenCipher([new_key()]).encrypt("access")
    other = TokenCipher([new_key()])
    with pytest.raises(UndecryptableToken, match="TOKEN_KEYS"):
        other.decrypt(written)
    with pytest.raises(UndecryptableToken):
        other.rotate(written)
    with pytest.raises(UndecryptableToken):
        other.decrypt("not a fernet token at all ✗")


@pytest.mark.parametrize("bad", ["", "short", "x" * 44, Fernet.generate_key().decode()[:-2]])
def test_malformed_key_is_refused_without_echoing_it(bad: str) -> None:
    keys = [new_key(), bad] if bad else []
    with pytest.raises(InvalidTokenKey) as raised:
        TokenCipher(keys)
    message = str(raised.value)
    assert "TOKEN_KEYS" in message
    assert "Fernet.generate_key" in message
    if bad:
        assert "entry 2 of 2" in message
        assert bad not in message


def test_keys_setting_splits_on_commas_and_whitespace() -> None:
    first, second = new_key(), new_key()
    assert parse_token_keys(f" {first},\n {second} ,") == [first, second]
    assert TokenCipher(f"{first},{second}").key_count == 2


# Written by the bot before values were sealed with AES-GCM-SIV (Fernet), with a test key: a database
# written then must open after an upgrade, and `db reencrypt` moves it to the current form.
LEGACY_KEY = "bGVnYWN5IGtleSBmb3IgdGVzdHMgb25seSwgMzIgYnk="
LEGACY_STORED = (
    "gAAAAABrFw8BiqoGwadci5BNQzLKAG2BwaAhYcx_eTwAI99OhxigSx8mSvj5gjumIRCDolJ21JybKKwwDbX3Fc6OlSAcXGutMHvm"
    "21IwUh2M6YZ-pEAW75c="
)


def test_a_value_stored_before_the_upgrade_opens_and_reencrypts_into_the_current_form() -> None:
    cipher = TokenCipher([LEGACY_KEY])
    assert cipher.decrypt(LEGACY_STORED) == "sandbox_access-token"
    assert not cipher.is_current(LEGACY_STORED)
    rotated = cipher.rotate(LEGACY_STORED)
    assert cipher.is_current(rotated)
    assert not rotated.startswith("gAAAAA")
    assert cipher.decrypt(rotated) == "sandbox_access-token"
    with pytest.raises(UndecryptableToken):
        TokenCipher([new_key()]).decrypt(LEGACY_STORED)


def test_a_changed_or_cut_value_is_undecryptable() -> None:
    cipher = TokenCipher([new_key()])
    sealed = cipher.encrypt("access")
    flipped = sealed[:30] + ("A" if sealed[30] != "A" else "B") + sealed[31:]
    for bad in (flipped, sealed[:-8], sealed[:20], "Ag==", ""):
        with pytest.raises(UndecryptableToken):
            cipher.decrypt(bad)
        assert not cipher.is_current(bad)
