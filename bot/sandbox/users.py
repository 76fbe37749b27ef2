"""The people of the sandbox workspace; alice and bob match the emulator's Webex users, the others none."""

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
    # Colleagues to invite (the README's `with @ana @li`); they have no Webex account of their own.
    SlackUser(
        id="U_ANA",
        name="ana",
        real_name="Ana Alves",
        email="ana@sandbox.example",
        tz="Europe/Lisbon",
        tz_label="Western European Time",
    ),
    SlackUser(
        id="U_LI",
        name="li",
        real_name="Li Wei",
        email="li@sandbox.example",
        tz="Asia/Shanghai",
        tz_label="China Standard Time",
    ),
)


def sandbox_users() -> tuple[SlackUser, ...]:
    """alice (New York), bob (Berlin), carol (Kolkata, with an email no Webex user has), ana and li."""
    return SANDBOX_USERS
