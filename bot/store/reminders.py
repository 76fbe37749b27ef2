"""Reminders in the database: each user's lead time and one row per reminder of a meeting the bot made.

A reminder is sent by whichever process claims it first: the claim is one UPDATE that only matches a
row not yet sent, so of any number of processes exactly one gets it (PostgreSQL re-checks the row after
the other's commit; SQLite writes one at a time). A series keeps one row: the process that sent the
reminder of one meeting moves it to the next (`advance`), matching the meeting it sent, so it moves once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.domain.clock import Clock
from bot.domain.recurrence import recurrence_from_text
from bot.domain.reminders import HostReminder, Series
from bot.store.database import Database
from bot.store.direct import Statement, Statements
from bot.store.models import MeetingReminderRow, ReminderChoiceRow
from bot.store.workspaces import columns, key_of, where

_CHOICES = cast(Table, ReminderChoiceRow.__table__)
_REMINDERS = cast(Table, MeetingReminderRow.__table__)

HOST, CHANNEL = "host", "channel"

# A meeting made is one reminder written, on the busiest path there is: run on the driver
# (bot.store.direct). One already there (another delivery of the same request added it) keeps whether it
# was sent.
_CHOICE = Statement(
    "SELECT minutes FROM reminder_choices "
    "WHERE enterprise_id = :enterprise_id AND team_id = :team_id AND user_id = :user_id"
)
_REMINDER_COLUMNS = tuple(column.name for column in _REMINDERS.c)
_ADD = Statement(
    f"INSERT INTO meeting_reminders ({', '.join(_REMINDER_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _REMINDER_COLUMNS)}) "
    "ON CONFLICT (enterprise_id, team_id, meeting_id, recipient) DO NOTHING"
)


async def add_host_reminder(statements: Statements, reminder: HostReminder) -> None:
    """Write the host's reminder of a meeting just made, in the caller's transaction, at the lead time
    the host chose (the reminder's default when they never chose)."""
    values = host_reminder_values(reminder)
    choice = await statements.one(_CHOICE, values)
    values["due_at"] = values["default_due"] if choice is None else _due(reminder.starts_at, choice.minutes)
    await statements.changed(_ADD, values)


def host_reminder_values(reminder: HostReminder) -> dict[str, Any]:
    """The values of a host's reminder for `_ADD` (but `due_at`) and HOST_REMINDER_OF_CLOSED."""
    return {
        **columns(reminder.team_id),
        "user_id": reminder.host_user_id,
        "meeting_id": reminder.meeting_id,
        "recipient": reminder.host_user_id,
        "kind": HOST,
        "host_user_id": reminder.host_user_id,
        "topic": reminder.topic,
        "starts_at": reminder.starts_at,
        "ends_at": reminder.ends_at,
        "default_due": _due(reminder.starts_at, reminder.default_minutes),
        "sent_at": None,
        **_series_columns(reminder.series),
    }


# PostgreSQL: the host's reminder written by the statement that closes the record of the meeting's
# creation (a data-modifying WITH named `closed`), with the host's choice read in the same statement: one
# round trip instead of four. A host who chose "off" has NULL minutes, so a NULL due time.
_TEXT = ("enterprise_id", "team_id", "meeting_id", "recipient", "kind", "host_user_id", "topic")
HOST_REMINDER_OF_CLOSED = (
    f"INSERT INTO meeting_reminders ({', '.join(_REMINDER_COLUMNS)}) SELECT "
    + ", ".join(f":{name}::text" for name in _TEXT)
    + ", :starts_at::timestamptz, :ends_at::timestamptz, "
    "CASE WHEN choice.chosen THEN :starts_at::timestamptz - make_interval(mins => choice.minutes) "
    "ELSE :default_due::timestamptz END, NULL, "
    ":series_rule::text, :series_zone::text, :series_starts_at::timestamptz "
    "FROM closed LEFT JOIN (SELECT true AS chosen, minutes FROM reminder_choices "
    "WHERE enterprise_id = :enterprise_id AND team_id = :team_id AND user_id = :user_id) AS choice ON true "
    "ON CONFLICT (enterprise_id, team_id, meeting_id, recipient) DO NOTHING"
)


@dataclass(frozen=True)
class StoredReminder:
    team_id: str
    meeting_id: str
    recipient: str  # the host's user id (kind "host") or a channel id (kind "channel")
    kind: str
    host_user_id: str
    topic: str
    starts_at: datetime
    ends_at: datetime
    due_at: datetime | None
    sent_at: datetime | None
    series: Series | None = None  # the series this meeting is one of


class ReminderStore:
    """The `reminder_choices` and `meeting_reminders` tables."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # ---- each user's choice ------------------------------------------------------------------------

    async def choice(self, team_id: str, user_id: str, default: int | None) -> int | None:
        """The user's lead time in minutes (None: off); `default` when they never chose."""
        async with self._db.statements(transaction=False) as statements:
            row = await statements.one(_CHOICE, {**columns(team_id), "user_id": user_id})
        return default if row is None else row.minutes

    async def choose(self, team_id: str, user_id: str, minutes: int | None) -> None:
        """Keep the user's choice and move the due time of every reminder of theirs not yet sent."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            changed = await connection.execute(
                update(_CHOICES)
                .where(*where(_CHOICES.c, team_id), _CHOICES.c.user_id == user_id)
                .values(minutes=minutes, updated_at=now)
            )
            if changed.rowcount == 0:
                try:
                    async with connection.begin_nested():
                        await connection.execute(
                            insert(_CHOICES).values(
                                **columns(team_id), user_id=user_id, minutes=minutes, updated_at=now
                            )
                        )
                except IntegrityError:  # the same person chose twice at once: the last one stands
                    await connection.execute(
                        update(_CHOICES)
                        .where(*where(_CHOICES.c, team_id), _CHOICES.c.user_id == user_id)
                        .values(minutes=minutes, updated_at=now)
                    )
            rows = (
                await connection.execute(
                    select(_REMINDERS.c.meeting_id, _REMINDERS.c.recipient, _REMINDERS.c.starts_at).where(
                        *where(_REMINDERS.c, team_id),
                        _REMINDERS.c.host_user_id == user_id,
                        _REMINDERS.c.sent_at.is_(None),
                    )
                )
            ).all()
            for row in rows:
                await connection.execute(
                    update(_REMINDERS)
                    .where(
                        *where(_REMINDERS.c, team_id),
                        _REMINDERS.c.meeting_id == row.meeting_id,
                        _REMINDERS.c.recipient == row.recipient,
                    )
                    .values(due_at=_due(row.starts_at, minutes))
                )

    # ---- the reminders of one meeting --------------------------------------------------------------

    async def put(
        self,
        team_id: str,
        meeting_id: str,
        *,
        recipient: str,
        kind: str,
        host_user_id: str,
        topic: str,
        starts_at: datetime,
        ends_at: datetime,
        minutes: int | None,
        series: Series | None = None,
    ) -> None:
        """Add a reminder; one already there keeps whether it was sent."""
        async with self._db.statements(transaction=False) as statements:
            await statements.changed(
                _ADD,
                {
                    **columns(team_id),
                    "meeting_id": meeting_id,
                    "recipient": recipient,
                    "kind": kind,
                    "host_user_id": host_user_id,
                    "topic": topic,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "due_at": _due(starts_at, minutes),
                    "sent_at": None,
                    **_series_columns(series),
                },
            )

    async def move(
        self,
        team_id: str,
        meeting_id: str,
        *,
        topic: str,
        starts_at: datetime,
        ends_at: datetime,
        minutes: int | None,
        series: Series | None = None,
    ) -> int:
        """The meeting was edited: every reminder of it follows, and one whose time moved is sent again
        at the new time (the old one spoke of a time that no longer holds). How many rows there were.
        A series' reminders go to `starts_at`, its next meeting, and keep moving by its (new) rule."""
        async with self._db.transaction() as connection:
            await connection.execute(
                update(_REMINDERS)
                .where(
                    *where(_REMINDERS.c, team_id),
                    _REMINDERS.c.meeting_id == meeting_id,
                    _REMINDERS.c.starts_at != starts_at,
                )
                .values(starts_at=starts_at, due_at=_due(starts_at, minutes), sent_at=None)
            )
            changed = await connection.execute(
                update(_REMINDERS)
                .where(*where(_REMINDERS.c, team_id), _REMINDERS.c.meeting_id == meeting_id)
                .values(topic=topic, ends_at=ends_at, **_series_columns(series))
            )
        return int(changed.rowcount)

    async def drop_meeting(self, team_id: str, meeting_id: str) -> int:
        """The meeting was cancelled: it has no reminders any more."""
        async with self._db.transaction() as connection:
            removed = await connection.execute(
                delete(_REMINDERS).where(*where(_REMINDERS.c, team_id), _REMINDERS.c.meeting_id == meeting_id)
            )
        return int(removed.rowcount)

    # ---- sending -----------------------------------------------------------------------------------

    async def due(self, now: datetime, limit: int = 100) -> list[StoredReminder]:
        """Reminders not yet sent whose time has come, oldest first."""
        async with self._db.reading() as connection:
            rows = (
                await connection.execute(
                    select(_REMINDERS)
                    .where(_REMINDERS.c.sent_at.is_(None), _REMINDERS.c.due_at <= now)
                    .order_by(_REMINDERS.c.due_at)
                    .limit(limit)
                )
            ).all()
        return [_stored(row) for row in rows]

    async def claim(self, reminder: StoredReminder) -> bool:
        """Take this reminder to send it: True for exactly one caller, and only while the meeting is
        still as it was read (an edit in between makes the claim fail; the moved reminder comes later)."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            taken = await connection.execute(
                update(_REMINDERS).where(*_same(reminder), _REMINDERS.c.sent_at.is_(None)).values(sent_at=now)
            )
        return bool(taken.rowcount == 1)

    async def advance(
        self, reminder: StoredReminder, starts_at: datetime, ends_at: datetime, *, claimed: bool = True
    ) -> bool:
        """The claimed reminder of one meeting of a series was sent (or its meeting is over): the row moves
        to the series' meeting at `starts_at`, at the same lead time, to be sent again. True for the one
        caller that moved it (the row must still be at the meeting read, and claimed unless `claimed` is
        False: a row left behind, see `series_behind`)."""
        lead = None if reminder.due_at is None else reminder.starts_at - reminder.due_at
        still = (_REMINDERS.c.sent_at.is_not(None),) if claimed else ()
        async with self._db.transaction() as connection:
            moved = await connection.execute(
                update(_REMINDERS)
                .where(*_same(reminder), *still)
                .values(
                    starts_at=starts_at,
                    ends_at=ends_at,
                    due_at=None if lead is None else starts_at - lead,
                    sent_at=None,
                )
            )
        return bool(moved.rowcount == 1)

    async def unclaim(self, reminder: StoredReminder) -> None:
        """Slack did not take the message: let the next run try again."""
        async with self._db.transaction() as connection:
            await connection.execute(
                update(_REMINDERS)
                .where(*_same(reminder), _REMINDERS.c.sent_at.is_not(None))
                .values(sent_at=None)
            )

    async def series_behind(self, ended_before: datetime, limit: int = 1000) -> list[StoredReminder]:
        """Reminders of series still at a meeting that ended before `ended_before`: the host had reminders
        off (nothing fell due to move them on), or a process stopped between sending and moving one."""
        async with self._db.reading() as connection:
            rows = (
                await connection.execute(
                    select(_REMINDERS)
                    .where(_REMINDERS.c.series_rule.is_not(None), _REMINDERS.c.ends_at < ended_before)
                    .limit(limit)
                )
            ).all()
        return [_stored(row) for row in rows]

    async def purge(self, ended_before: datetime) -> int:
        """Forget reminders of meetings that ended before `ended_before`."""
        async with self._db.transaction() as connection:
            removed = await connection.execute(delete(_REMINDERS).where(_REMINDERS.c.ends_at < ended_before))
        return int(removed.rowcount)

    async def drop_host(self, team_id: str, user_id: str) -> int:
        """The reminders of this host's meetings (their choice is kept for when they link again)."""
        async with self._db.transaction() as connection:
            removed = await connection.execute(
                delete(_REMINDERS).where(*where(_REMINDERS.c, team_id), _REMINDERS.c.host_user_id == user_id)
            )
        return int(removed.rowcount)

    async def delete_user(self, team_id: str, user_id: str) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                delete(_REMINDERS).where(*where(_REMINDERS.c, team_id), _REMINDERS.c.host_user_id == user_id)
            )
            await connection.execute(
                delete(_CHOICES).where(*where(_CHOICES.c, team_id), _CHOICES.c.user_id == user_id)
            )

    async def delete_team(self, team_id: str) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(delete(_REMINDERS).where(*where(_REMINDERS.c, team_id)))
            await connection.execute(delete(_CHOICES).where(*where(_CHOICES.c, team_id)))


def _due(starts_at: datetime, minutes: int | None) -> datetime | None:
    return None if minutes is None else starts_at - timedelta(minutes=minutes)


def _series_columns(series: Series | None) -> dict[str, object]:
    if series is None:
        return {"series_rule": None, "series_zone": None, "series_starts_at": None}
    return {
        "series_rule": series.rule.to_text(),
        "series_zone": series.zone,
        "series_starts_at": series.first_start,
    }


def _stored(row: Row[Any]) -> StoredReminder:
    series = None
    if row.series_rule is not None and row.series_starts_at is not None:
        try:
            rule = recurrence_from_text(row.series_rule)
        except (ValueError, KeyError, TypeError):  # a rule this version cannot read: its meeting still is
            rule = None
        if rule is not None:
            series = Series(rule, row.series_zone or "", row.series_starts_at)
    return StoredReminder(
        team_id=key_of(row),
        meeting_id=row.meeting_id,
        recipient=row.recipient,
        kind=row.kind,
        host_user_id=row.host_user_id,
        topic=row.topic,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        due_at=row.due_at,
        sent_at=row.sent_at,
        series=series,
    )


def _same(reminder: StoredReminder) -> tuple[ColumnElement[bool], ...]:
    return (
        *where(_REMINDERS.c, reminder.team_id),
        _REMINDERS.c.meeting_id == reminder.meeting_id,
        _REMINDERS.c.recipient == reminder.recipient,
        _REMINDERS.c.starts_at == reminder.starts_at,
    )
