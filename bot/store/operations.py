"""Idempotency records: a command with a key runs once, however often Slack delivers or a user clicks.

A slash command's work after the ack is recorded too ("accepted" until "done"), with the process that
owns it; each process heartbeats what it owns, so work left by a process that died is found and finished.

The records of meeting creations are also what the per-user throttle counts (bot.store.throttle), in the
transaction that claims a creation; the statements every command makes run on the driver itself
(bot.store.direct).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import Row, Table, delete, select, update

from bot.domain.clock import Clock
from bot.domain.reminders import HostReminder
from bot.store.crypto import TokenCipher, UndecryptableToken
from bot.store.database import Database
from bot.store.direct import Record, Statement
from bot.store.models import OperationRow
from bot.store.reminders import HOST_REMINDER_OF_CLOSED, add_host_reminder, host_reminder_values
from bot.store.throttle import CREATIONS, RATE_WINDOW, Creations, ThrottleLimits, admit
from bot.store.workspaces import columns, key_of, where

log = logging.getLogger(__name__)

ACCEPTED = "accepted"  # a command acked, its work not yet answered
STARTED = "started"
DONE = "done"
FAILED = "failed"
# The error of started work closed because its process stopped heartbeating: it never answered anyone.
OWNER_STOPPED = "OwnerStopped"


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

# The statements of every command, run on the driver (bot.store.direct), written once.
_NAMES = ", ".join(f'"{column.name}"' for column in _COLUMNS)
_TIMES = ("created_at", "updated_at", "heartbeat_at")
_DOCUMENTS = ("request", "result")
_VALUES = ", ".join(f":{column.name}" for column in _COLUMNS)
_INSERT = f'INSERT INTO operations ({_NAMES}) VALUES ({_VALUES}) ON CONFLICT ("key") DO NOTHING'
_ACCEPT = Statement(_INSERT)
_CLAIM = Statement(f"{_INSERT} RETURNING {_NAMES}", _TIMES, _DOCUMENTS)
_GET = Statement(f'SELECT {_NAMES} FROM operations WHERE "key" = :key', _TIMES, _DOCUMENTS)
_CLOSE = Statement(
    "UPDATE operations SET status = :new_status, result = :new_result, error = :new_error, "
    'updated_at = :now WHERE "key" = :key AND status = :was'
)
_ANSWERED = Statement(f"{_CLOSE.sql} AND owner = :me")
# PostgreSQL: the record closed and the host's reminder written in one statement (one round trip).
_CLOSE_AND_REMIND = Statement(
    f"WITH closed AS ({_CLOSE.sql} RETURNING 1), added AS ({HOST_REMINDER_OF_CLOSED}) "
    "SELECT count(*) AS closed FROM closed"
)

# The throttle's count of the user's other creations of meetings, as the columns of one row.
_OTHER_CREATIONS = (
    "FROM operations WHERE enterprise_id = :enterprise_id AND team_id = :team_id AND user_id = :user_id "
    f'AND kind IN ({", ".join(repr(kind) for kind in CREATIONS)}) AND "key" != :key'
)
_IN_THE_MINUTE = "AND created_at > :minute_began"
_CREATIONS = (
    f"(SELECT count(*) {_OTHER_CREATIONS} {_IN_THE_MINUTE}) AS in_the_minute, "
    f"(SELECT count(*) {_OTHER_CREATIONS} AND status = '{STARTED}' AND created_at > :lapsed_before) "
    "AS running, "
    f"(SELECT created_at {_OTHER_CREATIONS} {_IN_THE_MINUTE} ORDER BY created_at DESC LIMIT 1 OFFSET :nth) "
    "AS nth_newest"
)
# SQLite: the INSERT takes the database's single write lock, so the counts in its RETURNING see every
# creation another process admitted, and the claim and the count are one statement.
_CLAIM_COUNTING = Statement(f"{_CLAIM.sql}, {_CREATIONS}", (*_TIMES, "nth_newest"), _DOCUMENTS)
# PostgreSQL: the claim asks webex_bot_admit (migration 0011) first, which waits for its user's lock, held
# until the statement commits, so processes admitting the same user take turns, and counts with a snapshot
# taken after the wait, seeing every creation the others admitted; the record is inserted only if admitted.
# One statement, one round trip; its one row says whether it was admitted, with the counts either way.
# (Values in a SELECT list have no column to take a type from: each is cast to its column's.)
_TYPED_VALUES = ", ".join(
    f":{name}::{'json' if name in _DOCUMENTS else 'timestamptz' if name in _TIMES else 'text'}"
    for name in (column.name for column in _COLUMNS)
)
_CLAIM_ADMITTED = Statement(
    "WITH decision AS (SELECT * FROM webex_bot_admit(:turn, :enterprise_id, :team_id, :user_id, :key, "
    ":minute_began, :lapsed_before, :nth, :per_minute, :in_flight)), "
    f"claimed AS (INSERT INTO operations ({_NAMES}) SELECT {_TYPED_VALUES} FROM decision "
    f'WHERE decision.admitted ON CONFLICT ("key") DO NOTHING RETURNING {_NAMES}) '
    "SELECT decision.admitted, decision.in_the_minute, decision.running, decision.nth_newest, claimed.* "
    "FROM decision LEFT JOIN claimed ON true",
    (*_TIMES, "nth_newest"),
    _DOCUMENTS,
)


def _creations(counted: Record) -> Creations:
    return Creations(counted.in_the_minute, counted.running, counted.nth_newest)


def _turn(team_id: str, user_id: str) -> int:
    """The advisory lock of one user's creations: a signed 64-bit number from their ids."""
    digest = hashlib.blake2b(f"throttle\x1f{team_id}\x1f{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _operation(row: Row[Any] | Record, *, owned: bool) -> Operation:
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
        if throttled:
            values |= {
                "minute_began": now - RATE_WINDOW,
                "lapsed_before": now - self.limits.slot_lifetime,
                "nth": self.limits.nth_in_the_minute,
            }
        postgresql = self._db.dialect == "postgresql"
        if throttled and postgresql:
            values |= {
                "turn": _turn(team_id, user_id),
                "per_minute": self.limits.per_minute,
                "in_flight": self.limits.in_flight,
            }
            claim = _CLAIM_ADMITTED
        else:
            claim = _CLAIM_COUNTING if throttled else _CLAIM
        # SQLite counts in the claim's own RETURNING: a refusal then rolls the claim back.
        async with self._db.statements(transaction=throttled and not postgresql) as statements:
            row = await statements.one(claim, values)
            if row is not None and row.key is not None:
                if throttled:
                    admit(self.limits, now, _creations(row))  # raising rolls the claim back (SQLite)
                return _operation(row, owned=True)
            existing = await statements.one(_GET, values)
        if existing is not None:
            return _operation(existing, owned=False)  # a repeat: never throttled
        if row is not None and throttled:
            admit(self.limits, now, _creations(row))  # refused: the claim wrote nothing
        # Purged between our insert attempt and the read: extremely unlikely; claim it again.
        return await self.begin(key, team_id, user_id, kind, request)

    async def get(self, key: str) -> Operation | None:
        async with self._db.statements(transaction=False) as statements:
            row = await statements.one(_GET, {"key": key})
        return None if row is None else _operation(row, owned=False)

    async def finish(
        self, key: str, result: dict[str, Any] | None = None, *, reminder: HostReminder | None = None
    ) -> bool:
        """Record the outcome of started work; False if it was not (or no longer) started.

        `reminder`, of the meeting the work made, is written in the same transaction (only if the record
        was closed here): one write for the outcome and what goes with it."""
        closing = self._closing(key, status=DONE, result=result, error=None)
        if reminder is not None and self._db.dialect == "postgresql":
            async with self._db.statements(transaction=False) as statements:
                row = await statements.one(_CLOSE_AND_REMIND, closing | host_reminder_values(reminder))
            return row is not None and bool(row.closed)
        async with self._db.statements(transaction=reminder is not None) as statements:
            closed = bool(await statements.changed(_CLOSE, closing))
            if closed and reminder is not None:
                await add_host_reminder(statements, reminder)
        return closed

    async def fail(self, key: str, error: str, result: dict[str, Any] | None = None) -> bool:
        """Record that started work failed, with a message fit to show the user."""
        closing = self._closing(key, status=FAILED, result=result, error=error)
        async with self._db.statements(transaction=False) as statements:
            return bool(await statements.changed(_CLOSE, closing))

    def _closing(
        self, key: str, *, status: str, result: dict[str, Any] | None, error: str | None
    ) -> dict[str, Any]:
        """The values of _CLOSE that end started work with `status`."""
        return {
            "key": key,
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
        sealed = self._cipher.encrypt(orjson.dumps(command).decode())
        values = {
            "key": key,
            **columns(team_id),
            "user_id": user_id,
            "kind": "command",
            "status": ACCEPTED,
            "request": {"sealed": sealed},
            "result": None,
            "error": None,
            "created_at": now,
            "updated_at": now,
            "owner": self.owner,
            "heartbeat_at": now,
        }
        async with self._db.statements(transaction=False) as statements:
            return bool(await statements.changed(_ACCEPT, values))

    async def answered(self, key: str, outcome: str) -> bool:
        """The accepted command was answered (`outcome`: ok, failed...); False if another process took it."""
        values = {
            "key": key,
            "was": ACCEPTED,
            "me": self.owner,
            "new_status": DONE,
            "new_result": {"outcome": outcome},
            "new_error": None,
            "now": self._clock.now(),
        }
        async with self._db.statements(transaction=False) as statements:
            return bool(await statements.changed(_ANSWERED, values))

    async def kept(self, key: str, team_id: str, user_id: str) -> dict[str, Any] | None:
        """The command this person's request journaled under `key` (a form as submitted), answered or
        not, until purged; None when it is gone, unreadable, or not theirs."""
        async with self._db.statements(transaction=False) as statements:
            row = await statements.one(_GET, {"key": key})
        if row is None or row.kind != "command" or (key_of(row), row.user_id) != (team_id, user_id):
            return None
        if self._cipher is None:
            return None
        try:
            return self._accepted(row).command
        except (UndecryptableToken, ValueError, KeyError, TypeError):
            log.warning("accepted command %s cannot be read", key)
            return None

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
                .values(status=FAILED, error=OWNER_STOPPED, updated_at=self._clock.now())
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

    def _accepted(self, row: Row[Any] | Record) -> AcceptedCommand:
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
