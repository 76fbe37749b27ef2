"""The XML API operations: what each stores and answers, and the FAILUREs a client can meet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.emulator import (
    INVALID_ACCESS_TOKEN_EXCEPTION_ID,
    INVALID_REQUEST_EXCEPTION_ID,
    Attendee,
    Emulator,
)
from tests.support.emulator import ALICE, BOB
from tests.unit.emulator.conftest import CreateMeeting, Xml

MINIMAL_MEETING = (
    "<metaData><confName>x</confName></metaData>"
    "<schedule><startDate>01/02/2031 09:00:00</startDate></schedule>"
)


async def test_create_meeting_stores_it_with_attendees(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting(
        topic="Planning",
        start="03/10/2031 10:00:00",
        zone=11,
        duration=45,
        extra="<participants><attendees>"
        "<attendee><person><name>Bob Baker</name><email>bob@sandbox.example</email></person></attendee>"
        "<attendee><person><email>carol@example.com</email></person></attendee>"
        "</attendees></participants>",
    )
    assert 9 <= len(key) <= 11 and key.isdigit()
    stored = emulator.meeting(key)
    assert stored is not None
    assert stored.conf_name == "Planning" and stored.host_webex_id == ALICE
    assert stored.start == datetime(2031, 3, 10, 14, 0, tzinfo=UTC)  # New York is on daylight time
    assert stored.duration_minutes == 45 and stored.time_zone_id == 11
    assert stored.attendees == (
        Attendee("bob@sandbox.example", "Bob Baker"),
        Attendee("carol@example.com", ""),
    )
    answer = await xml("GetMeeting", f"<meetingKey>{key}</meetingKey>")
    assert answer.result == "SUCCESS"
    assert answer.text("confName") == "Planning"
    assert answer.text("startDate") == "03/10/2031 10:00:00"
    assert answer.text("timeZoneID") == "11"
    assert answer.text("timeZone") == "GMT-05:00, Eastern (New York)"
    assert answer.text("duration") == "45"
    assert answer.texts("email") == ["bob@sandbox.example", "carol@example.com"]
    assert answer.text("hostWebExID") == ALICE
    assert answer.text("meetingkey") == key


async def test_create_meeting_answer(xml: Xml) -> None:
    answer = await xml(
        "CreateMeeting",
        "<metaData><confName>Demo</confName></metaData>"
        "<schedule><startDate>1/2/2031 9:5:0</startDate></schedule>",
    )
    assert answer.result == "SUCCESS"
    assert answer.text("host").startswith("https://sandbox.webex.com/sandbox/j.php?MTID=")
    assert len(answer.text("guestToken")) == 32


async def test_create_meeting_defaults_to_the_hosts_zone(
    emulator: Emulator, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting(zone=None, start="07/01/2031 09:00:00")
    stored = emulator.meeting(key)
    assert stored is not None and stored.time_zone_id == 11  # alice lives in New York
    assert stored.start == datetime(2031, 7, 1, 13, 0, tzinfo=UTC)
    assert stored.duration_minutes == 30


async def test_create_meeting_needs_a_topic(xml: Xml) -> None:
    answer = await xml("CreateMeeting", "<schedule><startDate>01/02/2031 09:00:00</startDate></schedule>")
    assert (answer.result, answer.exception_id) == ("FAILURE", INVALID_REQUEST_EXCEPTION_ID)
    assert "confName" in answer.reason


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ("<startDate>31/31/2031 09:00:00</startDate>", "startDate"),
        ("<startDate>01/02/2031 09:00:00</startDate><timeZoneID>99</timeZoneID>", "timeZoneID 99"),
        ("<startDate>01/02/2031 09:00:00</startDate><duration>0</duration>", "duration"),
    ],
)
async def test_create_meeting_rejects_bad_schedules(xml: Xml, schedule: str, words: str) -> None:
    answer = await xml(
        "CreateMeeting", f"<metaData><confName>x</confName></metaData><schedule>{schedule}</schedule>"
    )
    assert answer.exception_id == INVALID_REQUEST_EXCEPTION_ID and words in answer.reason


async def test_create_meeting_on_a_site_that_requires_passwords(emulator: Emulator, xml: Xml) -> None:
    emulator.add_site("strictpw", require_meeting_password=True)
    emulator.add_user("strictpw", "dana@strictpw.example")
    token = emulator.issue_tokens("strictpw", "dana@strictpw.example", client_id="sandbox-client")[
        "access_token"
    ]
    body = MINIMAL_MEETING
    answer = await xml("CreateMeeting", body, token=token, site="strictpw", webex_id="dana@strictpw.example")
    assert (answer.exception_id, answer.reason) == ("060026", "Meeting password must not be null")
    with_password = "<accessControl><meetingPassword>pa55word</meetingPassword></accessControl>" + body
    answer = await xml(
        "CreateMeeting", with_password, token=token, site="strictpw", webex_id="dana@strictpw.example"
    )
    assert answer.result == "SUCCESS"


async def test_set_meeting_changes_only_what_it_names(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting(topic="Old", start="03/10/2031 10:00:00", duration=30)
    answer = await xml(
        "SetMeeting", f"<metaData><confName>New</confName></metaData><meetingkey>{key}</meetingkey>"
    )
    assert answer.result == "SUCCESS" and answer.text("host")
    stored = emulator.meeting(key)
    assert stored is not None
    assert (stored.conf_name, stored.duration_minutes) == ("New", 30)
    assert stored.start == datetime(2031, 3, 10, 14, 0, tzinfo=UTC)


async def test_set_meeting_moves_the_start_in_the_meetings_zone(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting(start="03/10/2031 10:00:00", zone=25)
    body = (
        "<schedule><startDate>03/11/2031 16:30:00</startDate><duration>90</duration></schedule>"
        f"<meetingkey>{key}</meetingkey>"
    )
    assert (await xml("SetMeeting", body)).result == "SUCCESS"
    stored = emulator.meeting(key)
    assert stored is not None
    assert stored.start == datetime(2031, 3, 11, 15, 30, tzinfo=UTC)
    assert (stored.duration_minutes, stored.time_zone_id) == (90, 25)


async def test_set_meeting_replaces_attendees(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting()
    body = (
        "<participants><attendees><attendee><person><email>zed@example.com</email></person></attendee>"
        f"</attendees></participants><meetingkey>{key}</meetingkey>"
    )
    assert (await xml("SetMeeting", body)).result == "SUCCESS"
    stored = emulator.meeting(key)
    assert stored is not None and stored.attendees == (Attendee("zed@example.com"),)


async def test_set_meeting_accepts_meeting_key_with_capital_k_when_lenient(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting()
    emulator.strict = False
    answer = await xml(
        "SetMeeting", f"<meetingKey>{key}</meetingKey><metaData><confName>Later</confName></metaData>"
    )
    assert answer.result == "SUCCESS"
    stored = emulator.meeting(key)
    assert stored is not None and stored.conf_name == "Later"


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("GetMeeting", "<meetingKey>{key}</meetingKey>"),
        ("DelMeeting", "<meetingKey>{key}</meetingKey>"),
        ("SetMeeting", "<metaData><confName>x</confName></metaData><meetingkey>{key}</meetingkey>"),
        ("GetjoinurlMeeting", "<sessionKey>{key}</sessionKey>"),
        ("GethosturlMeeting", "<sessionKey>{key}</sessionKey>"),
    ],
)
async def test_unknown_meeting_key(xml: Xml, operation: str, body: str) -> None:
    answer = await xml(operation, body.format(key=123456789))
    assert (answer.result, answer.exception_id, answer.reason) == (
        "FAILURE",
        "060001",
        "Corresponding Meeting not found",
    )


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("GetMeeting", "<meetingKey>{key}</meetingKey>"),
        ("DelMeeting", "<meetingKey>{key}</meetingKey>"),
        ("SetMeeting", "<metaData><confName>x</confName></metaData><meetingkey>{key}</meetingkey>"),
        ("GethosturlMeeting", "<sessionKey>{key}</sessionKey>"),
    ],
)
async def test_another_hosts_meeting_is_access_denied(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting, bob_token: str, operation: str, body: str
) -> None:
    key = await create_meeting()
    answer = await xml(operation, body.format(key=key), token=bob_token, webex_id=BOB)
    assert (answer.exception_id, answer.reason) == (
        "000001",
        "Access denied, additional privileges are required",
    )
    assert emulator.meeting(key) is not None


async def test_anyone_on_the_site_may_get_a_join_url(
    xml: Xml, create_meeting: CreateMeeting, bob_token: str
) -> None:
    key = await create_meeting()
    answer = await xml(
        "GetjoinurlMeeting",
        f"<sessionKey>{key}</sessionKey><attendeeName>Bob Baker</attendeeName>"
        f"<attendeeEmail>{BOB}</attendeeEmail>",
        token=bob_token,
        webex_id=BOB,
    )
    assert answer.result == "SUCCESS"
    join = answer.text("joinMeetingURL")
    assert join.startswith(f"https://sandbox.webex.com/sandbox/e.php?AT=SI&MK={key}")
    assert "AN=Bob+Baker" in join and "AE=bob%40sandbox.example" in join
    assert answer.text("inviteMeetingURL").startswith("https://sandbox.webex.com/sandbox/j.php?MTID=m")


async def test_host_url(xml: Xml, create_meeting: CreateMeeting) -> None:
    key = await create_meeting()
    answer = await xml("GethosturlMeeting", f"<sessionKey>{key}</sessionKey>")
    url = answer.text("hostMeetingURL")
    assert url.startswith("https://sandbox.webex.com/sandbox/p.php?AT=LI&TK=") and f"MK%3D{key}" in url


async def test_site_admin_may_manage_other_hosts_meetings(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting()
    emulator.add_user("sandbox", "admin@sandbox.example", site_admin=True)
    token = emulator.issue_tokens("sandbox", "admin@sandbox.example")["access_token"]
    answer = await xml(
        "DelMeeting", f"<meetingKey>{key}</meetingKey>", token=token, webex_id="admin@sandbox.example"
    )
    assert answer.result == "SUCCESS"


async def test_del_meeting_answers_cancellation_links_then_forgets(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting()
    answer = await xml("DelMeeting", f"<meetingKey>{key}</meetingKey>")
    assert answer.result == "SUCCESS"
    assert f"ED={key}" in answer.text("host") and answer.text("host").endswith("ICS=CMC")
    assert answer.text("attendee").endswith("ICS=MC")
    assert emulator.meeting(key) is None
    assert (await xml("DelMeeting", f"<meetingKey>{key}</meetingKey>")).exception_id == "060001"


async def test_list_is_empty_as_failure_000015(xml: Xml) -> None:
    answer = await xml(
        "LstsummaryMeeting", "<listControl><startFrom>1</startFrom><maximumNum>10</maximumNum></listControl>"
    )
    assert (answer.result, answer.exception_id, answer.reason) == (
        "FAILURE",
        "000015",
        "Sorry, no record found",
    )


async def test_list_pages(xml: Xml, create_meeting: CreateMeeting) -> None:
    keys = [await create_meeting(topic=f"M{day}", start=f"04/{day:02d}/2031 09:00:00") for day in range(1, 6)]
    page = await xml(
        "LstsummaryMeeting", "<listControl><startFrom>3</startFrom><maximumNum>2</maximumNum></listControl>"
    )
    assert page.texts("meetingKey") == keys[2:4]
    assert (page.text("total"), page.text("returned"), page.text("startFrom")) == ("5", "2", "3")
    last = await xml(
        "LstsummaryMeeting", "<listControl><startFrom>5</startFrom><maximumNum>2</maximumNum></listControl>"
    )
    assert last.texts("meetingKey") == keys[4:] and last.text("returned") == "1"
    beyond = await xml(
        "LstsummaryMeeting", "<listControl><startFrom>6</startFrom><maximumNum>2</maximumNum></listControl>"
    )
    assert beyond.exception_id == "000015"


async def test_list_defaults_to_ten_by_start_time(xml: Xml, create_meeting: CreateMeeting) -> None:
    keys = [await create_meeting(start=f"05/{day:02d}/2031 09:00:00") for day in range(12, 0, -1)]
    page = await xml("LstsummaryMeeting")
    assert page.texts("meetingKey") == list(reversed(keys))[:10]
    assert page.text("total") == "12"


async def test_list_order(xml: Xml, create_meeting: CreateMeeting) -> None:
    for topic, day in (("beta", 1), ("alpha", 2), ("gamma", 3)):
        await create_meeting(topic=topic, start=f"04/{day:02d}/2031 09:00:00")
    page = await xml("LstsummaryMeeting", "<order><orderBy>CONFNAME</orderBy><orderAD>DESC</orderAD></order>")
    assert page.texts("confName") == ["gamma", "beta", "alpha"]
    page = await xml(
        "LstsummaryMeeting", "<order><orderBy>STARTTIME</orderBy><orderAD>DESC</orderAD></order>"
    )
    assert page.texts("confName") == ["gamma", "alpha", "beta"]


async def test_list_date_scope(xml: Xml, create_meeting: CreateMeeting) -> None:
    for day in (1, 2, 3, 4):
        await create_meeting(topic=f"D{day}", start=f"04/{day:02d}/2031 09:00:00", zone=11)
    scope = (
        "<dateScope><startDateStart>04/02/2031 00:00:00</startDateStart>"
        "<startDateEnd>04/03/2031 23:59:59</startDateEnd><timeZoneID>11</timeZoneID></dateScope>"
    )
    assert (await xml("LstsummaryMeeting", scope)).texts("confName") == ["D2", "D3"]
    # Without a timeZoneID the scope is in GMT: D3 starts at 13:00 GMT, after a window ending 12:59:59.
    gmt = scope.replace("<timeZoneID>11</timeZoneID>", "").replace(
        "04/03/2031 23:59:59", "04/03/2031 12:59:59"
    )
    assert (await xml("LstsummaryMeeting", gmt)).texts("confName") == ["D2"]


async def test_list_rows_are_in_each_meetings_own_zone(xml: Xml, create_meeting: CreateMeeting) -> None:
    await create_meeting(topic="Tokyo", start="04/01/2031 09:00:00", zone=49)
    page = await xml("LstsummaryMeeting")
    assert page.text("startDate") == "04/01/2031 09:00:00"
    assert (page.text("timeZoneID"), page.text("timeZone")) == ("49", "GMT+09:00, Tokyo (Tokyo)")


async def test_list_shows_invitations_but_not_other_hosts_meetings(
    xml: Xml, create_meeting: CreateMeeting, bob_token: str
) -> None:
    await create_meeting(topic="Alice only")
    await create_meeting(
        topic="With Bob",
        extra="<participants><attendees><attendee><person><email>bob@sandbox.example</email></person>"
        "</attendee></attendees></participants>",
    )
    page = await xml("LstsummaryMeeting", token=bob_token, webex_id=BOB)
    assert page.texts("confName") == ["With Bob"]
    denied = await xml(
        "LstsummaryMeeting", f"<hostWebExID>{ALICE}</hostWebExID>", token=bob_token, webex_id=BOB
    )
    assert denied.exception_id == "000001"


async def test_get_user(xml: Xml) -> None:
    answer = await xml("GetUser", f"<webExId>{BOB}</webExId>")
    assert answer.result == "SUCCESS"
    assert (answer.text("firstName"), answer.text("lastName")) == ("Bob", "Baker")
    assert (answer.text("webExId"), answer.text("email")) == (BOB, BOB)
    assert (answer.text("timeZoneID"), answer.text("timeZone")) == ("25", "GMT+01:00, Europe (Berlin)")
    assert answer.text("meetingType") == "3"
    assert answer.text("userId").isdigit()


async def test_get_user_unknown(xml: Xml) -> None:
    answer = await xml("GetUser", "<webExId>nobody</webExId>")
    assert answer.exception_id == "030001"


async def test_recordings(emulator: Emulator, xml: Xml) -> None:
    assert (
        await xml("LstRecording", "<listControl><startFrom>1</startFrom></listControl>")
    ).exception_id == "000015"
    created = datetime(2031, 1, 5, 15, 0, tzinfo=UTC)
    emulator.add_recording(
        "sandbox", ALICE, "Kick-off", created=created, duration_seconds=1500, meeting_key=123456789
    )
    emulator.add_recording("sandbox", BOB, "Bob's", created=created)
    answer = await xml(
        "LstRecording", "<listControl><startFrom>1</startFrom><maximumNum>5</maximumNum></listControl>"
    )
    assert answer.result == "SUCCESS"
    assert answer.texts("name") == ["Kick-off"]
    assert (answer.text("duration"), answer.text("sessionKey"), answer.text("total")) == (
        "1500",
        "123456789",
        "1",
    )
    assert answer.text("createTime") == "01/05/2031 15:00:00"
    assert answer.text("streamURL").startswith("https://sandbox.webex.com/sandbox/")


async def test_api_version_needs_no_token(xml: Xml) -> None:
    answer = await xml("GetAPIVersion", token=None, webex_id="")
    assert answer.result == "SUCCESS" and answer.text("apiVersion").startswith("WebEx XML API V")


async def test_seeded_meeting(emulator: Emulator, xml: Xml) -> None:
    start = datetime(2031, 2, 1, 9, 0, tzinfo=UTC)
    emulator.add_meeting("sandbox", ALICE, "Seeded", start, key=987654321, time_zone_id=21)
    answer = await xml("GetMeeting", "<meetingKey>987654321</meetingKey>")
    assert (answer.text("confName"), answer.text("startDate")) == ("Seeded", "02/01/2031 09:00:00")
    assert [m.key for m in emulator.meetings("sandbox")] == [987654321]


# authentication and scopes -------------------------------------------------------------------------


async def test_invalid_token(xml: Xml) -> None:
    answer = await xml("GetUser", f"<webExId>{ALICE}</webExId>", token="not-a-token")
    assert answer.result == "FAILURE"
    assert answer.exception_id == INVALID_ACCESS_TOKEN_EXCEPTION_ID == "030048"
    assert "WebEx access token is invalid" in answer.reason


async def test_expired_access_token(emulator: Emulator, xml: Xml) -> None:
    assert (await xml("GetUser", f"<webExId>{ALICE}</webExId>")).result == "SUCCESS"
    emulator.advance(timedelta(hours=2))
    answer = await xml("GetUser", f"<webExId>{ALICE}</webExId>")
    assert answer.exception_id == INVALID_ACCESS_TOKEN_EXCEPTION_ID


async def test_revoked_access_token(emulator: Emulator, xml: Xml, alice_token: str) -> None:
    assert emulator.revoke_tokens(token=alice_token) == 1
    assert (
        await xml("GetUser", f"<webExId>{ALICE}</webExId>")
    ).exception_id == INVALID_ACCESS_TOKEN_EXCEPTION_ID


async def test_token_of_another_user_is_invalid(xml: Xml) -> None:
    answer = await xml("GetUser", f"<webExId>{ALICE}</webExId>", webex_id=BOB)
    assert answer.exception_id == INVALID_ACCESS_TOKEN_EXCEPTION_ID


async def test_email_may_stand_for_the_webex_id(emulator: Emulator, xml: Xml) -> None:
    emulator.add_user("sandbox", "erin@sandbox.example", webex_id="erin")
    token = emulator.issue_tokens("sandbox", "erin")["access_token"]
    body = "<webExId>erin</webExId>"
    assert (await xml("GetUser", body, token=token, webex_id="erin@sandbox.example")).result == "SUCCESS"
    assert (await xml("GetUser", body, token=token, webex_id="erin")).result == "SUCCESS"


async def test_unknown_site(xml: Xml) -> None:
    answer = await xml("GetUser", f"<webExId>{ALICE}</webExId>", site="elsewhere")
    assert answer.exception_id == "030050" and "elsewhere" in answer.reason


async def test_session_ticket_and_missing_credentials(xml: Xml) -> None:
    assert (await xml("GetUser", "<webExId>x</webExId>", token=None)).exception_id == "030002"
    assert (
        await xml("GetUser", "<webExId>x</webExId>", token=None, password="wrong")
    ).exception_id == "030002"


async def test_password_credentials_for_seeded_password_users(emulator: Emulator, xml: Xml) -> None:
    emulator.add_user("sandbox", "pat@sandbox.example", webex_id="pat", password="secret")
    answer = await xml("GetUser", "<webExId>pat</webExId>", token=None, webex_id="pat", password="secret")
    assert answer.result == "SUCCESS"


async def test_writes_need_meeting_modify(emulator: Emulator, xml: Xml) -> None:
    token = emulator.issue_tokens("sandbox", ALICE, scopes=("all_read",))["access_token"]
    body = MINIMAL_MEETING
    answer = await xml("CreateMeeting", body, token=token)
    assert (answer.exception_id, answer.reason) == (
        "000001",
        "Access denied, additional privileges are required",
    )
    assert emulator.meetings() == []


async def test_reads_need_all_read(emulator: Emulator, xml: Xml, create_meeting: CreateMeeting) -> None:
    key = await create_meeting()
    token = emulator.issue_tokens("sandbox", ALICE, scopes=("meeting_modify",))["access_token"]
    assert (await xml("GetMeeting", f"<meetingKey>{key}</meetingKey>", token=token)).exception_id == "000001"
    assert (await xml("LstsummaryMeeting", token=token)).exception_id == "000001"


async def test_unsupported_operation(xml: Xml) -> None:
    answer = await xml("LstMeetingType", package="meetingtype")
    assert (
        answer.exception_id == INVALID_REQUEST_EXCEPTION_ID and "meetingtype.LstMeetingType" in answer.reason
    )


async def test_scheduling_for_another_host(emulator: Emulator, xml: Xml) -> None:
    schedule = (
        "<schedule><startDate>01/02/2031 09:00:00</startDate><hostWebExID>{host}</hostWebExID></schedule>"
    )
    body = "<metaData><confName>For Bob</confName></metaData>" + schedule
    assert (await xml("CreateMeeting", body.format(host="ghost@x"))).exception_id == "060019"
    assert (await xml("CreateMeeting", body.format(host=BOB))).exception_id == "060021"
    emulator.add_user("sandbox", "admin@sandbox.example", site_admin=True)
    token = emulator.issue_tokens("sandbox", "admin@sandbox.example")["access_token"]
    answer = await xml("CreateMeeting", body.format(host=BOB), token=token, webex_id="admin@sandbox.example")
    assert answer.result == "SUCCESS"
    (meeting,) = emulator.meetings()
    assert meeting.host_webex_id == BOB and meeting.time_zone_id == 25


def set_recording_name(recording_id: int | str, name: str) -> str:
    return (
        f"<recording><recordingID>{recording_id}</recordingID></recording>"
        f"<basic><topic>{name}</topic></basic>"
    )


async def test_set_recording_info_renames_the_callers_recording(emulator: Emulator, xml: Xml) -> None:
    mine = emulator.add_recording("sandbox", ALICE, "Kick-off")
    token = str(
        emulator.issue_tokens("sandbox", ALICE, scopes=("all_read", "recording_modify"))["access_token"]
    )
    answer = await xml(
        "SetRecordingInfo", set_recording_name(mine.recording_id, "Kick-off (cut)"), token=token
    )
    assert answer.result == "SUCCESS" and answer.text("recordingID") == str(mine.recording_id)
    listed = await xml("LstRecording", "<listControl><startFrom>1</startFrom></listControl>")
    assert listed.texts("name") == ["Kick-off (cut)"]


async def test_set_recording_info_needs_recording_modify_and_the_callers_own_recording(
    emulator: Emulator, xml: Xml
) -> None:
    mine = emulator.add_recording("sandbox", ALICE, "Kick-off")
    bobs = emulator.add_recording("sandbox", BOB, "Bob's")
    # The usual token (all_read, meeting_modify) may not change recordings.
    refused = await xml("SetRecordingInfo", set_recording_name(mine.recording_id, "x"))
    assert refused.result == "FAILURE" and refused.exception_id == "000001"
    token = str(
        emulator.issue_tokens("sandbox", ALICE, scopes=("all_read", "recording_modify"))["access_token"]
    )
    others = await xml("SetRecordingInfo", set_recording_name(bobs.recording_id, "mine now"), token=token)
    assert others.result == "FAILURE" and others.exception_id == "000015"
    site = emulator.state.site_state("sandbox")
    assert site is not None
    assert [r.name for r in site.recordings.values()] == ["Kick-off", "Bob's"]
