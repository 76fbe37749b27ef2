"""The collector's full collections wait for a quiet moment, and come at the latest every few minutes."""

from __future__ import annotations

import gc

import pytest

from bot.web import heap


class Enough(Exception):
    pass


async def collections_at(busy: list[int], *, quiet_every: float, latest: float, wanted: int) -> list[float]:
    """Run `collect_when_quiet` checking once a second, with `busy[t]` commands in flight at second t; the
    seconds at which it collected, until `wanted` collections."""
    now = 0.0
    collected: list[float] = []

    def clock() -> float:
        return now

    async def sleep(seconds: float) -> None:
        nonlocal now
        now += seconds

    def in_flight() -> int:
        return busy[int(now)] if int(now) < len(busy) else 0

    def collect() -> int:
        collected.append(now)
        if len(collected) == wanted:
            raise Enough
        return 0

    with pytest.raises(Enough):
        await heap.collect_when_quiet(
            in_flight,
            collect=collect,
            clock=clock,
            sleep=sleep,
            check_every=1,
            quiet_every=quiet_every,
            latest=latest,
        )
    return collected


async def test_a_quiet_process_collects_once_a_while() -> None:
    assert await collections_at([], quiet_every=60, latest=600, wanted=2) == [60, 120]


async def test_commands_in_flight_put_the_collection_off_until_a_quiet_moment() -> None:
    busy = [1] * 90 + [0] * 10  # busy for a minute and a half, then quiet
    assert await collections_at(busy, quiet_every=60, latest=600, wanted=1) == [90]


async def test_under_steady_load_it_still_collects_at_the_latest() -> None:
    assert await collections_at([3] * 2000, quiet_every=60, latest=600, wanted=2) == [600, 1200]


def test_once_settled_only_the_quiet_collections_walk_the_oldest_generation() -> None:
    before = gc.get_threshold()
    try:
        heap.settle()
        young, middle, oldest = gc.get_threshold()
        assert (young, middle) == (heap.YOUNG_THRESHOLD, heap.MIDDLE_THRESHOLD)
        assert oldest >= 1_000_000
        assert gc.get_freeze_count() > 0
    finally:
        heap.unsettle()
        gc.set_threshold(*before)
    assert gc.get_freeze_count() == 0
