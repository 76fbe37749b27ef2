"""Signed tokens: opaque, dated, tamper-evident, one key per purpose, readable across key rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from bot.domain.clock import FakeClock
from bot.services.signed_tokens import SignedTokens, TokenExpired, TokenInvalid

KEY = Fernet.generate_key().decode()


def tokens(
    clock: FakeClock, *, purpose: str = "meeting join link", keys: list[str] | None = None
) -> SignedTokens:
    return SignedTokens(keys or [KEY], purpose=purpose, ttl=timedelta(days=30), clock=clock)


def test_a_token_reads_back_and_hides_what_it_carries() -> None:
    clock = FakeClock()
    issued = tokens(clock).issue({"t": "T1", "u": "U0HOSTUSER", "k": "123456789"})
    assert tokens(clock).read(issued) == {"t": "T1", "u": "U0HOSTUSER", "k": "123456789"}
    assert "U0HOSTUSER" not in issued and "123456789" not in issued


def test_an_old_token_is_expired_and_still_says_what_it_was_for() -> None:
    clock = FakeClock()
    issued = tokens(clock).issue({"k": "123456789"})
    clock.advance(timedelta(days=30, seconds=1))
    with pytest.raises(TokenExpired) as expired:
        tokens(clock).read(issued)
    assert expired.value.payload == {"k": "123456789"}


def test_a_changed_or_cut_token_is_invalid_not_expired() -> None:
    clock = FakeClock()
    issued = tokens(clock).issue({"k": "123456789"})
    tampered = issued[:-6] + ("A" if issued[-6] != "A" else "B") + issued[-5:]
    for bad in (tampered, issued[:-10], "garbage", ""):
        with pytest.raises(TokenInvalid) as caught:
            tokens(clock).read(bad)
        assert not isinstance(caught.value, TokenExpired)


def test_a_token_for_one_purpose_is_refused_for_another() -> None:
    clock = FakeClock()
    join = tokens(clock, purpose="meeting join link").issue({"k": "123456789"})
    with pytest.raises(TokenInvalid):
        tokens(clock, purpose="meeting host link").read(join)


def test_rotating_keys_keeps_issued_tokens_readable() -> None:
    clock = FakeClock()
    issued = tokens(clock).issue({"k": "1"})
    newer = Fernet.generate_key().decode()
    assert tokens(clock, keys=[newer, KEY]).read(issued) == {"k": "1"}
    with pytest.raises(TokenInvalid):
        tokens(clock, keys=[newer]).read(issued)


# Issued by the bot before tokens were sealed with AES-GCM-SIV (Fernet), on 2026-12-01 09:00 UTC, for a
# test key: links already in Slack's history must keep working after an upgrade.
LEGACY_KEY = "bGVnYWN5IGtleSBmb3IgdGVzdHMgb25seSwgMzIgYnk="
LEGACY_JOIN_LINK_TOKEN = (
    "gAAAAABrDoyQbVuwuL65MWnjJWixvAkMd3tTxKKV8JaXh9SzlCJaQ0-djBTBTmRD5lNT8Ai2fYlmZB72JhiE_eSLEsIdX2JKQNNt"
    "BdbGqslFmNcGvcm1dDw3sP8IvUAcYEC274G107lA"
)
LEGACY_ISSUED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_token_issued_before_the_upgrade_still_reads_and_still_expires() -> None:
    clock = FakeClock(LEGACY_ISSUED + timedelta(days=29))
    legacy = tokens(clock, keys=[LEGACY_KEY])
    assert legacy.read(LEGACY_JOIN_LINK_TOKEN) == {"t": "T1", "u": "U0HOSTUSER", "k": "123456789"}
    with pytest.raises(TokenInvalid):
        tokens(clock, keys=[LEGACY_KEY], purpose="meeting host link").read(LEGACY_JOIN_LINK_TOKEN)
    clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(TokenExpired) as expired:
        legacy.read(LEGACY_JOIN_LINK_TOKEN)
    assert expired.value.payload["k"] == "123456789"


def test_a_token_dated_ahead_of_the_clock_is_refused() -> None:
    clock = FakeClock()
    ahead = FakeClock(clock.now() + timedelta(minutes=2))
    with pytest.raises(TokenInvalid):
        tokens(clock).read(tokens(ahead).issue({"k": "1"}))
    slightly_ahead = FakeClock(clock.now() + timedelta(seconds=30))
    assert tokens(clock).read(tokens(slightly_ahead).issue({"k": "1"})) == {"k": "1"}
