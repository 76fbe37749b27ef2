"""The per-user throttle on meeting creation, shared by every process through the database."""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.clock import Clock
from bot.store.database import Database, DatabaseUnavailable
from bot.store.models import ThrottleSlotRow, ThrottleUserRow

log = logging.getLogger(__name__)

RATE_WINDOW = timedelta(minutes=1)
# A slot whose process died is never released: it stops counting as in flight after this long, which
# must be beyond what one creation can take (a refresh, the create and its re-checks); the composition
# root sets it from the Webex timeout.
SLOT_LIFETIME = timedelta(minutes=2)
# Commands in flight finish within seconds; there is no exact moment to promise, so say a few seconds.
IN_FLIGHT_RETRY_SECONDS = 5

_USERS = cast(Table, ThrottleUserRow.__table__)
_SLOTS = cast(Table, ThrottleSlotRow.__table__)


@dataclass(frozen=True)
class ThrottleLimits:
    """Per Slack user: meetings created in any minute, and creations running at once (0 turns either off)."""

    per_minute: int = 30
    in_flight: int = 5
    slot_lifetime: timedelta = SLOT_LIFETIME

    @property
    def off(self) -> bool:
        return self.per_minute <= 0 and self.in_flight <= 0


class ThrottleFull(Exception):
    """The user is over a limit; `retry_after` is how many seconds until one more would be let through."""

    def __init__(self, retry_after: int, *, limit: str) -> None:
        super().__init__(f"over the {limit} limit; try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.limit = limit  # "per minute" or "in flight"


class ThrottleStore:
    """The `throttle_users` and `throttle_slots` tables."""

    def __init__(self, db: Database, clock: Clock, limits: ThrottleLimits | None = None) -> None:
        self._db = db
        self._clock = clock
        self.limits = limits or ThrottleLimits()

    @asynccontextmanager
    async def slot(self, team_id: str, user_id: str) -> AsyncIterator[None]:
        """Hold one of the user's places while a meeting is created (raises ThrottleFull when none is free).

        The place is given back however the block ends; if the process dies first it lapses by itself.
        """
        slot_id = await self.admit(team_id, user_id)
        try:
            yield
        finally:
            if slot_id is not None:
                await self.release(slot_id)

    async def admit(self, team_id: str, user_id: str) -> str | None:
        """Take a place for this user, or raise ThrottleFull; the slot's id (None with both limits off)."""
        if self.limits.off:
            return None
        now = self._clock.now()
        window_start = now - RATE_WINDOW
        mine = (_SLOTS.c.team_id == team_id, _SLOTS.c.user_id == user_id)
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        turn = (
            insert(_USERS)
            .values(team_id=team_id, user_id=user_id, checked_at=now)
            .on_conflict_do_update(index_elements=["team_id", "user_id"], set_={"checked_at": now})
        )
        async with self._db.transaction() as connection:
            # Writing the user's row first makes processes admitting the same user take turns until
            # commit: PostgreSQL locks that row, SQLite takes its single write lock. Counting after it
            # therefore sees every slot the others took.
            await connection.execute(turn)
            await connection.execute(
                delete(_SLOTS).where(
                    *mine,
                    _SLOTS.c.started_at <= window_start,
                    or_(_SLOTS.c.released_at.is_not(None), _SLOTS.c.expires_at <= now),
                )
            )
            rows = (
                await connection.execute(
                    select(_SLOTS.c.started_at, _SLOTS.c.released_at, _SLOTS.c.expires_at).where(*mine)
                )
            ).all()
            recent = sorted(row.started_at for row in rows if row.started_at > window_start)
            running = [row for row in rows if row.released_at is None and row.expires_at > now]
            per_minute, in_flight = self.limits.per_minute, self.limits.in_flight
            if per_minute > 0 and len(recent) >= per_minute:
                # One more fits once enough of the minute's slots have left the window.
                frees_at = recent[len(recent) - per_minute] + RATE_WINDOW
                raise ThrottleFull(max(1, math.ceil((frees_at - now).total_seconds())), limit="per minute")
            if in_flight > 0 and len(running) >= in_flight:
                raise ThrottleFull(IN_FLIGHT_RETRY_SECONDS, limit="in flight")
            slot_id = secrets.token_hex(16)
            await connection.execute(
                _SLOTS.insert().values(
                    id=slot_id,
                    team_id=team_id,
                    user_id=user_id,
                    started_at=now,
                    expires_at=now + self.limits.slot_lifetime,
                )
            )
        return slot_id

    async def release(self, slot_id: str) -> None:
        """The creation is over: the slot still counts toward the minute, no longer as in flight."""
        try:
            async with self._db.transaction() as connection:
                await connection.execute(
                    update(_SLOTS)
                    .where(_SLOTS.c.id == slot_id, _SLOTS.c.released_at.is_(None))
                    .values(released_at=self._clock.now())
                )
        except (DatabaseUnavailable, SQLAlchemyError, OSError) as error:
            # What the command did matters more than this bookkeeping; the slot lapses by itself.
            log.warning(
                "could not release a throttle slot (%s); it lapses in %s",
                type(error).__name__,
                self.limits.slot_lifetime,
            )

    async def delete_user(self, team_id: str, user_id: str) -> int:
        async with self._db.transaction() as connection:
            slots = await connection.execute(
                delete(_SLOTS).where(_SLOTS.c.team_id == team_id, _SLOTS.c.user_id == user_id)
            )
            await connection.execute(
                delete(_USERS).where(_USERS.c.team_id == team_id, _USERS.c.user_id == user_id)
            )
        return int(slots.rowcount)

    async def delete_team(self, team_id: str) -> int:
        async with self._db.transaction() as connection:
            slots = await connection.execute(delete(_SLOTS).where(_SLOTS.c.team_id == team_id))
            await connection.execute(delete(_USERS).where(_USERS.c.team_id == team_id))
        return int(slots.rowcount)
