"""HostPressStore on a real database: a press opens one host link, once, for minutes, across processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.domain.clock import FakeClock
from bot.store import Database
from bot.store.host_presses import HostPressStore

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def test_a_press_is_used_once_and_only_for_its_host_and_meeting(
    database: Database, clock: FakeClock
) -> None:
    presses = HostPressStore(database, clock)
    await presses.record("T1", "U1", "123")
    assert not await presses.use("T1", "U2", "123")
    assert not await presses.use("T1", "U1", "456")
    assert not await presses.use("T2", "U1", "123")
    assert await presses.use("T1", "U1", "123")
    assert not await presses.use("T1", "U1", "123")
    await presses.record("T1", "U1", "123")
    await presses.record("T1", "U1", "123")  # a double click opens two tabs
    assert await presses.use("T1", "U1", "123") and await presses.use("T1", "U1", "123")
    assert not await presses.use("T1", "U1", "123")


async def test_a_press_lapses_after_its_lifetime(database: Database, clock: FakeClock) -> None:
    presses = HostPressStore(database, clock, lifetime=timedelta(minutes=2))
    await presses.record("T1", "U1", "123")
    clock.advance(timedelta(minutes=2, seconds=1))
    assert not await presses.use("T1", "U1", "123")
    await presses.record("T1", "U1", "456")  # a new press tidies away the lapsed one
    async with database.engine.connect() as connection:
        left = (await connection.execute(text("SELECT meeting_key FROM host_presses"))).all()
    assert [row[0] for row in left] == ["456"]


async def test_one_press_opens_one_link_with_processes_racing(
    migrated_database_url: str, clock: FakeClock
) -> None:
    databases = [Database(migrated_database_url) for _ in range(3)]
    try:
        stores = [HostPressStore(db, clock) for db in databases]
        await stores[0].record("T1", "U1", "123")
        outcomes = await asyncio.gather(*(stores[i % 3].use("T1", "U1", "123") for i in range(30)))
        assert outcomes.count(True) == 1
    finally:
        for db in databases:
            await db.dispose()


async def test_forgetting_removes_the_presses(database: Database, clock: FakeClock) -> None:
    presses = HostPressStore(database, clock)
    await presses.record("T1", "U1", "1")
    await presses.record("T1", "U2", "2")
    await presses.record("T2", "U1", "3")
    assert await presses.delete_user("T1", "U1") == 1
    assert await presses.delete_team("T2") == 1
    async with database.engine.connect() as connection:
        left = (await connection.execute(text("SELECT user_id FROM host_presses"))).all()
    assert [row[0] for row in left] == ["U2"]
