"""What the text settles when it cannot be scheduled as is, repeating words, and "next <weekday>"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.recurrence import Frequency, Recurrence
from bot.domain.schedule_text import ScheduleParse, parse_schedule_text

NEW_YORK = "America/New_York"
# Sunday 6 December 2026, 13:00 in New York.
SUNDAY = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)


def parse(text: str, *, now: datetime = SUNDAY, tz: str = NEW_YORK) -> ScheduleParse:
    return parse_schedule_text(text, now=now, user_tz=tz)


def at_local(day: date, hour: int, minute: int = 0, tz: str = NEW_YORK) -> datetime:
    """A wall-clock time in `tz` on `day`, as an aware UTC instant."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(tz)).astimezone(UTC)


def new_york_now(day: date, hour: int, minute: int = 0) -> datetime:
    return at_local(day, hour, minute)


# -- every settled field is reported, even when the start cannot be made ---------------------------


@pytest.mark.parametrize(
    ("text", "day", "clock", "duration"),
    [
        ("Offsite tomorrow 9am for 25h", date(2026, 12, 7), time(9), None),
        ("Offsite tomorrow 9am for 0 minutes", date(2026, 12, 7), time(9), None),
        ("Kickoff tomorrow", date(2026, 12, 7), None, None),
        ("Kickoff tomorrow for 45m", date(2026, 12, 7), None, 45),
        ("Kickoff 3pm 4pm tomorrow", date(2026, 12, 7), None, None),
        ("Sync 25 Dec 10:00 31 Dec", None, time(10), None),
        ("Sync 31 Feb 10am", None, time(10), None),
        ("Sync 2027-02-29 10am", None, time(10), None),
        ("Sync 30 February 2027 10am for 1h", None, time(10), 60),
        ("Sync today 9am", date(2026, 12, 6), time(9), None),  # the hour has passed
        ("Sync 2020-01-05 15:00", None, time(15), None),
        ("Sync tomorrow 25:00", date(2026, 12, 7), None, None),
        ("Sync tomorrow 24:00", date(2026, 12, 7), None, None),
        ("Design review", None, None, None),
    ],
)
def test_what_the_text_settled_is_reported_though_it_cannot_be_scheduled(
    text: str, day: date | None, clock: time | None, duration: int | None
) -> None:
    result = parse(text)
    assert result.start is None or result.problems
    assert result.problems, "each of these needs the person's eye"
    assert (result.day, result.clock, result.duration_minutes) == (day, clock, duration)


def test_a_length_given_but_refused_is_told_apart_from_none_given() -> None:
    assert parse("Offsite tomorrow 9am for 25h").duration_given
    assert not parse("Offsite tomorrow 9am").duration_given
    assert parse("Offsite tomorrow 9am for 2h").duration_given


def test_no_warning_names_a_day_the_fields_do_not_show() -> None:
    result = parse("Kickoff tomorrow")
    assert result.problems == ("I couldn't read a time for Mon 7 Dec",)
    assert result.day == date(2026, 12, 7)
    past = parse("Sync today 9am")
    assert past.problems == ("That time is in the past (Sun 6 Dec 09:00)",)
    assert (past.day, past.clock) == (date(2026, 12, 6), time(9))


def test_an_unreadable_date_does_not_fall_back_to_today() -> None:
    result = parse("Sync 31 Feb 10am")
    assert result.problems == ('I couldn\'t read "31 Feb" as a date',)
    assert result.day is None


def test_24_00_says_how_to_write_it() -> None:
    result = parse("Sync tomorrow 24:00")
    assert result.problems == ('"24:00" is the end of the day; write 00:00 and the next day',)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("Sync tomorrow 12am", at_local(date(2026, 12, 7), 0)),
        ("Sync tomorrow 12pm", at_local(date(2026, 12, 7), 12)),
        ("Sync tomorrow 12:30am", at_local(date(2026, 12, 7), 0, 30)),
        ("Sync tomorrow 00:00", at_local(date(2026, 12, 7), 0)),
        ("Sync tomorrow 23:59", at_local(date(2026, 12, 7), 23, 59)),
        ("Sync today 12pm", None),  # already 13:00
        ("Sync today 11pm", at_local(date(2026, 12, 6), 23)),
    ],
)
def test_twelve_oclock_and_the_ends_of_the_day(text: str, start: datetime | None) -> None:
    assert parse(text).start == start


@pytest.mark.parametrize(
    "text", ["Deploy tonight at midnight", "Deploy tonight 12am", "Deploy today at midnight"]
)
def test_midnight_tonight_is_the_end_of_today_not_its_past_start(text: str) -> None:
    result = parse(text)
    assert result.start == at_local(date(2026, 12, 7), 0)
    assert result.is_clear, (result.problems, result.ambiguities)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        # A night runs past its midnight: 12 and 1 to 4 o'clock said of it are early the next day.
        ("Launch party tonight at 12", at_local(date(2026, 12, 7), 0)),
        ("Launch party tonight 12:30", at_local(date(2026, 12, 7), 0, 30)),
        ("Launch party tonight at 1", at_local(date(2026, 12, 7), 1)),
        ("Launch party tonight at 1:30", at_local(date(2026, 12, 7), 1, 30)),
        ("Launch party tomorrow night at 12", at_local(date(2026, 12, 8), 0)),
        ("Launch party friday night at 2", at_local(date(2026, 12, 12), 2)),
        # The rest of the night's hours, and times that say their half of the day, stay that night.
        ("Launch party tonight at 5", at_local(date(2026, 12, 6), 17)),
        ("Launch party tonight at 11:30", at_local(date(2026, 12, 6), 23, 30)),
        ("Launch party tomorrow night at 12pm", at_local(date(2026, 12, 7), 12)),
        # Without a night said, 12 is noon.
        ("Lunch tomorrow at 12", at_local(date(2026, 12, 7), 12)),
    ],
)
def test_small_hours_said_of_a_night_are_after_its_midnight(text: str, start: datetime) -> None:
    result = parse(text)
    assert result.start == start
    assert result.is_clear, (result.problems, result.ambiguities)


@pytest.mark.parametrize(
    ("said_at", "text", "start"),
    [
        # Past midnight the person is still in the night that began yesterday: its small hours are today.
        (time(0, 30), "Deploy tonight at 1", at_local(date(2026, 12, 7), 1)),
        (time(0, 30), "Deploy tonight at 3:30", at_local(date(2026, 12, 7), 3, 30)),
        # Once they have passed, the next night's.
        (time(2, 30), "Deploy tonight at 1", at_local(date(2026, 12, 8), 1)),
        # The evening ahead stays today's.
        (time(0, 30), "Deploy tonight at 11pm", at_local(date(2026, 12, 7), 23)),
    ],
)
def test_tonight_said_past_midnight_means_the_night_the_person_is_in(
    said_at: time, text: str, start: datetime
) -> None:
    result = parse(text, now=new_york_now(date(2026, 12, 7), said_at.hour, said_at.minute))
    assert result.start == start
    assert result.is_clear, (result.problems, result.ambiguities)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        # Said on a Sunday afternoon: today's start has passed, so the meeting is a week on.
        ("Backup sunday midnight", date(2026, 12, 13)),
        # A series starts at its first midnight to come.
        ("Backup daily midnight", date(2026, 12, 7)),
        ("Backup tuesday midnight", date(2026, 12, 8)),
    ],
)
def test_midnight_on_a_named_day_says_the_day_the_meeting_is_on(text: str, day: date) -> None:
    result = parse(text)
    assert result.start == at_local(day, 0)
    said = f"{day:%a} {day.day} {day:%b}"
    assert f'"midnight" on {said}: I read the start of that day' in result.ambiguities


def test_a_clear_start_reports_the_day_and_time_it_is_at() -> None:
    result = parse("Sync in 2 hours")
    assert result.is_clear
    assert (result.day, result.clock) == (date(2026, 12, 6), time(15, 0))


def test_a_skipped_hour_reports_the_time_the_warning_names() -> None:
    result = parse("x 3/14/2027 2:30am")
    assert result.ambiguities == ("02:30 doesn't exist on Sun 14 Mar (clocks go forward); I read 03:30",)
    assert result.clock == time(3, 30)


def test_the_year_boundary() -> None:
    new_years_eve = new_york_now(date(2026, 12, 31), 20)
    assert parse("x tomorrow 9am", now=new_years_eve).start == at_local(date(2027, 1, 1), 9)
    assert parse("x next monday 9am", now=new_years_eve).start == at_local(date(2027, 1, 4), 9)
    assert parse("x every weekday 9am", now=new_years_eve).start == at_local(date(2027, 1, 1), 9)
    assert parse("x 1 jan 9am", now=new_years_eve).start == at_local(date(2027, 1, 1), 9)


# -- repeating words: the first occurrence follows the rule ----------------------------------------


@pytest.mark.parametrize(
    ("text", "said", "first"),
    [
        ("Standup every weekday 9am", "every weekday", date(2026, 12, 7)),
        ("Standup every weekday at 9", "every weekday", date(2026, 12, 7)),
        ("Standup every workday 9am", "every workday", date(2026, 12, 7)),
        ("Standup weekdays 9am", "weekdays", date(2026, 12, 7)),
        ("Standup on weekdays at 9am", "on weekdays", date(2026, 12, 7)),
        ("Standup Mon-Fri 9am", "Mon-Fri", date(2026, 12, 7)),
        ("Standup monday to friday 9am", "monday to friday", date(2026, 12, 7)),
        ("Standup every day 9am", "every day", date(2026, 12, 7)),  # 09:00 today has passed
        ("Standup every day 3pm", "every day", date(2026, 12, 6)),
        ("Standup daily 3pm", "daily", date(2026, 12, 6)),
        ("Standup every wednesday 9am", "every wednesday", date(2026, 12, 9)),
        ("Standup every other wednesday 9am", "every other wednesday", date(2026, 12, 9)),
        ("Standup wednesdays at 9am", "wednesdays", date(2026, 12, 9)),
        ("Standup weekly on friday 9am", "weekly on friday", date(2026, 12, 11)),
        ("Standup every tuesday and thursday 9am", "every tuesday and thursday", date(2026, 12, 8)),
        ("Standup every sunday 3pm", "every sunday", date(2026, 12, 6)),
        ("Standup every sunday 9am", "every sunday", date(2026, 12, 13)),
    ],
)
def test_the_first_occurrence_follows_the_rule(text: str, said: str, first: date) -> None:
    result = parse(text)
    assert result.topic == "Standup"
    assert result.start is not None and result.start.astimezone(ZoneInfo(NEW_YORK)).date() == first
    assert result.day == first
    assert result.recurrence is not None and not result.problems
    # The series meets on the first meeting's day.
    if result.recurrence.weekdays:
        assert first.weekday() in result.recurrence.weekdays


@pytest.mark.parametrize("typed_on", range(7))
def test_every_weekday_on_any_day_of_the_week(typed_on: int) -> None:
    now = new_york_now(date(2026, 12, 7) + timedelta(days=typed_on), 12)  # Monday 7 Dec + n, noon
    result = parse("Standup every weekday 9am", now=now)
    assert result.start is not None
    local = result.start.astimezone(ZoneInfo(NEW_YORK))
    assert local.weekday() < 5 and local.time() == time(9)
    assert timedelta(0) < result.start - now <= timedelta(days=3)


def test_a_rule_without_a_time_still_gives_its_first_day() -> None:
    result = parse("Standup every weekday")
    assert result.day == date(2026, 12, 7) and result.clock is None
    assert result.problems == ("I couldn't read a time for Mon 7 Dec",)


def test_names_that_look_like_rules_are_topics() -> None:
    assert parse("Daily standup tomorrow 9am").topic == "Daily standup"
    assert parse("Weekly sync monday 10am").topic == "Weekly sync"
    assert parse("Weekly sync monday 10am").is_clear


def test_a_monthly_rule_takes_its_day_from_the_date() -> None:
    result = parse("Sync monthly on the 10th 10am")
    assert result.day == date(2026, 12, 10)
    assert result.recurrence == Recurrence(Frequency.MONTHLY)
    assert result.recurrence.describe(result.day) == "monthly on day 10"
    assert result.is_clear


# -- "next <weekday>": the day of next week (weeks run Monday to Sunday), asked when in doubt ---------

MONDAY_7_DEC = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("typed_on", "text", "day", "other"),
    [
        # Monday: next week starts in 7 days; a Friday still to come this week makes "next friday" unsure.
        (0, "next monday", date(2026, 12, 14), None),
        (0, "next friday", date(2026, 12, 18), date(2026, 12, 11)),
        (0, "next sunday", date(2026, 12, 20), date(2026, 12, 13)),
        # Thursday.
        (3, "next monday", date(2026, 12, 14), None),
        (3, "next thursday", date(2026, 12, 17), None),
        (3, "next friday", date(2026, 12, 18), date(2026, 12, 11)),
        # Saturday.
        (5, "next friday", date(2026, 12, 18), None),
        (5, "next sunday", date(2026, 12, 20), date(2026, 12, 13)),
        # Sunday: next week starts tomorrow, but many people's week starts today: always asked.
        (6, "next monday", date(2026, 12, 14), date(2026, 12, 21)),
        (6, "next friday", date(2026, 12, 18), date(2026, 12, 25)),
        (6, "next sunday", date(2026, 12, 20), date(2026, 12, 27)),
        (6, "friday next week", date(2026, 12, 18), date(2026, 12, 25)),
        # The other ways to say it follow the same rule, without asking (except on a Sunday).
        (0, "friday next week", date(2026, 12, 18), None),
        (3, "next week friday", date(2026, 12, 18), None),
        (3, "next week on friday", date(2026, 12, 18), None),
    ],
)
def test_next_weekday_is_that_day_of_next_week(
    typed_on: int, text: str, day: date, other: date | None
) -> None:
    now = new_york_now(MONDAY_7_DEC + timedelta(days=typed_on), 8)
    result = parse(f"Retro {text} 10am", now=now)
    assert result.day == day
    questions = [a for a in result.ambiguities if a.startswith(f'"{text}" could be')]
    if other is None:
        assert questions == [] and result.is_clear
    else:
        assert len(questions) == 1
        assert f"{other:%a} {other.day} {other:%b}" in questions[0]
        assert f"{day:%a} {day.day} {day:%b}" in questions[0]


@pytest.mark.parametrize("typed_on", range(7))
@pytest.mark.parametrize("weekday", range(7))
def test_next_weekday_is_always_in_the_following_calendar_week(typed_on: int, weekday: int) -> None:
    today = MONDAY_7_DEC + timedelta(days=typed_on)
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    result = parse(f"Retro next {names[weekday]} 10am", now=new_york_now(today, 8))
    assert result.day is not None and result.day.weekday() == weekday
    next_monday = today + timedelta(days=7 - today.weekday())
    assert next_monday <= result.day < next_monday + timedelta(days=7)


def test_this_and_a_bare_weekday_mean_the_nearest() -> None:
    thursday = new_york_now(MONDAY_7_DEC + timedelta(days=3), 8)
    assert parse("Retro this friday 10am", now=thursday).day == date(2026, 12, 11)
    assert parse("Retro friday 10am", now=thursday).day == date(2026, 12, 11)
    assert parse("Retro coming monday 10am", now=thursday).day == date(2026, 12, 14)


# -- 29 February once this year's has passed: the next one is in a leap year, never a crash ----------


@pytest.mark.parametrize(
    ("text", "tz"),
    [
        ("Review Feb 29 10am", "Europe/Paris"),
        ("Review 29/2 10am", "Europe/Paris"),
        ("Review 29.2. 10am", "Europe/Berlin"),
        ("Review 2/29 10am", NEW_YORK),
    ],
)
def test_a_passed_leap_day_is_read_as_the_next_leap_day_and_said(text: str, tz: str) -> None:
    after_the_leap_day = datetime(2028, 3, 5, 12, tzinfo=UTC)

    parsed = parse(text, now=after_the_leap_day, tz=tz)

    assert parsed.start == at_local(date(2032, 2, 29), 10, tz=tz)
    assert parsed.problems == ()
    # Four years on is not what anyone expects unasked: it waits for the person to confirm.
    assert parsed.ambiguities == ("29 February has passed this year; I read 29 February 2032",)


def test_a_leap_day_still_ahead_this_year_is_this_years() -> None:
    before_the_leap_day = datetime(2028, 2, 20, 12, tzinfo=UTC)

    parsed = parse("Review Feb 29 10am", now=before_the_leap_day, tz="Europe/Paris")

    assert parsed.start == at_local(date(2028, 2, 29), 10, tz="Europe/Paris")
    assert parsed.is_clear
