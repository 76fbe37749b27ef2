"""Job leases: a background job runs in one process at a time, however many processes serve.

A lease is a row per job with its owner and an expiry, taken with one atomic UPDATE that only
matches when the lease is free (expired) or already ours. This works the same on SQLite and
PostgreSQL, needs no connection held open while the job runs (unlike a PostgreSQL advisory lock,
which lives as long as its session), and a process that dies simply lets its lease expire.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.domain.clock import Clock
from bot.store.database import Database
from bot.store.models import JobLeaseRow

_TABLE = cast(Table, JobLeaseRow.__table__)


class JobLeases:
    """The `job_leases` table, seen by one owner (a process)."""

    def __init__(self, db: Database, clock: Clock, owner: str) -> None:
        self._db = db
        self._clock = clock
        self.owner = owner

    async def take(self, name: str, hold_for: timedelta) -> datetime | None:
        """Take, or renew if ours, the lease on `name` until now + `hold_for` (a job one process runs
        for as long as it lives); the expiry if we hold it now, else None."""
        return await self._take(name, hold_for, renew=True)

    async def take_turn(self, name: str, every: timedelta) -> datetime | None:
        """The next run of a periodic job, if it is due (the last turn has run out, whoever had it):
        the time the turn after this one falls due, or None if it is not due or another process took it."""
        return await self._take(name, every, renew=False)

    async def _take(self, name: str, hold_for: timedelta, *, renew: bool) -> datetime | None:
        now = self._clock.now()
        until = now + hold_for
        free = _TABLE.c.expires_at <= now
        async with self._db.transaction() as connection:
            taken = await connection.execute(
                update(_TABLE)
                .where(_TABLE.c.name == name, or_(free, _TABLE.c.owner == self.owner) if renew else free)
                .values(owner=self.owner, expires_at=until)
            )
            if taken.rowcount == 1:
                return until
            exists = await connection.scalar(select(_TABLE.c.name).where(_TABLE.c.name == name))
            if exists is not None:
                return None
        # The first time this job is ever run: whoever inserts the row holds the lease.
        try:
            async with self._db.transaction() as connection:
                await connection.execute(insert(_TABLE).values(name=name, owner=self.owner, expires_at=until))
        except IntegrityError:
            return None
        return until

    async def release(self, name: str) -> None:
        """Give the lease back early (on shutdown), so another process need not wait for its expiry."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            await connection.execute(
                update(_TABLE)
                .where(_TABLE.c.name == name, _TABLE.c.owner == self.owner)
                .values(expires_at=now)
            )

    async def holder(self, name: str) -> tuple[str, datetime] | None:
        """Who holds `name` and until when (expired or not); None if it never ran."""
        async with self._db.reading() as connection:
            row = (
                await connection.execute(
                    select(_TABLE.c.owner, _TABLE.c.expires_at).where(_TABLE.c.name == name)
                )
            ).first()
        return (row.owner, row.expires_at) if row is not None else None

    async def forget(self, name: str) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(delete(_TABLE).where(_TABLE.c.name == name))
