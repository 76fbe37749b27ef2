"""Meeting rules: the durations and passwords a Webex API takes, said in the words a person uses."""

from __future__ import annotations

import pytest

from bot.domain.meeting_rules import (
    PRODUCT_LIMITS,
    MeetingLimits,
    MeetingRequestInvalid,
    check_duration,
    check_password,
)

REST = MeetingLimits(topic=128, agenda=1300, shortest_minutes=10, longest_minutes=23 * 60 + 59)


@pytest.mark.parametrize(
    ("limits", "minutes", "says"),
    [
        (PRODUCT_LIMITS, 0, "between 1 min and 24 h"),
        (PRODUCT_LIMITS, 24 * 60 + 1, "between 1 min and 24 h"),
        (REST, 5, "between 10 min and 23 h 59 min"),
        (REST, 24 * 60, "between 10 min and 23 h 59 min"),
    ],
)
def test_a_length_outside_the_range_names_the_range(limits: MeetingLimits, minutes: int, says: str) -> None:
    with pytest.raises(MeetingRequestInvalid) as refused:
        check_duration(minutes, limits)
    assert refused.value.field == "duration"
    assert says in refused.value.message


@pytest.mark.parametrize(
    ("limits", "minutes"), [(PRODUCT_LIMITS, 1), (PRODUCT_LIMITS, 1440), (REST, 10), (REST, 1439)]
)
def test_a_length_at_either_end_of_the_range_is_taken(limits: MeetingLimits, minutes: int) -> None:
    assert check_duration(minutes, limits) == minutes


STRONG = MeetingLimits(strong_password=True)


@pytest.mark.parametrize("password", ["Plan4Friday", "aB3defgh", "Zz9Zz9Zz9Zz9Zz9Z"])
def test_a_strong_password_is_taken_where_the_backend_asks_for_one(password: str) -> None:
    assert check_password(password, STRONG) == password


@pytest.mark.parametrize("password", ["abc", "Sh0rt", "alllowercase1", "ALLUPPERCASE1", "NoDigitsHere"])
def test_a_weak_password_is_refused_beside_its_field_where_the_backend_would_refuse_it(password: str) -> None:
    with pytest.raises(MeetingRequestInvalid) as refused:
        check_password(password, STRONG)
    assert refused.value.field == "password"
    assert "8 to 16 characters mixing uppercase and lowercase letters and digits" in refused.value.message
    assert check_password(password, PRODUCT_LIMITS) == password  # a site of the XML API decides for itself


def test_no_password_is_always_taken_and_webex_makes_one_up() -> None:
    assert check_password("  ", STRONG) is None
