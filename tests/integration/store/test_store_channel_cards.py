"""ChannelCardStore on a real database: copies per workspace, meeting and sharer; forgotten one by one,
with the meeting, or with the person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.clock import FakeClock
from bot.store import Database
from bot.store.channel_cards import ChannelCardStore, PostedCard

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
