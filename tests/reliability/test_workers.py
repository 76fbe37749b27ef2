"""`webex-bot serve --workers 2`, as real processes on SQLite and PostgreSQL: both workers answer
commands on the one port, every meeting is made once, /metrics adds the workers up, housekeeping takes
each turn in one worker only, and SIGTERM drains and stops every worker."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import AsyncIterator, Callable

import aiohttp
import httpx
import pytest
from sqlalchemy import text

from bot.emulator import Emulator, Fault
from bot.sandbox import SlackDriver
from bot.store.database import Database
from tests.e2e.meetings.conftest import shown_text
from tests.reliability.conftest import Launch, link
from tests.reliability.support import BotProcess
from tests.reliability.test_shutdown import STOPPED_BY_SIGTERM, topics
from tests.reliability.test_webex_faults import spent
from tests.support.emulator import ALICE, BOB
from tests.support.slack import DriverFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("database_backend", ["sqlite", "postgresql"], indirect=True),
]

WORKERS = ("--workers", "2")
FINISHED = re.compile(r"/webex schedule finished: ok .*worker=(\d+)")
HOUSEKEEPING = re.compile(r"housekeeping removed .*next_turn=(\S+).*worker=(\d+)")
READY = re.compile(r"webex-bot ready .*worker=(\d+)")


def answered_by(bot: BotProcess) -> list[int]:
    """The worker process of every schedule command the bot finished, in order."""
    return [int(pid) for pid in FINISHED.findall(bot.output())]


async def logged(bot: BotProcess, commands: int) -> None:
    """Wait for the log line of each command (written just after its answer went to Slack)."""
    for _ in range(100):
        if len(answered_by(bot)) >= commands:
            assert len(answered_by(bot)) == commands, bot.output()
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{commands} commands answered, {len(answered_by(bot))} logged: {bot.output()}")


def worker_pids(bot: BotProcess) -> set[int]:
    return {int(pid) for pid in READY.findall(bot.output())}


async def both_ready(bot: BotProcess) -> set[int]:
    """The two workers' process ids, once both have started (/readyz answers when the first has)."""
    for _ in range(300):
        if len(worker_pids(bot)) == 2:
            return worker_pids(bot)
        await asyncio.sleep(0.1)
    raise AssertionError(f"both workers never started: {bot.output()}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


FreshConnections = Callable[[BotProcess, str], SlackDriver]


@pytest.fixture
async def fresh_connections(slack_driver: DriverFactory) -> AsyncIterator[FreshConnections]:
    """A Slack user whose every request opens a new connection, as Slack's many senders do: the
    kernel hands each to whichever worker accepts it first."""
    sessions: list[aiohttp.ClientSession] = []

    def make(bot: BotProcess, user_id: str) -> SlackDriver:
        sessions.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)))
        return slack_driver(bot.events_url, user_id=user_id, session=sessions[-1])

    yield make
    for session in sessions:
        await session.close()


async def test_both_workers_answer_and_every_meeting_is_made_once(
    launch: Launch, fresh_connections: FreshConnections, emulator: Emulator
) -> None:
    bot = await launch(args=WORKERS)
    await both_ready(bot)
    alice = fresh_connections(bot, "U_ALICE")
    bob = fresh_connections(bot, "U_BOB")
    await link(alice, ALICE)
    await link(bob, BOB)

    expected: list[str] = []
    # Which worker accepts a connection is the kernel's choice: send rounds of 10 until both have
    # answered (in practice the first round; six rounds of one worker only would be a real fault).
    for round_number in range(6):
        batch = [f"Sync {round_number}-{n}" for n in range(10)]
        expected += batch
        exchanges = await asyncio.gather(
            *(
                (alice if n % 2 else bob).command(f"schedule {topic} tomorrow 3pm", replies=1, timeout=20)
                for n, topic in enumerate(batch)
            )
        )
        for exchange, topic in zip(exchanges, batch, strict=True):
            shown = shown_text(exchange.replies[0])
            assert "Scheduled" in shown and topic in shown, shown
        await logged(bot, len(expected))
        if len(set(answered_by(bot))) == 2:
            break
    assert set(answered_by(bot)) == worker_pids(bot), bot.output()
    assert topics(emulator) == sorted(expected)  # each made once, none lost

    # Whichever worker answers the scrape, it counts every worker's commands.
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(4):
            scrape = (await client.get(bot.url + "/metrics")).text
            done = re.search(
                r'^webex_bot_commands_total\{command="/webex schedule",outcome="ok"\} (\S+)$', scrape, re.M
            )
            assert done is not None and float(done.group(1)) == len(expected), scrape
            assert "process_cpu_seconds_total" not in scrape  # one worker's /proc would mislead


async def test_housekeeping_takes_each_turn_in_one_worker_only(launch: Launch, database_url: str) -> None:
    bot = await launch(args=WORKERS, env={"HOUSEKEEPING_INTERVAL_SECONDS": "1"})
    pids = await both_ready(bot)
    for _ in range(100):
        if len(HOUSEKEEPING.findall(bot.output())) >= 4:
            break
        await asyncio.sleep(0.1)
    runs = HOUSEKEEPING.findall(bot.output())
    assert len(runs) >= 4, bot.output()
    turns = [turn for turn, _ in runs]
    assert len(turns) == len(set(turns)), runs  # no turn was taken by both workers
    assert {int(pid) for _, pid in runs} <= pids
    database = Database(database_url)
    try:
        async with database.reading() as connection:
            owner = (
                await connection.execute(text("SELECT owner FROM job_leases WHERE name = 'housekeeping'"))
            ).scalar_one()
    finally:
        await database.dispose()
    assert int(owner.rsplit(":", 1)[1]) in pids


async def test_sigterm_drains_every_worker_and_stops_them_all(
    launch: Launch, fresh_connections: FreshConnections, emulator: Emulator
) -> None:
    bot = await launch(args=WORKERS, shutdown_grace_seconds=20)
    pids = await both_ready(bot)
    alice = fresh_connections(bot, "U_ALICE")
    bob = fresh_connections(bot, "U_BOB")
    await link(alice, ALICE)
    await link(bob, BOB)
    batch = [f"Drain {n}" for n in range(8)]
    slow = emulator.add_fault(Fault.latency(1.5, operation="CreateMeeting", count=len(batch)))
    exchanges = [
        await (alice if n % 2 else bob).command(f"schedule {topic} tomorrow 3pm")
        for n, topic in enumerate(batch)
    ]
    await spent(emulator, slow)  # every command is inside a Webex call, on whichever worker took it

    bot.signal(signal.SIGTERM)
    for n, exchange in enumerate(exchanges):
        [answer] = await (alice if n % 2 else bob).wait_replies(exchange, 1, timeout=15)
        assert "Scheduled" in shown_text(answer), shown_text(answer)
    assert await bot.wait(30) in STOPPED_BY_SIGTERM
    assert not [pid for pid in pids if alive(pid)]
    assert bot.output().count("Application shutdown complete") == 2
    assert topics(emulator) == sorted(batch)
