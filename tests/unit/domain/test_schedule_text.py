"""Reading `/webex schedule` text: real phrasings, ambiguities, problems, zones, and no crashes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.recurrence import Frequency, Recurrence
from bot.domain.schedule_text import ScheduleParse, parse_schedule_text

# Thursday 26 November 2026, 14:00 in Paris (13:00 UTC).
NOW = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
PARIS = "Europe/Paris"


def parse(text: str, *, now: datetime = NOW, tz: str = PARIS) -> ScheduleParse:
    return parse_schedule_text(text, now=now, user_tz=tz)


def local(result: ScheduleParse) -> str | None:
    """The start as the user sees it on their wall clock."""
    if result.start is None:
        return None
    return result.start.astimezone(ZoneInfo(result.time_zone)).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "topic", "start", "duration"),
    [
        (
            "Design review tomorrow 3pm for 45m with <@U1|ana> <@U2|li>",
            "Design review",
            "2026-11-27 15:00",
            45,
        ),
        ('"1:1" fri 09:30', "1:1", "2026-11-27 09:30", None),
        ("Retro next monday at 16:00 for 1h30 with ops@example.com", "Retro", "2026-11-30 16:00", 90),
        ("Standup tomorrow 9am", "Standup", "2026-11-27 09:00", None),
        ("Planning today 17:00 30 minutes", "Planning", "2026-11-26 17:00", 30),
        ("sync in 2 hours", "sync", "2026-11-26 16:00", None),
        ("Kickoff on March 3rd at 2:30pm for 1.5h", "Kickoff", "2027-03-03 14:30", 90),
        ("Design review 3pm", "Design review", "2026-11-26 15:00", None),
        ("Sprint 42 review friday 11:00 for an hour", "Sprint 42 review", "2026-11-27 11:00", 60),
        ("Budget call tomorrow at 10:15am for half an hour", "Budget call", "2026-11-27 10:15", 30),
        ("Weekly sync monday 10am", "Weekly sync", "2026-11-30 10:00", None),
        ("Hiring debrief Tue 4:30pm 20 min", "Hiring debrief", "2026-12-01 16:30", 20),
        ("Demo on wednesday at 11 am for 1 hour", "Demo", "2026-12-02 11:00", 60),
        ("Offsite prep Dec 3 at 9:00 for 2 hours", "Offsite prep", "2026-12-03 09:00", 120),
        ("Offsite prep 3 December 2026 9am", "Offsite prep", "2026-12-03 09:00", None),
        ("Release go/no-go 2026-12-01 18:00", "Release go/no-go", "2026-12-01 18:00", None),
        ("Pairing 28.11. 10:00", "Pairing", "2026-11-28 10:00", None),
        ("Quarterly review the 3rd at 10am", "Quarterly review", "2026-12-03 10:00", None),
        ("1:1 catch-up tomorrow 3-4pm", "1:1 catch-up", "2026-11-27 15:00", 60),
        ("Workshop tomorrow from 10:00 to 12:30", "Workshop", "2026-11-27 10:00", 150),
        ("Interview tomorrow between 2 and 3pm", "Interview", "2026-11-27 14:00", 60),
        ("Night ops tomorrow 22:00-01:00", "Night ops", "2026-11-27 22:00", 180),
        ("Call in 30 minutes", "Call", "2026-11-26 14:30", None),
        ("Call in half an hour", "Call", "2026-11-26 14:30", None),
        ("Call 2 hours from now", "Call", "2026-11-26 16:00", None),
        ("Quick chat now", "Quick chat", "2026-11-26 14:01", None),
        ("Check-in in 3 days at 10am", "Check-in", "2026-11-29 10:00", None),
        ("Drinks tonight at 8", "Drinks", "2026-11-26 20:00", None),
        ("Standup tomorrow at 9h30", "Standup", "2026-11-27 09:30", None),
        ("Réunion demain tomorrow 21h", "Réunion demain", "2026-11-27 21:00", None),
        ("Launch midnight", "Launch", "2026-11-27 00:00", None),
        ("Lunch & learn tomorrow at noon for 1h", "Lunch & learn", "2026-11-27 12:00", 60),
        ("Review friday at 4 o'clock pm", "Review", "2026-11-27 16:00", None),
        ("Coffee @noon tomorrow", "Coffee", "2026-11-27 12:00", None),
        ("Ana's farewell friday 5pm", "Ana's farewell", "2026-11-27 17:00", None),
        ("Design review - tomorrow 3pm (45m)", "Design review", "2026-11-27 15:00", 45),
        ("Ops sync next week wednesday 10am", "Ops sync", "2026-12-02 10:00", None),
        ("Ops sync thursday next week 10am", "Ops sync", "2026-12-03 10:00", None),
        (
            "Support rotation handover the day after tomorrow 9am",
            "Support rotation handover",
            "2026-11-28 09:00",
            None,
        ),
        ("Planning this saturday at 10:00", "Planning", "2026-11-28 10:00", None),
        ("Standup tmrw 9:15am", "Standup", "2026-11-27 09:15", None),
    ],
)
def test_clear_phrasings(text: str, topic: str, start: str, duration: int | None) -> None:
    result = parse(text)
    assert (result.topic, local(result), result.duration_minutes) == (topic, start, duration)
    assert result.is_clear, (result.problems, result.ambiguities)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("x tomorrow 3pm for 45m", 45),
        ("x tomorrow 3pm for 45 min", 45),
        ("x tomorrow 3pm for 45 mins", 45),
        ("x tomorrow 3pm 45 minutes", 45),
        ("x tomorrow 3pm for 1h", 60),
        ("x tomorrow 3pm for 1hr", 60),
        ("x tomorrow 3pm for 1h30", 90),
        ("x tomorrow 3pm for 1h 30m", 90),
        ("x tomorrow 3pm for 1 hour 30 minutes", 90),
        ("x tomorrow 3pm for 1 hour and 15 minutes", 75),
        ("x tomorrow 3pm for 90 minutes", 90),
        ("x tomorrow 3pm for 1.5 hours", 90),
        ("x tomorrow 3pm for 1,5h", 90),
        ("x tomorrow 3pm for 0.25h", 15),
        ("x tomorrow 3pm for an hour", 60),
        ("x tomorrow 3pm for half an hour", 30),
        ("x tomorrow 3pm for an hour and a half", 90),
        ("x tomorrow 3pm for a quarter of an hour", 15),
        ("x tomorrow 3pm for two hours", 120),
        ("x tomorrow 3pm for thirty minutes", 30),
        ("x tomorrow 3pm lasting 2h", 120),
        ("x tomorrow 3pm 1h", 60),
        ("x tomorrow 3pm for 24h", 24 * 60),
    ],
)
def test_durations(text: str, minutes: int) -> None:
    result = parse(text)
    assert result.duration_minutes == minutes
    assert result.topic == "x"
    assert result.is_clear


@pytest.mark.parametrize(
    ("text", "wall_clock"),
    [
        ("x tomorrow 9am", "09:00"),
        ("x tomorrow 9 am", "09:00"),
        ("x tomorrow 9 a.m.", "09:00"),
        ("x tomorrow 9:30", "09:30"),
        ("x tomorrow 09:30", "09:30"),
        ("x tomorrow 9.30pm", "21:30"),
        ("x tomorrow 21h", "21:00"),
        ("x tomorrow 21h15", "21:15"),
        ("x tomorrow at 09", "09:00"),
        ("x tomorrow at 17", "17:00"),
        ("x tomorrow noon", "12:00"),
        ("x tomorrow at midday", "12:00"),
        ("x tomorrow 12pm", "12:00"),
        ("x tomorrow 12am", "00:00"),
        ("x tomorrow 12:30", "12:30"),
        ("x tomorrow 23:59", "23:59"),
        ("x tomorrow 00:15", "00:15"),
        ("x tomorrow 3PM", "15:00"),
        ("x tomorrow morning at 9", "09:00"),
        ("x tomorrow afternoon at 3", "15:00"),
        ("x tomorrow evening 7:30", "19:30"),
        ("x tomorrow 8 in the morning", "08:00"),
        ("x tomorrow morning 9", "09:00"),
        ("x tomorrow 15.30", "15:30"),
        ("x at 15.30 tomorrow", "15:30"),
        ("x tomorrow 4pm.", "16:00"),
    ],
)
def test_times_in_12_and_24_hour_forms(text: str, wall_clock: str) -> None:
    result = parse(text)
    assert local(result) == f"2026-11-27 {wall_clock}"
    assert result.is_clear, (result.problems, result.ambiguities)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("Dinner tomorrow evening 8:30", "2026-11-27 20:30"),
        ("Drinks tonight at 10:30", "2026-11-26 22:30"),
        ("Drinks tonight at 11.15", "2026-11-26 23:15"),
        ("Release friday night 9:45", "2026-11-27 21:45"),
        ("Dinner tomorrow evening 8:30-10:00", "2026-11-27 20:30"),
        # As written when nothing says evening, or the morning is said.
        ("Standup tomorrow 8:30", "2026-11-27 08:30"),
        ("Standup tomorrow morning 8:30", "2026-11-27 08:30"),
        ("Drinks tonight at 21:30", "2026-11-26 21:30"),
    ],
)
def test_an_evening_said_moves_a_morning_looking_time_to_the_evening(text: str, start: str) -> None:
    result = parse(text)
    assert local(result) == start
    assert result.is_clear, (result.problems, result.ambiguities)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("x monday 10am", "2026-11-30"),
        ("x mon 10am", "2026-11-30"),
        ("x tuesday 10am", "2026-12-01"),
        ("x tue 10am", "2026-12-01"),
        ("x tues 10am", "2026-12-01"),
        ("x wednesday 10am", "2026-12-02"),
        ("x wed 10am", "2026-12-02"),
        ("x friday 10am", "2026-11-27"),
        ("x fri 10am", "2026-11-27"),
        ("x saturday 10am", "2026-11-28"),
        ("x sat 10am", "2026-11-28"),
        ("x sunday 10am", "2026-11-29"),
        ("x sun 10am", "2026-11-29"),
        ("x on Sunday at 10am", "2026-11-29"),
        ("x next monday 10am", "2026-11-30"),
        ("x next thursday 10am", "2026-12-03"),
    ],
)
def test_weekdays_mean_the_next_one(text: str, day: str) -> None:
    result = parse(text)
    assert local(result) == f"{day} 10:00"
    assert result.is_clear, (result.problems, result.ambiguities)


# -- ambiguities: read, but worth confirming ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("Check-in 3 days from now at 10am", "2026-11-29 10:00"),
        ("Check-in 2 weeks from now at 10am", "2026-12-10 10:00"),
        ("Check-in a week from now at 10am", "2026-12-03 10:00"),
        ("Check-in 3 days from today at 10am", "2026-11-29 10:00"),
    ],
)
def test_days_from_now_is_that_many_days_ahead(text: str, start: str) -> None:
    result = parse(text)
    assert (result.topic, local(result)) == ("Check-in", start)
    assert result.is_clear, (result.problems, result.ambiguities)


def test_days_from_now_without_a_time_is_not_a_meeting_right_now() -> None:
    result = parse("Check-in 2 days from now")
    assert result.start is None
    assert result.problems == ("I couldn't read a time for Sat 28 Nov",)


def test_day_month_order_is_ambiguous_and_follows_the_zone() -> None:
    in_paris = parse("Board meeting 12/03 at 10")
    assert in_paris.topic == "Board meeting"
    assert local(in_paris) == "2027-03-12 10:00"
    assert '"12/03" could be 12 March or 3 December' in in_paris.ambiguities
    assert '"at 10" could be 10 AM or 10 PM' in in_paris.ambiguities
    assert not in_paris.is_clear

    in_new_york = parse("Board meeting 12/03 at 10am", tz="America/New_York")
    assert local(in_new_york) == "2026-12-03 10:00"
    assert in_new_york.ambiguities == ('"12/03" could be 3 December or 12 March',)


def test_day_month_order_is_clear_when_one_part_is_over_12() -> None:
    assert local(parse("x 27/11 4pm")) == "2026-11-27 16:00"
    assert local(parse("x 11/27 4pm")) == "2026-11-27 16:00"
    assert parse("x 11/27 4pm").is_clear
    assert parse("x 5/5/2027 4pm").is_clear


def test_a_bare_hour_is_ambiguous_and_prefers_working_hours() -> None:
    afternoon = parse("Sync tomorrow 3")
    assert local(afternoon) == "2026-11-27 15:00"
    assert afternoon.ambiguities == ('"3" could be 3 PM or 3 AM',)
    assert parse("Sync tomorrow 3 o'clock").ambiguities == ('"3 o\'clock" could be 3 PM or 3 AM',)
    morning = parse("Sync tomorrow at 9")
    assert local(morning) == "2026-11-27 09:00"
    assert morning.ambiguities == ('"at 9" could be 9 AM or 9 PM',)


def test_a_bare_hour_that_has_passed_today_takes_the_evening_reading() -> None:
    result = parse("Sync at 9")
    assert local(result) == "2026-11-26 21:00"
    assert not result.is_clear


def test_next_weekday_later_this_week_is_ambiguous() -> None:
    result = parse("Retro next friday 10am")
    assert local(result) == "2026-12-04 10:00"
    assert result.ambiguities == ('"next friday" could be Fri 4 Dec or tomorrow, Fri 27 Nov',)


def test_today_weekday_name_with_a_time_still_ahead_reads_today_but_asks() -> None:
    result = parse("'Weekly sync' thu 15:00")
    assert local(result) == "2026-11-26 15:00"
    assert result.ambiguities == ('Today is Thursday: "thu" could be today or Thu 3 Dec',)


def test_today_weekday_name_with_a_time_passed_reads_next_week() -> None:
    result = parse("Ops thursday 10:00")
    assert local(result) == "2026-12-03 10:00"
    assert result.problems == ()
    assert len(result.ambiguities) == 1


def test_next_week_without_a_day_is_ambiguous() -> None:
    result = parse("Planning next week 10am")
    assert result.topic == "Planning"
    assert local(result) == "2026-11-30 10:00"
    assert result.ambiguities == ('"next week" doesn\'t say which day; I put Mon 30 Nov',)


def test_this_week_without_a_day_gives_no_start() -> None:
    result = parse("Planning this week")
    assert result.start is None
    assert result.ambiguities == ('"this week" doesn\'t say which day',)
    assert result.problems == ("I couldn't read a date or time",)


def test_a_part_of_day_without_a_time_gets_a_default_to_confirm() -> None:
    result = parse("Retro tomorrow afternoon")
    assert local(result) == "2026-11-27 14:00"
    assert result.ambiguities == ('"afternoon" has no exact time; I put 14:00',)


def test_h_suffix_alone_could_be_a_time_or_a_duration() -> None:
    result = parse("Meeting tomorrow 9h")
    assert local(result) == "2026-11-27 09:00"
    assert result.duration_minutes is None
    assert result.ambiguities == ('"9h" could be 09:00 or a 9-hour meeting',)


def test_h_time_with_minutes_alone_could_be_a_time_or_a_duration() -> None:
    result = parse("Meeting tomorrow 9h30")
    assert local(result) == "2026-11-27 09:30"
    assert result.duration_minutes is None
    assert result.ambiguities == ('"9h30" could be 09:30 or a 9 h 30 min meeting',)


def test_h_length_beside_a_time_is_the_length() -> None:
    result = parse("Meeting tomorrow 10am 1h30")
    assert local(result) == "2026-11-27 10:00"
    assert result.duration_minutes == 90
    assert result.is_clear


def test_for_a_number_without_a_unit_is_ambiguous() -> None:
    assert parse("x tomorrow 2pm for 30").ambiguities == ('"for 30" has no unit; I read 30 minutes',)
    assert parse("x tomorrow 2pm for 2").duration_minutes == 120


def test_a_date_just_passed_rolls_to_next_year_but_asks() -> None:
    result = parse("x 20 November 10am")
    assert local(result) == "2027-11-20 10:00"
    assert result.ambiguities == ("20 November has passed this year; I read 20 November 2027",)


def test_a_weekday_that_does_not_match_the_date_is_flagged() -> None:
    result = parse("x friday 3 December 10am")
    assert local(result) == "2026-12-03 10:00"
    assert result.ambiguities == ("3 December is a Thursday, not a Friday",)
    assert parse("x thursday 3 December 10am").is_clear


def test_midnight_on_a_named_day_is_flagged() -> None:
    result = parse("Cutover friday midnight")
    assert local(result) == "2026-11-27 00:00"
    assert result.ambiguities == ('"midnight" on Fri 27 Nov: I read the start of that day',)


def test_words_beside_a_quoted_topic_are_flagged() -> None:
    result = parse('"Retro" tomorrow 10am bring snacks')
    assert result.topic == "Retro"
    assert result.ambiguities == ('I didn\'t understand "bring snacks"',)


# -- problems: cannot be scheduled as is --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Design review 1pm", "That time is in the past (Thu 26 Nov 13:00)"),
        ("lunch at noon", "That time is in the past (Thu 26 Nov 12:00)"),
        ("x today 9am", "That time is in the past (Thu 26 Nov 09:00)"),
        ("Design review", "I couldn't read a date or time"),
        ("", "I couldn't read a date or time"),
        ("Kickoff tomorrow", "I couldn't read a time for Fri 27 Nov"),
        ("x 3/4/2020 10am", "That date is in the past"),
        ("x 3/4/2099 10am", "That is more than 5 years ahead"),
        ("x 30/2 10am", 'I couldn\'t read "30/2" as a date'),
        ("x 13/13 10am", 'I couldn\'t read "13/13" as a date'),
        ("x tomorrow 25:00", 'I couldn\'t read "25:00" as a time'),
        ("x tomorrow 13pm", 'I couldn\'t read "13pm" as a time'),
        ("x tomorrow 3pm for 0m", "A meeting can't last 0 minutes"),
        ("x tomorrow 3pm for 25h", "A meeting can last at most 24 hours"),
        ("x tomorrow 3pm for 1500 minutes", "A meeting can last at most 24 hours"),
        ("x tomorrow 3pm 4pm", 'I read more than one time: "3pm", "4pm"'),
        ("x tomorrow friday 3pm", None),
        ("x tomorrow monday 3pm", 'I read more than one date: "tomorrow", "monday"'),
        ("x tomorrow 3pm for 1h for 2h", 'I read more than one duration: "for 1h", "for 2h"'),
        ("x in 2 hours tomorrow", 'I read more than one start: "in 2 hours", "tomorrow"'),
        ("x in 999 weeks", "That is more than 5 years ahead"),
        ("sync yesterday 3pm", "That date is in the past (yesterday"),
    ],
)
def test_problems(text: str, problem: str | None) -> None:
    result = parse(text)
    if problem is None:
        assert result.problems == ()
        return
    assert any(p == problem or p.startswith(problem) for p in result.problems), result.problems
    assert not result.is_clear


def test_a_past_time_is_never_moved_to_another_day() -> None:
    result = parse("Design review 1pm")
    assert result.start is None
    assert result.day is not None and result.day.isoformat() == "2026-11-26"


def test_a_date_without_a_time_still_reports_the_day() -> None:
    result = parse("Kickoff March 3rd")
    assert result.start is None
    assert result.day is not None and result.day.isoformat() == "2027-03-03"


def test_a_topic_over_512_characters_is_a_problem() -> None:
    result = parse("a" * 513 + " tomorrow 3pm")
    assert result.problems == ("The topic is too long (513 characters, at most 512)",)
    assert parse("a" * 512 + " tomorrow 3pm").is_clear


# -- topics and quotes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ('"Design review" tomorrow 3pm', "Design review"),
        ("'Design review' tomorrow 3pm", "Design review"),
        ("\u201cDesign review\u201d tomorrow 3pm", "Design review"),
        ("\u2018Design review\u2019 tomorrow 3pm", "Design review"),
        ("\u00abRevue design\u00bb tomorrow 3pm", "Revue design"),
        ('"Plan for 3pm tomorrow" friday 10am', "Plan for 3pm tomorrow"),
        ('Review of "Project 3pm" tomorrow 10am', 'Review of "Project 3pm"'),
        ("Q&amp;A &lt;team&gt; tomorrow 2pm", "Q&A <team>"),
        ("Café ☕ 会议 tomorrow 2pm", "Café ☕ 会议"),
        ("Ship it 🚀 tomorrow 2pm", "Ship it 🚀"),
        ("<#C123|general> sync tomorrow 3pm", "#general sync"),
        ("Read <https://example.com/doc|the doc> tomorrow 3pm", "Read the doc"),
        ("Bad\x00chars\x07 tomorrow 3pm", "Bad chars"),
        ("tomorrow 3pm", ""),
        ("Lunch with the team tomorrow noon", "Lunch with the team"),
        ("Budget v2.3 review tomorrow 3pm", "Budget v2.3 review"),
        ("Q3 planning tomorrow 3pm", "Q3 planning"),
        ("Room 101 at 3pm tomorrow", "Room 101"),
        ("Top 10 list tomorrow 3pm", "Top 10 list"),
        ("Review PR #1234 tomorrow 3pm", "Review PR #1234"),
        ("March planning tomorrow 3pm", "March planning"),
        ("Q4 2026 planning tomorrow 3pm", "Q4 2026 planning"),
        ("Coffee with May tomorrow 10am", "Coffee with May"),
        ("Coffee with Jan tomorrow 3pm", "Coffee with Jan"),
        ("Monthly sun review tomorrow 3pm", None),
    ],
)
def test_topics(text: str, topic: str | None) -> None:
    result = parse(text)
    if topic is None:
        # A weekday word inside the topic becomes a second date: asked about, not guessed.
        assert result.problems
        return
    assert result.topic == topic
    assert local(result) is not None


def test_a_bare_number_range_is_left_in_the_topic() -> None:
    result = parse("Score 9-10 tomorrow 3pm")
    assert (result.topic, local(result), result.duration_minutes) == ("Score 9-10", "2026-11-27 15:00", None)


def test_from_to_with_bare_hours_is_a_range_to_confirm() -> None:
    result = parse("Offsite tomorrow from 9 to 5")
    assert (result.topic, local(result), result.duration_minutes) == ("Offsite", "2026-11-27 09:00", 480)
    assert result.ambiguities == ('"from 9 to 5" could be 9 AM or 9 PM',)


@pytest.mark.parametrize(
    ("text", "start", "minutes"),
    [
        ("Sync tomorrow 14-15", "2026-11-27 14:00", 60),
        ("Sync tomorrow 12-1", "2026-11-27 12:00", 60),
        ("Sync tomorrow 9-10", "2026-11-27 09:00", 60),
        ("Sync tomorrow, 9 to 10", "2026-11-27 09:00", 60),
        ("Sync tomorrow at 2 till 3", "2026-11-27 14:00", 60),
        ("Sync at 10-11 tomorrow", "2026-11-27 10:00", 60),
        ("Standup every monday 9-10", "2026-11-30 09:00", 60),
    ],
)
def test_bare_hours_after_a_day_or_at_are_a_range(text: str, start: str, minutes: int) -> None:
    # Once "tomorrow 14-15" was a meeting at 14:00 of the default length titled "Sync -15".
    result = parse(text)
    assert (result.topic, local(result), result.duration_minutes) == (text.split()[0], start, minutes)


@pytest.mark.parametrize(
    ("text", "start", "asked"),
    [
        ("Sync tomorrow at half past 3pm", "2026-11-27 15:30", False),
        ("Sync tomorrow half past 3", "2026-11-27 15:30", True),
        ("Sync tomorrow quarter past 10", "2026-11-27 10:15", False),
        ("Sync tomorrow at a quarter to 10", "2026-11-27 09:45", False),
        ("Sync tomorrow quarter to 1pm", "2026-11-27 12:45", False),
        ("Sync tomorrow ten to 9am", "2026-11-27 08:50", False),
        ("Sync tomorrow at 5 past 3", "2026-11-27 15:05", True),
        ("Sync tomorrow twenty-five past 4pm", "2026-11-27 16:25", False),
        ("Sync tomorrow 20 minutes to noon", "2026-11-27 11:40", False),
        ("Sync tomorrow quarter to midnight", "2026-11-27 23:45", False),
        ("Sync tomorrow half past 15", "2026-11-27 15:30", False),
    ],
)
def test_a_clock_said_in_words_is_read(text: str, start: str, asked: bool) -> None:
    # Once "at half past 3pm" was 15:00 with "at half past" in the topic, and "half past 3" no time.
    result = parse(text)
    assert (result.topic, local(result), result.problems) == ("Sync", start, ())
    assert bool(result.ambiguities) == asked


@pytest.mark.parametrize(
    ("text", "topic", "start"),
    [
        ("Walk past 3 shops tomorrow 9am", "Walk past 3 shops", "2026-11-27 09:00"),
        ("Team 2 after 5pm tomorrow", "Team 2 after", "2026-11-27 17:00"),
    ],
)
def test_past_and_after_with_no_clock_stay_in_the_topic(text: str, topic: str, start: str) -> None:
    result = parse(text)
    assert (result.topic, local(result)) == (topic, start)


def test_a_price_or_version_is_not_a_time() -> None:
    result = parse("Budget 2.50 tomorrow 3pm")
    assert (result.topic, local(result)) == ("Budget 2.50", "2026-11-27 15:00")


def test_many_conflicting_times_are_listed_briefly() -> None:
    result = parse("x tomorrow 1pm 2pm 3pm 4pm 5pm")
    assert result.problems == ('I read more than one time: "1pm", "2pm", "3pm", ...',)


def test_smart_quoted_text_keeps_the_exact_topic() -> None:
    assert parse('"  1:1  with  Ana " tomorrow 3pm').topic == "1:1 with Ana"


# -- invitees ------------------------------------------------------------------------------------


def test_slack_mentions_become_user_ids_and_leave_the_topic() -> None:
    result = parse("Sync with <@U01ABC|ana>, <@U02DEF> and <@W03GHI|li> tomorrow 3pm")
    assert result.mention_user_ids == ("U01ABC", "U02DEF", "W03GHI")
    assert result.topic == "Sync"


def test_sandbox_style_user_ids_are_mentions() -> None:
    result = parse("Sync with <@U_BOB|bob> tomorrow 3pm")
    assert (result.mention_user_ids, result.topic) == (("U_BOB",), "Sync")


def test_w_slash_introduces_invitees() -> None:
    result = parse("Sync 3pm tmrw w/ <@U1>")
    assert (result.topic, result.mention_user_ids) == ("Sync", ("U1",))


def test_emails_plain_and_slack_escaped() -> None:
    result = parse("Sync with ops@example.com, <mailto:Bob@Example.org|Bob@Example.org> tomorrow 3pm")
    assert result.emails == ("ops@example.com", "Bob@Example.org")
    assert result.topic == "Sync"


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        # As Slack sends `with Ana <ana@x.io>`: the brackets escaped, the address made a link.
        ("Sync with Ana &lt;<mailto:ana@x.io|ana@x.io>&gt; tomorrow 3pm", ("Ana <ana@x.io>",)),
        ('Sync tomorrow 3pm with "Ana Lima" &lt;<mailto:ana@x.io|ana@x.io>&gt;', ("Ana Lima <ana@x.io>",)),
        ("Sync tomorrow 3pm with \u201cLima, Ana\u201d &lt;ana@x.io&gt;", ('"Lima, Ana" <ana@x.io>',)),
        (
            "Sync with José Lima &lt;<mailto:jose@x.io|jose@x.io>&gt;, Li &lt;li@y.io&gt; and <@U1> "
            "tomorrow 3pm",
            ("José Lima <jose@x.io>", "Li <li@y.io>"),
        ),
        # No "with" before it: the brackets go with the address, the word stays in the topic.
        ("Sync Ana &lt;<mailto:ana@x.io|ana@x.io>&gt; tomorrow 3pm", ("ana@x.io",)),
    ],
)
def test_an_address_written_as_mail_clients_copy_it_is_the_invitee_with_their_name(
    text: str, emails: tuple[str, ...]
) -> None:
    result = parse(text)
    assert result.emails == emails and result.start is not None
    assert result.topic == ("Sync Ana" if text.startswith("Sync Ana") else "Sync")


def test_repeated_invitees_are_listed_once() -> None:
    result = parse("Sync <@U1> <@U1> a@b.co A@B.CO @ana @Ana tomorrow 3pm")
    assert result.mention_user_ids == ("U1",)
    assert result.emails == ("a@b.co",)
    assert result.unresolved_mentions == ("@ana",)


def test_plain_at_names_are_unresolved() -> None:
    result = parse("Design review tomorrow 3pm for 45m with @ana @li.wei")
    assert result.unresolved_mentions == ("@ana", "@li.wei")
    assert result.mention_user_ids == ()
    assert result.topic == "Design review"


def test_group_and_channel_mentions_are_unresolved() -> None:
    result = parse("All hands <!here> <!subteam^S123|@design> tomorrow 3pm")
    assert result.unresolved_mentions == ("@here", "@design")
    assert result.topic == "All hands"


def test_an_address_that_is_not_an_email_stays_in_the_topic() -> None:
    result = parse("Talk about foo@bar tomorrow 3pm")
    assert (result.emails, result.unresolved_mentions) == ((), ())
    assert result.topic == "Talk about foo@bar"


# -- time zones and daylight saving --------------------------------------------------------------


def test_times_are_read_in_the_users_zone_and_returned_in_utc() -> None:
    tokyo = parse("x tomorrow 9am", tz="Asia/Tokyo")  # it is already 22:00 on the 26th there
    assert tokyo.start == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert tokyo.start is not None and tokyo.start.tzinfo is UTC
    la = parse("x tomorrow 9am", tz="America/Los_Angeles")
    assert la.start == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)


def test_today_is_the_users_today() -> None:
    # 13:00 UTC is already Friday 02:00 in Kiritimati (UTC+14).
    result = parse("x today 10am", tz="Pacific/Kiritimati")
    assert local(result) == "2026-11-27 10:00"


@pytest.mark.parametrize("zone", ["", "Not/AZone", "../etc/passwd", "America", "x" * 200])
def test_an_unknown_zone_is_read_as_utc_and_said(zone: str) -> None:
    result = parse("x tomorrow 3pm", tz=zone)
    assert result.time_zone == "UTC"
    assert result.start == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert "I don't know your time zone, so I read times in UTC" in result.notes
    assert "I don't know your time zone, so I read times in UTC" in result.ambiguities


def test_an_unknown_zone_does_not_matter_for_relative_starts() -> None:
    result = parse("x in 2 hours", tz="")
    assert result.is_clear
    assert result.notes == ("I don't know your time zone, so I read times in UTC",)


def test_same_wall_clock_across_a_dst_change_moves_in_utc() -> None:
    before = parse("x 24 October 2027 10am", tz=PARIS)
    after = parse("x 31 October 2027 10am", tz=PARIS)
    assert before.start == datetime(2027, 10, 24, 8, 0, tzinfo=UTC)
    assert after.start == datetime(2027, 10, 31, 9, 0, tzinfo=UTC)
    ny_before = parse("x 3/13/2027 10am", tz="America/New_York")
    ny_after = parse("x 3/14/2027 10am", tz="America/New_York")
    assert ny_before.start == datetime(2027, 3, 13, 15, 0, tzinfo=UTC)
    assert ny_after.start == datetime(2027, 3, 14, 14, 0, tzinfo=UTC)


def test_a_skipped_hour_is_moved_forward_and_flagged() -> None:
    result = parse("x 3/14/2027 2:30am", tz="America/New_York")
    assert result.start == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    assert result.ambiguities == ("02:30 doesn't exist on Sun 14 Mar (clocks go forward); I read 03:30",)


def test_a_repeated_hour_takes_the_first_and_is_flagged() -> None:
    result = parse("x 31 October 2027 2:30am", tz=PARIS)
    assert result.start == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert result.ambiguities == ("02:30 happens twice on Sun 31 Oct (clocks go back); I read the first one",)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Sync tomorrow 3pm ET", "2026-11-27 20:00"),
        ("Sync tomorrow 3pm (PST)", "2026-11-27 23:00"),
        ("Sync tomorrow 15:00 UTC", "2026-11-27 15:00"),
        ("Sync tomorrow 15:00 UTC+2", "2026-11-27 13:00"),
        ("Sync tomorrow 15:00 GMT-05:30", "2026-11-27 20:30"),
        ("Sync 3 June 2027 3pm EST", "2027-06-03 19:00"),
    ],
)
def test_a_zone_named_after_the_time_wins(text: str, utc: str) -> None:
    result = parse(text)
    assert result.start is not None and result.start.strftime("%Y-%m-%d %H:%M") == utc
    assert result.topic == "Sync"
    assert result.is_clear
    assert len(result.notes) == 1 and result.notes[0].startswith('I read "')


def test_ist_is_read_as_india_and_flagged() -> None:
    result = parse("Sync tomorrow noon IST")
    assert result.start == datetime(2026, 11, 27, 6, 30, tzinfo=UTC)
    assert result.ambiguities == ('"noon IST": IST could be India, Ireland or Israel; I read India',)


def test_repeating_words_make_a_series_from_the_first_meeting() -> None:
    result = parse("Standup every monday 10am")
    assert (result.topic, local(result)) == ("Standup", "2026-11-30 10:00")
    assert result.recurrence == Recurrence(Frequency.WEEKLY, weekdays=frozenset({0}))
    assert result.is_clear


def test_a_naive_now_is_taken_as_utc() -> None:
    naive = parse("x tomorrow 3pm", now=NOW.replace(tzinfo=None))
    assert naive.start == parse("x tomorrow 3pm").start


def test_a_now_in_another_zone_is_the_same_instant() -> None:
    elsewhere = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    assert parse("x tomorrow 3pm", now=elsewhere).start == parse("x tomorrow 3pm").start


def test_relative_starts_round_up_to_the_minute() -> None:
    now = datetime(2026, 11, 26, 13, 0, 42, tzinfo=UTC)
    assert parse("x in 10 minutes", now=now).start == datetime(2026, 11, 26, 13, 11, tzinfo=UTC)
    assert parse("x now", now=now).start == datetime(2026, 11, 26, 13, 1, tzinfo=UTC)


def test_the_result_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse("x tomorrow 3pm").topic = "y"  # type: ignore[misc]


# -- no input crashes it -------------------------------------------------------------------------

ZONES = [
    PARIS, "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe",
    "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns", "UTC", "", "Nowhere/Land",
]  # fmt: skip
WORDS = [
    "tomorrow", "today", "tonight", "next", "this", "week", "friday", "fri", "mon", "at", "for", "in",
    "noon", "midnight", "morning", "3pm", "9", "09:30", "21h", "1h30", "45m", "half an hour", "12/03",
    "3/14/2027", "March 3rd", "the 3rd", "2:30am", "-", "to", "between", "and", "with", "<@U1|ana>",
    "<mailto:a@b.co|a@b.co>", "ops@example.com", "@ana", '"', "'", "\u201c", "now", "hours", "from",
    "2026-03-29", "o'clock", "&amp;", "<!here>", "0", "00:00", "12am", "24:00", "99", "1,5h",
    "ET", "UTC+14", "GMT-99", "IST", "every", "15.30", "(", ")", "<https://x.io|3pm>", "\ufdd1", "\x00",
]  # fmt: skip
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)


def _check_invariants(result: ScheduleParse, now: datetime) -> None:
    if result.start is not None:
        assert result.start.tzinfo is UTC
        assert result.start > now
    assert result.is_clear == (result.start is not None and not result.problems and not result.ambiguities)
    if result.duration_minutes is not None:
        assert 0 < result.duration_minutes <= 24 * 60
    assert all(isinstance(p, str) and p for p in result.problems + result.ambiguities)
    shown = [result.topic, *result.problems, *result.ambiguities, *result.emails, *result.unresolved_mentions]
    # Nothing the XML request or a Slack message cannot carry, and none of the reader's own markers.
    assert not any(
        ch < " " or "\ufdd0" <= ch <= "\ufdef" or "\ud800" <= ch <= "\udfff" for t in shown for ch in t
    )
    assert len(result.problems) + len(result.ambiguities) < 60


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), zone=st.sampled_from(ZONES), now=instants)
def test_any_text_never_crashes(text: str, zone: str, now: datetime) -> None:
    _check_invariants(parse(text, now=now, tz=zone), now)


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS) | st.text(max_size=5), max_size=12),
    zone=st.sampled_from(ZONES),
    now=instants,
)
def test_any_mix_of_date_words_never_crashes(words: list[str], zone: str, now: datetime) -> None:
    _check_invariants(parse(" ".join(words), now=now, tz=zone), now)


@settings(max_examples=100, deadline=None)
@given(zone=st.text(max_size=40), now=st.datetimes(timezones=st.just(UTC) | st.timezones()))
def test_any_zone_name_and_any_instant_never_crash(zone: str, now: datetime) -> None:
    _check_invariants(parse("x tomorrow 3pm for 1h", now=now, tz=zone), now)


def test_a_clear_start_is_in_the_future_for_every_hour_of_a_dst_day() -> None:
    for minutes in range(0, 24 * 60, 30):
        now = datetime(2027, 3, 14, 0, 0, tzinfo=UTC) + timedelta(minutes=minutes)
        for text in ("x 2:30am", "x in 90 minutes", "x tomorrow 9am", "x sunday 3pm"):
            _check_invariants(parse(text, now=now, tz="America/New_York"), now)
