"""The per-user throttle on a real database: OperationStore.begin of a creation counts the user's records,
per minute and in flight, atomically across processes, and writes nothing when it refuses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.domain.clock import FakeClock
from bot.store import Database, OperationStore, TokenCipher
from bot.store.throttle import ThrottleFull, ThrottleLimits

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def throttled(database: Database, clock: FakeClock, per_minute: int, in_flight: int) -> OperationStore:
    return OperationStore(database, clock, limits=ThrottleLimits(per_minute=per_minute, in_flight=in_flight))


async def records(database: Database) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM operations"))).scalar_one())


async def test_the_minute_limit_refuses_with_the_seconds_until_a_place_frees_and_records_nothing(
    database: Database, clock: FakeClock
) -> None:
    operations = throttled(database, clock, per_minute=3, in_flight=0)
    for i in range(3):
        await operations.begin(f"k{i}", "T1", "U1", "schedule")
        await operations.finish(f"k{i}", {"meeting_key": str(i)})
        clock.advance(timedelta(seconds=10))
    # Three in the last minute, the first 30 s ago: a fourth fits in 30 s.
    with pytest.raises(ThrottleFull) as full:
        await operations.begin("k3", "T1", "U1", "now")
    assert (full.value.limit, full.value.retry_after) == ("per minute", 30)
    assert await operations.get("k3") is None and await records(database) == 3
    assert (await operations.begin("other-team", "T2", "U1", "schedule")).owned  # same id, other workspace
    assert (await operations.begin("other-user", "T1", "U2", "schedule")).owned
    clock.advance(timedelta(seconds=30))
    assert (await operations.begin("k3", "T1", "U1", "now")).owned


async def test_the_in_flight_limit_frees_a_place_when_a_creation_ends_however_it_ends(
    database: Database, clock: FakeClock
) -> None:
    operations = throttled(database, clock, per_minute=0, in_flight=2)
    await operations.begin("failed", "T1", "U1", "schedule")
    await operations.fail("failed", "WebexUnavailable")
    await operations.begin("a", "T1", "U1", "schedule")
    await operations.begin("b", "T1", "U1", "now")
    with pytest.raises(ThrottleFull) as full:
        await operations.begin("c", "T1", "U1", "schedule")
    assert full.value.limit == "in flight" and full.value.retry_after > 0
    await operations.finish("a", {"meeting_key": "1"})
    assert (await operations.begin("c", "T1", "U1", "schedule")).owned


async def test_repeats_of_a_request_and_other_work_are_never_throttled(
    database: Database, clock: FakeClock
) -> None:
    cipher = TokenCipher([Fernet.generate_key().decode()])
    limits = ThrottleLimits(per_minute=1, in_flight=1)
    operations = OperationStore(database, clock, cipher=cipher, limits=limits)
    assert (await operations.begin("k1", "T1", "U1", "schedule")).owned
    again = await operations.begin("k1", "T1", "U1", "schedule")  # a double click waits for the first
    assert not again.owned and again.status == "started"
    assert (await operations.begin("edit-1", "T1", "U1", "edit")).owned
    assert await operations.accept("cmd-1", "T1", "U1", {"text": "schedule Standup tomorrow 3pm"})
    with pytest.raises(ThrottleFull):
        await operations.begin("k2", "T1", "U1", "schedule")


async def test_a_creation_left_by_a_dead_process_lapses(database: Database, clock: FakeClock) -> None:
    operations = throttled(database, clock, per_minute=0, in_flight=1)
    await operations.begin("dies", "T1", "U1", "schedule")  # never finished: its process was killed
    with pytest.raises(ThrottleFull):
        await operations.begin("k2", "T1", "U1", "schedule")
    clock.advance(operations.limits.slot_lifetime + timedelta(seconds=1))
    assert (await operations.begin("k2", "T1", "U1", "schedule")).owned


async def test_zero_turns_both_limits_off(database: Database, clock: FakeClock) -> None:
    operations = throttled(database, clock, per_minute=0, in_flight=0)
    for i in range(50):
        assert (await operations.begin(f"k{i}", "T1", "U1", "schedule")).owned


@pytest.mark.parametrize("limits", [ThrottleLimits(per_minute=4, in_flight=0), ThrottleLimits(0, 4)])
async def test_processes_racing_for_one_user_never_admit_more_than_the_limit(
    migrated_database_url: str, clock: FakeClock, limits: ThrottleLimits
) -> None:
    # Several Database objects (separate pools) stand for processes taking the same user's commands.
    databases = [Database(migrated_database_url) for _ in range(3)]
    try:
        stores = [OperationStore(db, clock, limits=limits) for db in databases]

        async def attempt(store: OperationStore, key: str, user: str) -> str:
            try:
                await store.begin(key, "T1", user, "schedule")
            except ThrottleFull:
                return "refused"
            return "admitted"

        alice = [attempt(stores[i % 3], f"alice-{i}", "U_ALICE") for i in range(24)]
        bob = [attempt(stores[i % 3], f"bob-{i}", "U_BOB") for i in range(2)]
        outcomes = await asyncio.gather(*alice, *bob)
        assert outcomes[:24].count("admitted") == 4
        assert outcomes[24:] == ["admitted", "admitted"]  # another user is not held up
        assert await records(databases[0]) == 6  # the refused left nothing behind
    finally:
        for db in databases:
            await db.dispose()
