"""The channel cards' check decides per meeting: over (no longer checked) or still ahead (shown as it is)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.clock import FakeClock
from bot.domain.meetings import Meeting
from bot.domain.recurrence import Frequency, Recurrence
from bot.services.card_check import CardCheck
from bot.services.meeting_calls import ScheduledMeeting
from bot.services.meeting_changes import CancelResult
from bot.store.channel_cards import SharedMeeting

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def meeting(meeting_id: str, start: datetime, recurrence: Recurrence | None = None) -> Meeting:
    return Meeting(
        meeting_id=meeting_id,
        number=meeting_id,
        topic="Standup",
        start=start,
        duration_minutes=30,
        time_zone="UTC",
        recurrence=recurrence,
    )


class Webex:
    def __init__(self, *meetings: Meeting) -> None:
        self.meetings = {m.meeting_id: m for m in meetings}

    async def details(self, team_id: str, user_id: str, meeting_id: str) -> ScheduledMeeting:
        return ScheduledMeeting(self.meetings[meeting_id])

    async def found_gone(self, team_id: str, meeting_id: str) -> CancelResult:
        raise AssertionError("no meeting is gone here")


class Cards:
    def __init__(self, *meeting_ids: str) -> None:
        self.shared = [SharedMeeting("T1", meeting_id, "U1") for meeting_id in meeting_ids]

    async def to_check(self, limit: int) -> list[SharedMeeting]:
        return self.shared[:limit]

    async def checked(self, meeting: SharedMeeting) -> None:
        self.shared.remove(meeting)
        self.shared.append(meeting)

    async def forget_meeting(self, team_id: str, meeting_id: str, shared_by: str) -> int:
        self.shared = [m for m in self.shared if m.meeting_id != meeting_id]
        return 1


class Slack:
    def __init__(self) -> None:
        self.shown: list[str] = []

    async def show(self, team_id: str, host: str, scheduled: ScheduledMeeting) -> int:
        self.shown.append(scheduled.meeting.meeting_id)
        return 0

    async def gone(self, team_id: str, host: str, result: CancelResult) -> int:
        raise AssertionError("no meeting is gone here")


async def test_a_series_with_meetings_ahead_is_still_checked_and_a_single_meeting_over_is_not() -> None:
    two_days_ago = NOW - timedelta(days=2)
    webex = Webex(
        meeting("single", two_days_ago),
        meeting("series", two_days_ago, Recurrence(Frequency.DAILY)),
        meeting("ended series", two_days_ago - timedelta(days=1), Recurrence(Frequency.DAILY, count=2)),
    )
    cards = Cards("single", "series", "ended series")
    slack = Slack()
    run = await CardCheck(webex, cards, FakeClock(NOW)).check(slack)
    assert (run.checked, run.over) == (3, 2)
    assert slack.shown == ["series"]
    assert [m.meeting_id for m in cards.shared] == ["series"]


async def test_one_turn_reads_at_most_its_share_of_meetings() -> None:
    webex = Webex(*(meeting(str(n), NOW + timedelta(days=1)) for n in range(5)))
    cards = Cards(*(str(n) for n in range(5)))
    slack = Slack()
    check = CardCheck(webex, cards, FakeClock(NOW), per_turn=3)
    assert (await check.check(slack)).checked == 3
    assert (await check.check(slack)).checked == 3
    # The least recently checked come first: the two left out, then the first one checked.
    assert slack.shown == ["0", "1", "2", "3", "4", "0"]
