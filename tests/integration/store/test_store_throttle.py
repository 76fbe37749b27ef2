"""ThrottleStore on a real database: per-minute and in-flight limits per user, atomic across processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.domain.clock import FakeClock
from bot.store import Database
from bot.store.throttle import ThrottleFull, ThrottleLimits, ThrottleStore

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def test_the_minute_limit_refuses_with_the_seconds_until_a_place_frees(
    database: Database, clock: FakeClock
) -> None:
    throttle = ThrottleStore(database, clock, ThrottleLimits(per_minute=3, in_flight=0))
    for _ in range(3):
        async with throttle.slot("T1", "U1"):
            clock.advance(timedelta(seconds=10))
    # Three in the last minute, the first 30 s ago: a fourth fits in 30 s.
    with pytest.raises(ThrottleFull) as full:
        await throttle.admit("T1", "U1")
    assert (full.value.limit, full.value.retry_after) == ("per minute", 30)
    await throttle.admit("T2", "U1")  # another workspace's user with the same id
    await throttle.admit("T1", "U2")  # another user
    clock.advance(timedelta(seconds=30))
    await throttle.admit("T1", "U1")


async def test_the_in_flight_limit_frees_a_place_when_a_creation_ends_however_it_ends(
    database: Database, clock: FakeClock
) -> None:
    throttle = ThrottleStore(database, clock, ThrottleLimits(per_minute=0, in_flight=2))
    with pytest.raises(RuntimeError):
        async with throttle.slot("T1", "U1"):
            raise RuntimeError("Webex failed")
    async with throttle.slot("T1", "U1"), throttle.slot("T1", "U1"):
        with pytest.raises(ThrottleFull) as full:
            await throttle.admit("T1", "U1")
        assert full.value.limit == "in flight" and full.value.retry_after > 0
    await throttle.admit("T1", "U1")


async def test_a_creation_cut_short_at_shutdown_gives_its_place_back(
    database: Database, clock: FakeClock
) -> None:
    throttle = ThrottleStore(database, clock, ThrottleLimits(per_minute=0, in_flight=1))
    holding = asyncio.Event()

    async def creation() -> None:
        async with throttle.slot("T1", "U1"):
            holding.set()
            await asyncio.sleep(60)  # Webex is slow; the process is told to stop meanwhile

    task = asyncio.create_task(creation())
    await holding.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await throttle.admit("T1", "U1")


async def test_a_slot_left_by_a_dead_process_lapses(database: Database, clock: FakeClock) -> None:
    throttle = ThrottleStore(database, clock, ThrottleLimits(per_minute=0, in_flight=1))
    await throttle.admit("T1", "U1")  # never released: its process was killed
    with pytest.raises(ThrottleFull):
        await throttle.admit("T1", "U1")
    clock.advance(throttle.limits.slot_lifetime + timedelta(seconds=1))
    await throttle.admit("T1", "U1")


async def test_zero_turns_the_throttle_off_and_writes_nothing(database: Database, clock: FakeClock) -> None:
    throttle = ThrottleStore(database, clock, ThrottleLimits(per_minute=0, in_flight=0))
    for _ in range(50):
        assert await throttle.admit("T1", "U1") is None
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM throttle_slots"))).scalar() == 0


async def test_old_slots_are_tidied_so_a_busy_user_keeps_few_rows(
    database: Database, clock: FakeClock
) -> None:
    throttle = ThrottleStore(database, clock, ThrottleLimits(per_minute=5, in_flight=5))
    for _ in range(40):
        async with throttle.slot("T1", "U1"):
            pass
        clock.advance(timedelta(seconds=20))
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM throttle_slots"))).scalar() <= 5


@pytest.mark.parametrize("limits", [ThrottleLimits(per_minute=4, in_flight=0), ThrottleLimits(0, 4)])
async def test_processes_racing_for_one_user_never_admit_more_than_the_limit(
    migrated_database_url: str, clock: FakeClock, limits: ThrottleLimits
) -> None:
    # Several Database objects (separate pools) stand for processes taking the same user's commands.
    databases = [Database(migrated_database_url) for _ in range(3)]
    try:
        stores = [ThrottleStore(db, clock, limits) for db in databases]

        async def attempt(store: ThrottleStore, user: str) -> str:
            try:
                await store.admit("T1", user)
            except ThrottleFull:
                return "refused"
            return "admitted"

        alice = [attempt(stores[i % 3], "U_ALICE") for i in range(24)]
        bob = [attempt(stores[i % 3], "U_BOB") for i in range(2)]
        outcomes = await asyncio.gather(*alice, *bob)
        assert outcomes[:24].count("admitted") == 4
        assert outcomes[24:] == ["admitted", "admitted"]  # another user is not held up
    finally:
        for db in databases:
            await db.dispose()


async def test_forgetting_removes_the_users_slots(database: Database, clock: FakeClock) -> None:
    throttle = ThrottleStore(database, clock)
    await throttle.admit("T1", "U1")
    await throttle.admit("T1", "U2")
    await throttle.admit("T2", "U1")
    assert await throttle.delete_user("T1", "U1") == 1
    assert await throttle.delete_team("T2") == 1
    async with database.engine.connect() as connection:
        users = (await connection.execute(text("SELECT team_id, user_id FROM throttle_users"))).all()
        slots = (await connection.execute(text("SELECT team_id, user_id FROM throttle_slots"))).all()
    assert [tuple(row) for row in users] == [tuple(row) for row in slots] == [("T1", "U2")]
