"""The meeting card's Join and Start as host buttons open the bot, which asks Webex at the click."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.fernet import Fernet

from bot.domain.clock import FakeClock
from bot.domain.meetings import Meeting
from bot.services.calendar_file import CalendarFile
from bot.services.meeting_links import PATH, MeetingLinks
from bot.services.meetings import ScheduledMeeting
from bot.slack.meetings import blocks
from bot.slack.meetings.answers import Answers
from bot.slack.sealed import SealedValues

BASE = "https://bot.example.com"
MEETING = Meeting(
    meeting_id="123456789",
    number="123456789",
    topic="Design review",
    start=datetime(2026, 3, 3, 14, tzinfo=UTC),
    duration_minutes=45,
    time_zone="Europe/Berlin",
    time_zone_label="GMT+01:00, Europe (Berlin)",
    host_key="654321",
)
SCHEDULED = ScheduledMeeting(meeting=MEETING, calendar_url="https://ical/123456789")


class Webex:
    async def join_url(self, team_id: str, user_id: str, meeting_key: str) -> str:
        return f"https://acme.webex.com/j/{meeting_key}?host={user_id}"

    async def host_url(self, team_id: str, user_id: str, meeting_key: str) -> str:
        return f"https://acme.webex.com/h/{meeting_key}?host={user_id}"

    async def get(self, team_id: str, user_id: str, meeting_key: str) -> Meeting:
        assert (meeting_key, user_id) == (MEETING.meeting_id, "U_HOST")
        return MEETING


class Presses:
    """Start as host presses: each opens the host's link once."""

    def __init__(self) -> None:
        self.unused: list[tuple[str, str, str]] = []

    async def record(self, team_id: str, user_id: str, meeting_key: str) -> None:
        self.unused.append((team_id, user_id, meeting_key))

    async def use(self, team_id: str, user_id: str, meeting_key: str) -> bool:
        if (team_id, user_id, meeting_key) not in self.unused:
            return False
        self.unused.remove((team_id, user_id, meeting_key))
        return True


@dataclass
class Cards:
    """The bot's links and the answers that put them on cards (the cards need nothing else)."""

    meeting_links: MeetingLinks
    answers: Answers
    sealed: SealedValues


def services() -> Cards:
    key = Fernet.generate_key().decode()
    links = MeetingLinks([key], Webex(), FakeClock(), BASE, presses=Presses())
    sealed = SealedValues([key], FakeClock())
    unused = cast(Any, None)
    answers = Answers(
        profiles=unused,
        meeting_links=links,
        slack=unused,
        clock=FakeClock(),
        meetings=unused,
        channel_cards=unused,
        sealed=sealed,
    )
    return Cards(links, answers, sealed)


def buttons(card: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in card for e in b.get("elements", []) if e.get("type") == "button"}


def opened(svc: Cards, url: str) -> str:
    assert url.startswith(BASE + PATH), url
    return asyncio.run(svc.meeting_links.webex_url(url.removeprefix(BASE + PATH)))


def calendar_event(svc: Cards, url: str) -> str:
    """The event in the calendar file the Add to calendar button downloads."""
    assert url.startswith(BASE + PATH), url
    file = asyncio.run(svc.meeting_links.open(url.removeprefix(BASE + PATH)))
    assert isinstance(file, CalendarFile) and file.filename == "webex-meeting-123456789.ics"
    return file.content.decode()


def test_the_hosts_card_buttons_open_the_hosts_join_and_start_links() -> None:
    svc = services()
    _, card = svc.answers.host_card("T1", "U_HOST", SCHEDULED, "Europe/Berlin")
    found = buttons(card)
    assert opened(svc, found[blocks.JOIN]["url"]) == "https://acme.webex.com/j/123456789?host=U_HOST"
    assert found[blocks.START]["value"] == "123456789"  # what Slack reports when it is pressed
    asyncio.run(svc.meeting_links.host_pressed("T1", "U_HOST", found[blocks.START]["value"]))
    assert opened(svc, found[blocks.START]["url"]) == "https://acme.webex.com/h/123456789?host=U_HOST"
    assert "SUMMARY:Design review" in calendar_event(svc, found[blocks.CALENDAR]["url"])
    assert "654321" in str(card)  # the host key, when Webex gave one
    # The buttons the bot reads back carry the meeting number sealed for the host and that button.
    for action_id in (blocks.SHARE, blocks.EDIT, blocks.CANCEL):
        value = svc.sealed.open(found[action_id]["value"], team_id="T1", user_id="U_HOST", used_by=action_id)
        assert value == "123456789"


def test_the_channel_copy_has_a_join_button_and_no_way_to_start_as_host() -> None:
    svc = services()
    _, card = svc.answers.shared_card("T1", "U_HOST", SCHEDULED, "Europe/Berlin")
    found = buttons(card)
    assert set(found) == {blocks.JOIN, blocks.CALENDAR}
    assert opened(svc, found[blocks.JOIN]["url"]) == "https://acme.webex.com/j/123456789?host=U_HOST"
    assert "654321" not in str(card)
    event = calendar_event(svc, found[blocks.CALENDAR]["url"])
    assert "DTSTART:20260303T140000Z" in event and "654321" not in event


def test_the_channel_copy_from_share_keeps_add_to_calendar_without_webexs_calendar_link() -> None:
    # Share in channel and an edit describe the meeting with GetMeeting, which has no calendar link.
    svc = services()
    from_webex = ScheduledMeeting(meeting=MEETING)
    _, shared = svc.answers.shared_card("T1", "U_HOST", from_webex, "Europe/Berlin")
    _, edited = svc.answers.host_card("T1", "U_HOST", from_webex, "Europe/Berlin", "Updated the time.")
    for card in (shared, edited):
        url = buttons(card)[blocks.CALENDAR]["url"]
        assert "DTEND:20260303T144500Z" in calendar_event(svc, url)
