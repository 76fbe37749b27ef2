"""The neutral recurrence: the rules it refuses, and the words a card uses for it."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.recurrence import LAST_WEEK, WEEKDAYS, Frequency, Recurrence, RecurrenceInvalid


@pytest.mark.parametrize(
    ("rule", "first", "words"),
    [
        (Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, until=date(2027, 3, 31)), date(2027, 1, 4),
         "every weekday until Wed 31 Mar"),
        (Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, until=date(2027, 3, 31)), date(2026, 12, 7),
         "every weekday until Wed 31 Mar 2027"),
        (Recurrence(Frequency.DAILY, count=10), None, "every day, 10 times"),
        (Recurrence(Frequency.DAILY, interval=3), None, "every 3 days"),
        (Recurrence(Frequency.WEEKLY), date(2026, 12, 8), "every Tuesday"),
        (Recurrence(Frequency.WEEKLY, interval=2, weekdays=frozenset({0, 3})), None,
         "every 2 weeks on Monday and Thursday"),
        (Recurrence(Frequency.WEEKLY, weekdays=frozenset({0, 2, 4})), None,
         "every Monday, Wednesday and Friday"),
        (Recurrence(Frequency.MONTHLY, weekdays=frozenset({0}), month_week=1), None,
         "monthly on the first Monday"),
        (Recurrence(Frequency.MONTHLY, interval=3, weekdays=frozenset({4}), month_week=LAST_WEEK), None,
         "every 3 months on the last Friday"),
        (Recurrence(Frequency.MONTHLY), date(2026, 12, 15), "monthly on day 15"),
    ],
)  # fmt: skip
def test_the_words_a_card_shows(rule: Recurrence, first: date | None, words: str) -> None:
    assert rule.describe(first) == words


@pytest.mark.parametrize(
    "fields",
    [
        {"frequency": Frequency.DAILY, "interval": 0},
        {"frequency": Frequency.DAILY, "interval": 100},
        {"frequency": Frequency.WEEKLY, "weekdays": frozenset({7})},
        {"frequency": Frequency.WEEKLY, "until": date(2027, 1, 1), "count": 3},
        {"frequency": Frequency.WEEKLY, "count": 262},
        {"frequency": Frequency.MONTHLY, "count": 61},
        {"frequency": Frequency.MONTHLY, "month_week": 1, "weekdays": frozenset({0, 1})},
        {"frequency": Frequency.MONTHLY, "month_week": 5, "weekdays": frozenset({0})},
        {"frequency": Frequency.MONTHLY, "month_day": 32},
        {"frequency": Frequency.WEEKLY, "month_week": 1, "weekdays": frozenset({0})},
        {"frequency": Frequency.DAILY, "weekdays": frozenset({0})},
    ],
)
def test_a_rule_webex_would_not_make_cannot_be_made(fields: dict[str, object]) -> None:
    with pytest.raises(RecurrenceInvalid) as refused:
        Recurrence(**fields)  # type: ignore[arg-type]
    assert str(refused.value)


def test_meets_on_the_first_day_only_when_the_rule_allows_it() -> None:
    assert Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS).meets_on(date(2026, 12, 7))
    assert not Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS).meets_on(date(2026, 12, 12))
    last_friday = Recurrence(Frequency.MONTHLY, weekdays=frozenset({4}), month_week=LAST_WEEK)
    assert last_friday.meets_on(date(2026, 12, 25)) and not last_friday.meets_on(date(2026, 12, 18))
    assert Recurrence(Frequency.MONTHLY, weekdays=frozenset({4}), month_week=3).meets_on(date(2026, 12, 18))
