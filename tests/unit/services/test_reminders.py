"""What `/webex remind` accepts, and how a reminder reads before, at and after the start."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.reminders import DueReminder, ReminderChoiceInvalid, read_choice
from bot.slack.reminders import ReminderPoster
from bot.store.reminders import CHANNEL, HOST, StoredReminder

START = datetime(2030, 5, 6, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("5", 5),
        ("10", 10),
        (" 15 ", 15),
        ("10m", 10),
        ("15 min", 15),
        ("5 minutes", 5),
        ("off", None),
        ("OFF", None),
    ],
)
def test_a_lead_time_is_read(typed: str, minutes: int | None) -> None:
    assert read_choice(typed) == minutes


@pytest.mark.parametrize("typed", ["7", "60", "-5", "ten", "", "5h", "10 hours"])
def test_anything_else_says_what_works(typed: str) -> None:
    with pytest.raises(ReminderChoiceInvalid, match="/webex remind 10"):
        read_choice(typed)


class Links:
    def join(self, team_id: str, host_user_id: str, meeting_key: str) -> str:
        return f"https://bot/join/{meeting_key}"

    def host(self, team_id: str, host_user_id: str, meeting_key: str) -> str:
        return f"https://bot/host/{meeting_key}"


def due(minutes: int, kind: str = HOST, topic: str = "Plan <b> & more") -> DueReminder:
    stored = StoredReminder("T1", "m1", "U1", kind, "U1", topic, START, START, None, None)
    return DueReminder("T1", "m1", "U1", kind, "U1", topic, minutes, stored)


def poster() -> ReminderPoster:
    return ReminderPoster(None, Links(), None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minutes", "says"),
    [
        (10, "starts in 10 minutes"),
        (1, "starts in 1 minute ("),
        (0, "starts now"),
        (-1, "started 1 minute ago"),
        (-12, "started 12 minutes ago"),
    ],
)
def test_the_reminder_says_how_long_until_or_since_the_start(minutes: int, says: str) -> None:
    text, _ = poster().message(due(minutes), START, ZoneInfo("America/New_York"))
    assert says in text and "15:00 EDT" in text
    # The topic is shown as typed, never as Slack markup.
    assert "Plan &lt;b&gt; &amp; more" in text


def test_only_the_hosts_reminder_has_start_as_host() -> None:
    _, host_card = poster().message(due(10), START)
    _, channel_card = poster().message(due(10, kind=CHANNEL), START)
    labels = [[e["text"]["text"] for e in card[1]["elements"]] for card in (host_card, channel_card)]
    assert labels == [["Join", "Start as host"], ["Join"]]
