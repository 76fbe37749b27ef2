"""Presses of a card's Start as host button in Slack: each lets the host's browser open the host link once."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, delete, select, update

from bot.domain.clock import Clock
from bot.store.database import Database
from bot.store.models import HostPressRow

# Slack tells the bot about the press while the browser opens the link: both arrive within seconds.
PRESS_LIFETIME = timedelta(minutes=2)

_TABLE = cast(Table, HostPressRow.__table__)


class HostPressStore:
    """The `host_presses` table."""

    def __init__(self, db: Database, clock: Clock, lifetime: timedelta = PRESS_LIFETIME) -> None:
        self._db = db
        self._clock = clock
        self.lifetime = lifetime

    async def record(self, team_id: str, user_id: str, meeting_key: str) -> None:
        """The host pressed Start as host on a card for this meeting (as Slack, signing the request, says)."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            # This user's presses that lapsed or were used are of no further use: keep the table small.
            await connection.execute(
                delete(_TABLE).where(
                    _TABLE.c.team_id == team_id,
                    _TABLE.c.user_id == user_id,
                    (_TABLE.c.expires_at <= now) | _TABLE.c.used_at.is_not(None),
                )
            )
            await connection.execute(
                _TABLE.insert().values(
                    id=secrets.token_hex(16),
                    team_id=team_id,
                    user_id=user_id,
                    meeting_key=meeting_key,
                    pressed_at=now,
                    expires_at=now + self.lifetime,
                )
            )

    async def use(self, team_id: str, user_id: str, meeting_key: str) -> bool:
        """Spend one unused, unexpired press of this host for this meeting; False when there is none.

        Single use across processes: the update only takes a press still unused, so of two processes
        racing for the same press one wins (PostgreSQL re-checks the row after the other's commit;
        SQLite writes one at a time).
        """
        now = self._clock.now()
        oldest = (
            select(_TABLE.c.id)
            .where(
                _TABLE.c.team_id == team_id,
                _TABLE.c.user_id == user_id,
                _TABLE.c.meeting_key == meeting_key,
                _TABLE.c.used_at.is_(None),
                _TABLE.c.expires_at > now,
            )
            .order_by(_TABLE.c.pressed_at)
            .limit(1)
            .scalar_subquery()
        )
        async with self._db.transaction() as connection:
            result = await connection.execute(
                update(_TABLE).where(_TABLE.c.id == oldest, _TABLE.c.used_at.is_(None)).values(used_at=now)
            )
        return bool(result.rowcount)

    async def delete_user(self, team_id: str, user_id: str) -> int:
        async with self._db.transaction() as connection:
            result = await connection.execute(
                delete(_TABLE).where(_TABLE.c.team_id == team_id, _TABLE.c.user_id == user_id)
            )
        return int(result.rowcount)

    async def delete_team(self, team_id: str) -> int:
        async with self._db.transaction() as connection:
            result = await connection.execute(delete(_TABLE).where(_TABLE.c.team_id == team_id))
        return int(result.rowcount)
