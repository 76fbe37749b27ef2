"""The database: one async engine per process (and, for the statements every command makes, a connection
on the driver itself: bot.store.direct), Alembic migrations applied from inside the package."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool, QueuePool, StaticPool

from bot.store.direct import EngineStatements, PostgresStatements, SqliteStatements, Statements, Turns
from bot.store.errors import DatabaseUnavailable as DatabaseUnavailable
from bot.store.errors import describe

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed number works; it only has to be the same in every process migrating this database.
MIGRATION_LOCK_ID = 0x77656278  # "webx"
SQLITE_BUSY_TIMEOUT_MS = 10_000
DEFAULT_PING_AFTER_IDLE = 5.0  # seconds
DEFAULT_POOL_SIZE = 10
SQLITE_POOL_SIZE = 5

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}


class UnsupportedDatabase(ValueError):
    """DATABASE_URL names a database this bot does not run on."""


@dataclass(frozen=True)
class PoolUse:
    """This process's database connections: checked out, idle in the pool, and the pool's size."""

    in_use: int
    idle: int
    size: int


# Connection-level trouble, as opposed to a bug in a statement. SQLite reports a locked or missing
# file as OperationalError; PostgreSQL drivers report a lost server as Interface/OperationalError.
_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError, OSError, TimeoutError)


def async_url(url: str | URL) -> URL:
    """The URL with its async driver: `sqlite://` and `postgresql://` get aiosqlite and asyncpg."""
    parsed = make_url(url) if isinstance(url, str) else url
    name = parsed.drivername
    if name in _ASYNC_DRIVERS:
        return parsed.set(drivername=_ASYNC_DRIVERS[name])
    if name in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        return parsed
    raise UnsupportedDatabase(
        f"DATABASE_URL uses {name!r}; use sqlite+aiosqlite:///path/to/file.db or "
        "postgresql+asyncpg://user:password@host/database"
    )


def _is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _tune_sqlite(engine: Engine) -> None:
    # WAL lets readers run beside one writer, and the busy timeout makes writers from other
    # processes wait for the lock instead of failing at once.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    # SQLAlchemy's pre-ping costs three round trips on asyncpg at every checkout. Pinging only
    # connections that sat idle still catches a server restart during a quiet spell; one that dies
    # mid-burst fails its command (DatabaseUnavailable) and makes the pool replace its connections.
    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise DisconnectionError(f"idle connection is gone ({type(error).__name__})") from error


def create_engine_for(
    url: str | URL,
    *,
    pool_size: int | None = None,
    single_connection: bool = False,
    ping_after_idle: float = DEFAULT_PING_AFTER_IDLE,
) -> AsyncEngine:
    """An AsyncEngine set up for this bot (SQLite pragmas, idle-connection pings, pool size)."""
    parsed = async_url(url)
    options: dict[str, Any] = {}
    if single_connection:
        options["poolclass"] = NullPool
    elif _is_memory_sqlite(parsed):
        # Every connection to ":memory:" is a different database; share one.
        options["poolclass"] = StaticPool
    else:
        # Connections beyond pool_size are closed when returned; under a burst that churn costs more
        # than keeping a few more open.
        # Each aiosqlite connection is a thread, and SQLite writes one at a time anyway: fewer there.
        default = SQLITE_POOL_SIZE if parsed.get_backend_name() == "sqlite" else DEFAULT_POOL_SIZE
        options["pool_size"] = pool_size or default
        options["max_overflow"] = options["pool_size"]
    engine = create_async_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        _tune_sqlite(engine.sync_engine)
    elif not single_connection:
        _ping_idle_connections(engine, ping_after_idle)
    return engine


def _alembic_config(url: URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Only for running the `alembic` command by hand against this package; `upgrade` passes its connection.
    config.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


_script_heads: tuple[str, ...] | None = None


def migration_heads() -> tuple[str, ...]:
    """The revisions a current database is at (read from the package once)."""
    global _script_heads
    if _script_heads is None:
        script = ScriptDirectory.from_config(_alembic_config(make_url("sqlite://")))
        _script_heads = tuple(sorted(script.get_heads()))
    return _script_heads


def _upgrade_on(connection: Connection, config: Config, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Two processes starting together: the second waits here, then finds nothing left to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    else:
        # SQLite: take the write lock before reading the version table, for the same reason.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(url: str | URL, revision: str = "head") -> None:
    """Apply pending migrations (safe when several processes start at once)."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite" and not _is_memory_sqlite(parsed):
        folder = Path(str(parsed.database)).expanduser().resolve().parent
        if not folder.is_dir():
            raise DatabaseUnavailable(f"the database is unavailable: the folder {folder} does not exist")
    engine = create_engine_for(parsed, single_connection=True)
    try:
        with unavailable_as_error():
            async with engine.begin() as connection:
                await connection.run_sync(_upgrade_on, _alembic_config(parsed), revision)
    finally:
        await engine.dispose()


def upgrade_sync(url: str | URL, revision: str = "head") -> None:
    """`upgrade` for callers without an event loop (the CLI)."""
    asyncio.run(upgrade(url, revision))


def _current_heads(connection: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


@contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Turn connection-level failures inside the block into DatabaseUnavailable."""
    try:
        yield
    except DBAPIError as error:
        # No statement means the connection itself could not be made (host, login, database name).
        if error.connection_invalidated or error.statement is None or isinstance(error, _UNAVAILABLE):
            raise DatabaseUnavailable(describe(error.orig or error)) from error
        raise
    except _UNAVAILABLE as error:
        raise DatabaseUnavailable(describe(error)) from error


class Database:
    """One engine and session factory for the process; repositories borrow sessions from it."""

    def __init__(
        self,
        url: str | URL,
        *,
        pool_size: int | None = None,
        ping_after_idle: float = DEFAULT_PING_AFTER_IDLE,
    ) -> None:
        self.url = async_url(url)
        self.engine = create_engine_for(self.url, pool_size=pool_size, ping_after_idle=ping_after_idle)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )
        # Single reads need no transaction; on PostgreSQL that saves the BEGIN and COMMIT round trips.
        self._reads = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )
        self._direct = _direct_statements(self.url, self.engine, pool_size, ping_after_idle)
        self._turns = Turns()

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose connection failures surface as DatabaseUnavailable."""
        with unavailable_as_error():
            async with self.sessions() as session:
                yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in a transaction, committed on leaving (lighter than a session)."""
        with unavailable_as_error():
            async with self.engine.begin() as connection:
                yield connection

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection for one consistent read (a single statement)."""
        with unavailable_as_error():
            async with self._reads.connect() as connection:
                yield connection

    @asynccontextmanager
    async def statements(self, *, transaction: bool) -> AsyncIterator[Statements]:
        """A connection on the driver itself for the statements every command makes (bot.store.direct):
        in one transaction, or each statement by itself (`transaction=False`: single statements, atomic
        alone). Connection failures surface as DatabaseUnavailable."""
        await self._turns.take()
        async with self._direct.using(transaction=transaction) as statements:
            yield statements

    def pool_use(self) -> PoolUse | None:
        """Connections checked out and idle in this process's pools (the engine's and, on PostgreSQL, the
        commands' own); None for pools that keep no count (an in-memory SQLite database shares one)."""
        pool = self.engine.sync_engine.pool
        if not isinstance(pool, QueuePool):
            return None
        in_use, idle, size = pool.checkedout(), pool.checkedin(), pool.size()
        if isinstance(self._direct, PostgresStatements):
            direct_in_use, direct_idle, direct_size = self._direct.use()
            in_use, idle, size = in_use + direct_in_use, idle + direct_idle, size + direct_size
        return PoolUse(in_use=in_use, idle=idle, size=size)

    async def ping(self, timeout: float = 2.0) -> bool:
        """Whether the database answers a trivial query within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return True

    async def is_current(self, timeout: float = 2.0) -> bool:
        """Whether the schema is at the newest migration (False when unreachable or behind)."""
        try:
            async with asyncio.timeout(timeout), self.engine.connect() as connection:
                current = await connection.run_sync(_current_heads)
        except (SQLAlchemyError, OSError, TimeoutError):
            return False
        return current == migration_heads()

    async def dispose(self) -> None:
        """Close every connection."""
        await self._direct.close()
        await self.engine.dispose()


def _direct_statements(
    url: URL, engine: AsyncEngine, pool_size: int | None, ping_after_idle: float
) -> SqliteStatements | PostgresStatements | EngineStatements:
    if url.get_backend_name() == "postgresql":
        return PostgresStatements(url, size=pool_size or DEFAULT_POOL_SIZE, idle_lifetime=ping_after_idle)
    if _is_memory_sqlite(url):
        return EngineStatements(engine)
    return SqliteStatements(str(Path(str(url.database)).expanduser()), SQLITE_BUSY_TIMEOUT_MS)
