"""What one turn of the reminder job costs the database: N reminders fall due at once and are claimed and
"sent" (to a sender that only counts), by one process or by two racing, on SQLite or PostgreSQL.

    python benchmarks/bench_reminders.py [--reminders 500] [--database-url postgresql+asyncpg://...]

Prints the seconds for the turn(s) and the reminders sent per second; the claims guarantee each is sent
once, and the script checks that too. Not part of the test run; docs/operations.md quotes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.clock import FakeClock
from bot.services.reminders import DueReminder, ReminderService
from bot.store.database import Database, upgrade
from bot.store.reminders import HOST, ReminderStore

START = datetime(2030, 5, 6, 15, 0, tzinfo=UTC)


async def fill(store: ReminderStore, count: int) -> None:
    for n in range(count):
        await store.put(
            "T1",
            f"m{n}",
            recipient=f"U{n % 50}",
            kind=HOST,
            host_user_id=f"U{n % 50}",
            topic=f"Meeting {n}",
            starts_at=START,
            ends_at=START + timedelta(minutes=30),
            minutes=10,
        )


async def one_case(url: str, count: int, processes: int) -> tuple[float, int]:
    await upgrade(url)
    database = Database(url)
    clock = FakeClock(START - timedelta(minutes=30))
    try:
        store = ReminderStore(database, clock)
        await store.purge(START + timedelta(days=1))
        await fill(store, count)
        clock.set(START - timedelta(minutes=10))
        sent: list[str] = []

        async def send(due: DueReminder) -> None:
            sent.append(due.meeting_id)

        services = [ReminderService(ReminderStore(database, clock), clock) for _ in range(processes)]
        began = time.perf_counter()
        while len(sent) < count:
            results = await asyncio.gather(*(service.send_due(send) for service in services))
            if sum(results) == 0:
                break
        seconds = time.perf_counter() - began
        assert len(sent) == len(set(sent)) == count, (len(sent), len(set(sent)))
        return seconds, len(sent)
    finally:
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for processes in (1, 2):
            url = options.database_url or f"sqlite+aiosqlite:///{Path(folder) / f'bench{processes}.db'}"
            seconds, sent = await one_case(url, options.reminders, processes)
            print(
                f"{url.split(':', 1)[0]:<20} {processes} process(es): {sent} reminders due at once, "
                f"sent once each in {seconds:.2f} s ({sent / seconds:.0f}/s)"
            )


if __name__ == "__main__":
    asyncio.run(main())
