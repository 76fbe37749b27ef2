"""Meeting cards in channels that stay true: posted with chat.postMessage, remembered, updated on changes.

A card posted through a response_url has no message id, so it could never be corrected; these are posted
by the bot, and every copy (channel and ts) is kept per meeting so an edit or a cancel updates them all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.meetings import shown_on_card
from bot.services.meeting_calls import ScheduledMeeting
from bot.services.meeting_changes import CancelResult
from bot.slack.meetings import blocks
from bot.slack.workspaces import speaking_for
from bot.store.channel_cards import PostedCard

logger = logging.getLogger(__name__)

# Slack's answers that mean the copy no longer exists: forget it rather than try again next time.
GONE = frozenset({"message_not_found", "channel_not_found", "is_archived", "cant_update_message"})

# (team_id, shared_by, scheduled, user_tz) -> (fallback text, blocks) of the channel's copy.
CardMaker = Callable[[str, str, ScheduledMeeting, str], tuple[str, list[dict[str, Any]]]]


class PostedCards(Protocol):
    """Where copies are remembered (bot.store.channel_cards.ChannelCardStore)."""

    async def remember(self, card: PostedCard) -> None: ...

    async def copies(
        self, team_id: str, meeting_id: str, shared_by: str | None = None
    ) -> list[PostedCard]: ...

    async def forget(self, card: PostedCard) -> None: ...

    async def forget_meeting(self, team_id: str, meeting_id: str, shared_by: str) -> int: ...

    async def mark_shown(self, card: PostedCard, shown: str) -> None: ...


class ChannelCards:
    """Posts a meeting's card in a channel and keeps every posted copy true."""

    def __init__(self, slack: AsyncWebClient, store: PostedCards) -> None:
        self._slack = slack
        self._store = store

    async def post(
        self,
        team_id: str,
        channel_id: str,
        meeting_id: str,
        card: tuple[str, list[dict[str, Any]]],
        *,
        shared_by: str,
        user_tz: str,
        shown: str = "",
    ) -> None:
        """Post the card (raises SlackApiError as Slack refuses it) and remember where it went, and what
        it `shown` of the meeting."""
        text, card_blocks = card
        answer = await self._slack.chat_postMessage(channel=channel_id, text=text, blocks=card_blocks)
        channel, ts = str(answer.get("channel") or channel_id), str(answer.get("ts") or "")
        if not ts:
            logger.warning("chat.postMessage gave no ts; the card in %s cannot be updated", channel)
            return
        await self._store.remember(
            PostedCard(
                team_id=team_id,
                meeting_id=meeting_id,
                channel_id=channel,
                ts=ts,
                shared_by=shared_by,
                user_tz=user_tz,
                shown=shown,
            )
        )

    async def changed(
        self,
        team_id: str,
        host: str,
        scheduled: ScheduledMeeting,
        make: CardMaker,
        *,
        stale_only: bool = False,
    ) -> int:
        """The `host` changed the meeting: every copy they posted is rewritten as the meeting is now; how
        many were updated. (Only theirs: a meeting id names a meeting on one Webex site, and two people of
        a workspace may use different sites.) `stale_only`: a copy already showing the meeting's topic,
        time and length as they are now is left alone."""
        shown = shown_on_card(scheduled.meeting)
        updated = 0
        for copy in await self._store.copies(team_id, scheduled.meeting.meeting_id, host):
            if stale_only and copy.shown == shown:
                continue
            text, card = make(team_id, copy.shared_by, scheduled, copy.user_tz)
            if await self._update(copy, text, card):
                await self._store.mark_shown(copy, shown)
                updated += 1
        return updated

    async def cancelled(
        self, team_id: str, meeting_id: str, *, number: str, topic: str, host: str, already: bool = False
    ) -> int:
        """The meeting is gone: every copy says so and has no Join left; how many were updated.
        `already`: it was gone from Webex before the host pressed Cancel."""
        card = blocks.cancelled_channel_card(number, topic, host, already=already)
        what = blocks.escape(topic) if topic else "The meeting"
        text = f"{what} is no longer on Webex." if already else f"{what} was cancelled by <@{host}>."
        updated = 0
        for copy in await self._store.copies(team_id, meeting_id, host):
            updated += await self._update(copy, text, card)
        await self._store.forget_meeting(team_id, meeting_id, host)
        return updated

    async def _update(self, copy: PostedCard, text: str, card: list[dict[str, Any]]) -> int:
        try:
            await self._slack.chat_update(channel=copy.channel_id, ts=copy.ts, text=text, blocks=card)
        except SlackApiError as error:
            reason = str(error.response.get("error") or "")
            if reason in GONE:
                logger.info("the card in %s is gone (%s); forgetting it", copy.channel_id, reason)
                await self._store.forget(copy)
            else:
                logger.warning("could not update the card in %s: %s", copy.channel_id, reason)
            return 0
        return 1


class FollowedCards:
    """The timed check's hands in Slack (bot.services.card_check.CopyWriter): rewrites the copies of a
    meeting changed or deleted on Webex itself, as the bot of the meeting's workspace."""

    def __init__(self, cards: ChannelCards, make: CardMaker) -> None:
        self._cards = cards
        self._make = make

    async def show(self, team_id: str, host: str, scheduled: ScheduledMeeting) -> int:
        """Every copy not yet showing the meeting as it is now is rewritten (the card an edit writes)."""
        with speaking_for(team_id):
            return await self._cards.changed(team_id, host, scheduled, self._make, stale_only=True)

    async def gone(self, team_id: str, host: str, result: CancelResult) -> int:
        """Webex no longer has the meeting: every copy says so, with nothing to press, and is forgotten."""
        with speaking_for(team_id):
            return await self._cards.cancelled(
                team_id, result.meeting_id, number=result.number, topic=result.topic, host=host, already=True
            )
