"""Store fixtures: a fresh database per test on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from bot.domain.accounts import Link
from bot.store.crypto import TokenCipher
from bot.store.database import Database, upgrade
from bot.store.models import Base

T = TypeVar("T")

POSTGRES_HINT = "set TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test to run on PostgreSQL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def run_outside_test_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run set-up work on its own loop in a thread, leaving the test's event loop alone."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def postgres_server_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(server_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


class PostgresDatabases:
    """Throwaway databases on the test server: new empty ones, and one migrated database emptied per test."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._created: list[str] = []
        self._migrated: str | None = None

    def create(self) -> str:
        name = f"webex_test_{uuid.uuid4().hex[:12]}"
        run_outside_test_loop(_admin(self.server_url, f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        return _with_database(self.server_url, name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        run_outside_test_loop(_admin(self.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._created.remove(str(name))

    def migrated(self) -> str:
        """The shared migrated database, with every table emptied (much faster than a new database)."""
        if self._migrated is None:
            url = self.create()
            run_outside_test_loop(upgrade(url))
            self._migrated = url
        else:
            tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
            run_outside_test_loop(_admin(self._migrated, f"TRUNCATE {tables}"))
        return self._migrated

    def close(self) -> None:
        for name in list(self._created):
            self.drop(_with_database(self.server_url, name))


@pytest.fixture(scope="session")
def _postgres_databases() -> Iterator[PostgresDatabases | None]:
    server_url = postgres_server_url()
    if server_url is None:
        yield None
        return
    databases = PostgresDatabases(server_url)
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "webex-bot.db"
    run_outside_test_loop(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    """ "sqlite", and "postgresql" when TEST_DATABASE_URL is set (skipped otherwise)."""
    backend = str(request.param)
    if backend == "postgresql" and postgres_server_url() is None:
        pytest.skip(POSTGRES_HINT)
    return backend


@pytest.fixture
def database_url(
    database_backend: str, tmp_path: Path, _postgres_databases: PostgresDatabases | None
) -> Iterator[str]:
    """The URL of a fresh, empty database (no tables yet), on each backend."""
    if database_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'webex-bot.db'}"
        return
    assert _postgres_databases is not None
    url = _postgres_databases.create()
    try:
        yield url
    finally:
        _postgres_databases.drop(url)


@pytest.fixture
def migrated_database_url(
    database_backend: str,
    tmp_path: Path,
    _postgres_databases: PostgresDatabases | None,
    _sqlite_template: Path,
) -> str:
    """The URL of a database at the newest migration with no rows, on each backend."""
    if database_backend == "sqlite":
        path = tmp_path / "webex-bot.db"
        shutil.copyfile(_sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    assert _postgres_databases is not None
    return _postgres_databases.migrated()


@pytest.fixture
async def database(migrated_database_url: str) -> AsyncIterator[Database]:
    """A migrated `Database`, disposed after the test."""
    db = Database(migrated_database_url)
    yield db
    await db.dispose()


@pytest.fixture
def token_keys() -> list[str]:
    """One fresh Fernet key (newest first, as TOKEN_KEYS lists them)."""
    return [Fernet.generate_key().decode()]


@pytest.fixture
def cipher(token_keys: list[str]) -> TokenCipher:
    return TokenCipher(token_keys)


def sample_link(
    team_id: str = "T1",
    user_id: str = "U1",
    *,
    now: datetime,
    access_token: str = "sandbox-access-1",
    refresh_token: str = "sandbox_refresh-1",
    access_expires_in: timedelta = timedelta(hours=2),
    **changes: Any,
) -> Link:
    """A linked Webex account as the OAuth callback would store it."""
    link = Link(
        team_id=team_id,
        user_id=user_id,
        site="sandbox",
        webex_id="alice",
        email="alice@sandbox.example",
        scopes=("all_read", "meeting_modify"),
        access_token=access_token,
        refresh_token=refresh_token,
        access_expires_at=now + access_expires_in,
        refresh_expires_at=now + timedelta(days=60),
        created_at=now,
        updated_at=now,
    )
    return replace(link, **changes)
