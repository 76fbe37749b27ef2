"""Every captured real Webex response reads into its typed result or its typed error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from bot.webex.client import WebexClient
from bot.webex.errors import AccessTokenInvalid, MeetingNotFound, PasswordRequired, WebexError
from bot.webex.values import CreatedMeeting, MeetingDraft, WebexUser
from tests.unit.webex.webex_fakes import CREDS, ScriptedWebex, body_content, xml_of

DRAFT = MeetingDraft(topic="Test-Meeting via XML API", start=datetime(2016, 7, 30, 13, 0, tzinfo=UTC))

Call = Callable[[WebexClient], Awaitable[object]]

CALLS: dict[str, Call] = {
    "meeting_create_meeting": lambda client: client.create_meeting(CREDS, DRAFT),
    "meeting_get_meeting": lambda client: client.get_meeting(CREDS, "123456789"),
    "meeting_del_meeting": lambda client: client.delete_meeting(CREDS, "123456789"),
    "meeting_getjoinurl_meeting": lambda client: client.join_url(CREDS, "123456789"),
    "user_get_user": lambda client: client.get_user(CREDS, "123456"),
}

BAD: dict[str, tuple[type[WebexError], str]] = {
    "meeting_create_meeting": (PasswordRequired, "060026"),
    "meeting_get_meeting": (MeetingNotFound, "060001"),
    "meeting_del_meeting": (MeetingNotFound, "060001"),
    "meeting_getjoinurl_meeting": (MeetingNotFound, "060001"),
    "user_get_user": (AccessTokenInvalid, "030047"),
}


def test_every_captured_exchange_is_covered(fixtures_dir: Path) -> None:
    captured = {path.name.rsplit("_response_", 1)[0] for path in fixtures_dir.glob("*_response_*.xml")}
    assert captured == set(CALLS) == set(BAD)


async def test_create_meeting_good(fixtures_dir: Path, webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(xml_of(fixtures_dir / "meeting_create_meeting_response_good.xml"))
    created = await client.create_meeting(CREDS, DRAFT)
    assert created == CreatedMeeting(
        meeting_key="123456789",
        host_calendar_url="https://test.webex.com/test/j.php?MTID=" + "a" * 33,
        attendee_calendar_url="https://test.webex.com/test/j.php?MTID=" + "b" * 33,
        guest_token="c" * 32,
        password="",
    )


async def test_get_meeting_good(fixtures_dir: Path, webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(xml_of(fixtures_dir / "meeting_get_meeting_response_good.xml"))
    meeting = await client.get_meeting(CREDS, "123456789")
    assert meeting.meeting_key == "123456789"
    assert meeting.topic == "Test-Meeting via XML API"
    assert meeting.agenda == "Meeting Agenda"
    # 07/20/2016 15:30 in zone 25 (Berlin, summer time: UTC+2).
    assert meeting.start == datetime(2016, 7, 20, 13, 30, tzinfo=UTC)
    assert meeting.time_zone_id == 25
    assert meeting.duration_minutes == 30
    assert meeting.host_webex_id == "123456"
    assert meeting.status == "NOT_INPROGRESS"
    assert meeting.password == "123456"
    assert meeting.host_key == "123456"
    assert meeting.invitees == ()


async def test_delete_meeting_good(fixtures_dir: Path, webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(xml_of(fixtures_dir / "meeting_del_meeting_response_good.xml"))
    assert await client.delete_meeting(CREDS, "123456789") is None
    assert len(webex.requests) == 1


async def test_join_url_good(fixtures_dir: Path, webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(xml_of(fixtures_dir / "meeting_getjoinurl_meeting_response_good.xml"))
    assert await client.join_url(CREDS, "123456789") == "https://test.webex.com/test/e.php?AT=SI&MK=123456789"


async def test_get_user_good(fixtures_dir: Path, webex: ScriptedWebex, client: WebexClient) -> None:
    webex.reply(xml_of(fixtures_dir / "user_get_user_response_good.xml"))
    user = await client.get_user(CREDS, "123456")
    assert user == WebexUser(
        webex_id="123456",
        email="123456@mail.com",
        first_name="Firstname",
        last_name="Lastname",
        time_zone_id=25,
        meeting_types=(1,),
    )


@pytest.mark.parametrize("name", sorted(BAD))
async def test_bad_response_is_its_typed_error(
    name: str, fixtures_dir: Path, webex: ScriptedWebex, client: WebexClient
) -> None:
    error_type, exception_id = BAD[name]
    webex.reply(xml_of(fixtures_dir / f"{name}_response_bad.xml"))
    with pytest.raises(error_type) as caught:
        await CALLS[name](client)
    assert caught.value.exception_id == exception_id
    assert caught.value.reason  # the server's own words, kept for logs


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_request_has_the_captured_shape(
    name: str, fixtures_dir: Path, webex: ScriptedWebex, client: WebexClient
) -> None:
    """The bot's body names the captured request's elements, in its order (CreateMeeting adds timeZoneID)."""
    webex.reply(xml_of(fixtures_dir / f"{name}_response_good.xml"))
    await CALLS[name](client)
    captured = body_content(etree.parse(str(fixtures_dir / f"{name}_request.xml")).getroot())
    sent = body_content(webex.last)
    assert sent.get("{http://www.w3.org/2001/XMLSchema-instance}type") == captured.get(
        "{http://www.w3.org/2001/XMLSchema-instance}type"
    )
    sent_tags = [element.tag for element in sent.iter()]
    captured_tags = [element.tag for element in captured.iter()]
    if name == "meeting_create_meeting":
        remaining = iter(sent_tags)
        assert all(tag in remaining for tag in captured_tags), (sent_tags, captured_tags)
        assert set(sent_tags) - set(captured_tags) == {"timeZoneID"}
    else:
        assert sent_tags == captured_tags
