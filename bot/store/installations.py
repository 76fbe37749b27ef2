"""Slack installations (one bot token per workspace or organization, encrypted) and install `state`s.

Both implement slack_sdk's async store interfaces, so Bolt's OAuth flow and authorization use them as
they are. slack_sdk's own SQLAlchemy stores are not used: they keep bot tokens in plain text, create
their tables outside the migrations, and key a missing enterprise or team by NULL where every other
table here uses an empty id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from logging import Logger
from typing import Any, cast

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import Row, Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.domain.clock import Clock
from bot.domain.workspaces import Workspace
from bot.store.crypto import TokenCipher
from bot.store.database import Database
from bot.store.models import SlackInstallationRow, SlackInstallStateRow
from bot.store.workspaces import where

logger = logging.getLogger(__name__)
_KEY_COLUMNS = ("enterprise_id", "team_id")
_INSTALLATIONS = cast(Table, SlackInstallationRow.__table__)
# Every request in a bot serving many workspaces reads its installation: built once, a Core query.
_FIND = select(*_INSTALLATIONS.c).where(
    _INSTALLATIONS.c.enterprise_id == bindparam("enterprise_id"),
    _INSTALLATIONS.c.team_id == bindparam("team_id"),
)


def _workspace(enterprise_id: str | None, team_id: str | None, org_wide: bool | None) -> Workspace:
    return Workspace.of(enterprise_id=enterprise_id, team_id=team_id, org_wide=bool(org_wide))


class InstallationStore(AsyncInstallationStore):
    """The `slack_installations` table: the latest install of the app per workspace or organization."""

    def __init__(self, db: Database, cipher: TokenCipher, clock: Clock) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    @property
    def logger(self) -> Logger:
        return logger

    async def async_save(self, installation: Installation) -> None:
        """Store (or replace, on a reinstall) the installation's bot; user tokens are never kept."""
        if installation.bot_token is None:
            raise ValueError("an installation without a bot token cannot be used by this app")
        await self.async_save_bot(installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        workspace = _workspace(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        values = {
            "enterprise_id": workspace.enterprise_id,
            "team_id": workspace.team_id,
            "is_enterprise_install": bool(bot.is_enterprise_install),
            "enterprise_name": bot.enterprise_name,
            "team_name": bot.team_name,
            "app_id": bot.app_id,
            "bot_id": bot.bot_id,
            "bot_user_id": bot.bot_user_id,
            "bot_scopes": ",".join(bot.bot_scopes),
            "bot_token": self._cipher.encrypt(bot.bot_token),
            "installer_user_id": None,
            "installed_at": self._clock.now(),
        }
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        statement = insert(SlackInstallationRow).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["enterprise_id", "team_id"],
            set_={name: statement.excluded[name] for name in values if name not in _KEY_COLUMNS},
        )
        async with self._db.session() as session:
            await session.execute(statement)
            await session.commit()
        logger.info("installed to %s", workspace.key or "(no workspace)", extra={"team": workspace.key})

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        row = await self._row(_workspace(enterprise_id, team_id, is_enterprise_install))
        if row is None:
            return None
        return Bot(
            app_id=row.app_id,
            enterprise_id=row.enterprise_id or None,
            enterprise_name=row.enterprise_name,
            team_id=row.team_id or None,
            team_name=row.team_name,
            bot_token=self._cipher.decrypt(row.bot_token),
            bot_id=row.bot_id or "",
            bot_user_id=row.bot_user_id or "",
            bot_scopes=row.bot_scopes,
            is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        bot = await self.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        if bot is None:
            return None
        return Installation(
            app_id=bot.app_id,
            enterprise_id=bot.enterprise_id,
            enterprise_name=bot.enterprise_name,
            team_id=bot.team_id,
            team_name=bot.team_name,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
            user_id=user_id or "",
            is_enterprise_install=bot.is_enterprise_install,
            installed_at=bot.installed_at,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.delete(Workspace.of(enterprise_id=enterprise_id, team_id=team_id).key)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        # Only the bot is stored; one person's user token going away leaves the installation in place.
        if user_id is None:
            await self.delete(Workspace.of(enterprise_id=enterprise_id, team_id=team_id).key)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.delete(Workspace.of(enterprise_id=enterprise_id, team_id=team_id).key)

    async def bot_token(self, workspace_key: str) -> str | None:
        """The bot token of the installation serving this workspace key, or None when not installed."""
        row = await self._row(Workspace.from_key(workspace_key))
        return None if row is None else self._cipher.decrypt(row.bot_token)

    async def delete(self, workspace_key: str) -> bool:
        """Forget the installation (its bot token included); False when there was none."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(SlackInstallationRow).where(*where(SlackInstallationRow, workspace_key))
            )
            await session.commit()
        removed = bool(result.rowcount)  # type: ignore[attr-defined]
        if removed:
            logger.info("uninstalled from %s", workspace_key, extra={"team": workspace_key})
        return removed

    async def reencrypt_all(self) -> int:
        """Rewrite bot tokens not yet under the newest key; how many."""
        changed = 0
        async with self._db.session() as session:
            rows = (await session.scalars(select(SlackInstallationRow))).all()
            for row in rows:
                if self._cipher.is_current(row.bot_token):
                    continue
                result = await session.execute(
                    update(SlackInstallationRow)
                    .where(
                        SlackInstallationRow.enterprise_id == row.enterprise_id,
                        SlackInstallationRow.team_id == row.team_id,
                        SlackInstallationRow.bot_token == row.bot_token,
                    )
                    .values(bot_token=self._cipher.rotate(row.bot_token))
                    .execution_options(synchronize_session=False)
                )
                changed += int(result.rowcount)  # type: ignore[attr-defined]
            await session.commit()
        return changed

    async def _row(self, workspace: Workspace) -> Row[Any] | None:
        async with self._db.reading() as connection:
            found = await connection.execute(
                _FIND, {"enterprise_id": workspace.enterprise_id, "team_id": workspace.team_id}
            )
            return found.one_or_none()


class InstallStateStore(AsyncOAuthStateStore):
    """The `slack_install_states` table: each install attempt's `state`, single use and short lived.

    Only an HMAC of the state under SLACK_STATE_SECRET is stored, so states read from the database (a
    backup, a replica) cannot be used to finish someone's install.
    """

    def __init__(
        self, db: Database, clock: Clock, secret: str, ttl: timedelta = timedelta(minutes=10)
    ) -> None:
        self._db = db
        self._clock = clock
        self._secret = secret.encode()
        self._ttl = ttl

    @property
    def logger(self) -> Logger:
        return logger

    def _digest(self, state: str) -> str:
        return hmac.new(self._secret, state.encode(), hashlib.sha256).hexdigest()

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(32)
        now = self._clock.now()
        async with self._db.session() as session:
            # Attempts nobody finished are dropped as new ones start, so the table stays small without a
            # job of its own (an index on expires_at keeps this cheap).
            await session.execute(delete(SlackInstallStateRow).where(SlackInstallStateRow.expires_at <= now))
            expires_at = now + self._ttl
            session.add(SlackInstallStateRow(digest=self._digest(state), expires_at=expires_at))
            await session.commit()
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state this bot issued that has not expired; deleting it is the single use."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(SlackInstallStateRow).where(
                    SlackInstallStateRow.digest == self._digest(state),
                    SlackInstallStateRow.expires_at > self._clock.now(),
                )
            )
            await session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def purge(self) -> int:
        """Drop states whose time has passed; how many."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(SlackInstallStateRow).where(SlackInstallStateRow.expires_at <= self._clock.now())
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]
