"""Which meeting of a series a reminder is for: the next one on the series' local wall clock, over a
weekend, across a daylight-saving change, and none once the series has ended."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.meetings import Meeting
from bot.domain.recurrence import LAST_WEEK, WEEKDAYS, Frequency, Recurrence, recurrence_from_text
from bot.domain.reminders import Occurrence, Series, upcoming

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAY = Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS)


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def standup(rule: Recurrence, first: datetime) -> Occurrence:
    return Occurrence(first, first + timedelta(minutes=15), Series(rule, "Europe/Berlin", first))


def starts(rule: Recurrence, first: datetime, after: datetime, meetings: int) -> list[datetime]:
    """The next `meetings` meetings' starts in Berlin, each found from the one before as the sender does."""
    found: list[datetime] = []
    occurrence: Occurrence | None = standup(rule, first)
    now = after
    while occurrence is not None and len(found) < meetings:
        occurrence = occurrence.following(now)
        if occurrence is not None:
            found.append(occurrence.starts_at.astimezone(BERLIN))
            now = occurrence.starts_at
    return found


def test_a_weekday_series_skips_the_weekend() -> None:
    friday = berlin(2026, 12, 4, 9, 0)
    after = starts(WEEKDAY, friday, friday, 2)
    assert [(d.strftime("%a %d"), d.hour, d.minute) for d in after] == [("Mon 07", 9, 0), ("Tue 08", 9, 0)]


def test_a_series_stays_at_nine_local_across_the_change_to_summer_time() -> None:
    friday = berlin(2027, 3, 26, 9, 0)  # CET, UTC+1; Sunday 28 March moves to CEST, UTC+2
    after = starts(WEEKDAY, friday, friday, 2)
    assert [d.strftime("%a %d %H:%M") for d in after] == ["Mon 29 09:00", "Tue 30 09:00"]
    assert after[0].astimezone(UTC).hour == 7 and friday.hour == 8


def test_a_daily_series_across_the_change_back_meets_once_a_day_at_nine() -> None:
    first = berlin(2026, 10, 23, 9, 0)  # CEST; Sunday 25 October goes back to CET
    after = starts(Recurrence(Frequency.DAILY), first, first, 4)
    assert [d.strftime("%a %d %H:%M") for d in after] == [
        "Sat 24 09:00",
        "Sun 25 09:00",
        "Mon 26 09:00",
        "Tue 27 09:00",
    ]


@pytest.mark.parametrize(
    ("rule", "left"),
    [
        (Recurrence(Frequency.DAILY, count=3), ["Tue 08", "Wed 09"]),
        (Recurrence(Frequency.DAILY, until=date(2026, 12, 8)), ["Tue 08"]),
        (Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, count=2), ["Tue 08"]),
    ],
)
def test_a_series_with_an_end_stops(rule: Recurrence, left: list[str]) -> None:
    monday = berlin(2026, 12, 7, 9, 0)
    assert [d.strftime("%a %d") for d in starts(rule, monday, monday, 10)] == left


def test_a_reminder_sent_late_goes_to_the_next_meeting_not_over_yet() -> None:
    monday = berlin(2026, 12, 7, 9, 0)
    # Read on Thursday at 09:05: Thursday's meeting (09:00-09:15) is not over, so it is the next.
    following = standup(WEEKDAY, monday).following(berlin(2026, 12, 10, 9, 5))
    assert following is not None and following.starts_at == berlin(2026, 12, 10, 9, 0)
    assert following.ends_at == berlin(2026, 12, 10, 9, 15)


def test_a_single_meeting_has_no_next() -> None:
    start = berlin(2026, 12, 7, 9, 0)
    assert Occurrence(start, start + timedelta(minutes=30)).following(start) is None


def meeting(start: datetime, rule: Recurrence | None) -> Meeting:
    return Meeting("m1", "1", "Standup", start, 15, "Europe/Berlin", recurrence=rule)


def test_the_meeting_to_remind_of_is_the_series_first_not_over_or_none() -> None:
    monday = berlin(2026, 12, 7, 9, 0)
    assert upcoming(meeting(monday, WEEKDAY), monday - timedelta(hours=1)) == standup(WEEKDAY, monday)
    wednesday = upcoming(meeting(monday, WEEKDAY), berlin(2026, 12, 9, 12, 0))
    assert wednesday is not None and wednesday.starts_at == berlin(2026, 12, 10, 9, 0)
    ended = Recurrence(Frequency.DAILY, count=2)
    assert upcoming(meeting(monday, ended), berlin(2026, 12, 9, 12, 0)) is None
    assert upcoming(meeting(monday, None), monday + timedelta(minutes=15)) is None


@pytest.mark.parametrize(
    "rule",
    [
        WEEKDAY,
        Recurrence(Frequency.DAILY, interval=2, count=5),
        Recurrence(Frequency.MONTHLY, weekdays=frozenset({4}), month_week=LAST_WEEK, until=date(2027, 6, 1)),
        Recurrence(Frequency.MONTHLY, month_day=15),
    ],
)
def test_a_rule_kept_as_text_reads_back_the_same(rule: Recurrence) -> None:
    assert recurrence_from_text(rule.to_text()) == rule


def test_a_monthly_series_on_the_last_friday() -> None:
    first = berlin(2026, 12, 25, 9, 0)
    rule = Recurrence(Frequency.MONTHLY, weekdays=frozenset({4}), month_week=LAST_WEEK)
    assert [d.strftime("%d %b") for d in starts(rule, first, first, 2)] == ["29 Jan", "26 Feb"]
