"""Units of work start one per turn of the event loop, so what became ready meanwhile runs between them."""

from __future__ import annotations

import asyncio

from bot.store.direct import Statement, Turns


async def test_units_of_work_waiting_together_start_in_turns_of_the_loop() -> None:
    loop = asyncio.get_running_loop()
    turn = 0

    def count_turns() -> None:
        nonlocal turn
        turn += 1
        loop.call_soon(count_turns)

    loop.call_soon(count_turns)
    turns, started = Turns(), []

    async def unit() -> None:
        await turns.take()
        started.append(turn)

    await asyncio.gather(*(unit() for _ in range(4)))
    # Each began in a later turn than the one before: a request that arrived meanwhile ran in between.
    assert all(later > earlier for earlier, later in zip(started, started[1:], strict=False))


async def test_a_unit_of_work_whose_caller_gave_up_is_passed_over() -> None:
    turns = Turns()
    await turns.take()  # the first goes at once
    gave_up = asyncio.create_task(turns.take())
    await asyncio.sleep(0)
    gave_up.cancel()
    await asyncio.wait_for(turns.take(), timeout=1)  # not stuck behind the cancelled one


def test_statements_are_numbered_for_postgresql_in_the_order_their_names_first_appear() -> None:
    sql, names = Statement("UPDATE t SET a = :a, b = :b::json WHERE k = :k AND a <> :a").numbered()
    assert sql == "UPDATE t SET a = $1, b = $2::json WHERE k = $3 AND a <> $1"
    assert names == ("a", "b", "k")


def test_a_new_event_loop_starts_afresh_even_if_the_last_one_stopped_mid_turn() -> None:
    turns = Turns()

    async def take_and_stop() -> None:
        await turns.take()
        asyncio.get_running_loop().stop()  # before the next turn is passed on

    async def take_twice() -> None:
        await asyncio.wait_for(turns.take(), timeout=1)
        await asyncio.wait_for(turns.take(), timeout=1)

    stopped = asyncio.new_event_loop()
    stopped.create_task(take_and_stop())
    stopped.run_forever()
    stopped.close()
    asyncio.run(take_twice())  # neither waits for a turn the stopped loop would have passed
