"""The XML API's repeat element: stored as the series' rule, listed as occurrences, shared with REST."""

from __future__ import annotations

from bot.emulator import Emulator
from tests.unit.emulator.conftest import Xml

WEEKDAYS = "".join(f"<day>{day}</day>" for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"))


async def create_series(
    xml: Xml, repeat: str, *, start: str = "03/03/2031 09:00:00", zone: int = 11, topic: str = "Standup"
) -> str:
    answer = await xml(
        "CreateMeeting",
        f"<metaData><confName>{topic}</confName></metaData>"
        f"<schedule><startDate>{start}</startDate><timeZoneID>{zone}</timeZoneID><duration>15</duration>"
        f"</schedule><repeat>{repeat}</repeat>",
    )
    assert answer.result == "SUCCESS", answer.reason
    return answer.text("meetingkey")


async def listed(xml: Xml, start: str, end: str, zone: int = 11) -> list[tuple[str, str]]:
    answer = await xml(
        "LstsummaryMeeting",
        "<listControl><startFrom>1</startFrom><maximumNum>100</maximumNum></listControl>"
        f"<order><orderBy>STARTTIME</orderBy><orderAD>ASC</orderAD></order>"
        f"<dateScope><startDateStart>{start}</startDateStart><startDateEnd>{end}</startDateEnd>"
        f"<timeZoneID>{zone}</timeZoneID></dateScope>",
    )
    assert answer.result == "SUCCESS", answer.reason
    return list(zip(answer.texts("meetingKey"), answer.texts("startDate"), strict=True))


async def test_every_weekday_until_a_date_is_one_series_listed_as_its_meetings(xml: Xml) -> None:
    key = await create_series(
        xml,
        f"<repeatType>WEEKLY</repeatType><interval>1</interval><dayInWeek>{WEEKDAYS}</dayInWeek>"
        "<expirationDate>03/12/2031 23:59:59</expirationDate>",
    )
    rows = await listed(xml, "03/01/2031 00:00:00", "03/31/2031 00:00:00")
    assert rows == [
        (key, f"03/{day:02d}/2031 09:00:00") for day in (3, 4, 5, 6, 7, 10, 11, 12)
    ]  # Monday 3 to Wednesday 12 March, weekend left out


async def test_get_meeting_gives_the_repeat_back_in_schema_order(xml: Xml) -> None:
    key = await create_series(
        xml,
        "<repeatType>WEEKLY</repeatType><interval>2</interval><afterMeetingNumber>6</afterMeetingNumber>"
        "<dayInWeek><day>MONDAY</day><day>THURSDAY</day></dayInWeek>",
    )
    got = await xml("GetMeeting", f"<meetingKey>{key}</meetingKey>")
    assert got.result == "SUCCESS", got.reason
    assert got.text("repeatType") == "WEEKLY"
    assert (got.text("interval"), got.text("afterMeetingNumber")) == ("2", "6")
    assert got.texts("day") == ["MONDAY", "THURSDAY"]
    rows = await listed(xml, "01/01/2031 00:00:00", "12/31/2031 00:00:00")
    assert [start[:10] for _, start in rows] == [
        "03/03/2031", "03/06/2031", "03/17/2031", "03/20/2031", "03/31/2031", "04/03/2031",
    ]  # fmt: skip


async def test_monthly_on_the_first_and_last_weekday(xml: Xml) -> None:
    first = await create_series(
        xml,
        "<repeatType>MONTHLY</repeatType><interval>1</interval><afterMeetingNumber>3</afterMeetingNumber>"
        "<dayInWeek><day>MONDAY</day></dayInWeek><weekInMonth>1</weekInMonth>",
        start="03/03/2031 10:00:00",
        topic="Planning",
    )
    last = await create_series(
        xml,
        "<repeatType>MONTHLY</repeatType><interval>1</interval><afterMeetingNumber>2</afterMeetingNumber>"
        "<dayInWeek><day>FRIDAY</day></dayInWeek><weekInMonth>5</weekInMonth>",
        start="03/28/2031 16:00:00",
        topic="Review",
    )
    rows = await listed(xml, "01/01/2031 00:00:00", "12/31/2031 00:00:00")
    assert [(k == first, start) for k, start in rows if k == first] == [
        (True, "03/03/2031 10:00:00"), (True, "04/07/2031 10:00:00"), (True, "05/05/2031 10:00:00"),
    ]  # fmt: skip
    assert [start for k, start in rows if k == last] == ["03/28/2031 16:00:00", "04/25/2031 16:00:00"]
    got = await xml("GetMeeting", f"<meetingKey>{last}</meetingKey>")
    assert (got.text("weekInMonth"), got.texts("day")) == ("5", ["FRIDAY"])


async def test_a_series_stays_at_nine_local_across_daylight_saving_changes(xml: Xml) -> None:
    # New York moves its clocks on 9 March and 2 November 2031; the series keeps 09:00 local, so its
    # UTC start moves by an hour each time.
    key = await create_series(
        xml,
        "<repeatType>WEEKLY</repeatType><interval>1</interval><dayInWeek><day>MONDAY</day></dayInWeek>"
        "<expirationDate>11/10/2031 23:59:59</expirationDate>",
        start="03/03/2031 09:00:00",
    )
    local = await listed(xml, "03/01/2031 00:00:00", "03/12/2031 00:00:00")
    assert local == [(key, "03/03/2031 09:00:00"), (key, "03/10/2031 09:00:00")]
    in_gmt = await listed(xml, "03/01/2031 00:00:00", "03/12/2031 00:00:00", zone=20)
    assert [start for _, start in in_gmt] == ["03/03/2031 09:00:00", "03/10/2031 09:00:00"]
    rows = await xml(
        "LstsummaryMeeting",
        "<listControl><startFrom>1</startFrom><maximumNum>2</maximumNum></listControl>"
        "<dateScope><startDateStart>10/27/2031 00:00:00</startDateStart>"
        "<startDateEnd>11/04/2031 00:00:00</startDateEnd><timeZoneID>20</timeZoneID></dateScope>",
    )
    # Rows are shown in the meeting's own zone: 09:00 both weeks, though one is 13:00 UTC and one 14:00.
    assert rows.texts("startDate") == ["10/27/2031 09:00:00", "11/03/2031 09:00:00"]


async def test_set_meeting_changes_the_rule_and_no_repeat_ends_the_series(xml: Xml) -> None:
    key = await create_series(xml, "<repeatType>DAILY</repeatType><interval>1</interval>")
    changed = await xml(
        "SetMeeting",
        "<repeat><repeatType>WEEKLY</repeatType><afterMeetingNumber>2</afterMeetingNumber>"
        f"<dayInWeek><day>TUESDAY</day></dayInWeek></repeat><meetingkey>{key}</meetingkey>",
    )
    assert changed.result == "SUCCESS", changed.reason
    rows = await listed(xml, "01/01/2031 00:00:00", "12/31/2031 00:00:00")
    assert [start for _, start in rows] == ["03/04/2031 09:00:00", "03/11/2031 09:00:00"]
    single = await xml(
        "SetMeeting",
        f"<repeat><repeatType>NO_REPEAT</repeatType></repeat><meetingkey>{key}</meetingkey>",
    )
    assert single.result == "SUCCESS", single.reason
    assert [start for _, start in await listed(xml, "01/01/2031 00:00:00", "12/31/2031 00:00:00")] == [
        "03/03/2031 09:00:00"
    ]


async def test_deleting_a_series_deletes_every_meeting_of_it(xml: Xml, emulator: Emulator) -> None:
    key = await create_series(xml, "<repeatType>DAILY</repeatType><interval>1</interval>")
    deleted = await xml("DelMeeting", f"<meetingKey>{key}</meetingKey>")
    assert deleted.result == "SUCCESS", deleted.reason
    answer = await xml(
        "LstsummaryMeeting", "<listControl><startFrom>1</startFrom><maximumNum>10</maximumNum></listControl>"
    )
    assert answer.result == "FAILURE" and answer.exception_id == "000015"  # no records
    assert emulator.meetings() == []


async def test_a_rule_webex_would_refuse_is_refused_and_nothing_is_stored(
    xml: Xml, emulator: Emulator
) -> None:
    for repeat in (
        "<repeatType>WEEKLY</repeatType><afterMeetingNumber>900</afterMeetingNumber>",
        "<repeatType>DAILY</repeatType><expirationDate>01/01/2030 00:00:00</expirationDate>",
        "<repeatType>MONTHLY</repeatType><dayInWeek><day>MONDAY</day></dayInWeek><weekInMonth>7</weekInMonth>",
        "<repeatType>DAILY</repeatType><expirationDate>soon</expirationDate>",
    ):
        answer = await xml(
            "CreateMeeting",
            "<metaData><confName>Bad</confName></metaData>"
            "<schedule><startDate>03/03/2031 09:00:00</startDate><timeZoneID>11</timeZoneID></schedule>"
            f"<repeat>{repeat}</repeat>",
        )
        assert answer.result == "FAILURE", repeat
        assert answer.reason
    assert emulator.meetings() == []
