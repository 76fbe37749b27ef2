"""The meeting card's Join and Start as host buttons open the bot, which asks Webex at the click."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.fernet import Fernet

from bot.domain.clock import FakeClock
from bot.domain.meetings import Meeting
from bot.services.meeting_links import PATH, MeetingLinks
from bot.services.meetings import ScheduledMeeting
from bot.slack.meetings import answers, blocks

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


@dataclass
class FakeServices:
    meeting_links: MeetingLinks


def services() -> Any:
    links = MeetingLinks([Fernet.generate_key().decode()], Webex(), FakeClock(), BASE)
    return cast(Any, FakeServices(links))


def buttons(card: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in card for e in b.get("elements", []) if e.get("type") == "button"}


def opened(svc: Any, url: str) -> str:
    assert url.startswith(BASE + PATH), url
    return asyncio.run(svc.meeting_links.webex_url(url.removeprefix(BASE + PATH)))


def test_the_hosts_card_buttons_open_the_hosts_join_and_start_links() -> None:
    svc = services()
    _, card = answers.host_card(svc, "T1", "U_HOST", SCHEDULED, "Europe/Berlin")
    found = buttons(card)
    assert opened(svc, found[blocks.JOIN]["url"]) == "https://acme.webex.com/j/123456789?host=U_HOST"
    assert opened(svc, found[blocks.START]["url"]) == "https://acme.webex.com/h/123456789?host=U_HOST"
    assert found[blocks.CALENDAR]["url"] == "https://ical/123456789"
    assert "654321" in str(card)  # the host key, when Webex gave one


def test_the_channel_copy_has_a_join_button_and_no_way_to_start_as_host() -> None:
    svc = services()
    _, card = answers.shared_card(svc, "T1", "U_HOST", SCHEDULED, "Europe/Berlin")
    found = buttons(card)
    assert set(found) == {blocks.JOIN, blocks.CALENDAR}
    assert opened(svc, found[blocks.JOIN]["url"]) == "https://acme.webex.com/j/123456789?host=U_HOST"
    assert "654321" not in str(card)
