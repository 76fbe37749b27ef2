"""OperationStore on a real database: the first request with a key owns the work, repeats see its outcome."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.clock import FakeClock
from bot.store import Database, OperationStore

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def operations(database: Database, clock: FakeClock) -> OperationStore:
    return OperationStore(database, clock)


async def test_first_begin_owns_the_work_and_repeats_see_it(
    operations: OperationStore, clock: FakeClock
) -> None:
    first = await operations.begin("T1:trigger-1", "T1", "U1", "schedule", {"topic": "Standup"})
    assert first.owned and first.status == "started" and first.request == {"topic": "Standup"}
    again = await operations.begin("T1:trigger-1", "T1", "U1", "schedule", {"topic": "Standup"})
    assert not again.owned and again.status == "started"

    clock.advance(timedelta(seconds=2))
    assert await operations.finish("T1:trigger-1", {"meeting_key": "123456789", "topic": "Standup"})
    assert not await operations.finish("T1:trigger-1", {"meeting_key": "other"})
    assert not await operations.fail("T1:trigger-1", "too late")
    done = await operations.begin("T1:trigger-1", "T1", "U1", "schedule")
    assert not done.owned and done.status == "done"
    assert done.result == {"meeting_key": "123456789", "topic": "Standup"}
    assert done.created_at == START and done.updated_at == START + timedelta(seconds=2)


async def test_failure_is_recorded_with_its_message(operations: OperationStore) -> None:
    await operations.begin("k", "T1", "U1", "cancel")
    assert await operations.fail("k", "WebexUnavailable", {"attempted": True})
    failed = await operations.get("k")
    assert failed is not None and failed.status == "failed"
    assert failed.error == "WebexUnavailable" and failed.result == {"attempted": True}
    assert not (await operations.begin("k", "T1", "U1", "cancel")).owned
    assert await operations.get("missing") is None
    assert not await operations.finish("missing")


async def test_exactly_one_owner_under_concurrency(migrated_database_url: str, clock: FakeClock) -> None:
    databases = [Database(migrated_database_url) for _ in range(3)]
    try:
        stores = [OperationStore(db, clock) for db in databases]
        records = await asyncio.gather(
            *(stores[i % 3].begin(f"key-{i % 5}", "T1", "U1", "schedule", {"n": i}) for i in range(60))
        )
        for key in range(5):
            mine = [record for record in records if record.key == f"key-{key}"]
            assert len(mine) == 12
            assert sum(record.owned for record in mine) == 1
            owner = next(record for record in mine if record.owned)
            assert all(record.request == owner.request for record in mine)
    finally:
        for db in databases:
            await db.dispose()


async def test_unfinished_work_is_listed_and_old_records_purged(
    operations: OperationStore, clock: FakeClock
) -> None:
    await operations.begin("old-done", "T1", "U1", "schedule")
    await operations.finish("old-done", {})
    await operations.begin("old-started", "T1", "U1", "schedule")
    clock.advance(timedelta(days=8))
    await operations.begin("new", "T1", "U2", "schedule")
    assert [op.key for op in await operations.list_started(older_than=timedelta(days=1))] == ["old-started"]
    assert await operations.purge(older_than=timedelta(days=7)) == 1
    assert await operations.get("old-done") is None
    assert await operations.get("old-started") is not None  # never silently dropped while unresolved


async def test_forgetting_a_user_or_team(operations: OperationStore) -> None:
    for key, team, user in [("a", "T1", "U1"), ("b", "T1", "U1"), ("c", "T1", "U2"), ("d", "T2", "U1")]:
        await operations.begin(key, team, user, "schedule")
    assert await operations.delete_user("T1", "U1") == 2
    assert await operations.delete_team("T1") == 1
    assert await operations.get("d") is not None
