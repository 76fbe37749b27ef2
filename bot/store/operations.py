"""Idempotency records: a command with a key runs once, however often Slack delivers or a user clicks.

A slash command's work after the ack is recorded too ("accepted" until "done"), with the process that
owns it; each process heartbeats what it owns, so work left by a process that died is found and finished.

The records of meeting creations are also what the per-user throttle counts (bot.store.throttle), in the
transaction that claims a creation; the hot statements are built once, at import.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import BigInteger, Connection, Integer, Row, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.domain.clock import Clock
from bot.domain.reminders import HostReminder
from bot.store.crypto import TokenCipher, UndecryptableToken
from bot.store.database import Database
from bot.store.models import OperationRow
from bot.store.reminders import add_host_reminder
from bot.store.throttle import CREATIONS, RATE_WINDOW, Creations, ThrottleLimits, admit
from bot.store.workspaces import columns, key_of, where

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

# The statements of every command, built once (each execution then skips building and keying them).
_CLAIM = {
    dialect: insert_into(_TABLE).on_conflict_do_nothing(index_elements=["key"]).returning(*_COLUMNS)
    for dialect, insert_into in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
# The throttle's count of the user's other creations, as the columns of one row.
# (Its parameters are not named after columns: in the claim's RETURNING those names are the VALUES'.)
_OTHER_CREATIONS = (
    _TABLE.c.enterprise_id == bindparam("creator_enterprise_id"),
    _TABLE.c.team_id == bindparam("creator_team_id"),
    _TABLE.c.user_id == bindparam("creator_user_id"),
    _TABLE.c.kind.in_(CREATIONS),
    _TABLE.c.key != bindparam("claimed_key"),
)
_IN_THE_MINUTE = _TABLE.c.created_at > bindparam("minute_began", type_=_TABLE.c.created_at.type)
_CREATIONS = (
    select(func.count()).where(*_OTHER_CREATIONS, _IN_THE_MINUTE).scalar_subquery().label("in_the_minute"),
    select(func.count())
    .where(
        *_OTHER_CREATIONS,
        _TABLE.c.status == STARTED,
        _TABLE.c.created_at > bindparam("lapsed_before", type_=_TABLE.c.created_at.type),
    )
    .scalar_subquery()
    .label("running"),
    select(_TABLE.c.created_at)
    .where(*_OTHER_CREATIONS, _IN_THE_MINUTE)
    .order_by(_TABLE.c.created_at.desc())
    .limit(1)
    .offset(bindparam("nth", type_=Integer))
    .scalar_subquery()
    .label("nth_newest"),
)
# SQLite: the INSERT takes the database's single write lock, so the counts in its RETURNING see every
# creation another process admitted, and the claim and the count are one statement.
_CLAIM_COUNTING = (
    sqlite_insert(_TABLE).on_conflict_do_nothing(index_elements=["key"]).returning(*_COLUMNS, *_CREATIONS)
)
# PostgreSQL: the claim first takes a lock on its user, held until commit, so processes admitting the same
# user take turns; the count comes after it (a later statement, so a later snapshot) to see every
# creation the others admitted.
_CLAIM_IN_TURN = (
    pg_insert(_TABLE)
    .from_select(
        [column.name for column in _COLUMNS],
        select(*(bindparam(column.name, type_=column.type) for column in _COLUMNS)).select_from(
            select(func.pg_advisory_xact_lock(bindparam("turn", type_=BigInteger))).cte("turn")
        ),
    )
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(*_COLUMNS)
)
_COUNT = select(*_CREATIONS)
_GET = select(*_COLUMNS).where(_TABLE.c.key == bindparam("k"))
_CLOSE = (
    update(_TABLE)
    .where(_TABLE.c.key == bindparam("k"), _TABLE.c.status == bindparam("was"))
    .values(
        status=bindparam("new_status", type_=_TABLE.c.status.type),
        result=bindparam("new_result", type_=_TABLE.c.result.type),
        error=bindparam("new_error", type_=_TABLE.c.error.type),
        updated_at=bindparam("now", type_=_TABLE.c.updated_at.type),
    )
)
_ANSWERED = _CLOSE.where(_TABLE.c.owner == bindparam("me"))
_ACCEPT = _TABLE.insert()


def _creations(counted: Row[Any]) -> Creations:
    return Creations(counted.in_the_minute, counted.running, counted.nth_newest)


def _turn(team_id: str, user_id: str) -> int:
    """The advisory lock of one user's creations: a signed 64-bit number from their ids."""
    digest = hashlib.blake2b(f"throttle\x1f{team_id}\x1f{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


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
        owner=row.owner,
        heartbeat_at=row.heartbeat_at,
    )


class OperationStore:
    """The `operations` table, seen by one process (`owner`); `cipher` seals accepted commands; `limits`
    throttle each user's creations of meetings (none by default)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        owner: str = "",
        cipher: TokenCipher | None = None,
        limits: ThrottleLimits | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.owner = owner
        self._cipher = cipher
        self.limits = limits or ThrottleLimits(per_minute=0, in_flight=0)

    async def begin(
        self, key: str, team_id: str, user_id: str, kind: str, request: dict[str, Any] | None = None
    ) -> Operation:
        """Claim the key: a new "started" record you own, or the one someone else already made.

        Claiming a creation of a meeting (kind "schedule" or "now") raises ThrottleFull instead, writing
        nothing, when the user is over a limit of `limits`."""
        now = self._clock.now()
        values: dict[str, Any] = {
            "key": key,
            **columns(team_id),
            "user_id": user_id,
            "kind": kind,
            "status": STARTED,
            "request": request,
            "result": None,
            "error": None,
            "created_at": now,
            "updated_at": now,
            "owner": self.owner or None,
            "heartbeat_at": now if self.owner else None,
        }
        throttled = kind in CREATIONS and not self.limits.off
        claim = _CLAIM[self._db.dialect]
        if throttled:
            values |= {
                "creator_enterprise_id": values["enterprise_id"],
                "creator_team_id": values["team_id"],
                "creator_user_id": user_id,
                "claimed_key": key,
                "minute_began": now - RATE_WINDOW,
                "lapsed_before": now - self.limits.slot_lifetime,
                "nth": self.limits.nth_in_the_minute,
            }
            if self._db.dialect == "postgresql":
                claim, values["turn"] = _CLAIM_IN_TURN, _turn(team_id, user_id)
            else:
                claim = _CLAIM_COUNTING
        limits = self.limits

        def claim_it(connection: Connection) -> tuple[Row[Any] | None, bool]:
            row = connection.execute(claim, values).one_or_none()
            if row is None:
                return connection.execute(_GET, {"k": key}).one_or_none(), False
            if throttled:
                counted = row if claim is _CLAIM_COUNTING else connection.execute(_COUNT, values).one()
                # Raising rolls the claim back: nothing of this attempt is kept.
                admit(limits, now, _creations(counted))
            return row, True

        existing, owned = await self._db.run(claim_it)
        if owned:
            assert existing is not None
            return _operation(existing, owned=True)
        if existing is None:
            # Purged between our insert attempt and the read: extremely unlikely; claim it again.
            return await self.begin(key, team_id, user_id, kind, request)
        return _operation(existing, owned=False)

    async def get(self, key: str) -> Operation | None:
        async with self._db.reading() as connection:
            row = (await connection.execute(_GET, {"k": key})).one_or_none()
        return None if row is None else _operation(row, owned=False)

    async def finish(
        self, key: str, result: dict[str, Any] | None = None, *, reminder: HostReminder | None = None
    ) -> bool:
        """Record the outcome of started work; False if it was not (or no longer) started.

        `reminder`, of the meeting the work made, is written in the same transaction (only if the record
        was closed here): one write for the outcome and what goes with it."""
        closing = self._closing(key, status=DONE, result=result, error=None)

        def close(connection: Connection) -> bool:
            closed = bool(connection.execute(_CLOSE, closing).rowcount)
            if closed and reminder is not None:
                add_host_reminder(connection, reminder)
            return closed

        return await self._db.run(close, one_statement=reminder is None)

    async def fail(self, key: str, error: str, result: dict[str, Any] | None = None) -> bool:
        """Record that started work failed, with a message fit to show the user."""
        closing = self._closing(key, status=FAILED, result=result, error=error)
        return await self._db.run(
            lambda connection: bool(connection.execute(_CLOSE, closing).rowcount), one_statement=True
        )

    def _closing(
        self, key: str, *, status: str, result: dict[str, Any] | None, error: str | None
    ) -> dict[str, Any]:
        """The values of _CLOSE that end started work with `status`."""
        return {
            "k": key,
            "was": STARTED,
            "new_status": status,
            "new_result": result,
            "new_error": error,
            "now": self._clock.now(),
        }

    # ---- commands acked, not yet answered -----------------------------------------------------------

    async def accept(self, key: str, team_id: str, user_id: str, command: dict[str, Any]) -> bool:
        """Record a command this process acks and will answer; False if the key was already recorded
        (the same command delivered again). The command is sealed: it may hold a response_url, which
        can post to the person's channel, and whatever they typed."""
        if self._cipher is None:
            raise RuntimeError("accepted commands need the token cipher to seal them")
        now = self._clock.now()
        sealed = self._cipher.encrypt(json.dumps(command, separators=(",", ":")))
        values = {
            "key": key,
            **columns(team_id),
            "user_id": user_id,
            "kind": "command",
            "status": ACCEPTED,
            "request": {"sealed": sealed},
            "created_at": now,
            "updated_at": now,
            "owner": self.owner,
            "heartbeat_at": now,
        }
        try:
            await self._db.run(lambda connection: connection.execute(_ACCEPT, values), one_statement=True)
        except IntegrityError:
            return False
        return True

    async def answered(self, key: str, outcome: str) -> bool:
        """The accepted command was answered (`outcome`: ok, failed...); False if another process took it."""
        values = {
            "k": key,
            "was": ACCEPTED,
            "me": self.owner,
            "new_status": DONE,
            "new_result": {"outcome": outcome},
            "new_error": None,
            "now": self._clock.now(),
        }
        return await self._db.run(
            lambda connection: bool(connection.execute(_ANSWERED, values).rowcount), one_statement=True
        )

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
        commands, unreadable = [], []
        for row in found:
            try:
                commands.append(self._accepted(row))
            except (UndecryptableToken, ValueError, KeyError, TypeError):
                # Sealed with a key no longer in TOKEN_KEYS, or not a command: nothing can run it again.
                log.warning("accepted command %s cannot be read; it is not run again", row.key)
                unreadable.append(row.key)
        if unreadable:
            # Closed, so the next look does not find it (and warn about it) again.
            async with self._db.transaction() as connection:
                await connection.execute(
                    update(_TABLE)
                    .where(_TABLE.c.key.in_(unreadable), _TABLE.c.status == ACCEPTED)
                    .values(status=FAILED, error="Unreadable", updated_at=self._clock.now())
                )
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
            team_id=key_of(row),
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
                delete(OperationRow).where(*where(OperationRow, team_id), OperationRow.user_id == user_id)
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_team(self, team_id: str) -> int:
        async with self._db.session() as session:
            result = await session.execute(delete(OperationRow).where(*where(OperationRow, team_id)))
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]
