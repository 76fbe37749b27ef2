"""The refresh token's site prefix, `{site}_`: added when missing, never doubled."""

from __future__ import annotations

from bot.services.accounts import with_site_prefix


def test_prefix_is_added_when_missing() -> None:
    assert with_site_prefix("abc123", "sandbox") == "sandbox_abc123"


def test_prefix_is_not_doubled() -> None:
    assert with_site_prefix("sandbox_abc123", "sandbox") == "sandbox_abc123"
    assert with_site_prefix("Sandbox_abc123", "sandbox") == "Sandbox_abc123"


def test_another_sites_prefix_is_not_mistaken_for_ours() -> None:
    assert with_site_prefix("acme_abc123", "sandbox") == "sandbox_acme_abc123"


def test_no_site_leaves_the_token_alone() -> None:
    assert with_site_prefix("abc123", "") == "abc123"
