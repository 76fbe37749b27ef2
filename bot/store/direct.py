"""The statements every command makes, run on the database driver itself.

A `/webex schedule` reads and writes the database five times (the command accepted, its creation
claimed, the link read, the outcome recorded, the command answered). Through SQLAlchemy each of those
cost 0.3-0.6 ms of CPU, mostly in the execution machinery around a statement that itself takes
microseconds; run on the driver they cost a few tens of microseconds:

- a SQLite file: one `sqlite3` connection of the event loop's own, used inline (a write holds the
  loop for the microseconds it takes). It never waits for the lock on the loop: its busy timeout is
  zero, and a statement that finds the database locked (another process or connection is writing)
  waits for it in a thread instead, with the usual busy timeout;
- PostgreSQL: `asyncpg` connections kept by this module, each keeping every statement prepared; each
  step is one statement (one round trip), the throttle's lock and count included;
- an in-memory SQLite database (tests): through the engine's connection, the same SQL.

`Turns` starts the commands' units of database work one per turn of the event loop, so that a request
arriving meanwhile is acked after one of them rather than after all.

The SQL is written once, with `:name` parameters, for both databases. Values go in and come out as the
tables' SQLAlchemy types have them (aware UTC datetimes, JSON documents), so rows read here and rows read
through SQLAlchemy are the same.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
import orjson
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.errors import DatabaseUnavailable, describe

log = logging.getLogger(__name__)
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")
# What sqlite3 says when another connection holds the lock.
_LOCKED = ("database is locked", "database table is locked", "database is busy")


@dataclass(frozen=True)
class Statement:
    """One SQL statement with `:name` parameters; `times` and `documents` name the result columns that are
    datetimes and JSON documents."""

    sql: str
    times: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()

    def numbered(self) -> tuple[str, tuple[str, ...]]:
        """The statement with PostgreSQL's `$1` parameters, and the names in their order."""
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        return _PARAMETER.sub(number, self.sql), tuple(names)


class Statements(Protocol):
    """A connection running `Statement`s, inside a transaction or each by itself."""

    async def one(self, statement: Statement, values: Mapping[str, Any]) -> Record | None:
        """The first row the statement returns (None when none)."""

    async def changed(self, statement: Statement, values: Mapping[str, Any]) -> int:
        """How many rows the statement wrote."""


class Turns:
    """Units of work started one per turn of the event loop. Each command's statements come with the
    work around them (reading what Webex said, writing the card); started all in one turn, a request
    that arrived meanwhile would wait for every one of them before its ack. One per turn, it waits for
    one."""

    def __init__(self) -> None:
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._passing = False
        self._loop: asyncio.AbstractEventLoop | None = None

    async def take(self) -> None:
        loop = asyncio.get_running_loop()
        if not self._passing or loop is not self._loop:
            # (Another loop than the last one, as in tests that each run their own: it starts afresh.)
            self._passing, self._loop, self._waiting = True, loop, collections.deque()
            loop.call_soon(self._pass_one)
            return
        turn = loop.create_future()
        self._waiting.append(turn)
        await turn

    def _pass_one(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                asyncio.get_running_loop().call_soon(self._pass_one)
                return
        self._passing = False


class Record(dict[str, Any]):
    """A row read here: its columns by name, as keys or as attributes (like SQLAlchemy's rows)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


_AS_IS = frozenset((str, int, float, bool, type(None)))


def _document(value: Any) -> Any:
    # orjson: compact, and a twentieth of the json module's CPU for a document.
    return orjson.dumps(value).decode() if isinstance(value, dict | list) else value


def _row(statement: Statement, row: Any, read_time: Callable[[Any], datetime | None]) -> Record:
    found = Record(row)
    for name in statement.times:
        found[name] = read_time(found[name])
    for name in statement.documents:
        if isinstance(found[name], str):
            found[name] = orjson.loads(found[name])
    return found


# ---- SQLite ----------------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, datetime):
        # As SQLAlchemy stores them: naive UTC text with microseconds, which sorts in time order.
        if value.tzinfo is not UTC:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
            value = value.astimezone(UTC)
        return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
    return _document(value)


def _sqlite_time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value + "+00:00")  # naive UTC text, as stored (the quick way)
    except ValueError:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _say_if_failed(checkpoint: asyncio.Future[None]) -> None:
    if not checkpoint.cancelled() and checkpoint.exception() is not None:
        # The next one tries again; meanwhile the log only grows.
        log.warning("checkpointing the SQLite log failed: %s", checkpoint.exception())


def _locked(error: sqlite3.OperationalError) -> bool:
    return any(text in str(error) for text in _LOCKED)


class SqliteStatements:
    """The event loop's own connection to a SQLite file. The write-ahead log is checkpointed by a thread,
    every `checkpoint_every` commits made here, rather than by a commit on the loop."""

    def __init__(self, path: str, busy_timeout_ms: int, *, checkpoint_every: int = 500) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._checkpoint_every = checkpoint_every
        self._connection: sqlite3.Connection | None = None
        self._turn = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._commits = 0
        self._checkpointing: asyncio.Future[None] | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
                for pragma in (
                    "busy_timeout = 0",
                    "journal_mode = WAL",
                    "synchronous = NORMAL",
                    "foreign_keys = ON",
                    # Its commits do not checkpoint the log on the loop; `_committed` has a thread do it.
                    "wal_autocheckpoint = 0",
                ):
                    connection.execute(f"PRAGMA {pragma}")
            except sqlite3.Error as error:
                raise DatabaseUnavailable(describe(error)) from error
            connection.row_factory = sqlite3.Row
            self._connection = connection
        return self._connection

    @asynccontextmanager
    async def using(self, *, transaction: bool) -> AsyncIterator[SqliteStatements]:
        """This connection for one unit of work; a transaction takes the write lock at its start."""
        if asyncio.get_running_loop() is not self._loop:  # a lock belongs to one loop
            self._loop, self._turn = asyncio.get_running_loop(), asyncio.Lock()
        async with self._turn:
            self._connect()
            if not transaction:
                yield self
                return
            await self._run("BEGIN IMMEDIATE", {})
            try:
                yield self
                await self._run("COMMIT", {})
            except BaseException:
                if self._connect().in_transaction:
                    self._connect().execute("ROLLBACK")
                raise
            self._committed()

    async def _run(self, sql: str, values: Mapping[str, Any]) -> sqlite3.Cursor:
        connection = self._connect()
        try:
            try:
                return connection.execute(sql, values)
            except sqlite3.OperationalError as error:
                if not _locked(error):
                    raise
            # Someone else is writing: wait for them off the loop, as long as the busy timeout allows.
            return await asyncio.to_thread(self._run_waiting, sql, values)
        except (sqlite3.OperationalError, sqlite3.InterfaceError) as error:
            raise DatabaseUnavailable(describe(error)) from error

    def _run_waiting(self, sql: str, values: Mapping[str, Any]) -> sqlite3.Cursor:
        connection = self._connect()
        connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        try:
            return connection.execute(sql, values)
        finally:
            connection.execute("PRAGMA busy_timeout = 0")

    def _committed(self) -> None:
        self._commits += 1
        if self._commits % self._checkpoint_every == 0 and (
            self._checkpointing is None or self._checkpointing.done()
        ):
            self._checkpointing = asyncio.ensure_future(asyncio.to_thread(self._checkpoint))
            self._checkpointing.add_done_callback(_say_if_failed)

    def _checkpoint(self) -> None:
        # Its own connection, so the loop's stays free; PASSIVE never waits for readers or writers.
        connection = sqlite3.connect(self._path, isolation_level=None)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()

    async def one(self, statement: Statement, values: Mapping[str, Any]) -> Record | None:
        cursor = await self._run(statement.sql, {k: _sqlite_value(v) for k, v in values.items()})
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else _row(statement, row, _sqlite_time)

    async def changed(self, statement: Statement, values: Mapping[str, Any]) -> int:
        cursor = await self._run(statement.sql, {k: _sqlite_value(v) for k, v in values.items()})
        if not self._connect().in_transaction:
            self._committed()
        return cursor.rowcount

    async def close(self) -> None:
        if self._checkpointing is not None:
            await asyncio.gather(self._checkpointing, return_exceptions=True)
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# ---- PostgreSQL ------------------------------------------------------------------------------------

# Connection-level trouble, as opposed to a bug in a statement.
_PG_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
    TimeoutError,
)


def _pg_time(value: Any) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class PostgresStatements:
    """asyncpg connections of this process's own, kept open between uses, at most `size` in use at once.

    Not asyncpg's pool: its hand-back (a task and two timeouts for every use) cost more CPU than the
    statement it served. A connection idle for `idle_lifetime` seconds is closed and made anew when next
    needed (a server restarted during a quiet spell is found at connect time, not by a command's
    statement); one cut or cancelled mid-use is closed, never handed out again."""

    def __init__(self, url: URL, *, size: int, idle_lifetime: float, timeout: float = 30.0) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._size = size
        self._idle_lifetime = idle_lifetime
        self._timeout = timeout
        self._slots = asyncio.Semaphore(size)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_use = 0
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        self._numbered: dict[Statement, tuple[str, tuple[str, ...]]] = {}

    async def _take(self) -> asyncpg.Connection:
        while self._idle:
            connection, since = self._idle.pop()
            if not connection.is_closed() and time.monotonic() - since < self._idle_lifetime:
                return connection
            connection.terminate()
        return await asyncpg.connect(self._dsn, timeout=self._timeout)

    def _on_this_loop(self) -> None:
        """Connections and the semaphore belong to the loop they were made on; on another (tests that
        each run their own loop), start afresh."""
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return
        self._loop, self._slots, self._in_use = loop, asyncio.Semaphore(self._size), 0
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            with contextlib.suppress(Exception):  # its loop may be closed already
                connection.terminate()

    @asynccontextmanager
    async def using(self, *, transaction: bool) -> AsyncIterator[Statements]:
        self._on_this_loop()
        try:
            if self._slots.locked():
                async with asyncio.timeout(self._timeout):
                    await self._slots.acquire()
            else:
                await self._slots.acquire()  # free: takes it without waiting
        except TimeoutError as error:
            raise DatabaseUnavailable(describe(error)) from error
        self._in_use += 1
        connection = None
        reusable = False
        try:
            connection = await self._take()
            try:
                if transaction:
                    async with connection.transaction():
                        yield _PostgresConnection(connection, self._numbered)
                else:
                    yield _PostgresConnection(connection, self._numbered)
            except (asyncio.CancelledError, *_PG_UNAVAILABLE):
                raise  # the connection may be mid-statement: closed below
            except BaseException:
                reusable = True  # the statement ended (refused, or the caller changed its mind): fine
                raise
            reusable = True
        except _PG_UNAVAILABLE as error:
            raise DatabaseUnavailable(describe(error)) from error
        finally:
            self._in_use -= 1
            self._slots.release()
            if connection is not None:
                if reusable and not connection.is_closed() and not connection.is_in_transaction():
                    self._idle.append((connection, time.monotonic()))
                else:
                    connection.terminate()

    def use(self) -> tuple[int, int, int]:
        """Connections in use, idle, and the most open at once."""
        return self._in_use, len(self._idle), self._size

    async def close(self) -> None:
        self._on_this_loop()
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            await connection.close(timeout=2)


class _PostgresConnection:
    def __init__(
        self, connection: asyncpg.Connection, numbered: dict[Statement, tuple[str, tuple[str, ...]]]
    ) -> None:
        self._connection = connection
        self._numbered = numbered

    def _arguments(self, statement: Statement, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
        found = self._numbered.get(statement)
        if found is None:
            found = self._numbered[statement] = statement.numbered()
        sql, names = found
        return sql, [_document(values[name]) for name in names]

    async def one(self, statement: Statement, values: Mapping[str, Any]) -> Record | None:
        sql, arguments = self._arguments(statement, values)
        row = await self._connection.fetchrow(sql, *arguments)
        return None if row is None else _row(statement, row, _pg_time)

    async def changed(self, statement: Statement, values: Mapping[str, Any]) -> int:
        sql, arguments = self._arguments(statement, values)
        status = await self._connection.execute(sql, *arguments)
        # "UPDATE 1", "INSERT 0 1", "DELETE 3": the count is the last word.
        return int(status.rsplit(" ", 1)[-1])


# ---- an in-memory SQLite database: through the engine --------------------------------------------


class EngineStatements:
    """The same statements through the async engine's connection (an in-memory SQLite database, which
    only that connection can see)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def using(self, *, transaction: bool) -> AsyncIterator[Statements]:
        async with self._engine.begin() as connection:
            yield _EngineConnection(connection)

    async def close(self) -> None:
        return None


class _EngineConnection:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def one(self, statement: Statement, values: Mapping[str, Any]) -> Record | None:
        result = await self._connection.exec_driver_sql(
            statement.sql, {k: _sqlite_value(v) for k, v in values.items()}
        )
        row = result.mappings().first()
        return None if row is None else _row(statement, row, _sqlite_time)

    async def changed(self, statement: Statement, values: Mapping[str, Any]) -> int:
        result = await self._connection.exec_driver_sql(
            statement.sql, {k: _sqlite_value(v) for k, v in values.items()}
        )
        return int(result.rowcount)
