"""Logs and metrics end to end: the meetings stage (the bot, the emulator, the Slack stand-in)."""

from tests.e2e.meetings.conftest import database_backend, linked, stage

__all__ = ["database_backend", "linked", "stage"]
