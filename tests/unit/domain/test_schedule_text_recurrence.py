"""Repeating meetings in the schedule text: the rule, how it ends, and the first meeting it starts on."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.domain.recurrence import LAST_WEEK, WEEKDAYS, Frequency, Recurrence
from bot.domain.schedule_text import ScheduleParse, parse_schedule_text

BERLIN = "Europe/Berlin"
NOW = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)  # Sunday 6 December 2026, 12:00 in Berlin
MON, TUE, WED, THU, FRI = range(5)


def parse(text: str, now: datetime = NOW, tz: str = BERLIN) -> ScheduleParse:
    return parse_schedule_text(text, now=now, user_tz=tz)


def first_local(result: ScheduleParse, tz: str = BERLIN) -> tuple[date, time]:
    assert result.start is not None, (result.problems, result.ambiguities)
    local = result.start.astimezone(ZoneInfo(tz))
    return local.date(), local.time()


@pytest.mark.parametrize(
    ("text", "rule", "first"),
    [
        ("Standup every weekday 9am", Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS), date(2026, 12, 7)),
        ("Standup weekdays at 9:00", Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS), date(2026, 12, 7)),
        ("Standup Mon-Fri 9am", Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS), date(2026, 12, 7)),
        ("Standup daily 9am", Recurrence(Frequency.DAILY), date(2026, 12, 7)),
        ("Standup daily 3pm", Recurrence(Frequency.DAILY), date(2026, 12, 6)),
        ("Standup every day at 9am", Recurrence(Frequency.DAILY), date(2026, 12, 7)),
        ("Check-in every 3 days 9am", Recurrence(Frequency.DAILY, interval=3), date(2026, 12, 7)),
        (
            "Sync every monday and thursday at 16:00",
            Recurrence(Frequency.WEEKLY, weekdays=frozenset({MON, THU})),
            date(2026, 12, 7),
        ),
        (
            "Sync every tue, thu 10am",
            Recurrence(Frequency.WEEKLY, weekdays=frozenset({TUE, THU})),
            date(2026, 12, 8),
        ),
        (
            "Review weekly on tue 10am",
            Recurrence(Frequency.WEEKLY, weekdays=frozenset({TUE})),
            date(2026, 12, 8),
        ),
        ("Review tuesdays 10am", Recurrence(Frequency.WEEKLY, weekdays=frozenset({TUE})), date(2026, 12, 8)),
        (
            "Retro every 2 weeks on friday 3pm",
            Recurrence(Frequency.WEEKLY, interval=2, weekdays=frozenset({FRI})),
            date(2026, 12, 11),
        ),
        (
            "Retro every other friday 3pm",
            Recurrence(Frequency.WEEKLY, interval=2, weekdays=frozenset({FRI})),
            date(2026, 12, 11),
        ),
        (
            "Retro biweekly on friday 3pm",
            Recurrence(Frequency.WEEKLY, interval=2, weekdays=frozenset({FRI})),
            date(2026, 12, 11),
        ),
        ("Retro every 2 weeks from friday 3pm", Recurrence(Frequency.WEEKLY, interval=2), date(2026, 12, 11)),
        (
            "Planning monthly on the first monday 10am",
            Recurrence(Frequency.MONTHLY, weekdays=frozenset({MON}), month_week=1),
            date(2026, 12, 7),
        ),
        (
            "Planning every month on the 2nd wednesday 10am",
            Recurrence(Frequency.MONTHLY, weekdays=frozenset({WED}), month_week=2),
            date(2026, 12, 9),
        ),
        (
            "Ops review the last friday of every month 4pm",
            Recurrence(Frequency.MONTHLY, weekdays=frozenset({FRI}), month_week=LAST_WEEK),
            date(2026, 12, 25),
        ),
        (
            "Planning the first monday of each month 10am",
            Recurrence(Frequency.MONTHLY, weekdays=frozenset({MON}), month_week=1),
            date(2026, 12, 7),
        ),
        ("Board monthly on 15 December 10am", Recurrence(Frequency.MONTHLY), date(2026, 12, 15)),
        ("Board quarterly on 15 Dec 10am", Recurrence(Frequency.MONTHLY, interval=3), date(2026, 12, 15)),
        ("Offsite yearly on 1 March 10am", Recurrence(Frequency.MONTHLY, interval=12), date(2027, 3, 1)),
    ],
)
def test_each_phrasing_reads_as_its_rule(text: str, rule: Recurrence, first: date) -> None:
    result = parse(text)
    assert result.recurrence == rule, (result.problems, result.ambiguities)
    assert first_local(result)[0] == first
    assert not result.problems and not result.ambiguities
    assert result.topic.split()[0] == text.split()[0]


@pytest.mark.parametrize(
    ("text", "until"),
    [
        ("Standup every weekday 9am until 31 March", date(2027, 3, 31)),
        ("Standup every weekday 9am until March 31", date(2027, 3, 31)),
        ("Standup every weekday 9am until March 31, 2027", date(2027, 3, 31)),
        ("Standup every weekday 9am till 2027-03-31", date(2027, 3, 31)),
        ("Standup every weekday 9am ending on 31/03/2027", date(2027, 3, 31)),
        ("Standup every weekday 9am until friday", date(2026, 12, 11)),
        ("Standup until 31 March every weekday 9am", date(2027, 3, 31)),
        # Dotted dates: once read as "until 31." and a first meeting on 31 March with no end.
        ("Standup every weekday 9am until 31.3.", date(2027, 3, 31)),
        ("Standup every weekday 9am until 31.03.2027", date(2027, 3, 31)),
        ("Standup until 31.3. every weekday 9am", date(2027, 3, 31)),
        ("Standup every weekday 9am until 31 March.", date(2027, 3, 31)),
    ],
)
def test_until_a_date_ends_the_series_on_that_day(text: str, until: date) -> None:
    result = parse(text)
    assert result.recurrence is not None and result.recurrence.until == until
    assert result.topic == "Standup" and result.is_clear
    assert first_local(result) == (date(2026, 12, 7), time(9))


@pytest.mark.parametrize(
    "text",
    [
        "Standup every weekday 9am for 10 times",
        "Standup every weekday 9am 10 times",
        "Standup every weekday 9am for ten meetings",
        "Standup for 10 times every weekday 9am",
    ],
)
def test_a_number_of_times_ends_the_series_after_that_many(text: str) -> None:
    result = parse(text)
    assert result.recurrence == Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, count=10)
    assert result.topic == "Standup" and result.is_clear


def test_a_length_and_a_count_are_both_read() -> None:
    result = parse("Standup every weekday 9am for 15 minutes for 10 times")
    assert result.duration_minutes == 15
    assert result.recurrence is not None and result.recurrence.count == 10


def test_a_time_range_with_until_is_a_length_not_an_end() -> None:
    result = parse("Standup every weekday from 9am until 9:15am")
    assert result.duration_minutes == 15
    assert result.recurrence == Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS)


def test_the_card_words_for_the_rule() -> None:
    result = parse("Standup every weekday 9am until 31 March")
    assert result.recurrence is not None
    assert result.recurrence.describe(date(2026, 12, 7)) == "every weekday until Wed 31 Mar 2027"
    assert result.recurrence.describe(date(2027, 1, 4)) == "every weekday until Wed 31 Mar"
    counted = parse("Sync every monday and thursday 16:00 10 times").recurrence
    assert counted is not None and counted.describe() == "every Monday and Thursday, 10 times"
    monthly = parse("Planning monthly on the first monday 10am").recurrence
    assert monthly is not None and monthly.describe() == "monthly on the first Monday"


@pytest.mark.parametrize(
    ("text", "topic", "first"),
    [
        ("Lunch daily noon", "Lunch", (date(2026, 12, 7), time(12))),  # it is 12:00 now: tomorrow
        ("Lunch daily midday", "Lunch", (date(2026, 12, 7), time(12))),
        ("Backup check daily midnight", "Backup check", (date(2026, 12, 7), time(0))),
        ("Lunch daily at noon", "Lunch", (date(2026, 12, 7), time(12))),
    ],
)
def test_daily_before_noon_or_midnight_is_a_rule(text: str, topic: str, first: tuple[date, time]) -> None:
    result = parse(text)
    assert (result.topic, result.recurrence) == (topic, Recurrence(Frequency.DAILY))
    assert first_local(result) == first
    assert not result.problems


def test_names_that_look_like_rules_stay_names() -> None:
    for text, topic in (
        ("Daily standup tomorrow 9am", "Daily standup"),
        ("Weekly sync monday 10am", "Weekly sync"),
    ):
        result = parse(text)
        assert (result.topic, result.recurrence) == (topic, None)


# -- what the text cannot say, and what it says next ------------------------------------------------


def test_an_end_without_a_rule_says_how_to_repeat() -> None:
    result = parse("Standup tomorrow 9am for 10 times")
    assert result.recurrence is None
    assert result.problems == (
        '"for 10 times": say how often the meeting repeats, like "every monday" or "daily"',
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Standup every weekday 9am until 2026-12-01", '"until 2026-12-01": That date is in the past'),
        ("Standup every weekday 9am until 31 Feb", '"until 31 Feb": I couldn\'t read "31 Feb" as a date'),
        (
            "Standup every friday 9am until tomorrow",
            '"until tomorrow" is before the first meeting, Fri 11 Dec',
        ),
    ],
)
def test_an_end_that_cannot_be_used_is_said_not_dropped(text: str, problem: str) -> None:
    result = parse(text)
    assert result.recurrence is None and result.topic == "Standup"
    assert any(p.startswith(problem) for p in result.problems), result.problems


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # Five days ago: read as next year's, a year-long series, so it is asked as for a meeting.
        ("Standup every weekday 9am until 1 Dec", '"until 1 Dec": 1 December has passed this year'),
        ("Standup every weekday 9am until 12/03", '"until 12/03": "12/03" could be 12 March or 3 December'),
        ("Standup every weekday 9am until next friday", '"until next friday": "next friday" could be'),
    ],
)
def test_an_end_date_that_could_be_another_is_asked_about(text: str, asked: str) -> None:
    result = parse(text)
    assert result.recurrence is not None and result.topic == "Standup"
    assert not result.is_clear
    assert any(note.startswith(asked) for note in result.ambiguities), result.ambiguities


def test_a_date_and_a_count_are_one_end_too_many() -> None:
    result = parse("Standup every weekday 9am until 31 March 10 times")
    assert result.recurrence is None
    assert any("keep one" in problem for problem in result.problems)


def test_two_rules_are_refused() -> None:
    result = parse("Standup every weekday 9am monthly on the first monday")
    assert result.recurrence is None
    assert any("more than one repeating rule" in problem for problem in result.problems)


def test_too_many_meetings_are_refused_with_the_limit() -> None:
    result = parse("Standup every weekday 9am 500 times")
    assert result.recurrence is None
    assert any("1 to 261 meetings" in problem for problem in result.problems)


def test_an_end_more_than_five_years_ahead_is_refused() -> None:
    result = parse("Standup every weekday 9am until 2032-12-31")
    assert result.recurrence is None
    assert any("5 years" in problem for problem in result.problems)


def test_a_rule_with_no_day_asks_for_the_first_day() -> None:
    result = parse("Retro every 2 weeks 3pm")
    assert result.recurrence is None and not result.is_clear


# -- the first meeting is on the local wall clock, whatever the season ------------------------------


@pytest.mark.parametrize(
    ("tz", "now"),
    [
        ("Europe/Berlin", datetime(2027, 3, 26, 12, 0, tzinfo=UTC)),  # Friday before Berlin's March change
        ("Europe/Berlin", datetime(2027, 10, 29, 12, 0, tzinfo=UTC)),  # Friday before its October change
        ("America/New_York", datetime(2027, 3, 12, 18, 0, tzinfo=UTC)),  # Friday before New York's March one
        ("America/New_York", datetime(2027, 11, 5, 18, 0, tzinfo=UTC)),  # Friday before its November one
    ],
)
def test_a_series_typed_before_a_clock_change_starts_at_nine_local(tz: str, now: datetime) -> None:
    result = parse("Standup every weekday 9am", now=now, tz=tz)
    day, clock = first_local(result, tz)
    assert clock == time(9) and day.weekday() == MON
    assert result.recurrence == Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS)


def test_meetings_in_a_topic_are_not_a_count() -> None:
    result = parse("Review two meetings tomorrow 3pm")
    assert (result.topic, result.recurrence, result.problems) == ("Review two meetings", None, ())


def test_every_zero_days_is_refused_with_the_limits() -> None:
    result = parse("Standup every 0 days 9am")
    assert result.recurrence is None
    assert result.problems == ('"every 0 days": A meeting can repeat every 1 to 99 days',)


@pytest.mark.parametrize("text", ["Standup every weekday at 9", "Standup daily at 9", "Standup mondays at 9"])
def test_a_series_at_an_hour_without_am_or_pm_starts_on_the_next_morning_once_todays_has_passed(
    text: str,
) -> None:
    monday_late_morning = datetime(2026, 12, 7, 9, 40, tzinfo=UTC)  # 10:40 in Berlin
    result = parse(text, now=monday_late_morning)
    day, clock = first_local(result)
    assert clock == time(9, 0) and day > date(2026, 12, 7)  # not 21:00 today: a standup stays at nine
    assert any("could be" in note for note in result.ambiguities)  # and the form still asks


def test_a_single_meeting_at_an_hour_without_am_or_pm_is_the_next_such_hour_today() -> None:
    result = parse("Standup at 9", now=datetime(2026, 12, 7, 9, 40, tzinfo=UTC))
    assert first_local(result) == (date(2026, 12, 7), time(21, 0))


@pytest.mark.parametrize(
    ("text", "now", "first"),
    [
        # Said at 01:00 on the day New York's clocks skip 02:00-03:00.
        ("Standup every day 2:30am", datetime(2026, 3, 8, 6, 0, tzinfo=UTC), date(2026, 3, 9)),
        # Said the evening before.
        ("Standup every sunday 2:30am", datetime(2026, 3, 7, 23, 0, tzinfo=UTC), date(2026, 3, 15)),
    ],
)
def test_a_series_whose_time_the_clocks_skip_on_its_first_day_starts_on_its_next_day(
    text: str, now: datetime, first: date
) -> None:
    # Started at 03:30 instead, the series would keep 03:30 for every meeting after.
    result = parse(text, now=now, tz="America/New_York")
    assert first_local(result, "America/New_York") == (first, time(2, 30))
    assert result.is_clear
    assert any("the series starts on its next day" in note for note in result.notes), result.notes


@pytest.mark.parametrize(
    ("text", "until"),
    [
        # From Monday 7 Dec: once "for 3" read as a 3-hour meeting, and "weeks" left in the topic.
        ("Standup every weekday 9am for 3 weeks", date(2026, 12, 27)),
        ("Standup every weekday 9am for the next two weeks", date(2026, 12, 20)),
        ("Standup every day 9am for 10 days for 15 min", date(2026, 12, 16)),
        ("Standup every weekday 9am for 2 months", date(2027, 2, 6)),
    ],
)
def test_for_a_number_of_weeks_ends_the_series_that_long_after_its_first_meeting(
    text: str, until: date
) -> None:
    result = parse(text)
    assert result.recurrence is not None and result.recurrence.until == until
    assert result.topic == "Standup" and result.is_clear
    assert result.duration_minutes in (None, 15)


def test_for_a_number_of_weeks_and_another_end_are_one_end_too_many() -> None:
    result = parse("Standup every weekday 9am for 3 weeks until friday")
    assert result.recurrence is None
    assert any("keep one" in problem for problem in result.problems)


@pytest.mark.parametrize("text", ["Rent monthly on the 31st 10am", "Rent monthly on 30 January 10am"])
def test_a_monthly_series_on_a_day_some_months_lack_says_those_months_have_no_meeting(text: str) -> None:
    # The series skips February (and April, June... for the 31st): said on the card, not left to be found.
    result = parse(text)
    assert result.recurrence is not None and result.is_clear
    assert any("has no meeting in this series" in note for note in result.notes), result.notes


def test_a_monthly_series_on_the_28th_or_earlier_says_nothing_of_short_months() -> None:
    assert parse("Rent monthly on the 15th 10am").notes == ()


# -- ends that are not dates, and lengths that are not a meeting's -----------------------------------


@pytest.mark.parametrize(
    ("text", "until"),
    [
        # Sunday 6 Dec: once left in the topic ("Standup until end of month"), a series with no end.
        ("Standup every weekday 9am until end of month", date(2026, 12, 31)),
        ("Standup every weekday 9am until the end of the month", date(2026, 12, 31)),
        ("Standup every weekday 9am till the end of this month", date(2026, 12, 31)),
        # The month of the first meeting, not of today.
        ("Standup every weekday 9am from 2027-02-01 until end of month", date(2027, 2, 28)),
        ("Standup every weekday 9am until end of year", date(2026, 12, 31)),
    ],
)
def test_until_the_end_of_the_month_ends_the_series_on_its_last_day(text: str, until: date) -> None:
    result = parse(text)
    assert result.recurrence is not None and result.recurrence.until == until
    assert result.topic == "Standup" and result.is_clear


@pytest.mark.parametrize(
    "text", ["Standup every weekday 9am until further notice", "Standup every weekday 9am until cancelled"]
)
def test_until_further_notice_is_a_series_with_no_end_and_not_the_topic(text: str) -> None:
    result = parse(text)
    assert result.recurrence == Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS)
    assert result.topic == "Standup" and result.is_clear


@pytest.mark.parametrize(
    "text",
    [
        "Standup every weekday 9am until christmas",
        "Standup every weekday 9am until december",
        "Standup every weekday 9am till the launch",
    ],
)
def test_an_end_that_is_not_a_date_is_asked_about_never_dropped(text: str) -> None:
    # Once scheduled at once: "until christmas" in the topic and a series with no end.
    result = parse(text)
    assert result.recurrence is None and result.topic == "Standup" and not result.is_clear
    [problem] = result.problems
    assert "I couldn't read that as the end of the series" in problem and '"until end of month"' in problem


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Standup every monday 9am through the holidays", "through the holidays"),
        ("Standup every monday 9am ending soon", "ending soon"),
        ("Standup daily 9am through the end of Q1", "through the end of Q1"),
        ("Standup 9am weekly on monday, ending the sprint", "ending the sprint"),
        ("Standup every weekday 9am ends on a good day", "ends on a good day"),
    ],
)
def test_through_or_ending_after_the_rule_is_an_end_asked_about_like_until(text: str, said: str) -> None:
    # Once kept in the topic, and the series made with no end without a word.
    result = parse(text)
    assert result.recurrence is None and result.topic == "Standup" and not result.is_clear
    [problem] = result.problems
    assert problem.startswith(f'"{said}": I couldn\'t read that as the end of the series')


@pytest.mark.parametrize(
    ("text", "topic", "rule"),
    [
        ("Walk through the plan tomorrow 9am", "Walk through the plan", None),
        (
            "Walk through the plan every monday 9am",
            "Walk through the plan",
            Recurrence(Frequency.WEEKLY, weekdays=frozenset({MON})),
        ),
        ("Ending the sprint review daily 9am", "Ending the sprint review", Recurrence(Frequency.DAILY)),
    ],
)
def test_through_or_ending_before_a_rule_or_without_one_stays_in_the_topic(
    text: str, topic: str, rule: Recurrence | None
) -> None:
    result = parse(text)
    assert result.is_clear and result.recurrence == rule and result.topic == topic


def test_until_a_time_is_still_a_range_not_an_end_to_ask_about() -> None:
    result = parse("Office hours every friday 2pm until 4pm")
    assert result.duration_minutes == 120 and result.is_clear


def test_an_end_of_month_without_a_rule_says_how_to_repeat() -> None:
    result = parse("Standup tomorrow 9am until end of month")
    assert result.problems == (
        '"until end of month": say how often the meeting repeats, like "every monday" or "daily"',
    )


def test_two_times_of_day_with_and_are_more_than_one_time() -> None:
    # Once "at 9" with "Standup and 17" as the topic.
    result = parse("Standup every day at 9 and 17")
    assert result.topic == "Standup" and result.start is None
    assert result.problems == ('I read more than one time: "at 9", "17"',)


@pytest.mark.parametrize(
    ("text", "said", "topic"),
    [
        ("Review tomorrow at 9 and 17 in room 4", '"at 9", "17"', "Review in room 4"),
        ("Review at 9 and 17 tomorrow in room 4", '"at 9", "17"', "Review in room 4"),
        ("Review tomorrow 9 and 17 in room 4", '"9", "17"', "Review in room 4"),
        ("Review tomorrow at 9 & 17 room 4", '"at 9", "17"', "Review room 4"),
        ("Review tomorrow at 9 and 17 about the budget", '"at 9", "17"', "Review about the budget"),
        ("Standup every day at 9 and 17 in room 4", '"at 9", "17"', "Standup in room 4"),
        ("Review tomorrow 9am and 5pm in room 4", '"9am", "5pm"', "Review in room 4"),
    ],
)
def test_two_times_with_and_are_refused_wherever_the_rest_of_the_text_sits(
    text: str, said: str, topic: str
) -> None:
    # Once a word after "17" made it a count, so "and 17 in room 4" stayed in the topic of a meeting at 9.
    result = parse(text)
    assert result.problems == (f"I read more than one time: {said}",)
    assert result.start is None and result.topic == topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Sync tomorrow 3pm and 4 others", "Sync and 4 others"),
        ("Sync tomorrow 3pm and 5 people", "Sync and 5 people"),
        ("Sync tomorrow 3pm and 1 guest", "Sync and 1 guest"),
    ],
)
def test_a_count_of_people_after_a_time_stays_in_the_topic(text: str, topic: str) -> None:
    result = parse(text)
    assert result.topic == topic and result.is_clear


@pytest.mark.parametrize(
    "text", ["Standup every weekday 9am for 0 times", "Standup every weekday 9am 300 times"]
)
def test_a_count_out_of_range_names_the_count_not_the_rule(text: str) -> None:
    [problem] = parse(text).problems
    assert problem.startswith(('"for 0 times": ', '"300 times": ')) and "1 to 261 meetings" in problem


@pytest.mark.parametrize(
    "text",
    [
        "Standup every weekday 9am for 1 times",
        "Standup every weekday 9am for one time",
        "Standup every weekday 9am for 1 meeting",
    ],
)
def test_a_series_of_one_meeting_says_1_time(text: str) -> None:
    # "for one time" once read "one time" as a place's time zone.
    result = parse(text)
    assert result.recurrence is not None and result.recurrence.count == 1
    assert result.recurrence.describe() == "every weekday, 1 time"
    assert result.topic == "Standup" and result.is_clear


def test_a_count_in_words_it_does_not_know_is_asked_about() -> None:
    result = parse("Standup every weekday 9am for thirteen times")
    assert result.recurrence is None and result.topic == "Standup"
    assert result.problems == (
        '"for thirteen times": write how many meetings in digits, like "for 12 times"',
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "Offsite tomorrow 9am for 2 days",
            '"for 2 days": a meeting lasts at most 24 hours; give its length in hours ("for 8h"), '
            'or for a meeting on each day say "every day for 2 days"',
        ),
        (
            "Offsite tomorrow 9am for 1 day",
            '"for 1 day": a meeting lasts at most 24 hours; give its length in hours ("for 8h")',
        ),
    ],
)
def test_a_meeting_for_days_is_refused_with_the_way_to_meet_each_day(text: str, problem: str) -> None:
    # Once "for 2" was read as 2 hours and "days" left in the topic.
    result = parse(text)
    assert result.problems == (problem,) and result.topic == "Offsite"
    assert result.duration_minutes is None and result.duration_given


@pytest.mark.parametrize(
    "text",
    [
        "Brunch every weekend 10am",
        "Brunch weekends at 10am",
        "Brunch on weekends 10am",
        "Brunch on week ends 10am",
    ],
)
def test_every_weekend_is_every_saturday_and_sunday(text: str) -> None:
    # Once "That time is in the past", with "every weekend" in the topic.
    result = parse(text)
    assert result.recurrence == Recurrence(Frequency.WEEKLY, weekdays=frozenset({5, 6}))
    assert result.recurrence.describe() == "every Saturday and Sunday"
    assert result.topic == "Brunch" and first_local(result) == (date(2026, 12, 12), time(10))


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Standup every sunday 2:30am starting today", date(2026, 3, 15)),
        ("Standup every other sunday 2:30am starting today", date(2026, 3, 22)),
    ],
)
def test_a_named_first_day_whose_time_the_clocks_skip_starts_the_series_at_its_next_meeting(
    text: str, first: date
) -> None:
    # Said at 01:00 on New York's March change: once the series was made at 03:30 for every meeting,
    # with "starting" in the topic.
    result = parse(text, now=datetime(2026, 3, 8, 6, 0, tzinfo=UTC), tz="America/New_York")
    assert first_local(result, "America/New_York") == (first, time(2, 30))
    assert result.topic == "Standup" and not result.is_clear
    assert result.ambiguities == (
        f"02:30 doesn't exist on Sun 8 Mar (clocks go forward); the series starts at its next meeting, "
        f"Sun {first.day} Mar",
    )


@pytest.mark.parametrize(
    "text", ["Standup every weekday 9am starting monday", "Standup beginning monday every weekday 9am"]
)
def test_starting_before_the_first_day_is_not_the_topic(text: str) -> None:
    result = parse(text)
    assert result.topic == "Standup" and first_local(result) == (date(2026, 12, 7), time(9))
