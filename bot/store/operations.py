"""Idempotency records: a command with a key runs once, however often Slack delivers or a user clicks.

A slash command's work after the ack is recorded too ("accepted" until "done"), with the process that
owns it; each process heartbeats what it owns, so work left by a process that died is found and finished.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.domain.clock import Clock
from bot.store.crypto import TokenCipher, UndecryptableToken
from bot.store.database import Database
from bot.store.models import OperationRow

log = logging.getLogger(__name__)

ACCEPTED = "accepted"  # a command acked, its work not yet answered
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
    owner: str | None = None
    heartbeat_at: datetime | None = None


@dataclass(frozen=True)
class AcceptedCommand:
    """A command acked by a process that stopped heartbeating before it answered."""

    key: str
    team_id: str
    user_id: str
    accepted_at: datetime
    command: dict[str, Any]  # what the router needs to run it again (text, channel, response_url...)


_TABLE = cast(Table, OperationRow.__table__)
_COLUMNS = tuple(_TABLE.c)


def _operation(row: Row[Any], *, owned: bool) -> Operation:
    return Operation(
        key=row.key,
        team_id=row.team_id,
        user_id=row.user_id,
        kind=row.kind,
        status=row.status,
        request=row.request,
        result=row.result,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        owned=owned,
        owner=row.owner,
        heartbeat_at=row.heartbeat_at,
    )


class OperationStore:
    """The `operations` table, seen by one process (`owner`); `cipher` seals accepted commands."""

    def __init__(
        self, db: Database, clock: Clock, *, owner: str = "", cipher: TokenCipher | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self.owner = owner
        self._cipher = cipher

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
                team_id=team_id,
                user_id=user_id,
                kind=kind,
                status=STARTED,
                request=request,
                created_at=now,
                updated_at=now,
                owner=self.owner or None,
                heartbeat_at=now if self.owner else None,
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

    # ---- commands acked, not yet answered -----------------------------------------------------------

    async def accept(self, key: str, team_id: str, user_id: str, command: dict[str, Any]) -> bool:
        """Record a command this process acks and will answer; False if the key was already recorded
        (the same command delivered again). The command is sealed: it may hold a response_url, which
        can post to the person's channel, and whatever they typed."""
        if self._cipher is None:
            raise RuntimeError("accepted commands need the token cipher to seal them")
        now = self._clock.now()
        sealed = self._cipher.encrypt(json.dumps(command, separators=(",", ":")))
        try:
            async with self._db.transaction() as connection:
                await connection.execute(
                    _TABLE.insert().values(
                        key=key,
                        team_id=team_id,
                        user_id=user_id,
                        kind="command",
                        status=ACCEPTED,
                        request={"sealed": sealed},
                        created_at=now,
                        updated_at=now,
                        owner=self.owner,
                        heartbeat_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def answered(self, key: str, outcome: str) -> bool:
        """The accepted command was answered (`outcome`: ok, failed...); False if another process took it."""
        async with self._db.transaction() as connection:
            done = await connection.execute(
                update(_TABLE)
                .where(_TABLE.c.key == key, _TABLE.c.status == ACCEPTED, _TABLE.c.owner == self.owner)
                .values(status=DONE, result={"outcome": outcome}, updated_at=self._clock.now())
            )
        return bool(done.rowcount)

    async def heartbeat(self) -> int:
        """Say this process is alive for everything it owns that is not finished; how many records."""
        async with self._db.transaction() as connection:
            beat = await connection.execute(
                update(_TABLE)
                .where(_TABLE.c.owner == self.owner, _TABLE.c.status.in_((ACCEPTED, STARTED)))
                .values(heartbeat_at=self._clock.now())
            )
        return int(beat.rowcount)

    async def abandoned(self, silent_for: timedelta) -> list[AcceptedCommand]:
        """Accepted commands whose owner has not heartbeated for `silent_for`, oldest first.

        Work those owners had started (a meeting being created) is closed as failed on the way: the
        retry that finishes the command then looks for the meeting before creating it.
        """
        cutoff = self._clock.now() - silent_for
        async with self._db.transaction() as connection:
            await connection.execute(
                update(_TABLE)
                .where(_TABLE.c.status == STARTED, _TABLE.c.heartbeat_at < cutoff)
                .values(status=FAILED, error="OwnerStopped", updated_at=self._clock.now())
            )
            rows = await connection.execute(
                select(*_COLUMNS)
                .where(_TABLE.c.status == ACCEPTED, _TABLE.c.heartbeat_at < cutoff)
                .order_by(_TABLE.c.created_at)
            )
            found = list(rows)
        commands = []
        for row in found:
            try:
                commands.append(self._accepted(row))
            except (UndecryptableToken, ValueError, KeyError, TypeError):
                # Sealed with a key no longer in TOKEN_KEYS, or not a command: nothing can run it again.
                log.warning("accepted command %s cannot be read; it is not run again", row.key)
        return commands

    async def take_over(self, key: str, silent_for: timedelta) -> bool:
        """Make this process the owner of an abandoned command; False if another process was quicker."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            taken = await connection.execute(
                update(_TABLE)
                .where(
                    _TABLE.c.key == key,
                    _TABLE.c.status == ACCEPTED,
                    _TABLE.c.heartbeat_at < now - silent_for,
                )
                .values(owner=self.owner, heartbeat_at=now)
            )
        return bool(taken.rowcount)

    def _accepted(self, row: Row[Any]) -> AcceptedCommand:
        assert self._cipher is not None
        return AcceptedCommand(
            key=row.key,
            team_id=row.team_id,
            user_id=row.user_id,
            accepted_at=row.created_at,
            command=json.loads(self._cipher.decrypt(row.request["sealed"])),
        )

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
                delete(OperationRow).where(
                    OperationRow.status.not_in((STARTED, ACCEPTED)), OperationRow.updated_at < cutoff
                )
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_user(self, team_id: str, user_id: str) -> int:
        async with self._db.session() as session:
            result = await session.execute(
                delete(OperationRow).where(OperationRow.team_id == team_id, OperationRow.user_id == user_id)
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_team(self, team_id: str) -> int:
        async with self._db.session() as session:
            result = await session.execute(delete(OperationRow).where(OperationRow.team_id == team_id))
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]
