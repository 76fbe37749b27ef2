"""Housekeeping drops old sign-in attempts and command records when its turn comes, leaves them when
another process has the turn, and survives a database outage."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from bot.web.app import keep_tidy


class Purgeable:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls: list[timedelta] = []
        self.fail_first = fail_first

    async def purge(self, older_than: timedelta) -> int:
        self.calls.append(older_than)
        if self.fail_first and len(self.calls) == 1:
            raise OSError("database is down")
        return 1


class Turns:
    """The job lease: every turn ours, or every turn another process's."""

    def __init__(self, ours: bool = True) -> None:
        self.ours = ours
        self.asked: list[tuple[str, timedelta]] = []

    async def take_turn(self, name: str, every: timedelta) -> datetime | None:
        self.asked.append((name, every))
        return datetime.now(UTC) + every if self.ours else None


async def run_for(services: Any, seconds: float, turns: Any = None) -> None:
    task = asyncio.create_task(keep_tidy(services, turns or Turns(), interval=0.01))
    await asyncio.sleep(seconds)
    task.cancel()


async def test_old_attempts_and_records_are_purged_regularly() -> None:
    services = SimpleNamespace(states=Purgeable(), operations=Purgeable())
    await run_for(services, 0.1)
    assert len(services.states.calls) >= 2
    assert services.states.calls[0] == timedelta(days=1)
    assert services.operations.calls[0] == timedelta(days=7)


async def test_a_database_outage_does_not_stop_housekeeping() -> None:
    services = SimpleNamespace(states=Purgeable(fail_first=True), operations=Purgeable())
    await run_for(services, 0.1)
    assert len(services.states.calls) >= 2


async def test_nothing_is_purged_while_another_process_has_the_turn() -> None:
    services = SimpleNamespace(states=Purgeable(), operations=Purgeable())
    turns = Turns(ours=False)
    await run_for(services, 0.1, turns)
    assert len(turns.asked) >= 2 and turns.asked[0] == ("housekeeping", timedelta(seconds=0.01))
    assert services.states.calls == [] and services.operations.calls == []
