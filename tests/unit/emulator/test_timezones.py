"""Dates in each meeting's Webex time zone, with real offsets across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.emulator import Emulator
from tests.unit.emulator.conftest import CreateMeeting, Xml

CHICAGO, NEW_YORK, PACIFIC, SYDNEY = 7, 11, 4, 55


async def test_the_same_local_hour_either_side_of_the_spring_change(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    # US daylight saving time starts on Sunday 14 March 2027.
    before = await create_meeting(start="03/13/2027 10:00:00", zone=CHICAGO)
    after = await create_meeting(start="03/15/2027 10:00:00", zone=CHICAGO)
    stored_before, stored_after = emulator.meeting(before), emulator.meeting(after)
    assert stored_before is not None and stored_after is not None
    assert stored_before.start == datetime(2027, 3, 13, 16, 0, tzinfo=UTC)  # CST, UTC-6
    assert stored_after.start == datetime(2027, 3, 15, 15, 0, tzinfo=UTC)  # CDT, UTC-5
    for key in (before, after):
        answer = await xml("GetMeeting", f"<meetingKey>{key}</meetingKey>")
        assert answer.text("startDate").endswith(" 10:00:00")
        assert answer.text("timeZone") == "GMT-06:00, Central (Chicago)"


async def test_date_scope_in_another_zone_finds_the_instant(xml: Xml, create_meeting: CreateMeeting) -> None:
    await create_meeting(topic="Before", start="03/13/2027 10:00:00", zone=CHICAGO)
    await create_meeting(topic="After", start="03/15/2027 10:00:00", zone=CHICAGO)
    # 15:00 UTC on the 15th is 15:00 in London (GMT until 28 March).
    scope = (
        "<dateScope><startDateStart>03/15/2027 15:00:00</startDateStart>"
        "<startDateEnd>03/15/2027 15:00:00</startDateEnd><timeZoneID>21</timeZoneID></dateScope>"
    )
    page = await xml("LstsummaryMeeting", scope)
    assert page.texts("confName") == ["After"]
    assert page.text("startDate") == "03/15/2027 10:00:00"


async def test_autumn_change_and_moving_a_meeting_to_another_zone(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    # US daylight saving time ends on Sunday 7 November 2027.
    key = await create_meeting(start="11/08/2027 09:00:00", zone=NEW_YORK)
    stored = emulator.meeting(key)
    assert stored is not None and stored.start == datetime(2027, 11, 8, 14, 0, tzinfo=UTC)
    moved = await xml(
        "SetMeeting", f"<schedule><timeZoneID>{PACIFIC}</timeZoneID></schedule><meetingkey>{key}</meetingkey>"
    )
    assert moved.result == "SUCCESS"
    answer = await xml("GetMeeting", f"<meetingKey>{key}</meetingKey>")
    assert (answer.text("startDate"), answer.text("timeZoneID")) == ("11/08/2027 06:00:00", str(PACIFIC))
    stored = emulator.meeting(key)
    assert stored is not None and stored.start == datetime(2027, 11, 8, 14, 0, tzinfo=UTC)


async def test_southern_hemisphere_change(emulator: Emulator, create_meeting: CreateMeeting) -> None:
    # Sydney leaves daylight saving time on Sunday 4 April 2027.
    before = emulator.meeting(await create_meeting(start="04/03/2027 10:00:00", zone=SYDNEY))
    after = emulator.meeting(await create_meeting(start="04/05/2027 10:00:00", zone=SYDNEY))
    assert before is not None and after is not None
    assert before.start == datetime(2027, 4, 2, 23, 0, tzinfo=UTC)  # AEDT, UTC+11
    assert after.start == datetime(2027, 4, 5, 0, 0, tzinfo=UTC)  # AEST, UTC+10


async def test_time_zone_by_name(emulator: Emulator, xml: Xml) -> None:
    body = (
        "<metaData><confName>By name</confName></metaData>"
        "<schedule><startDate>01/05/2031 09:00:00</startDate>"
        "<timeZone>GMT+09:00, Tokyo (Tokyo)</timeZone></schedule>"
    )
    assert (await xml("CreateMeeting", body)).result == "SUCCESS"
    (meeting,) = emulator.meetings()
    assert meeting.time_zone_id == 49 and meeting.start == datetime(2031, 1, 5, 0, 0, tzinfo=UTC)


async def test_users_time_zone_with_daylight_saving(emulator: Emulator, xml: Xml) -> None:
    shown = []
    for instant in (datetime(2031, 7, 1, 12, 0, tzinfo=UTC), datetime(2031, 1, 1, 12, 0, tzinfo=UTC)):
        emulator.clock.set(instant)
        token = str(emulator.issue_tokens("sandbox", "alice@sandbox.example")["access_token"])
        answer = await xml("GetUser", "<webExId>bob@sandbox.example</webExId>", token=token)
        shown.append((answer.text("timeZone"), answer.text("timeZoneWithDST")))
    assert shown == [
        ("GMT+01:00, Europe (Berlin)", "Berlin (CEST, GMT+02:00)"),
        ("GMT+01:00, Europe (Berlin)", "Berlin (CET, GMT+01:00)"),
    ]
