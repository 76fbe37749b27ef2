"""Webex links in the database: tokens encrypted, compare-and-swap updates, one refresher at a time."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.accounts import Link
from bot.domain.clock import Clock
from bot.store.columns import UTCDateTime
from bot.store.crypto import TokenCipher
from bot.store.database import Database, unavailable_as_error
from bot.store.direct import Record, Statement
from bot.store.models import WebexLinkRow
from bot.store.workspaces import columns, key_of, where

_HOST = socket.gethostname()[:32]
_TABLE = cast(Table, WebexLinkRow.__table__)
_COLUMNS = tuple(_TABLE.c)
_KEY = tuple_(WebexLinkRow.enterprise_id, WebexLinkRow.team_id, WebexLinkRow.user_id)
# Every command reads its link: run on the driver (bot.store.direct).
_GET = Statement(
    f"SELECT {', '.join(column.name for column in _COLUMNS)} FROM webex_links "
    "WHERE enterprise_id = :enterprise_id AND team_id = :team_id AND user_id = :user_id",
    times=tuple(column.name for column in _COLUMNS if isinstance(column.type, UTCDateTime)),
)
logger = logging.getLogger(__name__)


class RefreshBusy(Exception):
    """Another process held the link's refresh turn for longer than we were willing to wait."""

    def __init__(self) -> None:
        super().__init__("another process is refreshing this link's token and has not finished")


@dataclass(frozen=True)
class NewTokens:
    """Tokens to store after a refresh; None keeps what the link already has."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] | None = None


class LinkStore:
    """The `webex_links` table, speaking in decrypted `Link` values."""

    def __init__(
        self,
        db: Database,
        cipher: TokenCipher,
        clock: Clock,
        *,
        row_locks: bool | None = None,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        # PostgreSQL serialises refreshers with a row lock; SQLite has none, so a lease column does.
        if row_locks and db.dialect != "postgresql":
            raise ValueError(f"row locks need PostgreSQL; {db.dialect} uses the refresh lease")
        self.row_locks = db.dialect == "postgresql" if row_locks is None else row_locks
        self.lease = lease

    @property
    def database(self) -> Database:
        return self._db

    @property
    def cipher(self) -> TokenCipher:
        return self._cipher

    def _link(self, row: WebexLinkRow | Record) -> Link:
        return Link(
            team_id=key_of(row),
            user_id=row.user_id,
            site=row.site,
            webex_id=row.webex_id,
            email=row.email,
            scopes=tuple(row.scopes.split()),
            access_token=self._cipher.decrypt(row.access_token),
            refresh_token=self._cipher.decrypt(row.refresh_token),
            access_expires_at=row.access_expires_at,
            refresh_expires_at=row.refresh_expires_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            status=row.status,
        )

    async def _get(self, session: AsyncSession, team_id: str, user_id: str) -> Link | None:
        row = await session.get(WebexLinkRow, (*columns(team_id).values(), user_id), populate_existing=True)
        return None if row is None else self._link(row)

    async def get(self, team_id: str, user_id: str) -> Link | None:
        """The link with its tokens decrypted; raises UndecryptableToken rather than pretend it is absent."""
        async with self._db.statements(transaction=False) as statements:
            row = await statements.one(_GET, {**columns(team_id), "user_id": user_id})
        return None if row is None else self._link(row)

    async def save(self, link: Link) -> Link:
        """Insert or replace the user's link (a reconnect): active again, version moves on.

        `created_at` is kept from the first save; `updated_at` is now; `version` is the store's.
        """
        now = self._clock.now()
        values = {
            **columns(link.team_id),
            "user_id": link.user_id,
            "site": link.site,
            "webex_id": link.webex_id,
            "email": link.email,
            "scopes": " ".join(link.scopes),
            "access_token": self._cipher.encrypt(link.access_token),
            "refresh_token": self._cipher.encrypt(link.refresh_token),
            "access_expires_at": link.access_expires_at,
            "refresh_expires_at": link.refresh_expires_at,
            "status": link.status,
            "version": 1,
            "refresh_lease_owner": None,
            "refresh_lease_until": None,
            "created_at": link.created_at,
            "updated_at": now,
        }
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        statement = insert(WebexLinkRow).values(values)
        changes: dict[str, Any] = {
            name: statement.excluded[name]
            for name in values
            if name not in ("enterprise_id", "team_id", "user_id", "created_at")
        }
        changes["version"] = WebexLinkRow.version + 1
        statement = statement.on_conflict_do_update(
            index_elements=["enterprise_id", "team_id", "user_id"], set_=changes
        )
        async with self._db.session() as session:
            await session.execute(statement)
            await session.commit()
            stored = await self._get(session, link.team_id, link.user_id)
        assert stored is not None
        return stored

    async def replace_tokens(
        self, team_id: str, user_id: str, *, expected_version: int, tokens: NewTokens
    ) -> Link | None:
        """Store refreshed tokens if the link is still at `expected_version`; None if it moved on."""
        async with self._db.session() as session:
            changed = await self._replace(
                session, team_id, user_id, tokens, WebexLinkRow.version == expected_version
            )
            await session.commit()
            return await self._get(session, team_id, user_id) if changed else None

    async def _replace(
        self, session: AsyncSession, team_id: str, user_id: str, tokens: NewTokens, *conditions: object
    ) -> bool:
        values: dict[str, object] = {
            "access_token": self._cipher.encrypt(tokens.access_token),
            "access_expires_at": tokens.access_expires_at,
            "status": "active",
            "version": WebexLinkRow.version + 1,
            "refresh_lease_owner": None,
            "refresh_lease_until": None,
            "updated_at": self._clock.now(),
        }
        if tokens.refresh_token is not None:
            values["refresh_token"] = self._cipher.encrypt(tokens.refresh_token)
            values["refresh_expires_at"] = tokens.refresh_expires_at
        if tokens.scopes:
            values["scopes"] = " ".join(tokens.scopes)
        result = await session.execute(
            update(WebexLinkRow)
            .where(*where(WebexLinkRow, team_id), WebexLinkRow.user_id == user_id, *conditions)  # type: ignore[arg-type]
            .values(values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_expired(self, team_id: str, user_id: str, *, expected_version: int | None = None) -> bool:
        """The refresh token was refused: keep the row (so the user can be told) but stop using it."""
        conditions = [] if expected_version is None else [WebexLinkRow.version == expected_version]
        async with self._db.session() as session:
            changed = await self._expire(session, team_id, user_id, *conditions)
            await session.commit()
        return changed

    async def _expire(self, session: AsyncSession, team_id: str, user_id: str, *conditions: object) -> bool:
        result = await session.execute(
            update(WebexLinkRow)
            .where(*where(WebexLinkRow, team_id), WebexLinkRow.user_id == user_id, *conditions)  # type: ignore[arg-type]
            .values(
                status="expired",
                version=WebexLinkRow.version + 1,
                refresh_lease_owner=None,
                refresh_lease_until=None,
                updated_at=self._clock.now(),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete(self, team_id: str, user_id: str) -> bool:
        """Forget the user's link, tokens included; False when there was none."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(WebexLinkRow).where(*where(WebexLinkRow, team_id), WebexLinkRow.user_id == user_id)
            )
            await session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete_team(self, team_id: str) -> int:
        """Forget every link of a workspace (the app was uninstalled); how many there were."""
        async with self._db.session() as session:
            result = await session.execute(delete(WebexLinkRow).where(*where(WebexLinkRow, team_id)))
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def lapsing(self, before: datetime) -> list[tuple[str, str]]:
        """(team, user) of every active link whose refresh token lapses before `before`."""
        async with self._db.reading() as connection:
            rows = await connection.execute(
                select(WebexLinkRow.team_id, WebexLinkRow.user_id).where(
                    WebexLinkRow.status == "active",
                    WebexLinkRow.refresh_expires_at.is_not(None),
                    WebexLinkRow.refresh_expires_at <= before,
                )
            )
            return [(str(team), str(user)) for team, user in rows]

    async def count_by_status(self) -> dict[str, int]:
        """How many links are active and how many expired (one grouped count, for the metrics)."""
        async with self._db.reading() as connection:
            rows = await connection.execute(
                select(WebexLinkRow.status, func.count()).group_by(WebexLinkRow.status)
            )
            return {str(status): int(count) for status, count in rows}

    async def check_keys(self, sample: int = 50) -> None:
        """Decrypt the most recently used links, so a missing key stops start-up instead of a command."""
        async with self._db.session() as session:
            rows = (
                await session.scalars(
                    select(WebexLinkRow).order_by(WebexLinkRow.updated_at.desc()).limit(sample)
                )
            ).all()
        for row in rows:
            self._cipher.decrypt(row.access_token)
            self._cipher.decrypt(row.refresh_token)

    async def reencrypt_all(self, batch: int = 500) -> int:
        """Rewrite every link not yet under the newest key; how many rows changed."""
        changed = 0
        after: tuple[str, str, str] = ("", "", "")
        while True:
            async with self._db.session() as session:
                rows = (
                    await session.scalars(
                        select(WebexLinkRow)
                        .where(_KEY > tuple_(*after))
                        .order_by(WebexLinkRow.enterprise_id, WebexLinkRow.team_id, WebexLinkRow.user_id)
                        .limit(batch)
                    )
                ).all()
                if not rows:
                    return changed
                after = (rows[-1].enterprise_id, rows[-1].team_id, rows[-1].user_id)
                for row in rows:
                    if self._cipher.is_current(row.access_token) and self._cipher.is_current(
                        row.refresh_token
                    ):
                        continue
                    # Matching the old ciphertexts leaves alone a row a refresh rewrote meanwhile.
                    result = await session.execute(
                        update(WebexLinkRow)
                        .where(
                            WebexLinkRow.enterprise_id == row.enterprise_id,
                            WebexLinkRow.team_id == row.team_id,
                            WebexLinkRow.user_id == row.user_id,
                            WebexLinkRow.access_token == row.access_token,
                            WebexLinkRow.refresh_token == row.refresh_token,
                        )
                        .values(
                            access_token=self._cipher.rotate(row.access_token),
                            refresh_token=self._cipher.rotate(row.refresh_token),
                        )
                        .execution_options(synchronize_session=False)
                    )
                    changed += int(result.rowcount)  # type: ignore[attr-defined]
                await session.commit()

    @asynccontextmanager
    async def refresh_turn(
        self, team_id: str, user_id: str, *, wait: timedelta = timedelta(seconds=20)
    ) -> AsyncIterator[RefreshTurn]:
        """Hold the only right, across processes, to refresh this link; yields it with the link as it is now.

        Whoever gets the turn next sees what this one stored, so it can skip its own refresh.
        Raises RefreshBusy after `wait` if another process keeps the turn.
        """
        if self.row_locks:
            async with self._row_lock_turn(team_id, user_id, wait) as turn:
                yield turn
        else:
            async with self._lease_turn(team_id, user_id, wait) as turn:
                yield turn

    @asynccontextmanager
    async def _row_lock_turn(self, team_id: str, user_id: str, wait: timedelta) -> AsyncIterator[RefreshTurn]:
        # Raw sessions here: what the turn's holder does meanwhile (an HTTP call) is not a database error.
        async with self._db.sessions() as session:
            with unavailable_as_error():
                milliseconds = max(1, int(wait.total_seconds() * 1000))
                await session.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
                try:
                    row = (
                        await session.scalars(
                            select(WebexLinkRow)
                            .where(*where(WebexLinkRow, team_id), WebexLinkRow.user_id == user_id)
                            .with_for_update()
                            .execution_options(populate_existing=True)
                        )
                    ).one_or_none()
                except DBAPIError as error:
                    if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_not_available
                        raise RefreshBusy() from None
                    raise
            # Leaving the session rolls back whatever the turn did not commit, which releases the lock.
            yield RefreshTurn(self, session, None if row is None else self._link(row), owner=None)

    async def _claim_lease(self, team_id: str, user_id: str, owner: str) -> bool | None:
        """True if the lease is ours now, False if someone holds it, None if there is no such link."""
        now = self._clock.now()
        async with self._db.session() as session:
            result = await session.execute(
                update(WebexLinkRow)
                .where(
                    *where(WebexLinkRow, team_id),
                    WebexLinkRow.user_id == user_id,
                    or_(WebexLinkRow.refresh_lease_until.is_(None), WebexLinkRow.refresh_lease_until < now),
                )
                .values(refresh_lease_owner=owner, refresh_lease_until=now + self.lease)
            )
            await session.commit()
            if result.rowcount:  # type: ignore[attr-defined]
                return True
            return None if await self._get(session, team_id, user_id) is None else False

    @asynccontextmanager
    async def _lease_turn(self, team_id: str, user_id: str, wait: timedelta) -> AsyncIterator[RefreshTurn]:
        owner = f"{_HOST}:{os.getpid()}:{secrets.token_hex(4)}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait.total_seconds()
        pause = 0.01
        while not (claimed := await self._claim_lease(team_id, user_id, owner)):
            if claimed is None:
                async with self._db.sessions() as session:
                    yield RefreshTurn(self, session, None, owner=None)
                return
            if loop.time() >= deadline:
                raise RefreshBusy()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.2)
        async with self._db.sessions() as session:
            with unavailable_as_error():
                link = await self._get(session, team_id, user_id)
            turn = RefreshTurn(self, session, link, owner=owner)
            try:
                yield turn
            finally:
                if not turn.finished:
                    await self._release_lease(session, team_id, user_id, owner)

    async def _release_lease(self, session: AsyncSession, team_id: str, user_id: str, owner: str) -> None:
        try:
            await session.rollback()
            await session.execute(
                update(WebexLinkRow)
                .where(
                    *where(WebexLinkRow, team_id),
                    WebexLinkRow.user_id == user_id,
                    WebexLinkRow.refresh_lease_owner == owner,
                )
                .values(refresh_lease_owner=None, refresh_lease_until=None)
            )
            await session.commit()
        except (SQLAlchemyError, OSError) as error:
            # The lease runs out by itself; the error that ended the turn matters more than this one.
            logger.warning(
                "could not release a refresh lease (%s); it expires in %s", type(error).__name__, self.lease
            )


class RefreshTurn:
    """The exclusive right to refresh one link; `store` or `expire` ends it."""

    def __init__(
        self, links: LinkStore, session: AsyncSession, link: Link | None, *, owner: str | None
    ) -> None:
        self._links = links
        self._session = session
        self._owner = owner
        self.link = link
        self.finished = False

    def _conditions(self) -> list[object]:
        return [] if self._owner is None else [WebexLinkRow.refresh_lease_owner == self._owner]

    async def store(self, tokens: NewTokens) -> Link | None:
        """Save the refreshed tokens and end the turn; None if the link vanished or the turn was lost."""
        assert self.link is not None, "no link to store tokens on"
        team_id, user_id = self.link.team_id, self.link.user_id
        with unavailable_as_error():
            changed = await self._links._replace(self._session, team_id, user_id, tokens, *self._conditions())
            await self._session.commit()
            self.finished = True
            stored = await self._links._get(self._session, team_id, user_id)
        return stored if changed else None

    async def expire(self) -> None:
        """Mark the link expired (its refresh token was refused) and end the turn."""
        assert self.link is not None, "no link to expire"
        with unavailable_as_error():
            await self._links._expire(
                self._session, self.link.team_id, self.link.user_id, *self._conditions()
            )
            await self._session.commit()
        self.finished = True
