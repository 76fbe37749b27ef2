"""ChannelCards: every remembered copy is updated; a copy Slack says is gone is forgotten, others kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.meetings import Meeting
from bot.services.meeting_calls import ScheduledMeeting
from bot.slack.meetings.channel_cards import ChannelCards
from bot.store.channel_cards import PostedCard

MEETING = Meeting(
    meeting_id="111",
    number="111",
    topic="Plan <&>",
    start=datetime(2027, 1, 5, 15, 0, tzinfo=UTC),
    duration_minutes=30,
    time_zone="UTC",
)


class Store:
    """The table, in memory."""

    def __init__(self) -> None:
        self.cards: list[PostedCard] = []

    async def remember(self, card: PostedCard) -> None:
        self.cards.append(card)

    async def copies(self, team_id: str, meeting_id: str, shared_by: str | None = None) -> list[PostedCard]:
        return [
            c
            for c in self.cards
            if (c.team_id, c.meeting_id) == (team_id, meeting_id) and shared_by in (None, c.shared_by)
        ]

    async def forget(self, card: PostedCard) -> None:
        self.cards.remove(card)

    async def forget_meeting(self, team_id: str, meeting_id: str, shared_by: str) -> int:
        gone = await self.copies(team_id, meeting_id, shared_by)
        self.cards = [c for c in self.cards if c not in gone]
        return len(gone)

    async def mark_shown(self, card: PostedCard, shown: str) -> None:
        self.cards = [replace(c, shown=shown) if c == card else c for c in self.cards]


class Slack:
    """chat.postMessage and chat.update as Slack answers them; `refuse` maps a channel to an error."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.refuse = refuse or {}
        self.updates: list[dict[str, Any]] = []
        self.next_ts = 1

    async def chat_postMessage(self, **params: Any) -> dict[str, Any]:
        ts = f"{self.next_ts}.000"
        self.next_ts += 1
        return {"ok": True, "channel": params["channel"], "ts": ts}

    async def chat_update(self, **params: Any) -> dict[str, Any]:
        if params["channel"] in self.refuse:
            error = {"ok": False, "error": self.refuse[params["channel"]]}
            raise SlackApiError("refused", cast(Any, error))
        self.updates.append(params)
        return {"ok": True}


def make(
    team_id: str, shared_by: str, scheduled: ScheduledMeeting, tz: str
) -> tuple[str, list[dict[str, Any]]]:
    return f"{scheduled.meeting.topic} in {tz}", [{"type": "section", "text": {"type": "mrkdwn", "text": tz}}]


async def post_three(cards: ChannelCards) -> None:
    for channel in ("C1", "C2", "C3"):
        await cards.post("T1", channel, "111", ("t", []), shared_by="U1", user_tz=f"tz-{channel}")


async def test_an_edit_updates_each_copy_in_the_zone_it_was_posted_in() -> None:
    store, slack = Store(), Slack()
    cards = ChannelCards(cast(AsyncWebClient, slack), store)
    await post_three(cards)
    assert await cards.changed("T1", "U1", ScheduledMeeting(meeting=MEETING), make) == 3
    assert [(u["channel"], u["text"]) for u in slack.updates] == [
        ("C1", "Plan <&> in tz-C1"),
        ("C2", "Plan <&> in tz-C2"),
        ("C3", "Plan <&> in tz-C3"),
    ]


async def test_a_copy_that_is_gone_is_forgotten_and_a_passing_failure_is_not() -> None:
    store = Store()
    slack = Slack(refuse={"C1": "message_not_found", "C2": "ratelimited"})
    cards = ChannelCards(cast(AsyncWebClient, slack), store)
    await post_three(cards)
    assert await cards.changed("T1", "U1", ScheduledMeeting(meeting=MEETING), make) == 1
    assert [c.channel_id for c in store.cards] == ["C2", "C3"]


async def test_someone_else_acting_on_the_same_meeting_id_touches_none_of_the_copies() -> None:
    store, slack = Store(), Slack()
    cards = ChannelCards(cast(AsyncWebClient, slack), store)
    await post_three(cards)
    assert await cards.cancelled("T1", "111", number="111", topic="Plan", host="U2") == 0
    assert slack.updates == [] and len(store.cards) == 3


async def test_a_cancel_marks_every_copy_with_the_host_and_escapes_the_topic() -> None:
    store, slack = Store(), Slack()
    cards = ChannelCards(cast(AsyncWebClient, slack), store)
    await post_three(cards)
    assert await cards.cancelled("T1", "111", number="111", topic="<!here> plan", host="U1") == 3
    for update in slack.updates:
        assert update["text"] == "&lt;!here&gt; plan was cancelled by <@U1>."
        assert "Cancelled by <@U1>" in str(update["blocks"]) and "button" not in str(update["blocks"])
    assert store.cards == []
