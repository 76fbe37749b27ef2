"""CPU of one `/webex schedule` command's database work, on the store objects alone; prints ms per command.

    python benchmarks/bench_command_store.py [--database-url postgresql+asyncpg://...] [--commands 400]

The writes and reads a command makes, in order: the command accepted (OperationStore.accept), its
creation claimed and throttled (begin), the person's link read (LinkStore.get), the outcome recorded
with the host's reminder (finish), the command answered (answered). Run one after another (c1) and 20 at
a time (c20), uvloop as the bot runs. SQLite in a temporary folder unless --database-url names a
throwaway database. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import uvloop
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.accounts import Link  # noqa: E402
from bot.domain.clock import SystemClock  # noqa: E402
from bot.domain.reminders import HostReminder  # noqa: E402
from bot.store import Database, LinkStore, OperationStore, TokenCipher, upgrade  # noqa: E402
from bot.store.throttle import ThrottleLimits  # noqa: E402

T = TypeVar("T")
USERS = 20


async def run(url: str, commands: int) -> None:
    await upgrade(url)
    database = Database(url)
    clock = SystemClock()
    cipher = TokenCipher([Fernet.generate_key().decode()])
    links = LinkStore(database, cipher, clock)
    # Limits far above the load, so the throttle's count is made and measured but never refuses.
    limits = ThrottleLimits(per_minute=100_000, in_flight=100_000)
    operations = OperationStore(database, clock, owner="bench", cipher=cipher, limits=limits)
    now = clock.now()
    users = [f"U{i}" for i in range(USERS)]
    for user in users:
        await links.save(
            Link(
                team_id="T1",
                user_id=user,
                site="sandbox",
                webex_id=user.lower(),
                email=f"{user.lower()}@example.com",
                scopes=("meeting:schedules_write",),
                access_token="a" * 40,
                refresh_token="r" * 40,
                access_expires_at=now + timedelta(hours=2),
                refresh_expires_at=None,
                created_at=now,
                updated_at=now,
            )
        )
    starts = now + timedelta(days=1)
    spent: collections.Counter[str] = collections.Counter()

    async def timed(part: str, work: Awaitable[T]) -> T:
        began = time.process_time()
        try:
            return await work
        finally:
            spent[part] += time.process_time() - began

    async def command(n: int) -> None:
        user, key = users[n % USERS], uuid.uuid4().hex
        typed: dict[str, Any] = {"text": "schedule Standup tomorrow 3pm", "response_url": "https://x"}
        await timed("accept", operations.accept(f"command:{key}", "T1", user, typed))
        await timed("begin", operations.begin(f"schedule:{key}", "T1", user, "schedule", {"topic": "x"}))
        await timed("link", links.get("T1", user))
        reminder = HostReminder("T1", user, key, "Standup", starts, starts + timedelta(minutes=30), 10)
        await timed("finish", operations.finish(f"schedule:{key}", {"meeting_key": key}, reminder=reminder))
        await timed("answered", operations.answered(f"command:{key}", "ok"))

    for n in range(50):  # warm up: connections opened, statements compiled
        await command(n)
    for concurrency in (1, 20):
        spent.clear()
        began_cpu, began = time.process_time(), time.perf_counter()
        for batch in range(commands // concurrency):
            await asyncio.gather(*(command(batch * concurrency + i) for i in range(concurrency)))
        cpu, wall = time.process_time() - began_cpu, time.perf_counter() - began
        line = f"{database.dialect:10} c{concurrency:<3} CPU {cpu * 1000 / commands:5.2f} ms per command"
        line += f"  wall {wall * 1000 / commands:5.2f} ms"
        if concurrency == 1:  # one at a time, each part's CPU is its own
            line += "  (" + ", ".join(f"{p} {s * 1000 / commands:.2f}" for p, s in spent.items()) + ")"
        print(line, flush=True)
    await database.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", help="a throwaway database; SQLite in a temporary folder if not given"
    )
    parser.add_argument("--commands", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        uvloop.run(run(url, args.commands))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
