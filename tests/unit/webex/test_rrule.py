"""The neutral recurrence as an RRULE and back; every rule it writes is one the emulated Webex accepts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from bot.domain.recurrence import LAST_WEEK, WEEKDAYS, Frequency, Recurrence
from bot.emulator.rest.recurrence import normalise, starts
from bot.webex.rrule import RRuleUnreadable, recurrence_to_rrule, rrule_to_recurrence

NEW_YORK = ZoneInfo("America/New_York")
FIRST = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York

CASES = [
    (Recurrence(Frequency.DAILY), "FREQ=DAILY"),
    (Recurrence(Frequency.DAILY, interval=3, count=5), "FREQ=DAILY;INTERVAL=3;COUNT=5"),
    (
        Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, until=date(2026, 3, 31)),
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20260331T235959",
    ),
    (Recurrence(Frequency.WEEKLY, interval=2, weekdays=frozenset({1})), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
    (Recurrence(Frequency.WEEKLY), "FREQ=WEEKLY"),
    (Recurrence(Frequency.MONTHLY, weekdays=frozenset({0}), month_week=1), "FREQ=MONTHLY;BYDAY=1MO"),
    (
        Recurrence(Frequency.MONTHLY, weekdays=frozenset({4}), month_week=LAST_WEEK, count=6),
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6",
    ),
    (Recurrence(Frequency.MONTHLY, interval=3, month_day=15), "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15"),
]


@pytest.mark.parametrize(("recurrence", "rule"), CASES)
def test_both_ways(recurrence: Recurrence, rule: str) -> None:
    assert recurrence_to_rrule(recurrence) == rule
    assert rrule_to_recurrence(rule) == recurrence
    assert rrule_to_recurrence("RRULE:" + rule.lower()) == recurrence


@pytest.mark.parametrize(("recurrence", "rule"), CASES)
def test_every_rule_written_is_one_webex_accepts_and_dateutil_reads(
    recurrence: Recurrence, rule: str
) -> None:
    written = recurrence_to_rrule(recurrence)
    assert normalise(written, FIRST, NEW_YORK)  # raises on a rule the emulated Webex refuses
    assert rrulestr("RRULE:" + written, dtstart=FIRST.astimezone(NEW_YORK).replace(tzinfo=None))


def test_every_weekday_until_a_date_meets_on_weekdays_up_to_that_day() -> None:
    rule = recurrence_to_rrule(Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, until=date(2026, 3, 10)))
    local = [s.astimezone(NEW_YORK) for s in starts(rule, FIRST, NEW_YORK)]
    assert [d.day for d in local] == [2, 3, 4, 5, 6, 9, 10]
    # New York moves its clocks on 8 March: the series stays at 09:00 local.
    assert {(d.hour, d.minute) for d in local} == {(9, 0)}


def test_a_utc_until_is_read_as_the_meetings_own_day() -> None:
    # 03:59 UTC on 1 April is still 31 March in New York.
    read = rrule_to_recurrence("FREQ=DAILY;UNTIL=20260401T035900Z", NEW_YORK)
    assert read.until == date(2026, 3, 31)
    assert rrule_to_recurrence("FREQ=DAILY;UNTIL=20260331").until == date(2026, 3, 31)


def test_daily_on_named_days_is_read_as_weekly() -> None:
    assert rrule_to_recurrence("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR") == Recurrence(
        Frequency.WEEKLY, weekdays=WEEKDAYS
    )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY",
        "FREQ=HOURLY",
        "FREQ=MONTHLY;BYMONTH=3",
        "FREQ=WEEKLY;BYDAY=1MO",
        "FREQ=MONTHLY;BYDAY=1MO,3MO",
        "FREQ=MONTHLY;BYDAY=5MO",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;COUNT=3;UNTIL=20260331",
        "FREQ=WEEKLY;COUNT=many",
        "FREQ=WEEKLY;UNTIL=someday",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ",
        "",
    ],
)
def test_a_rule_the_bot_cannot_show_is_refused_with_a_reason(rule: str) -> None:
    with pytest.raises(RRuleUnreadable) as refused:
        rrule_to_recurrence(rule)
    assert str(refused.value)
