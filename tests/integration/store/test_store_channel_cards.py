"""ChannelCardStore on a real database: copies per workspace, meeting and sharer; forgotten one by one,
with the meeting, or with the person."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.domain.clock import FakeClock
from bot.store import Database
from bot.store.channel_cards import ChannelCardStore, PostedCard
from bot.store.database import upgrade

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def card(channel: str, ts: str, *, team: str = "T1", meeting: str = "111", by: str = "U1") -> PostedCard:
    return PostedCard(
        team_id=team, meeting_id=meeting, channel_id=channel, ts=ts, shared_by=by, user_tz="Europe/Berlin"
    )


async def test_copies_are_kept_per_workspace_and_meeting_oldest_first(database: Database) -> None:
    clock = FakeClock(START)
    store = ChannelCardStore(database, clock)
    await store.remember(card("C2", "2.0"))
    clock.advance(timedelta(seconds=1))
    await store.remember(card("C1", "1.0"))
    await store.remember(card("C1", "1.0", team="T2"))
    await store.remember(card("C3", "3.0", meeting="222"))
    await store.remember(card("C4", "4.0", by="U2"))
    assert await store.copies("T1", "111", "U1") == [card("C2", "2.0"), card("C1", "1.0")]
    assert len(await store.copies("T1", "111")) == 3
    await store.forget(card("C2", "2.0"))
    assert await store.copies("T1", "111", "U1") == [card("C1", "1.0")]
    assert await store.forget_meeting("T1", "111", "U1") == 1
    assert await store.copies("T1", "111", "U1") == []
    assert await store.copies("T1", "111", "U2") == [card("C4", "4.0", by="U2")]
    assert await store.copies("T2", "111") == [card("C1", "1.0", team="T2")]


async def test_forgetting_a_person_or_a_workspace_removes_their_copies(database: Database) -> None:
    store = ChannelCardStore(database, FakeClock(START))
    await store.remember(card("C1", "1.0"))
    await store.remember(card("C2", "2.0", by="U2"))
    await store.remember(card("C3", "3.0", team="T2"))
    assert await store.delete_user("T1", "U1") == 1
    assert await store.copies("T1", "111") == [card("C2", "2.0", by="U2")]
    assert await store.delete_team("T1") == 1
    assert await store.copies("T2", "111") == [card("C3", "3.0", team="T2")]


async def test_what_a_copy_shows_is_kept_and_the_least_recently_checked_meeting_comes_first(
    database: Database,
) -> None:
    clock = FakeClock(START)
    store = ChannelCardStore(database, clock)
    await store.remember(card("C1", "1.0"))
    await store.remember(card("C2", "2.0"))
    await store.remember(card("C3", "3.0", meeting="222"))
    await store.remember(replace(card("C4", "4.0", meeting="333", by="U2"), shown="abc"))
    assert [c.shown for c in await store.copies("T1", "333")] == ["abc"]
    await store.mark_shown(card("C1", "1.0"), "def")
    assert [c.shown for c in await store.copies("T1", "111")] == ["def", ""]
    # Never checked first, in the order they were posted; a meeting's copies count as one.
    first = await store.to_check(10)
    assert [(m.meeting_id, m.shared_by) for m in first] == [("111", "U1"), ("222", "U1"), ("333", "U2")]
    clock.advance(timedelta(minutes=1))
    await store.checked(first[0])
    clock.advance(timedelta(minutes=1))
    await store.checked(first[2])
    assert [m.meeting_id for m in await store.to_check(10)] == ["222", "111", "333"]
    assert [m.meeting_id for m in await store.to_check(2)] == ["222", "111"]
    assert await store.forget_meeting("T1", "111", "U1") == 2
    assert [m.meeting_id for m in await store.to_check(10)] == ["222", "333"]


async def test_the_migration_keeps_copies_posted_before_it_and_marks_them_not_known(
    database_url: str,
) -> None:
    await upgrade(database_url, "0011_admit_in_one_statement")
    db = Database(database_url)
    try:
        async with db.transaction() as connection:
            await connection.execute(
                text(
                    "INSERT INTO channel_cards (enterprise_id, team_id, meeting_id, channel_id, ts,"
                    " shared_by, user_tz, posted_at)"
                    " VALUES ('', 'T1', '111', 'C1', '1.0', 'U1', 'Europe/Berlin', :at)"
                ),
                {"at": START},
            )
        await upgrade(database_url)
        store = ChannelCardStore(db, FakeClock(START))
        # Kept, and shown as not known: the first check writes it once.
        assert await store.copies("T1", "111") == [card("C1", "1.0")]
        assert [c.shown for c in await store.copies("T1", "111")] == [""]
        [meeting] = await store.to_check(10)
        assert (meeting.team_id, meeting.meeting_id, meeting.shared_by) == ("T1", "111", "U1")
    finally:
        await db.dispose()
