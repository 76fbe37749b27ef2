"""Channel cards follow their meeting when the host changes or deletes it on Webex itself.

A timed job reads, with the host's own link, each meeting that has copies in channels, least recently
checked first, and decides: gone from Webex (every copy says so), changed (every copy not yet showing it
as it is now is rewritten), over (its copies are no longer checked), or not readable this turn (nothing
is touched). The store keeps what each copy shows, so an unchanged meeting costs no Slack call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.domain.clock import Clock
from bot.domain.reminders import upcoming
from bot.services.errors import NeedsConnect, TokenRefreshUnavailable
from bot.services.meeting_calls import ScheduledMeeting
from bot.services.meeting_changes import CancelResult
from bot.services.ports import BackendError, MeetingNotFound
from bot.store.channel_cards import SharedMeeting

logger = logging.getLogger(__name__)

# How many meetings one turn reads at most, so a large workspace does not flood Webex or Slack.
MEETINGS_PER_TURN = 100
# A meeting over this long ago (a series: its last meeting) is no longer checked: a late start or an
# overrun is no change to follow.
OVER_AFTER = timedelta(hours=1)


class CardsToCheck(Protocol):
    """Where copies are remembered (bot.store.channel_cards.ChannelCardStore)."""

    async def to_check(self, limit: int) -> list[SharedMeeting]: ...

    async def checked(self, meeting: SharedMeeting) -> None: ...

    async def forget_meeting(self, team_id: str, meeting_id: str, shared_by: str) -> int: ...


class MeetingsOfHosts(Protocol):
    """The meeting use cases (bot.services.meetings.MeetingService)."""

    async def details(self, team_id: str, user_id: str, meeting_id: str) -> ScheduledMeeting: ...

    async def found_gone(self, team_id: str, meeting_id: str) -> CancelResult: ...


class CopyWriter(Protocol):
    """Rewrites the copies in Slack (bot.slack.meetings.channel_cards.FollowedCards); each returns how
    many copies it updated."""

    async def show(self, team_id: str, host: str, scheduled: ScheduledMeeting) -> int: ...

    async def gone(self, team_id: str, host: str, result: CancelResult) -> int: ...


@dataclass
class CardCheckRun:
    """What one turn did, meeting by meeting."""

    checked: int = 0
    rewritten: int = 0  # copies updated in Slack, changed or gone
    gone: int = 0
    over: int = 0
    skipped: int = 0  # not readable this turn: the host's link, or Webex


class CardCheck:
    """Keeps channel copies true to their meetings on Webex."""

    def __init__(
        self,
        meetings: MeetingsOfHosts,
        cards: CardsToCheck,
        clock: Clock,
        *,
        per_turn: int = MEETINGS_PER_TURN,
    ) -> None:
        self._meetings = meetings
        self._cards = cards
        self._clock = clock
        self._per_turn = per_turn

    async def check(self, copies: CopyWriter) -> CardCheckRun:
        """One turn: each meeting is read once; one that fails is logged and the others go on."""
        run = CardCheckRun()
        for shared in await self._cards.to_check(self._per_turn):
            # First, so a meeting that cannot be read this turn waits behind the others next time.
            await self._cards.checked(shared)
            run.checked += 1
            try:
                await self._check_one(shared, copies, run)
            except Exception:
                logger.exception("could not check the channel cards of meeting %s", shared.meeting_id)
        return run

    async def _check_one(self, shared: SharedMeeting, copies: CopyWriter, run: CardCheckRun) -> None:
        team_id, host, meeting_id = shared.team_id, shared.shared_by, shared.meeting_id
        try:
            scheduled = await self._meetings.details(team_id, host, meeting_id)
        except MeetingNotFound:
            run.gone += 1
            run.rewritten += await copies.gone(
                team_id, host, await self._meetings.found_gone(team_id, meeting_id)
            )
            return
        except (NeedsConnect, TokenRefreshUnavailable, BackendError) as problem:
            # The cards keep what they show: a lapsed link or Webex down says nothing about the meeting.
            run.skipped += 1
            logger.warning(
                "channel cards of meeting %s not checked this turn: %s (%s)",
                meeting_id,
                _why(problem),
                type(problem).__name__,
                extra={"team": team_id, "user": host},
            )
            return
        if upcoming(scheduled.meeting, self._clock.now() - OVER_AFTER) is None:
            run.over += 1
            await self._cards.forget_meeting(team_id, meeting_id, host)
            return
        run.rewritten += await copies.show(team_id, host, scheduled)


def _why(problem: Exception) -> str:
    if isinstance(problem, NeedsConnect):
        return "the host's Webex link is missing or has lapsed"
    return "Webex could not be asked"
