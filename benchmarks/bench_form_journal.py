"""What journaling a form submission costs: the work after the ack is recorded (`accept`, sealed) before it
runs and marked `answered` after, so another process can carry it out if this one dies.

    python benchmarks/bench_form_journal.py [--forms 500] [--concurrency 1,20] [--database-url postgresql+asyncpg://...]

For a schedule form's record (the same dict the listener journals), prints per submission: the CPU of
turning the form into its record and back, the CPU of sealing it (JSON + Fernet), and the CPU and wall
time of the `accept` insert plus the `answered` update, at each concurrency. CPU is this process's
(time.process_time), which is what the bot spends; the database server's own work (PostgreSQL) is not
in it. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.domain.clock import SystemClock
from bot.slack.meetings.form_blocks import FormContext
from bot.slack.meetings.forms import FormInput
from bot.slack.meetings.views import SCHEDULE_FORM, _form_from_pending, _pending_schedule
from bot.store import Database, OperationStore, TokenCipher
from bot.store.database import upgrade

FORM = FormInput(
    topic="Quarterly planning with the design team",
    day="2027-02-02",
    clock_time="10:00",
    duration_minutes=45,
    user_ids=("U0BOB", "U0CAROL"),
    emails=("ops@example.com",),
    agenda="1. goals\n2. risks\n3. next steps",
    post_in_channel=True,
    time_zone="America/New_York",
)
CONTEXT = FormContext(channel_id="C0SANDBOX", user_tz="America/New_York")


def journaled(n: int) -> dict[str, object]:
    record = _pending_schedule(FORM, CONTEXT, f"schedule:T1:U1:view:V{n}")
    return {"kind": SCHEDULE_FORM, "record": record, "response_url": None, "reply_channel": "C0SANDBOX"}


def per_form_cpu(count: int) -> tuple[float, float]:
    """Microseconds of CPU per form: to its record and back; sealing the record."""
    cipher = TokenCipher([Fernet.generate_key().decode()])
    began = time.process_time()
    for n in range(count):
        _form_from_pending(_pending_schedule(FORM, CONTEXT, f"k{n}"))
    records = (time.process_time() - began) / count
    began = time.process_time()
    for n in range(count):
        cipher.encrypt(json.dumps(journaled(n), separators=(",", ":")))
    sealing = (time.process_time() - began) / count
    return records * 1e6, sealing * 1e6


async def journal_case(url: str, count: int, concurrency: int) -> tuple[float, float, float]:
    """(accept CPU ms, answered CPU ms, wall ms for both) per form, `concurrency` at a time."""
    await upgrade(url)
    database = Database(url)
    store = OperationStore(
        database, SystemClock(), owner="bench:1", cipher=TokenCipher([Fernet.generate_key().decode()])
    )
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("DELETE FROM operations"))
        gate = asyncio.Semaphore(concurrency)

        def key(n: int) -> str:
            return f"{SCHEDULE_FORM}:T1:U1:V{n}-{concurrency}"

        async def accept(n: int) -> None:
            async with gate:
                assert await store.accept(key(n), "T1", "U1", journaled(n))

        async def answered(n: int) -> None:
            async with gate:
                assert await store.answered(key(n), "ok")

        warm = range(20)  # the pool and the statement caches
        await asyncio.gather(*(accept(n) for n in warm))
        await asyncio.gather(*(answered(n) for n in warm))
        measured = range(20, 20 + count)
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(accept(n) for n in measured))
        accepting = time.process_time() - cpu
        cpu = time.process_time()
        await asyncio.gather(*(answered(n) for n in measured))
        answering = time.process_time() - cpu
        wall = time.perf_counter() - wall
    finally:
        await database.dispose()
    return accepting / count * 1000, answering / count * 1000, wall / count * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forms", type=int, default=500)
    parser.add_argument("--concurrency", default="1,20")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    options = parser.parse_args()
    records, sealing = per_form_cpu(options.forms * 4)
    print(f"form -> record -> form: {records:.1f} us CPU; sealing the record: {sealing:.1f} us CPU")
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        for concurrency in (int(c) for c in options.concurrency.split(",")):
            accepting, answering, wall = await journal_case(url, options.forms, concurrency)
            print(
                f"{url.split(':')[0]} c={concurrency}: accept {accepting:.3f} + answered {answering:.3f} "
                f"= {accepting + answering:.3f} ms CPU, {wall:.3f} ms wall per form ({options.forms} forms)"
            )


if __name__ == "__main__":
    asyncio.run(main())
