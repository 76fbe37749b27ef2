"""The people of the sandbox workspace; alice and bob match the emulator's Webex users, carol matches none."""

from __future__ import annotations

from bot.sandbox.workspace import SlackUser

__all__ = ["SANDBOX_USERS", "sandbox_users"]

SANDBOX_USERS: tuple[SlackUser, ...] = (
    SlackUser(
        id="U_ALICE",
        name="alice",
        real_name="Alice Archer",
        email="alice@sandbox.example",
        tz="America/New_York",
        tz_label="Eastern Standard Time",
    ),
    SlackUser(
        id="U_BOB",
        name="bob",
        real_name="Bob Baker",
        email="bob@sandbox.example",
        tz="Europe/Berlin",
        tz_label="Central European Time",
    ),
    SlackUser(
        id="U_CAROL",
        name="carol",
        real_name="Carol Clark",
        email="carol@elsewhere.example",
        tz="Asia/Kolkata",
        tz_label="India Standard Time",
    ),
)


def sandbox_users() -> tuple[SlackUser, ...]:
    """alice (New York), bob (Berlin), carol (Kolkata, with an email no Webex user has)."""
    return SANDBOX_USERS
