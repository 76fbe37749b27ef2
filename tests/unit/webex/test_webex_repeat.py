"""The repeat element: what CreateMeeting and SetMeeting send for a series (schema-valid), read back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from bot.domain.recurrence import LAST_WEEK, WEEKDAYS, Frequency, Recurrence
from bot.webex.client import WebexClient
from bot.webex.values import MeetingChanges, MeetingDraft
from tests.unit.webex.webex_fakes import CREDS, ScriptedWebex, body_content, success

Check = Callable[[etree._Element], None]

# Monday 2 March 2026, 14:00 UTC: 09:00 in New York (Webex zone 11).
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
CREATED = success("<meet:meetingkey>987654321</meet:meetingkey>")


def repeat_of(message: etree._Element) -> list[tuple[str, str]]:
    repeat = body_content(message).find("repeat")
    assert repeat is not None
    return [
        (str(item.tag), " ".join(day.text or "" for day in item) if len(item) else item.text or "")
        for item in repeat
    ]


@pytest.mark.parametrize(
    ("recurrence", "expected"),
    [
        (
            Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, until=date(2026, 3, 31)),
            [
                ("repeatType", "WEEKLY"), ("interval", "1"),
                ("dayInWeek", "MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY"),
                ("expirationDate", "03/31/2026 23:59:59"),
            ],
        ),
        (
            Recurrence(Frequency.WEEKLY, interval=2, count=10),
            [
                ("repeatType", "WEEKLY"), ("interval", "2"), ("afterMeetingNumber", "10"),
                ("dayInWeek", "MONDAY"),
            ],
        ),
        (Recurrence(Frequency.DAILY), [("repeatType", "DAILY"), ("interval", "1")]),
        (
            Recurrence(Frequency.MONTHLY, weekdays=frozenset({0}), month_week=1),
            [("repeatType", "MONTHLY"), ("interval", "1"), ("dayInWeek", "MONDAY"), ("weekInMonth", "1")],
        ),
        (
            Recurrence(Frequency.MONTHLY, weekdays=frozenset({4}), month_week=LAST_WEEK, count=6),
            [
                ("repeatType", "MONTHLY"), ("interval", "1"), ("afterMeetingNumber", "6"),
                ("dayInWeek", "FRIDAY"), ("weekInMonth", "5"),
            ],
        ),
        (
            Recurrence(Frequency.MONTHLY, interval=3),
            [("repeatType", "MONTHLY"), ("interval", "3"), ("dayInMonth", "2")],
        ),
    ],
)  # fmt: skip
async def test_create_meeting_sends_the_series_rule(
    webex: ScriptedWebex,
    client: WebexClient,
    assert_valid: Check,
    recurrence: Recurrence,
    expected: list[tuple[str, str]],
) -> None:
    webex.reply(CREATED)
    await client.create_meeting(
        CREDS, MeetingDraft(topic="Standup", start=START, time_zone_id=11, recurrence=recurrence)
    )
    assert_valid(webex.last)
    assert repeat_of(webex.last) == expected


async def test_a_single_meeting_sends_no_repeat(webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(CREATED)
    await client.create_meeting(CREDS, MeetingDraft(topic="1:1", start=START, time_zone_id=11))
    assert body_content(webex.last).find("repeat") is None


async def test_the_first_day_is_the_meetings_own_local_day(webex: ScriptedWebex, client: WebexClient) -> None:
    # 02:00 UTC on Tuesday is still Monday 21:00 in New York: the series meets on Mondays.
    webex.reply(CREATED)
    start = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    draft = MeetingDraft(topic="Late", start=start, time_zone_id=11, recurrence=Recurrence(Frequency.WEEKLY))
    await client.create_meeting(CREDS, draft)
    assert ("dayInWeek", "MONDAY") in repeat_of(webex.last)


GOT_SERIES = success(
    "<meet:metaData><meet:confName>Standup</meet:confName></meet:metaData>"
    "<meet:schedule><meet:startDate>03/02/2026 09:00:00</meet:startDate><meet:timeZoneID>11</meet:timeZoneID>"
    "<meet:duration>15</meet:duration></meet:schedule>"
    "<meet:repeat><meet:repeatType>WEEKLY</meet:repeatType><meet:interval>1</meet:interval>"
    "<meet:dayInWeek><meet:day>MONDAY</meet:day><meet:day>THURSDAY</meet:day></meet:dayInWeek>"
    "<meet:expirationDate>03/31/2026 23:59:59</meet:expirationDate></meet:repeat>"
    "<meet:meetingkey>987654321</meet:meetingkey>"
)


async def test_set_meeting_with_a_new_rule_reads_the_first_day_and_sends_it(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(GOT_SERIES, success(""))
    await client.set_meeting(
        CREDS, "987654321", MeetingChanges(recurrence=Recurrence(Frequency.WEEKLY, count=4))
    )
    assert_valid(webex.last)
    assert repeat_of(webex.last) == [
        ("repeatType", "WEEKLY"), ("interval", "1"), ("afterMeetingNumber", "4"), ("dayInWeek", "MONDAY"),
    ]  # fmt: skip


async def test_get_meeting_reads_the_series(webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(GOT_SERIES)
    meeting = await client.get_meeting(CREDS, "987654321")
    assert meeting.recurrence == Recurrence(
        Frequency.WEEKLY, weekdays=frozenset({0, 3}), until=date(2026, 3, 31)
    )


@pytest.mark.parametrize(
    ("repeat", "expected"),
    [
        ("<meet:repeatType>NO_REPEAT</meet:repeatType>", None),
        ("<meet:repeatType>YEARLY</meet:repeatType>", None),  # not a rule the bot shows: one meeting
        (
            "<meet:repeatType>DAILY</meet:repeatType><meet:dayInWeek><meet:day>MONDAY</meet:day>"
            "<meet:day>FRIDAY</meet:day></meet:dayInWeek>",
            Recurrence(Frequency.WEEKLY, weekdays=frozenset({0, 4})),
        ),
        (
            "<meet:repeatType>MONTHLY</meet:repeatType><meet:interval>2</meet:interval>"
            "<meet:dayInWeek><meet:day>FRIDAY</meet:day></meet:dayInWeek><meet:weekInMonth>5</meet:weekInMonth>",
            Recurrence(Frequency.MONTHLY, interval=2, weekdays=frozenset({4}), month_week=LAST_WEEK),
        ),
        (
            "<meet:repeatType>MONTHLY</meet:repeatType><meet:dayInMonth>15</meet:dayInMonth>"
            "<meet:afterMeetingNumber>12</meet:afterMeetingNumber>",
            Recurrence(Frequency.MONTHLY, month_day=15, count=12),
        ),
        ("<meet:repeatType>WEEKLY</meet:repeatType><meet:interval>500</meet:interval>", None),
    ],
)
async def test_get_meeting_reads_each_kind_of_repeat(
    webex: ScriptedWebex, client: WebexClient, repeat: str, expected: Recurrence | None
) -> None:
    webex.reply(
        success(
            "<meet:metaData><meet:confName>x</meet:confName></meet:metaData>"
            "<meet:schedule><meet:startDate>03/02/2026 09:00:00</meet:startDate>"
            "<meet:timeZoneID>11</meet:timeZoneID><meet:duration>15</meet:duration></meet:schedule>"
            f"<meet:repeat>{repeat}</meet:repeat><meet:meetingkey>1</meet:meetingkey>"
        )
    )
    assert (await client.get_meeting(CREDS, "1")).recurrence == expected
