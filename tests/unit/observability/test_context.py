"""The request context follows work into the tasks spawned after the ack, and nowhere else."""

from __future__ import annotations

import asyncio

from bot.observability import current, request
from bot.runtime import BackgroundWork


async def test_work_spawned_in_a_request_keeps_its_id_after_the_request_ended() -> None:
    work = BackgroundWork()
    seen: list[str] = []
    release = asyncio.Event()

    async def after_ack() -> None:
        await release.wait()
        context = current()
        seen.append(context.request_id if context else "")

    with request("first", user="U1"):
        work.spawn(after_ack(), name="first")
    with request("second", user="U2"):
        work.spawn(after_ack(), name="second")
    assert current() is None  # the requests are over; their work is not
    release.set()
    await work.drain(5)
    assert sorted(seen) == ["first", "second"]


async def test_a_nested_request_gives_the_outer_one_back() -> None:
    with request("outer") as outer:
        with request() as inner:
            assert current() is inner and inner.request_id != "outer" and len(inner.request_id) == 16
        assert current() is outer
