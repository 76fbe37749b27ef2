"""RRULE bodies: tidied and checked as Webex does, and expanded on the meeting's wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.emulator.rest.recurrence import RecurrenceError, normalise, starts
from bot.emulator.rest.zones import zone_info

START = datetime(2031, 3, 4, 14, 0, tzinfo=UTC)
BERLIN = zone_info("Europe/Berlin")


def test_rules_are_kept_in_upper_case_and_monthly_uses_only_the_first_day() -> None:
    assert (
        normalise("freq=weekly;wkst=su;interval=1;byday=tu", START, BERLIN)
        == "FREQ=WEEKLY;WKST=SU;INTERVAL=1;BYDAY=TU"
    )
    assert normalise("RRULE:FREQ=MONTHLY;COUNT=10;BYMONTHDAY=10,11,12", START, BERLIN) == (
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=10"
    )


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=HOURLY", "FREQ=DAILY"),
        ("INTERVAL=2", "FREQ=DAILY"),
        ("FREQ=DAILY;COUNT=1827", "1826"),
        ("FREQ=YEARLY;COUNT=6", "between 1 and 5"),
        ("FREQ=DAILY;UNTIL=20370101T000000Z", "5 years"),
        ("FREQ=DAILY;UNTIL=20300101T000000Z", "before the first"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20310401T000000Z", "COUNT or UNTIL"),
        ("FREQ=DAILY;BYSECOND=5", "Invalid recurrence rule part"),
        ("FREQ=WEEKLY;BYDAY=XX", "Invalid recurrence rule"),
    ],
)
def test_rules_webex_refuses(rule: str, words: str) -> None:
    with pytest.raises(RecurrenceError, match=words):
        normalise(rule, START, BERLIN)


def test_an_unending_rule_expands_only_inside_the_window() -> None:
    found = list(
        starts(
            "FREQ=DAILY",
            START,
            BERLIN,
            after=datetime(2035, 1, 1, tzinfo=UTC),
            before=datetime(2035, 1, 4, tzinfo=UTC),
        )
    )
    assert found == [datetime(2035, 1, d, 14, 0, tzinfo=UTC) for d in (1, 2, 3)]


def test_a_one_off_meeting_is_a_series_with_one_occurrence() -> None:
    assert list(starts("", START, BERLIN)) == [START]
