"""Link and token values never show their secrets when printed or logged."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.accounts import Link, TokenGrant


def test_a_grant_hides_its_tokens() -> None:
    grant = TokenGrant("access-secret-1", "sandbox_refresh-secret-2", 7200, email="a@example.com")
    assert "secret" not in repr(grant) and "a@example.com" in repr(grant)


def test_a_link_hides_its_tokens() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    link = Link(
        team_id="T1",
        user_id="U1",
        site="sandbox",
        webex_id="alice",
        email="alice@example.com",
        scopes=("all_read",),
        access_token="access-secret-1",
        refresh_token="refresh-secret-2",
        access_expires_at=now,
        refresh_expires_at=None,
        created_at=now,
        updated_at=now,
    )
    assert "secret" not in repr(link) and "alice@example.com" in str(link)
