"""Idempotency records: a command with a key runs once, however often Slack delivers or a user clicks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.domain.clock import Clock
from bot.store.database import Database
from bot.store.models import OperationRow
from bot.store.workspaces import columns, key_of, where

STARTED = "started"
DONE = "done"
FAILED = "failed"


@dataclass(frozen=True)
class Operation:
    """One keyed piece of work; `owned` is True only for the caller whose `begin` created it."""

    key: str
    team_id: str
    user_id: str
    kind: str
    status: str  # "started", "done" or "failed"
    request: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    owned: bool = False


_TABLE = cast(Table, OperationRow.__table__)
_COLUMNS = tuple(_TABLE.c)


def _operation(row: Row[Any], *, owned: bool) -> Operation:
    return Operation(
        key=row.key,
        team_id=key_of(row),
        user_id=row.user_id,
        kind=row.kind,
        status=row.status,
        request=row.request,
        result=row.result,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        owned=owned,
    )


class OperationStore:
    """The `operations` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def begin(
        self, key: str, team_id: str, user_id: str, kind: str, request: dict[str, Any] | None = None
    ) -> Operation:
        """Claim the key: a new "started" record you own, or the one someone else already made."""
        now = self._clock.now()
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        statement = (
            insert(OperationRow)
            .values(
                key=key,
                **columns(team_id),
                user_id=user_id,
                kind=kind,
                status=STARTED,
                request=request,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        async with self._db.transaction() as connection:
            row = (await connection.execute(statement.returning(*_COLUMNS))).one_or_none()
            if row is not None:
                return _operation(row, owned=True)
            existing = (await connection.execute(select(*_COLUMNS).where(_TABLE.c.key == key))).one_or_none()
        if existing is None:
            # Purged between our insert attempt and the read: extremely unlikely; claim it again.
            return await self.begin(key, team_id, user_id, kind, request)
        return _operation(existing, owned=False)

    async def get(self, key: str) -> Operation | None:
        async with self._db.reading() as connection:
            row = (await connection.execute(select(*_COLUMNS).where(_TABLE.c.key == key))).one_or_none()
        return None if row is None else _operation(row, owned=False)

    async def finish(self, key: str, result: dict[str, Any] | None = None) -> bool:
        """Record the outcome of started work; False if it was not (or no longer) started."""
        return await self._close(key, status=DONE, result=result, error=None)

    async def fail(self, key: str, error: str, result: dict[str, Any] | None = None) -> bool:
        """Record that started work failed, with a message fit to show the user."""
        return await self._close(key, status=FAILED, result=result, error=error)

    async def _close(
        self, key: str, *, status: str, result: dict[str, Any] | None, error: str | None
    ) -> bool:
        async with self._db.transaction() as connection:
            outcome = await connection.execute(
                update(_TABLE)
                .where(_TABLE.c.key == key, _TABLE.c.status == STARTED)
                .values(status=status, result=result, error=error, updated_at=self._clock.now())
            )
        return bool(outcome.rowcount)

    async def list_started(self, older_than: timedelta = timedelta(0)) -> list[Operation]:
        """Work begun but never finished (e.g. the process was killed), oldest first."""
        cutoff = self._clock.now() - older_than
        async with self._db.transaction() as connection:
            rows = await connection.execute(
                select(*_COLUMNS)
                .where(_TABLE.c.status == STARTED, _TABLE.c.updated_at <= cutoff)
                .order_by(_TABLE.c.created_at)
            )
            return [_operation(row, owned=False) for row in rows]

    async def purge(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Delete finished records not touched for `older_than`; how many."""
        cutoff = self._clock.now() - older_than
        async with self._db.session() as session:
            result = await session.execute(
                delete(OperationRow).where(OperationRow.status != STARTED, OperationRow.updated_at < cutoff)
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_user(self, team_id: str, user_id: str) -> int:
        async with self._db.session() as session:
            result = await session.execute(
                delete(OperationRow).where(*where(OperationRow, team_id), OperationRow.user_id == user_id)
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_team(self, team_id: str) -> int:
        async with self._db.session() as session:
            result = await session.execute(delete(OperationRow).where(*where(OperationRow, team_id)))
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]
