"""A series made through one API is the same series through the other: XML repeat and REST RRULE."""

from __future__ import annotations

from bot.emulator import Emulator
from tests.unit.emulator.conftest import Xml
from tests.unit.emulator.rest.conftest import Rest, meeting_body
from tests.unit.emulator.test_repeat import WEEKDAYS, create_series


async def test_an_xml_series_is_an_rrule_to_rest_and_a_rest_rrule_a_repeat_to_xml(
    xml: Xml, rest: Rest, emulator: Emulator
) -> None:
    key = await create_series(
        xml,
        "<repeatType>DAILY</repeatType><interval>1</interval><afterMeetingNumber>10</afterMeetingNumber>"
        f"<dayInWeek>{WEEKDAYS}</dayInWeek>",
    )
    series = (await rest.get("/v1/meetings", params={"meetingNumber": key})).json()["items"][0]
    assert series["recurrence"] == "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;COUNT=10"
    body = meeting_body(title="Retro", zone="Europe/Berlin")
    body["start"], body["end"] = "2031-03-07T15:00:00+01:00", "2031-03-07T16:00:00+01:00"
    body["recurrence"] = "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;UNTIL=20310502T235959"
    created = (await rest.post("/v1/meetings", json=body)).json()
    got = await xml("GetMeeting", f"<meetingKey>{created['meetingNumber']}</meetingKey>")
    assert got.result == "SUCCESS", got.reason
    assert (got.text("repeatType"), got.text("interval"), got.texts("day")) == ("WEEKLY", "2", ["FRIDAY"])
    assert got.text("expirationDate") == "05/02/2031 23:59:59"
