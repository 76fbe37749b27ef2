"""Job leases on a real database: one holder at a time, renewal by the holder, takeover after expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.domain.clock import FakeClock
from bot.store.database import Database
from bot.store.leases import JobLeases

HOUR = timedelta(hours=1)


async def test_the_first_process_takes_the_lease_and_the_others_are_refused(database: Database) -> None:
    clock = FakeClock()
    first, second = JobLeases(database, clock, "pid-1"), JobLeases(database, clock, "pid-2")
    assert await first.take("housekeeping", HOUR) == clock.now() + HOUR
    assert await second.take("housekeeping", HOUR) is None
    assert await first.holder("housekeeping") == ("pid-1", clock.now() + HOUR)


async def test_many_processes_racing_for_a_new_lease_give_it_to_exactly_one(database: Database) -> None:
    clock = FakeClock()
    takers = [JobLeases(database, clock, f"pid-{n}") for n in range(8)]
    results = await asyncio.gather(*(taker.take("housekeeping", HOUR) for taker in takers))
    assert sum(result is not None for result in results) == 1
    clock.advance(2 * HOUR)  # expired: again exactly one of them takes it
    results = await asyncio.gather(*(taker.take("housekeeping", HOUR) for taker in takers))
    assert sum(result is not None for result in results) == 1


async def test_the_holder_renews_and_another_takes_over_only_after_expiry(database: Database) -> None:
    clock = FakeClock()
    first, second = JobLeases(database, clock, "pid-1"), JobLeases(database, clock, "pid-2")
    await first.take("housekeeping", HOUR)
    clock.advance(timedelta(minutes=59))
    assert await first.take("housekeeping", HOUR) is not None  # renewed by its holder
    clock.advance(timedelta(minutes=59))
    assert await second.take("housekeeping", HOUR) is None  # the renewal still holds
    clock.advance(timedelta(minutes=2))
    assert await second.take("housekeeping", HOUR) == clock.now() + HOUR  # the holder stopped renewing
    holder = await second.holder("housekeeping")
    assert holder is not None and holder[0] == "pid-2"


async def test_a_released_lease_is_free_at_once_and_jobs_do_not_share_leases(database: Database) -> None:
    clock = FakeClock()
    first, second = JobLeases(database, clock, "pid-1"), JobLeases(database, clock, "pid-2")
    await first.take("housekeeping", HOUR)
    assert await second.take("reminders", HOUR) is not None
    await second.release("housekeeping")  # not its lease: nothing changes
    assert await second.take("housekeeping", HOUR) is None
    await first.release("housekeeping")
    assert await second.take("housekeeping", HOUR) is not None
