"""WebexClient against a scripted Webex: what it sends (schema-valid), what it reads, how it fails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree

from bot.webex.client import MAX_RESPONSE_BYTES, WebexClient, WebexCredentials
from bot.webex.errors import (
    AccessDenied,
    AccessTokenInvalid,
    InvalidRequest,
    MeetingNotFound,
    WebexRateLimited,
    WebexTimeout,
    WebexUnavailable,
)
from bot.webex.values import Invitee, MeetingChanges, MeetingDraft
from tests.unit.webex.webex_fakes import CREDS, ScriptedWebex, body_content, failure, success

Check = Callable[[etree._Element], None]

START = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # New York is already on summer time (UTC-4) that day


def text(element: etree._Element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else (found.text or "")


def names(element: etree._Element) -> list[str]:
    return [str(item.tag) for item in element]


CREATED = success(
    "<meet:meetingkey>987654321</meet:meetingkey><meet:meetingPassword>pw</meet:meetingPassword>"
)


async def test_create_meeting_sends_a_valid_full_request(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(CREATED)
    draft = MeetingDraft(
        topic='Design review: "Q2" <plan> & budget 🚀',
        start=START,
        duration_minutes=45,
        time_zone_id=11,
        agenda="1. numbers\n2. שלום",
        invitees=(Invitee(email="ana@example.com", name="Ana Lima"), Invitee(email="li@example.com")),
        password="s3cret",
    )
    created = await client.create_meeting(CREDS, draft)
    assert created.meeting_key == "987654321"
    assert created.password == "pw"

    request = webex.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://acme.webex.test/WBXService/XMLService"
    assert request.headers["content-type"].startswith("application/xml")
    message = webex.last
    assert message.tag == "{http://www.webex.com/schemas/2002/06/service}message"
    assert names(message.find("header/securityContext")) == ["webExID", "siteName", "webExAccessToken"]
    assert text(message, "header/securityContext/webExAccessToken") == CREDS.access_token
    assert_valid(message)

    body = body_content(message)
    assert names(body) == ["accessControl", "metaData", "participants", "schedule", "attendeeOptions"]
    assert text(body, "metaData/confName") == draft.topic
    assert text(body, "metaData/agenda") == draft.agenda
    assert text(body, "accessControl/meetingPassword") == "s3cret"
    assert text(body, "schedule/startDate") == "03/09/2026 10:00:00"
    assert text(body, "schedule/timeZoneID") == "11"
    assert text(body, "schedule/duration") == "45"
    attendees = body.findall("participants/attendees/attendee")
    assert [(text(a, "person/name"), text(a, "person/email")) for a in attendees] == [
        ("Ana Lima", "ana@example.com"),
        (None, "li@example.com"),
    ]
    assert [text(a, "emailInvitations") for a in attendees] == ["true", "true"]
    assert text(body, "attendeeOptions/emailInvitations") == "true"


async def test_create_meeting_minimal_request(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(CREATED)
    await client.create_meeting(CREDS, MeetingDraft(topic="1:1", start=START))
    body = body_content(webex.last)
    assert names(body) == ["metaData", "schedule"]
    assert names(body.find("metaData")) == ["confName"]
    assert text(body, "schedule/startDate") == "03/09/2026 14:00:00"  # zone 20: GMT
    assert text(body, "schedule/duration") == "30"
    assert_valid(webex.last)


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (MeetingDraft(topic="x" * 513, start=START), "topic"),
        (MeetingDraft(topic="\x01\x02 ", start=START), "topic"),
        (MeetingDraft(topic="ok", start=START, agenda="a" * 2501), "agenda"),
        (MeetingDraft(topic="ok", start=START, password="p" * 17), "password"),
        (MeetingDraft(topic="ok", start=START, duration_minutes=0), "duration"),
        (MeetingDraft(topic="ok", start=START, time_zone_id=99), "time_zone_id"),
        (MeetingDraft(topic="ok", start=START.replace(tzinfo=None)), "start"),
        (MeetingDraft(topic="ok", start=START, invitees=(Invitee(email="not an email"),)), "invitees"),
    ],
)
async def test_create_meeting_refuses_what_webex_cannot_take(
    draft: MeetingDraft, field: str, webex: ScriptedWebex, client: WebexClient
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await client.create_meeting(CREDS, draft)
    assert caught.value.field == field
    assert webex.requests == []


async def test_limits_count_what_is_sent(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    """Exactly 2500 characters of agenda pass; control characters are dropped before counting."""
    webex.reply(CREATED)
    agenda = "é" * 2500 + "\x00\x07"
    await client.create_meeting(CREDS, MeetingDraft(topic="t\x0bopic", start=START, agenda=agenda))
    body = body_content(webex.last)
    assert text(body, "metaData/agenda") == "é" * 2500
    assert text(body, "metaData/confName") == "topic"
    assert_valid(webex.last)


async def test_set_meeting_sends_only_what_changed(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(success(""))
    await client.set_meeting(CREDS, "123 456 789", MeetingChanges(topic="New name"))
    body = body_content(webex.last)
    assert names(body) == ["metaData", "meetingkey"]
    assert text(body, "metaData/confName") == "New name"
    assert text(body, "meetingkey") == "123456789"
    assert_valid(webex.last)


async def test_set_meeting_everything(webex: ScriptedWebex, client: WebexClient, assert_valid: Check) -> None:
    webex.reply(success(""))
    changes = MeetingChanges(
        topic="T",
        start=START,
        duration_minutes=90,
        time_zone_id=25,
        agenda="",
        invitees=(Invitee(email="bo@example.com", name="Bo"),),
    )
    await client.set_meeting(CREDS, "123456789", changes)
    body = body_content(webex.last)
    assert names(body) == ["metaData", "participants", "schedule", "attendeeOptions", "meetingkey"]
    assert text(body, "metaData/agenda") == ""  # cleared
    assert text(body, "schedule/startDate") == "03/09/2026 15:00:00"  # Berlin, still winter time
    assert text(body, "schedule/timeZoneID") == "25"
    assert_valid(webex.last)


GET_MEETING_BERLIN = success(
    "<meet:metaData><meet:confName>Weekly</meet:confName></meet:metaData>"
    "<meet:schedule><meet:startDate>03/20/2026 09:00:00</meet:startDate><meet:timeZoneID>25</meet:timeZoneID>"
    "<meet:duration>30</meet:duration></meet:schedule><meet:meetingkey>123456789</meet:meetingkey>"
)


async def test_set_meeting_new_start_keeps_the_meetings_zone(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(GET_MEETING_BERLIN, success(""))
    await client.set_meeting(CREDS, "123456789", MeetingChanges(start=START + timedelta(days=30)))
    assert len(webex.requests) == 2
    body = body_content(webex.last)
    assert text(body, "schedule/timeZoneID") == "25"
    assert text(body, "schedule/startDate") == "04/08/2026 16:00:00"  # Berlin summer time, UTC+2
    assert_valid(webex.last)


async def test_set_meeting_with_no_change_calls_nothing(webex: ScriptedWebex, client: WebexClient) -> None:
    await client.set_meeting(CREDS, "123456789", MeetingChanges())
    assert webex.requests == []


async def test_get_meeting_reads_attendees_and_either_key_spelling(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(
        success(
            "<meet:accessControl><meet:meetingPassword>Pa&amp;ss</meet:meetingPassword></meet:accessControl>"
            "<meet:metaData><meet:confName>A &lt;b&gt; &amp; c</meet:confName><meet:agenda>x</meet:agenda>"
            "</meet:metaData><meet:participants><meet:attendees>"
            "<meet:attendee><meet:person><meet:name>Ana</meet:name><meet:email>ana@example.com</meet:email>"
            "</meet:person></meet:attendee>"
            "<meet:attendee><meet:person><meet:email>li@example.com</meet:email></meet:person></meet:attendee>"
            "</meet:attendees></meet:participants>"
            "<meet:schedule><meet:startDate>11/01/2026 09:30:00</meet:startDate>"
            "<meet:timeZoneID>4</meet:timeZoneID>"
            "<meet:timeZone>GMT-08:00, Pacific (San Jose)</meet:timeZone><meet:duration>60</meet:duration>"
            "<meet:hostWebExID>alice</meet:hostWebExID></meet:schedule>"
            "<meet:meetingKey>555</meet:meetingKey><meet:status>INPROGRESS</meet:status>"
            "<meet:hostKey>778899</meet:hostKey>"
        )
    )
    meeting = await client.get_meeting(CREDS, "555")
    assert_valid(webex.last)
    assert names(body_content(webex.last)) == ["meetingKey"]
    assert meeting.meeting_key == "555"
    assert meeting.topic == "A <b> & c"
    assert meeting.password == "Pa&ss"
    assert [(i.name, i.email) for i in meeting.invitees] == [
        ("Ana", "ana@example.com"),
        ("", "li@example.com"),
    ]
    # 1 Nov 2026 is the day US summer time ends; 09:30 is after the change, so UTC-8.
    assert meeting.start == datetime(2026, 11, 1, 17, 30, tzinfo=UTC)
    assert meeting.end == datetime(2026, 11, 1, 18, 30, tzinfo=UTC)
    assert meeting.status == "INPROGRESS"
    assert meeting.host_key == "778899"
    assert meeting.host_webex_id == "alice"


async def test_get_meeting_falls_back_to_the_zone_name(webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(
        success(
            "<meet:metaData><meet:confName>x</meet:confName></meet:metaData><meet:schedule>"
            "<meet:startDate>1/5/2026 9:00:00</meet:startDate><meet:timeZoneID>62</meet:timeZoneID>"
            "<meet:timeZone>GMT+09:00, Tokyo (Tokyo)</meet:timeZone><meet:duration>15</meet:duration>"
            "</meet:schedule><meet:meetingkey>1</meet:meetingkey>"
        )
    )
    meeting = await client.get_meeting(CREDS, "1")
    assert meeting.time_zone_id == 49
    assert meeting.start == datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


async def test_get_meeting_unreadable_date_is_unavailable(webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(
        success(
            "<meet:schedule><meet:startDate>tomorrow</meet:startDate><meet:timeZoneID>4</meet:timeZoneID>"
            "</meet:schedule><meet:meetingkey>1</meet:meetingkey>"
        )
    )
    with pytest.raises(WebexUnavailable, match="unreadable start date"):
        await client.get_meeting(CREDS, "1")


LIST_PAGE = success(
    "<meet:meeting><meet:meetingKey>111</meet:meetingKey><meet:confName>Standup</meet:confName>"
    "<meet:meetingType>3</meet:meetingType><meet:hostWebExID>alice</meet:hostWebExID>"
    "<meet:timeZoneID>11</meet:timeZoneID><meet:timeZone>GMT-05:00, Eastern (New York)</meet:timeZone>"
    "<meet:status>NOT_INPROGRESS</meet:status><meet:startDate>03/09/2026 10:00:00</meet:startDate>"
    "<meet:duration>15</meet:duration></meet:meeting>"
    "<meet:meeting><meet:meetingKey>222</meet:meetingKey><meet:confName>Retro</meet:confName>"
    "<meet:meetingType>3</meet:meetingType><meet:timeZoneID>45</meet:timeZoneID>"
    "<meet:startDate>03/10/2026 09:00:00</meet:startDate><meet:duration>60</meet:duration></meet:meeting>"
    "<meet:matchingRecords><serv:total>25</serv:total><serv:returned>2</serv:returned>"
    "<serv:startFrom>11</serv:startFrom></meet:matchingRecords>"
)


async def test_list_meetings_request_and_page(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(LIST_PAGE)
    page = await client.list_meetings(
        CREDS, start_from=11, maximum=2, starts_after=START, starts_before=START + timedelta(days=7)
    )
    body = body_content(webex.last)
    assert_valid(webex.last)
    assert names(body) == ["listControl", "order", "dateScope", "hostWebExID"]
    assert text(body, "listControl/startFrom") == "11"
    assert text(body, "listControl/maximumNum") == "2"
    assert (text(body, "order/orderBy"), text(body, "order/orderAD")) == ("STARTTIME", "ASC")
    assert text(body, "dateScope/startDateStart") == "03/09/2026 14:00:00"
    assert text(body, "dateScope/startDateEnd") == "03/16/2026 14:00:00"
    assert text(body, "dateScope/timeZoneID") == "20"
    assert text(body, "hostWebExID") == "alice"

    assert [m.meeting_key for m in page.meetings] == ["111", "222"]
    assert page.meetings[0].start == START  # 10:00 New York summer time
    assert page.meetings[1].start == datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 Beijing
    assert page.meetings[1].time_zone_id == 45
    assert (page.total, page.start_from, page.has_more) == (25, 11, True)


async def test_list_meetings_no_records_is_an_empty_page(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(failure("Sorry, no record found", "000015"))
    page = await client.list_meetings(CREDS, mine_only=False)
    assert (page.meetings, page.total, page.has_more) == ((), 0, False)
    body = body_content(webex.last)
    assert names(body) == ["listControl", "order"]
    assert_valid(webex.last)


async def test_list_meetings_without_matching_records(webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(
        LIST_PAGE.replace(b"<meet:matchingRecords>", b"<x>").split(b"<x>")[0]
        + b"</serv:bodyContent></serv:body></serv:message>"
    )
    page = await client.list_meetings(CREDS)
    assert (len(page.meetings), page.total, page.has_more) == (2, 2, False)


async def test_list_meetings_refuses_bad_paging(webex: ScriptedWebex, client: WebexClient) -> None:
    with pytest.raises(InvalidRequest):
        await client.list_meetings(CREDS, start_from=0)
    with pytest.raises(InvalidRequest):
        await client.list_meetings(CREDS, maximum=0)
    assert webex.requests == []


async def test_join_and_host_urls(webex: ScriptedWebex, client: WebexClient, assert_valid: Check) -> None:
    webex.reply(
        success(
            "<meet:joinMeetingURL>https://acme.webex.com/acme/e.php?AT=SI&amp;MK=1</meet:joinMeetingURL>"
        ),
        success(
            "<meet:hostMeetingURL>https://acme.webex.com/acme/p.php?AT=LI&amp;TK=t</meet:hostMeetingURL>"
        ),
    )
    join = await client.join_url(CREDS, "1", attendee_name="Zoë <z>", attendee_email="zoe@example.com")
    assert join == "https://acme.webex.com/acme/e.php?AT=SI&MK=1"
    body = body_content(webex.last)
    assert names(body) == ["sessionKey", "attendeeName", "attendeeEmail"]
    assert text(body, "attendeeName") == "Zoë <z>"
    assert_valid(webex.last)
    assert await client.host_url(CREDS, "1") == "https://acme.webex.com/acme/p.php?AT=LI&TK=t"
    assert names(body_content(webex.last)) == ["sessionKey"]
    assert_valid(webex.last)


async def test_get_user_defaults_to_the_caller(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(success("<use:webExId>alice</use:webExId><use:email>alice@acme.example</use:email>"))
    user = await client.get_user(CREDS)
    assert (user.webex_id, user.email, user.display_name, user.time_zone_id) == (
        "alice",
        "alice@acme.example",
        "alice",
        None,
    )
    assert text(body_content(webex.last), "webExId") == "alice"
    assert_valid(webex.last)


async def test_email_stands_in_for_an_unknown_webex_id(webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(success("<use:webExId>alice</use:webExId><use:email>alice@acme.example</use:email>"))
    creds = WebexCredentials(site="acme", webex_id="", access_token="t", email="alice@acme.example")
    await client.get_user(creds)
    security = webex.last.find("header/securityContext")
    assert names(security) == ["siteName", "email", "webExAccessToken"]
    assert text(body_content(webex.last), "webExId") == "alice@acme.example"


async def test_api_version_needs_only_the_site(
    webex: ScriptedWebex, client: WebexClient, assert_valid: Check
) -> None:
    webex.reply(success("<ep:apiVersion>WebEx XML API V10.0.0</ep:apiVersion><ep:release>EP1</ep:release>"))
    assert await client.api_version("acme") == "WebEx XML API V10.0.0 EP1"
    assert names(webex.last.find("header/securityContext")) == ["siteName"]
    assert names(body_content(webex.last)) == []
    assert_valid(webex.last)


async def test_list_recordings(webex: ScriptedWebex, client: WebexClient, assert_valid: Check) -> None:
    webex.reply(
        success(
            "<ep:matchingRecords><serv:total>1</serv:total><serv:returned>1</serv:returned>"
            "<serv:startFrom>1</serv:startFrom></ep:matchingRecords><ep:recording>"
            "<ep:recordingID>42</ep:recordingID><ep:hostWebExID>alice</ep:hostWebExID><ep:name>Demo</ep:name>"
            "<ep:description/><ep:createTime>03/09/2026 10:00:00</ep:createTime>"
            "<ep:timeZoneID>11</ep:timeZoneID>"
            "<ep:size>1.5</ep:size><ep:streamURL>https://s</ep:streamURL><ep:fileURL>https://f</ep:fileURL>"
            "<ep:sessionKey>111</ep:sessionKey><ep:recordingType>0</ep:recordingType>"
            "<ep:duration>1800</ep:duration><ep:format>MP4</ep:format></ep:recording>"
        ),
        failure("Sorry, no record found", "000015"),
    )
    recordings = await client.list_recordings(
        CREDS, created_after=START - timedelta(days=7), meeting_key="111"
    )
    body = body_content(webex.last)
    assert names(body) == ["listControl", "createTimeScope", "hostWebExID", "sessionKey"]
    assert_valid(webex.last)
    assert len(recordings) == 1
    recording = recordings[0]
    assert (recording.recording_id, recording.name, recording.duration_seconds) == ("42", "Demo", 1800)
    assert recording.created == START
    assert (recording.stream_url, recording.file_url, recording.meeting_key) == (
        "https://s",
        "https://f",
        "111",
    )
    assert await client.list_recordings(CREDS) == ()


@pytest.mark.parametrize("key", ["abc", "", "12 34x", "1" * 20])
async def test_meeting_numbers_are_digits(key: str, webex: ScriptedWebex, client: WebexClient) -> None:
    with pytest.raises(InvalidRequest) as caught:
        await client.delete_meeting(CREDS, key)
    assert caught.value.field == "meeting_key"
    assert webex.requests == []


async def test_meeting_number_as_webex_shows_it(webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(success(""))
    await client.delete_meeting(CREDS, " 2345 678-901 ")
    assert text(body_content(webex.last), "meetingKey") == "2345678901"


@pytest.mark.parametrize("site", ["evil.example/x", "a b", "", "acme.webex.com", "-x"])
async def test_site_names_cannot_redirect_requests(
    site: str, webex: ScriptedWebex, client: WebexClient
) -> None:
    creds = WebexCredentials(site=site, webex_id="alice", access_token="t")
    with pytest.raises(InvalidRequest) as caught:
        await client.get_user(creds)
    assert caught.value.field == "site"
    assert webex.requests == []


@pytest.mark.parametrize(
    ("reply", "error", "checks"),
    [
        (
            httpx.Response(429, headers={"retry-after": "30"}, text="slow down"),
            WebexRateLimited,
            {"retry_after": 30.0, "status_code": 429, "timed_out": False, "outcome_unknown": False},
        ),
        (
            httpx.Response(429, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            WebexRateLimited,
            {"retry_after": 0.0},
        ),
        (httpx.Response(429), WebexRateLimited, {"retry_after": None}),
        (httpx.Response(503, text="down"), WebexUnavailable, {"status_code": 503, "outcome_unknown": False}),
        (httpx.Response(500), WebexUnavailable, {"status_code": 500, "outcome_unknown": True}),
        (httpx.Response(504), WebexUnavailable, {"status_code": 504, "outcome_unknown": True}),
        (httpx.Response(404, text="<html>not here</html>"), WebexUnavailable, {"outcome_unknown": False}),
        (httpx.Response(200, text="<html>proxy</html>"), WebexUnavailable, {"outcome_unknown": True}),
        (httpx.ReadTimeout("slow"), WebexTimeout, {"timed_out": True, "outcome_unknown": True}),
        (httpx.ConnectTimeout("slow"), WebexTimeout, {"timed_out": True}),
        (httpx.ConnectError("refused"), WebexUnavailable, {"timed_out": False, "outcome_unknown": False}),
        (
            httpx.RemoteProtocolError("peer closed"),
            WebexUnavailable,
            {"timed_out": False, "outcome_unknown": True},
        ),
        (httpx.ReadError("reset"), WebexUnavailable, {"outcome_unknown": True}),
        (ConnectionRefusedError("refused"), WebexUnavailable, {"outcome_unknown": False}),
        (ConnectionResetError("reset"), WebexUnavailable, {"timed_out": False, "outcome_unknown": True}),
        (
            failure("Request rate exceeded the limit, please retry later", "000429"),
            WebexRateLimited,
            {"retry_after": None, "exception_id": "000429"},
        ),
    ],
)
async def test_http_and_network_failures(
    reply: httpx.Response | Exception | bytes,
    error: type[Exception],
    checks: dict[str, object],
    webex: ScriptedWebex,
    client: WebexClient,
) -> None:
    webex.reply(reply)
    with pytest.raises(error) as caught:
        await client.create_meeting(CREDS, MeetingDraft(topic="t", start=START))
    assert type(caught.value) is error
    for name, value in checks.items():
        assert getattr(caught.value, name) == value, name


async def test_oversized_answer_is_refused(webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(success("<use:webExId>" + "x" * (MAX_RESPONSE_BYTES + 1) + "</use:webExId>"))
    with pytest.raises(WebexUnavailable, match="larger than") as caught:
        await client.get_user(CREDS)
    assert caught.value.outcome_unknown


async def test_a_create_answer_without_a_key_leaves_the_outcome_unknown(
    webex: ScriptedWebex, client: WebexClient
) -> None:
    webex.reply(success("<meet:guestToken>x</meet:guestToken>"))
    with pytest.raises(WebexUnavailable) as caught:
        await client.create_meeting(CREDS, MeetingDraft(topic="t", start=START))
    assert caught.value.outcome_unknown


@pytest.mark.parametrize(
    ("reason", "exception_id", "error"),
    [
        ("WebEx access token is invalid", "030048", AccessTokenInvalid),
        ("Access denied, additional privileges are required", "000001", AccessDenied),
        ("Corresponding Meeting not found", "060001", MeetingNotFound),
    ],
)
async def test_failures_reach_the_caller_typed(
    reason: str, exception_id: str, error: type[Exception], webex: ScriptedWebex, client: WebexClient
) -> None:
    webex.reply(failure(reason, exception_id))
    with pytest.raises(error):
        await client.get_meeting(CREDS, "1")


async def test_tokens_never_reach_logs_or_errors(
    webex: ScriptedWebex, client: WebexClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    webex.reply(
        CREATED,
        failure("WebEx access token is invalid", "030048"),
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
    )
    await client.create_meeting(CREDS, MeetingDraft(topic="t", start=START))
    caught: list[BaseException] = []
    for _ in range(3):
        try:
            await client.get_meeting(CREDS, "1")
        except Exception as exc:  # noqa: BLE001 - each is checked below
            caught.append(exc)
    assert len(caught) == 3
    assert "webex CreateMeeting site=acme" in caplog.text
    assert CREDS.access_token not in caplog.text
    assert all(CREDS.access_token not in f"{exc!r} {exc}" for exc in caught)
    assert CREDS.access_token not in repr(CREDS)
