"""Connect-link tokens: bound to one Slack user, dated, tamper-evident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from bot.domain.clock import FakeClock
from bot.services.linking import ConnectProblem, ConnectTokens

KEY = Fernet.generate_key().decode()


def tokens(clock: FakeClock, keys: list[str] | None = None) -> ConnectTokens:
    return ConnectTokens(keys or [KEY], timedelta(hours=24), clock)


def test_a_token_carries_team_user_and_pending_work() -> None:
    clock = FakeClock(datetime(2026, 11, 29, 9, tzinfo=UTC))
    issued = tokens(clock).issue("T1", "U0PRIVATEUSER", {"kind": "command", "text": "schedule Standup 9am"})
    assert tokens(clock).read(issued) == {
        "t": "T1",
        "u": "U0PRIVATEUSER",
        "p": {"kind": "command", "text": "schedule Standup 9am"},
    }
    assert "U0PRIVATEUSER" not in issued and "Standup" not in issued  # opaque, not just signed


def test_an_old_token_is_expired_and_says_so() -> None:
    clock = FakeClock(datetime(2026, 11, 29, 9, tzinfo=UTC))
    issued = tokens(clock).issue("T1", "U1", None)
    clock.advance(timedelta(hours=25))
    with pytest.raises(ConnectProblem, match="expired"):
        tokens(clock).read(issued)


def test_a_tampered_token_is_refused() -> None:
    clock = FakeClock()
    issued = tokens(clock).issue("T1", "U1", None)
    tampered = issued[:-6] + ("A" if issued[-6] != "A" else "B") + issued[-5:]
    with pytest.raises(ConnectProblem, match="not valid"):
        tokens(clock).read(tampered)
    with pytest.raises(ConnectProblem, match="not valid"):
        tokens(clock).read("garbage")


def test_rotating_keys_keeps_old_buttons_working() -> None:
    clock = FakeClock()
    issued = tokens(clock).issue("T1", "U1", None)
    newer = Fernet.generate_key().decode()
    assert tokens(clock, [newer, KEY]).read(issued)["u"] == "U1"
    with pytest.raises(ConnectProblem):
        tokens(clock, [newer]).read(issued)
