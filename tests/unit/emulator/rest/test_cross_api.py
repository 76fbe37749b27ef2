"""One store behind both APIs: what the XML API makes the REST API sees, and the other way round."""

from __future__ import annotations

from bot.emulator import Emulator
from tests.unit.emulator.conftest import CreateMeeting, Xml
from tests.unit.emulator.rest.conftest import Rest, meeting_body


async def test_a_meeting_made_through_xml_is_read_through_rest(
    rest: Rest, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting(
        "Planning",
        start="03/05/2031 10:00:00",
        zone=11,
        duration=45,
        extra="<participants><attendees><attendee><person><name>Bob</name><email>bob@sandbox.example</email>"
        "</person></attendee></attendees></participants>",
    )
    found = (await rest.get("/v1/meetings", params={"meetingNumber": key})).json()["items"]
    assert len(found) == 1
    meeting = found[0]
    assert meeting["title"] == "Planning" and meeting["timezone"] == "America/New_York"
    assert (meeting["start"], meeting["end"]) == ("2031-03-05T15:00:00Z", "2031-03-05T15:45:00Z")
    assert meeting["hostEmail"] == "alice@sandbox.example"
    got = (await rest.get(f"/v1/meetings/{meeting['id']}", headers={"timezone": "America/New_York"})).json()
    assert got["start"] == "2031-03-05T10:00:00-05:00"
    invitees = (await rest.get("/v1/meetingInvitees", params={"meetingId": meeting["id"]})).json()["items"]
    assert [(i["email"], i["displayName"]) for i in invitees] == [("bob@sandbox.example", "Bob")]
    listed = (await rest.get("/v1/meetings")).json()["items"]
    assert [item["meetingNumber"] for item in listed] == [key]


async def test_a_meeting_made_through_rest_is_listed_through_xml(rest: Rest, xml: Xml) -> None:
    body = meeting_body(title="Tokyo sync", zone="Asia/Tokyo", invitees=[{"email": "bob@sandbox.example"}])
    body["start"], body["end"] = "2031-03-06T09:00:00+09:00", "2031-03-06T10:30:00+09:00"
    created = (await rest.post("/v1/meetings", json=body)).json()
    listed = await xml(
        "LstsummaryMeeting",
        "<listControl><startFrom>1</startFrom><maximumNum>10</maximumNum></listControl>",
    )
    assert listed.result == "SUCCESS", listed.reason
    assert listed.texts("meetingKey") == [created["meetingNumber"]]
    assert listed.texts("confName") == ["Tokyo sync"]
    assert listed.texts("timeZoneID") == ["49"]  # GMT+09:00, Tokyo
    assert listed.texts("startDate") == ["03/06/2031 09:00:00"]
    assert listed.texts("duration") == ["90"]
    got = await xml("GetMeeting", f"<meetingKey>{created['meetingNumber']}</meetingKey>")
    assert got.result == "SUCCESS", got.reason
    assert "bob@sandbox.example" in got.texts("email")


async def test_changes_and_deletes_cross_over(rest: Rest, xml: Xml, emulator: Emulator) -> None:
    created = await rest.create(title="Before")
    key = created["meetingNumber"]
    changed = await xml(
        "SetMeeting",
        "<metaData><confName>After</confName></metaData>"
        f"<schedule><timeZoneID>25</timeZoneID></schedule><meetingkey>{key}</meetingkey>",
    )
    assert changed.result == "SUCCESS", changed.reason
    seen = (await rest.get(f"/v1/meetings/{created['id']}")).json()
    assert seen["title"] == "After" and seen["timezone"] == "Europe/Berlin"
    assert seen["start"] == created["start"]  # a new zone alone keeps the instant
    assert (await rest.delete(f"/v1/meetings/{created['id']}")).status_code == 204
    gone = await xml("GetMeeting", f"<meetingKey>{key}</meetingKey>")
    assert gone.result == "FAILURE" and gone.exception_id == "060001"


async def test_a_zone_outside_the_webex_table_maps_by_offset_and_stays_for_rest(rest: Rest, xml: Xml) -> None:
    body = meeting_body(zone="America/Toronto")
    body["start"], body["end"] = "2031-03-06T09:00:00", "2031-03-06T09:30:00"
    created = (await rest.post("/v1/meetings", json=body)).json()
    assert created["timezone"] == "America/Toronto"
    listed = await xml("LstsummaryMeeting", f"<meetingKey>{created['meetingNumber']}</meetingKey>")
    assert listed.texts("timeZoneID") == ["11"] and listed.texts("startDate") == ["03/06/2031 09:00:00"]
