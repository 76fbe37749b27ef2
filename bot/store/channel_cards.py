"""Where meeting cards were posted in channels: one row per copy (workspace, meeting, channel, message ts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, Table, delete, func, select, update

from bot.domain.clock import Clock
from bot.store.database import Database
from bot.store.models import ChannelCardRow
from bot.store.workspaces import columns, key_of, where

_TABLE = cast(Table, ChannelCardRow.__table__)


@dataclass(frozen=True)
class PostedCard:
    """One channel copy of a meeting's card."""

    team_id: str
    meeting_id: str
    channel_id: str
    ts: str
    shared_by: str
    user_tz: str
    shown: str = ""  # what it shows of the meeting (bot.domain.meetings.shown_on_card); "": not known


@dataclass(frozen=True)
class SharedMeeting:
    """A meeting with copies in channels, as one person posted them: checked against Webex together."""

    team_id: str
    meeting_id: str
    shared_by: str


class ChannelCardStore:
    """The `channel_cards` table."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def remember(self, card: PostedCard) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                _TABLE.insert().values(
                    **columns(card.team_id),
                    meeting_id=card.meeting_id,
                    channel_id=card.channel_id,
                    ts=card.ts,
                    shared_by=card.shared_by,
                    user_tz=card.user_tz,
                    posted_at=self._clock.now(),
                    shown=card.shown or None,
                )
            )

    async def copies(self, team_id: str, meeting_id: str, shared_by: str | None = None) -> list[PostedCard]:
        """Every copy of the meeting's card in this workspace (only those `shared_by` posted, when
        given), oldest first."""
        query = select(_TABLE).where(*where(_TABLE.c, team_id), _TABLE.c.meeting_id == meeting_id)
        if shared_by is not None:
            query = query.where(_TABLE.c.shared_by == shared_by)
        async with self._db.reading() as connection:
            rows = await connection.execute(query.order_by(_TABLE.c.posted_at, _TABLE.c.ts))
            return [
                PostedCard(
                    team_id=key_of(row),
                    meeting_id=row.meeting_id,
                    channel_id=row.channel_id,
                    ts=row.ts,
                    shared_by=row.shared_by,
                    user_tz=row.user_tz,
                    shown=row.shown or "",
                )
                for row in rows
            ]

    async def mark_shown(self, card: PostedCard, shown: str) -> None:
        """The copy was rewritten and now shows `shown`."""
        async with self._db.transaction() as connection:
            await connection.execute(update(_TABLE).where(*_the_copy(card)).values(shown=shown))

    async def to_check(self, limit: int) -> list[SharedMeeting]:
        """At most `limit` meetings with copies, the least recently checked first (never checked: first)."""
        checked = func.min(_TABLE.c.checked_at)
        query = (
            select(_TABLE.c.enterprise_id, _TABLE.c.team_id, _TABLE.c.meeting_id, _TABLE.c.shared_by)
            .group_by(_TABLE.c.enterprise_id, _TABLE.c.team_id, _TABLE.c.meeting_id, _TABLE.c.shared_by)
            .order_by(checked.asc().nulls_first(), func.min(_TABLE.c.posted_at), _TABLE.c.meeting_id)
            .limit(limit)
        )
        async with self._db.reading() as connection:
            rows = await connection.execute(query)
            return [SharedMeeting(key_of(row), row.meeting_id, row.shared_by) for row in rows]

    async def checked(self, meeting: SharedMeeting) -> None:
        """The meeting's copies were checked now (or skipped this turn): to the back of the queue."""
        async with self._db.transaction() as connection:
            await connection.execute(
                update(_TABLE)
                .where(
                    *where(_TABLE.c, meeting.team_id),
                    _TABLE.c.meeting_id == meeting.meeting_id,
                    _TABLE.c.shared_by == meeting.shared_by,
                )
                .values(checked_at=self._clock.now())
            )

    async def forget(self, card: PostedCard) -> None:
        """This copy is gone from Slack (message deleted, channel gone)."""
        async with self._db.transaction() as connection:
            await connection.execute(delete(_TABLE).where(*_the_copy(card)))

    async def forget_meeting(self, team_id: str, meeting_id: str, shared_by: str) -> int:
        """The meeting is cancelled (or over) and the copies `shared_by` posted say so: nothing left to
        update."""
        async with self._db.transaction() as connection:
            result = await connection.execute(
                delete(_TABLE).where(
                    *where(_TABLE.c, team_id),
                    _TABLE.c.meeting_id == meeting_id,
                    _TABLE.c.shared_by == shared_by,
                )
            )
        return int(result.rowcount)

    async def delete_user(self, team_id: str, user_id: str) -> int:
        async with self._db.transaction() as connection:
            result = await connection.execute(
                delete(_TABLE).where(*where(_TABLE.c, team_id), _TABLE.c.shared_by == user_id)
            )
        return int(result.rowcount)

    async def delete_team(self, team_id: str) -> int:
        async with self._db.transaction() as connection:
            result = await connection.execute(delete(_TABLE).where(*where(_TABLE.c, team_id)))
        return int(result.rowcount)


def _the_copy(card: PostedCard) -> tuple[ColumnElement[bool], ...]:
    return (
        *where(_TABLE.c, card.team_id),
        _TABLE.c.meeting_id == card.meeting_id,
        _TABLE.c.channel_id == card.channel_id,
        _TABLE.c.ts == card.ts,
    )
