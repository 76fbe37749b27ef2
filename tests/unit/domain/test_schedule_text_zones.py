"""Time zones named in `/webex schedule` text: read as the zone, shown, or asked about; never the topic."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.schedule_text import ScheduleParse, parse_schedule_text
from bot.domain.timezones import zone_info

# Thursday 26 November 2026, 08:00 in New York (13:00 UTC, 14:00 in Paris).
NOW = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
NEW_YORK = "America/New_York"
BUENOS_AIRES = "America/Argentina/Buenos_Aires"
TODAY, TOMORROW = date(2026, 11, 26), date(2026, 11, 27)


def parse(text: str, *, now: datetime = NOW, tz: str = NEW_YORK) -> ScheduleParse:
    return parse_schedule_text(text, now=now, user_tz=tz)


def utc(result: ScheduleParse) -> str | None:
    return None if result.start is None else result.start.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "zone", "start_utc"),
    [
        # IANA names, in any case, before or after the time.
        ("Review 25 Dec 10:00 Europe/Berlin", "Europe/Berlin", "2026-12-25 09:00"),
        ("Review 25 Dec 10:00 europe/berlin", "Europe/Berlin", "2026-12-25 09:00"),
        ("Review 25 Dec 10:00 EUROPE/BERLIN", "Europe/Berlin", "2026-12-25 09:00"),
        ("Review Europe/Berlin 25 Dec 10:00", "Europe/Berlin", "2026-12-25 09:00"),
        ("Review tomorrow 15:00 America/Sao_Paulo", "America/Sao_Paulo", "2026-11-27 18:00"),
        ("Review tomorrow 15:00 america/sao_paulo", "America/Sao_Paulo", "2026-11-27 18:00"),
        (
            "Review tomorrow 9am America/Argentina/Buenos_Aires",
            "America/Argentina/Buenos_Aires",
            "2026-11-27 12:00",
        ),
        ("Review tomorrow 9am US/Pacific", "US/Pacific", "2026-11-27 17:00"),
        ("Review tomorrow 9am Etc/GMT+2", "UTC-02:00", "2026-11-27 11:00"),
        # Abbreviations, as the region observes daylight saving.
        ("Review tomorrow 3pm ET", NEW_YORK, "2026-11-27 20:00"),
        ("Review tomorrow 3pm pst", "America/Los_Angeles", "2026-11-27 23:00"),
        ("Review tomorrow 3pm (CET)", "Europe/Paris", "2026-11-27 14:00"),
        ("Review 1 July 2027 3pm CET", "Europe/Paris", "2027-07-01 13:00"),
        ("Review tomorrow 10:00 JST", "Asia/Tokyo", "2026-11-27 01:00"),
        ("Review tomorrow 10:00 AEDT", "Australia/Sydney", "2026-11-26 23:00"),
        ("Review tomorrow 10:00 UTC", "UTC", "2026-11-27 10:00"),
        ("Review tomorrow 10:00 GMT", "UTC", "2026-11-27 10:00"),
        # Offsets from UTC.
        ("Review tomorrow 10:00 UTC+2", "UTC+02:00", "2026-11-27 08:00"),
        ("Review tomorrow 10:00 utc+2", "UTC+02:00", "2026-11-27 08:00"),
        ("Review tomorrow 10:00 UTC +2", "UTC+02:00", "2026-11-27 08:00"),
        ("Review tomorrow 10:00 GMT-3", "UTC-03:00", "2026-11-27 13:00"),
        ("Review tomorrow 10:00 UTC\u22123", "UTC-03:00", "2026-11-27 13:00"),
        ("Review tomorrow 10:00 +05:30", "UTC+05:30", "2026-11-27 04:30"),
        ("Review tomorrow 10:00 +0530", "UTC+05:30", "2026-11-27 04:30"),
        ("Review tomorrow 10:00 -03:00", "UTC-03:00", "2026-11-27 13:00"),
        ("Review tomorrow 10:00 GMT+5:45", "UTC+05:45", "2026-11-27 04:15"),
        ("Review tomorrow 10:00 UTC+0", "UTC", "2026-11-27 10:00"),
        # Cities, with or without "time", in any case and with or without accents.
        ("Review tomorrow 10:00 Berlin time", "Europe/Berlin", "2026-11-27 09:00"),
        ("Review tomorrow 3pm London", "Europe/London", "2026-11-27 15:00"),
        ("Review tomorrow 3pm london", "Europe/London", "2026-11-27 15:00"),
        ("Review tomorrow 3pm in London", "Europe/London", "2026-11-27 15:00"),
        ("Review tomorrow 3pm (London time)", "Europe/London", "2026-11-27 15:00"),
        ("Review tomorrow 3pm New York time", NEW_YORK, "2026-11-27 20:00"),
        ("Review tomorrow 3pm São Paulo", "America/Sao_Paulo", "2026-11-27 18:00"),
        ("Review tomorrow 3pm sao paulo time", "America/Sao_Paulo", "2026-11-27 18:00"),
        ("Review tomorrow 3pm San Francisco", "America/Los_Angeles", "2026-11-27 23:00"),
        ("Review tomorrow 3pm Bangalore", "Asia/Kolkata", "2026-11-27 09:30"),
        ("Review tomorrow 9am pacific time", "America/Los_Angeles", "2026-11-27 17:00"),
        ("Review tomorrow 9am Central European time", "Europe/Paris", "2026-11-27 08:00"),
        ("Review tomorrow 10am Kathmandu", "Asia/Kathmandu", "2026-11-27 04:15"),
        ("Review, Berlin time, tomorrow 10:00", "Europe/Berlin", "2026-11-27 09:00"),
        ("Review tomorrow 10:00-11:30 CET", "Europe/Paris", "2026-11-27 09:00"),
        ("Review tomorrow 3pm CET/CEST", "Europe/Paris", "2026-11-27 14:00"),
        ("Review tomorrow 9am PST/PDT", "America/Los_Angeles", "2026-11-27 17:00"),
        ("Review tomorrow 15:00Z", "UTC", "2026-11-27 15:00"),
        ("Review tomorrow 15:00z", "UTC", "2026-11-27 15:00"),
        ("Review tomorrow 3 pm EST.", NEW_YORK, "2026-11-27 20:00"),
        ("REVIEW TOMORROW 3PM LONDON", "Europe/London", "2026-11-27 15:00"),
        ("Review tomorrow at 10 in Berlin", "Europe/Berlin", "2026-11-27 09:00"),
        ("Review tomorrow 15h CET", "Europe/Paris", "2026-11-27 14:00"),
        ("Review tomorrow UTC 15:00", "UTC", "2026-11-27 15:00"),
        ("Review tomorrow CET 10:00", "Europe/Paris", "2026-11-27 09:00"),
    ],
)
def test_a_named_zone_is_the_zone_of_the_time(text: str, zone: str, start_utc: str) -> None:
    result = parse(text)
    assert (result.topic.lower(), result.time_zone, utc(result)) == ("review", zone, start_utc)
    assert result.zone_said
    assert not result.problems


def test_the_card_note_says_how_the_zone_was_read_and_when_that_is_for_the_user() -> None:
    result = parse("Review 25 Dec 10:00 Europe/Berlin")
    assert result.is_clear
    assert result.notes == (
        'I read "Europe/Berlin" as Berlin time: Fri 25 Dec 04:00 in your time zone (America/New_York)',
    )
    assert (result.day, result.clock) == (datetime(2026, 12, 25).date(), time(10, 0))
    city = parse("Review tomorrow 3pm London")
    assert city.notes == (
        'I read "3pm London" as London time (Europe/London): Fri 27 Nov 10:00 in your time zone '
        "(America/New_York)",
    )


def test_the_users_own_zone_named_needs_no_note() -> None:
    result = parse("Review tomorrow 3pm ET")
    assert result.is_clear and result.notes == () and result.time_zone == NEW_YORK


@pytest.mark.parametrize(
    "text",
    [
        "Review tomorrow 10:00 Gotham time",
        "Review tomorrow 10:00 Europe/Berln",
        "Review tomorrow 10:00 Europa/Berlin",
        "Review tomorrow 10:00 Americas/New_York",
        "Review tomorrow 3pm XST",
        "Review tomorrow 10:00 UTC+15",
        "Review tomorrow 10:00 GMT+02:75",
        "Review tomorrow 10:00 (Atlantis timezone)",
    ],
)
def test_a_zone_that_cannot_be_read_is_asked_and_kept_out_of_the_topic(text: str) -> None:
    result = parse(text)
    assert result.topic == "Review"
    assert any("as a time zone" in problem for problem in result.problems), result.problems
    assert result.start is None or not result.is_clear
    # The rest of what was read still stands, in the user's own zone, for the form.
    assert (result.day, result.clock, result.time_zone) == (
        datetime(2026, 11, 27).date(),
        result.clock,
        NEW_YORK,
    )
    assert result.clock is not None


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Asia/Pacific sync tomorrow 3pm", "Asia/Pacific sync"),
        ("Go/no-go tomorrow 3pm", "Go/no-go"),
        ("Review tomorrow 3pm design/dev", "Review design/dev"),
        ("Berlin offsite planning tomorrow 3pm", "Berlin offsite planning"),
        ("Team time tomorrow 3pm", "Team time"),
        ("Art class tomorrow 3pm", "Art class"),
        ("Review tomorrow 3pm art class", "Review art class"),
        ("Review tomorrow 3pm Christmas party", "Review Christmas party"),
        ("Meeting tomorrow 3pm in the office", "Meeting in the office"),
        ("PI planning ART 3pm tomorrow", "PI planning ART"),
        ("Sync et 3pm tomorrow", "Sync et"),
    ],
)
def test_words_that_only_look_like_zones_stay_in_the_topic(text: str, topic: str) -> None:
    result = parse(text)
    assert (result.topic, result.time_zone, result.is_clear) == (topic, NEW_YORK, True)


def test_a_city_that_is_also_a_name_is_read_as_the_zone_but_asked() -> None:
    result = parse("1:1 tomorrow 3pm Sydney")
    assert (result.topic, result.time_zone, utc(result)) == ("1:1", "Australia/Sydney", "2026-11-27 04:00")
    assert result.ambiguities == (
        '"3pm Sydney": I read "Sydney" as the time zone (Sydney time); '
        "if it is part of the topic, put the topic in quotes",
    )
    explicit = parse("1:1 tomorrow 3pm Sydney time")
    assert explicit.is_clear and explicit.time_zone == "Australia/Sydney"


@pytest.mark.parametrize(
    ("text", "topic", "zone"),
    [
        ("Sync tomorrow 3pm Pacific", "Sync", "America/Los_Angeles"),
        ("Picnic tomorrow 3pm Central Park", "Picnic Park", "America/Chicago"),
        ("Coffee tomorrow 3pm Austin", "Coffee", "America/Chicago"),
    ],
)
def test_bare_places_that_are_also_words_or_names_are_asked(text: str, topic: str, zone: str) -> None:
    result = parse(text)
    assert (result.topic, result.time_zone) == (topic, zone)
    assert len(result.ambiguities) == 1 and "put the topic in quotes" in result.ambiguities[0]
    quoted = parse(f'"{text.split(" tomorrow")[0]} at{text.split("3pm")[1]}" tomorrow 3pm')
    assert quoted.is_clear and quoted.time_zone == NEW_YORK


def test_a_place_with_more_words_wins_over_a_shorter_one() -> None:
    result = parse("Sync tomorrow 3pm Mountain View office")
    assert (result.topic, result.time_zone) == ("Sync office", "America/Los_Angeles")
    assert result.ambiguities == ()


def test_two_different_zones_are_a_problem() -> None:
    result = parse("Review tomorrow 10am ET Europe/Berlin")
    assert result.problems == ('I read more than one time zone: "Europe/Berlin", "10am ET"',)
    assert result.time_zone == NEW_YORK
    pair = parse("Review tomorrow 9am PST/CET")
    assert pair.topic == "Review" and pair.problems[0].startswith("I read more than one time zone")


def test_ambiguous_abbreviations_are_read_and_asked() -> None:
    result = parse("Sync tomorrow noon IST")
    assert (result.time_zone, utc(result)) == ("Asia/Kolkata", "2026-11-27 06:30")
    assert result.ambiguities == ('"noon IST": IST could be India, Ireland or Israel; I read India',)


def test_days_are_the_users_days_and_the_time_is_read_in_the_named_zone() -> None:
    # 13:00 UTC is already 22:00 in Tokyo; "today 10am Tokyo" is the user's today, 10:00 Tokyo: past.
    result = parse("Sync today 10am Tokyo")
    assert result.start is None and result.problems == ("That time is in the past (Thu 26 Nov 10:00)",)
    assert (result.day, result.clock, result.time_zone) == (
        datetime(2026, 11, 26).date(),
        time(10),
        "Asia/Tokyo",
    )
    later = parse("Sync today 3pm Los Angeles")
    assert utc(later) == "2026-11-26 23:00"


@pytest.mark.parametrize(
    ("text", "start_utc", "asked"),
    [
        # Berlin moves its clocks on 28 March 2027 (02:00 -> 03:00) and 31 October 2027 (03:00 -> 02:00).
        ("x 27 March 2027 10:00 Europe/Berlin", "2027-03-27 09:00", ""),
        ("x 29 March 2027 10:00 Europe/Berlin", "2027-03-29 08:00", ""),
        ("x 28 March 2027 02:30 Europe/Berlin", "2027-03-28 01:30", "doesn't exist"),
        ("x 31 October 2027 02:30 Berlin time", "2027-10-31 00:30", "happens twice"),
        # A fixed offset has no daylight saving.
        ("x 29 March 2027 10:00 UTC+1", "2027-03-29 09:00", ""),
    ],
)
def test_daylight_saving_in_the_named_zone(text: str, start_utc: str, asked: str) -> None:
    result = parse(text)
    assert utc(result) == start_utc
    assert all(asked in a for a in result.ambiguities) and bool(result.ambiguities) == bool(asked)


def test_a_named_zone_without_a_time_is_still_settled_for_the_form() -> None:
    result = parse("Kickoff tomorrow Europe/Berlin")
    assert result.problems == ("I couldn't read a time for Fri 27 Nov",)
    assert (result.day, result.clock, result.time_zone) == (
        datetime(2026, 11, 27).date(),
        None,
        "Europe/Berlin",
    )


def test_a_named_zone_across_the_year_boundary() -> None:
    # 31 December 2026, 23:00 in New York is already 1 January in Berlin.
    now = datetime(2027, 1, 1, 4, 0, tzinfo=UTC)
    result = parse("Sync tomorrow 9am Europe/Berlin", now=now)
    assert utc(result) == "2027-01-01 08:00"
    assert result.day == datetime(2027, 1, 1).date()


# -- no mix of zone and repeating words breaks what the form relies on ------------------------------

ZONE_WORDS = [
    "Europe/Berlin", "europe/berln", "Europa/Paris", "berlin", "Berlin time", "time", "timezone", "UTC+2",
    "+05:30", "-0300", "GMT-99", "CET/CEST", "PST/CET", "in", "(", ")", "Z", "Sydney", "São Paulo", "ET",
    "IST", "every", "weekday", "weekdays", "mondays", "Mon-Fri", "daily", "weekly", "on", "next", "friday",
    "sunday", "week", "tomorrow", "today", "3pm", "10:00", "15:00Z", "9", "at", "for", "25h", "12am",
    "24:00", "31 Feb", "25 Dec", "2027-03-28", "02:30", "/", "-", "<@U1|ana>", "\ufdd5", "\ufdd6",
]  # fmt: skip
ZONES = [NEW_YORK, "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Kiritimati", "UTC", ""]
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2080, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(st.sampled_from(ZONE_WORDS) | st.text(max_size=4), max_size=10),
    zone=st.sampled_from(ZONES),
    now=instants,
)
def test_the_fields_always_agree_with_the_start(words: list[str], zone: str, now: datetime) -> None:
    result = parse(" ".join(words), now=now, tz=zone)
    tz = zone_info(result.time_zone)
    assert tz is not None, result.time_zone
    if result.start is not None:
        assert result.start > now and result.start.tzinfo is UTC
        local = result.start.astimezone(tz)
        assert (result.day, result.clock) == (local.date(), local.time().replace(second=0))
    shown = [result.topic, result.zone_said, *result.problems, *result.ambiguities, *result.notes]
    assert not any(ch < " " or "\ufdd0" <= ch <= "\ufdef" for text in shown for ch in text)
