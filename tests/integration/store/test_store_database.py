"""Database and migrations: upgrade from empty, schema matches the models, readiness, SQLite settings."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, select, text
from sqlalchemy.engine import make_url

from bot.domain.clock import FakeClock
from bot.store import LinkStore, OperationStore, TokenCipher
from bot.store.database import (
    Database,
    DatabaseUnavailable,
    UnsupportedDatabase,
    async_url,
    migration_heads,
    upgrade,
)
from bot.store.direct import PostgresStatements, SqliteStatements, Statement
from bot.store.models import Base, ReminderChoiceRow
from bot.store.throttle import ThrottleFull

REPO = Path(__file__).resolve().parents[3]


def schema_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_from_empty_reaches_the_models_exactly(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert await db.ping()
        assert not await db.is_current()
        await upgrade(database_url)
        assert await db.is_current()
        async with db.engine.connect() as connection:
            assert await connection.run_sync(schema_differences) == []
        await upgrade(database_url)  # nothing left to do is fine
        assert await db.is_current()
    finally:
        await db.dispose()


async def test_two_processes_migrating_at_once_both_succeed(database_url: str) -> None:
    script = "import asyncio, sys; from bot.store.database import upgrade; asyncio.run(upgrade(sys.argv[1]))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, database_url, env=env, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    for process in processes:
        _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
    db = Database(database_url)
    try:
        assert await db.is_current()
    finally:
        await db.dispose()


async def test_unreachable_database_is_reported_not_raised(tmp_path: Path) -> None:
    for url in (
        f"sqlite+aiosqlite:///{tmp_path}/missing-folder/x.db",
        "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    ):
        db = Database(url)
        try:
            assert not await db.ping(timeout=2)
            assert not await db.is_current(timeout=2)
        finally:
            await db.dispose()
    # aiosqlite stops a failed connection's worker thread without waiting for it; let it finish
    # while this test's event loop still runs, or it reports into a closed loop.
    for thread in threading.enumerate():
        if "connection_worker" in thread.name:
            await asyncio.to_thread(thread.join, 5)


async def test_timestamps_come_back_aware_utc(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO operations (key, team_id, user_id, kind, status, created_at, updated_at) "
                "VALUES ('k', 'T', 'U', 'x', 'started', :at, :at)"
            ),
            {
                "at": datetime(2026, 1, 1, 12, 0)
                if database.dialect == "sqlite"
                else datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
            },
        )
    from bot.domain.clock import FakeClock
    from bot.store.operations import OperationStore

    record = await OperationStore(database, FakeClock()).get("k")
    assert record is not None and record.created_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert record.created_at.tzinfo is UTC


async def test_sqlite_runs_in_wal_with_a_busy_timeout_and_foreign_keys(database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite settings")
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1


_CHOOSE = Statement(
    "INSERT INTO reminder_choices (enterprise_id, team_id, user_id, minutes, updated_at) "
    "VALUES ('', 'T1', :user, 10, :at)"
)
AT = datetime(2026, 1, 1, 12, 0, 0, 123, tzinfo=UTC)


async def chosen(database: Database) -> list[tuple[str, datetime]]:
    """The rows of reminder_choices as SQLAlchemy reads them (types and all)."""
    async with database.reading() as connection:
        rows = await connection.execute(select(ReminderChoiceRow.user_id, ReminderChoiceRow.updated_at))
        return [(user, at) for user, at in rows]


async def test_a_transaction_of_statements_keeps_what_returns_and_nothing_of_what_raises(
    database: Database,
) -> None:
    async with database.statements(transaction=True) as statements:
        assert await statements.changed(_CHOOSE, {"user": "U1", "at": AT}) == 1
    with pytest.raises(LookupError):
        async with database.statements(transaction=True) as statements:
            await statements.changed(_CHOOSE, {"user": "U2", "at": AT})
            raise LookupError("changed its mind")
    # Written on the driver, read through SQLAlchemy: the same row, the same aware time.
    assert await chosen(database) == [("U1", AT)]
    async with database.statements(transaction=False) as statements:
        row = await statements.one(
            Statement("SELECT user_id, updated_at FROM reminder_choices", times=("updated_at",)), {}
        )
    assert row == {"user_id": "U1", "updated_at": AT} and row is not None and row.user_id == "U1"
    await database.dispose()  # the process's shutdown; a Database used again opens what it needs again
    async with database.statements(transaction=False) as statements:
        assert await statements.changed(_CHOOSE, {"user": "U3", "at": AT}) == 1


async def test_sqlite_statements_run_with_the_same_settings(database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite settings")
    async with database.statements(transaction=False) as statements:
        found = [
            await statements.one(Statement(f"PRAGMA {name}"), {})
            for name in ("journal_mode", "foreign_keys", "synchronous")
        ]
    assert [next(iter(row.values())) for row in found if row] == ["wal", 1, 1]  # synchronous 1 is NORMAL


async def test_sqlite_statements_wait_for_another_writer_off_the_event_loop(database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite locking")
    # Another process holds the write lock for a moment.
    other = sqlite3.connect(str(database.url.database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def release() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    ticker, releaser = asyncio.create_task(tick()), asyncio.create_task(release())
    try:
        async with database.statements(transaction=True) as statements:
            await statements.changed(_CHOOSE, {"user": "U1", "at": AT})
    finally:
        ticker.cancel()
        await releaser
        other.close()
    assert ticks >= 10  # the loop went on while the statement waited for the lock
    assert await chosen(database) == [("U1", AT)]


async def test_sqlite_statements_have_the_log_checkpointed_off_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    statements = SqliteStatements(str(path), 1000, checkpoint_every=5)
    # Another connection stays open, as the engine's do: closing the last one would checkpoint anyway.
    other = sqlite3.connect(path)
    other.execute("SELECT count(*) FROM reminder_choices").fetchall()
    try:
        for user in range(5):
            async with statements.using(transaction=True) as writing:
                await writing.changed(_CHOOSE, {"user": f"U{user}", "at": AT})
        await statements.close()  # waits for the checkpoint the fifth commit started
        # Checkpointed: what the log held is in the database file itself, read without the log.
        copy = tmp_path / "copy.db"
        copy.write_bytes(path.read_bytes())
        with sqlite3.connect(copy) as reading:
            assert reading.execute("SELECT count(*) FROM reminder_choices").fetchone() == (5,)
    finally:
        await statements.close()
        other.close()


def test_urls_get_their_async_driver() -> None:
    assert async_url("sqlite:///./x.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql://u@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgres://u@h/db").drivername == "postgresql+asyncpg"
    assert async_url("postgresql+asyncpg://u@h/db").drivername == "postgresql+asyncpg"
    with pytest.raises(UnsupportedDatabase, match="DATABASE_URL"):
        async_url("mysql://u@h/db")
    assert len(migration_heads()) == 1  # one line of migrations, whatever its newest revision


async def test_in_memory_sqlite_shares_one_database() -> None:
    db = Database("sqlite+aiosqlite://")
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with db.engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM webex_links"))).scalar() == 0
    finally:
        await db.dispose()


async def test_an_unreachable_database_is_a_typed_error(tmp_path: Path, cipher: TokenCipher) -> None:
    for url in (
        f"sqlite+aiosqlite:///{tmp_path}/missing-folder/x.db",
        "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    ):
        db = Database(url)
        try:
            with pytest.raises(DatabaseUnavailable, match="unavailable"):
                await LinkStore(db, cipher, FakeClock()).get("T1", "U1")
            with pytest.raises(DatabaseUnavailable):
                await OperationStore(db, FakeClock()).begin("k", "T1", "U1", "schedule")
        finally:
            await db.dispose()
    for thread in threading.enumerate():  # see test_unreachable_database_is_reported_not_raised
        if "connection_worker" in thread.name:
            await asyncio.to_thread(thread.join, 5)


async def test_pooled_connections_cut_by_the_server_are_replaced(
    migrated_database_url: str, cipher: TokenCipher
) -> None:
    if not migrated_database_url.startswith("postgresql"):
        pytest.skip("a server that can drop its clients")
    quiet = Database(migrated_database_url, ping_after_idle=0)  # every returned connection counts as idle
    busy = Database(migrated_database_url, ping_after_idle=3600)
    try:
        for db in (quiet, busy):  # each pool holds one connection: the commands' and the engine's
            assert await LinkStore(db, cipher, FakeClock()).get("T1", "U1") is None
            assert await LinkStore(db, cipher, FakeClock()).count_by_status() == {}
        await terminate_other_connections(migrated_database_url)
        # As after a server restart in a quiet spell: the idle connections are checked and replaced.
        assert await LinkStore(quiet, cipher, FakeClock()).get("T1", "U1") is None
        assert await LinkStore(quiet, cipher, FakeClock()).count_by_status() == {}
        # Mid-burst, the commands' connections (bot.store.direct) have heard the server say goodbye and
        # are replaced; the engine's dead connection fails one read clearly, and its pool starts afresh.
        assert await LinkStore(busy, cipher, FakeClock()).get("T1", "U1") is None
        with pytest.raises(DatabaseUnavailable):
            await LinkStore(busy, cipher, FakeClock()).count_by_status()
        assert await LinkStore(busy, cipher, FakeClock()).count_by_status() == {}
    finally:
        await quiet.dispose()
        await busy.dispose()


async def terminate_other_connections(url: str) -> None:
    admin = Database(url)
    try:
        async with admin.engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            await connection.commit()
    finally:
        await admin.dispose()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite+aiosqlite:///{tmp}/missing-folder/x.db", "missing-folder does not exist"),
        ("postgresql+asyncpg://nobody@127.0.0.1:1/none", "ConnectionRefusedError"),
    ],
    ids=["sqlite-missing-folder", "postgresql-refused"],
)
async def test_upgrade_names_what_is_wrong(tmp_path: Path, url: str, reason: str) -> None:
    with pytest.raises(DatabaseUnavailable, match=reason):
        await upgrade(url.format(tmp=tmp_path))


async def test_a_login_the_server_refuses_is_unavailable_not_a_crash(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a server with logins")
    wrong = make_url(database_url).set(username="no_such_role_here")
    with pytest.raises(DatabaseUnavailable, match="no_such_role_here"):
        await upgrade(wrong)


async def test_postgresql_statements_keep_a_connection_only_when_it_ended_cleanly(
    migrated_database_url: str,
) -> None:
    if not migrated_database_url.startswith("postgresql"):
        pytest.skip("the commands' own PostgreSQL connections")
    statements = PostgresStatements(make_url(migrated_database_url), size=2, idle_lifetime=60, timeout=0.5)
    sleep = Statement("SELECT pg_sleep(5)")
    try:
        async with statements.using(transaction=False) as using:
            await using.changed(_CHOOSE, {"user": "U1", "at": AT})
        assert statements.use() == (0, 1, 2)  # kept for the next command
        with pytest.raises(ThrottleFull):
            async with statements.using(transaction=True) as using:
                await using.changed(_CHOOSE, {"user": "U2", "at": AT})
                raise ThrottleFull(5, limit="in flight")  # refused after a statement: rolled back
        assert statements.use() == (0, 1, 2)  # the connection was fine: kept
        # Cancelled mid-statement: that connection is closed, never handed out again.
        cut = asyncio.create_task(_run(statements, sleep))
        await asyncio.sleep(0.2)
        cut.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cut
        assert statements.use() == (0, 0, 2)
        # At most `size` in use: a third waits, and gives up as "unavailable" after the timeout.
        busy = [asyncio.create_task(_run(statements, sleep)) for _ in range(2)]
        await asyncio.sleep(0.2)
        assert statements.use()[0] == 2
        with pytest.raises(DatabaseUnavailable):
            await _run(statements, Statement("SELECT 1 AS one"))
        for task in busy:
            task.cancel()
        await asyncio.gather(*busy, return_exceptions=True)
        assert await _run(statements, Statement("SELECT 1 AS one")) == {"one": 1}
        async with statements.using(transaction=False) as using:  # what was written, and only that
            rows = await using.one(Statement("SELECT count(*) AS chosen FROM reminder_choices"), {})
        assert rows == {"chosen": 1}
    finally:
        await statements.close()


async def _run(statements: PostgresStatements, statement: Statement) -> object:
    async with statements.using(transaction=False) as using:
        return await using.one(statement, {})
