"""Meeting links: a card's Join and Start as host buttons open the bot, which asks Webex at the click."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from bot.domain.clock import FakeClock
from bot.domain.meetings import Meeting
from bot.services.calendar_file import CalendarFile
from bot.services.errors import LinkExpired
from bot.services.meeting_links import PATH, MeetingLinkProblem, MeetingLinks
from bot.webex.errors import AccessDenied, MeetingNotFound, WebexTimeout

KEY = Fernet.generate_key().decode()
BASE = "https://bot.example.com"
START = datetime(2026, 3, 3, 14, tzinfo=UTC)


class FakeMeetings:
    """The meeting service's link look-ups: records who was asked, answers or fails as told."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str, str]] = []
        self.failure: Exception | None = None
        self.answer = ""

    async def join_url(self, team_id: str, user_id: str, meeting_key: str) -> str:
        return self._answer("join", team_id, user_id, meeting_key, f"https://acme.webex.com/j/{meeting_key}")

    async def host_url(self, team_id: str, user_id: str, meeting_key: str) -> str:
        return self._answer("host", team_id, user_id, meeting_key, f"https://acme.webex.com/h/{meeting_key}")

    async def get(self, team_id: str, user_id: str, meeting_key: str) -> Meeting:
        self._answer("get", team_id, user_id, meeting_key, "")
        return Meeting(
            meeting_id=meeting_key, number=meeting_key, topic="R&D; review, <b>", start=START,
            duration_minutes=45, time_zone="Europe/Berlin", agenda="1. plan\n2. risks", password="pw-123",
            host_key="654321",
        )  # fmt: skip

    def _answer(self, role: str, team_id: str, user_id: str, key: str, url: str) -> str:
        self.asked.append((role, team_id, user_id, key))
        if self.failure is not None:
            raise self.failure
        return self.answer or url


class FakePresses:
    """Start as host presses Slack reported: each opens the host's link for that meeting once."""

    def __init__(self) -> None:
        self.unused: Counter[tuple[str, str, str]] = Counter()

    async def record(self, team_id: str, user_id: str, meeting_key: str) -> None:
        self.unused[(team_id, user_id, meeting_key)] += 1

    async def use(self, team_id: str, user_id: str, meeting_key: str) -> bool:
        if self.unused[(team_id, user_id, meeting_key)] <= 0:
            return False
        self.unused[(team_id, user_id, meeting_key)] -= 1
        return True


@pytest.fixture
def presses() -> FakePresses:
    return FakePresses()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def meetings() -> FakeMeetings:
    return FakeMeetings()


@pytest.fixture
def links(meetings: FakeMeetings, clock: FakeClock, presses: FakePresses) -> MeetingLinks:
    return MeetingLinks([KEY], meetings, clock, BASE + "/", presses=presses, press_waits=(0.0, 0.01, 0.02))


def token_of(url: str) -> str:
    assert url.startswith(BASE + PATH)
    return url.removeprefix(BASE + PATH)


async def test_a_join_link_opens_the_hosts_join_link_from_webex(
    links: MeetingLinks, meetings: FakeMeetings
) -> None:
    url = links.join("T1", "U_HOST", "123456789")
    assert "123456789" not in url and "U_HOST" not in url
    assert await links.webex_url(token_of(url)) == "https://acme.webex.com/j/123456789"
    assert meetings.asked == [("join", "T1", "U_HOST", "123456789")]


async def test_a_start_link_opens_the_host_link_once_per_press_in_slack(
    links: MeetingLinks, meetings: FakeMeetings
) -> None:
    url = links.host("T1", "U_HOST", "123456789")
    await links.host_pressed("T1", "U_HOST", "123456789")
    assert await links.webex_url(token_of(url)) == "https://acme.webex.com/h/123456789"
    assert meetings.asked == [("host", "T1", "U_HOST", "123456789")]
    # The same link again (a browser history, a proxy log, a screenshot): refused, Webex not asked.
    with pytest.raises(MeetingLinkProblem, match="Press Start as host in Slack") as problem:
        await links.webex_url(token_of(url))
    assert problem.value.status_code == 403 and "once per press" in problem.value.detail
    assert len(meetings.asked) == 1
    # Pressing the button again opens it again.
    await links.host_pressed("T1", "U_HOST", "123456789")
    assert await links.webex_url(token_of(url)) == "https://acme.webex.com/h/123456789"


async def test_a_press_opens_only_that_hosts_link_to_that_meeting(
    links: MeetingLinks, meetings: FakeMeetings
) -> None:
    url = links.host("T1", "U_HOST", "123456789")
    await links.host_pressed("T1", "U_OTHER", "123456789")  # someone else pressing their own button
    await links.host_pressed("T1", "U_HOST", "555555555")  # the host, for another meeting
    await links.host_pressed("T2", "U_HOST", "123456789")  # the same ids in another workspace
    with pytest.raises(MeetingLinkProblem, match="Press Start as host"):
        await links.webex_url(token_of(url))
    assert meetings.asked == []


async def test_a_press_reported_just_after_the_browser_arrives_still_opens_the_link(
    links: MeetingLinks, meetings: FakeMeetings
) -> None:
    url = links.host("T1", "U_HOST", "123456789")
    opening = asyncio.create_task(links.webex_url(token_of(url)))
    await asyncio.sleep(0.005)
    await links.host_pressed("T1", "U_HOST", "123456789")
    assert await opening == "https://acme.webex.com/h/123456789"


async def test_join_links_need_no_press(links: MeetingLinks, presses: FakePresses) -> None:
    url = links.join("T1", "U_HOST", "123456789")
    assert await links.webex_url(token_of(url)) == await links.webex_url(token_of(url))
    assert not presses.unused


async def test_a_changed_link_is_refused_without_asking_webex(
    links: MeetingLinks, meetings: FakeMeetings
) -> None:
    token = token_of(links.host("T1", "U_HOST", "123456789"))
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (tampered, token[:40], "not-a-token"):
        with pytest.raises(MeetingLinkProblem, match="not valid") as problem:
            await links.webex_url(bad)
        assert problem.value.status_code == 400
    assert meetings.asked == []


async def test_start_links_expire_sooner_than_join_links(
    links: MeetingLinks, meetings: FakeMeetings, clock: FakeClock
) -> None:
    join = token_of(links.join("T1", "U_HOST", "123456789"))
    host = token_of(links.host("T1", "U_HOST", "123456789"))
    clock.advance(timedelta(days=1))
    assert await links.webex_url(join)
    await links.host_pressed("T1", "U_HOST", "123456789")
    with pytest.raises(MeetingLinkProblem, match="Start as host link has expired") as problem:
        await links.webex_url(host)
    assert "/webex join 123456789" in problem.value.next_step
    clock.advance(timedelta(days=30))
    with pytest.raises(MeetingLinkProblem, match="Join link has expired"):
        await links.webex_url(join)
    assert meetings.asked == [("join", "T1", "U_HOST", "123456789")]


@pytest.mark.parametrize(
    ("failure", "says", "status"),
    [
        (MeetingNotFound("Corresponding Meeting not found", "060001"), "no longer on Webex", 404),
        (WebexTimeout("Webex did not answer"), "not answering", 503),
        (LinkExpired("reconnect"), "no longer connected", 409),
        (AccessDenied("Access denied", "000001"), "would not give the link", 502),
    ],
)
async def test_what_webex_says_at_the_click_is_explained(
    links: MeetingLinks, meetings: FakeMeetings, failure: Exception, says: str, status: int
) -> None:
    meetings.failure = failure
    with pytest.raises(MeetingLinkProblem, match=says) as problem:
        await links.webex_url(token_of(links.join("T1", "U_HOST", "123456789")))
    assert problem.value.status_code == status and "123456789" in problem.value.detail


async def test_an_answer_that_is_not_a_web_address_is_never_followed(
    links: MeetingLinks, meetings: FakeMeetings
) -> None:
    meetings.answer = "javascript:alert(1)"
    with pytest.raises(MeetingLinkProblem, match="usable link"):
        await links.webex_url(token_of(links.join("T1", "U_HOST", "123456789")))


async def test_a_calendar_link_downloads_the_meeting_as_webex_has_it_now(
    links: MeetingLinks, meetings: FakeMeetings
) -> None:
    url = links.calendar("T1", "U_HOST", "123456789")
    assert "123456789" not in url and "U_HOST" not in url
    opened = await links.open(token_of(url))
    assert isinstance(opened, CalendarFile) and opened.filename == "webex-meeting-123456789.ics"
    assert opened.media_type.startswith("text/calendar")
    text = opened.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "BEGIN:VEVENT\r\n" in text
    assert "SUMMARY:R&D\\; review\\, <b>\r\n" in text  # RFC 5545 escaping, nothing lost
    assert "DTSTART:20260303T140000Z" in text and "DTEND:20260303T144500Z" in text
    assert "UID:webex-meeting-123456789@webex-bot" in text
    unfolded = text.replace("\r\n ", "")
    assert "1. plan\\n2. risks" in unfolded and f"{BASE}{PATH}" in unfolded  # agenda and the Join link
    assert "pw-123" not in text and "654321" not in text  # nothing only the host may see
    assert meetings.asked == [("get", "T1", "U_HOST", "123456789")]


async def test_a_calendar_link_is_not_a_join_link_and_says_why_it_fails(
    links: MeetingLinks, meetings: FakeMeetings, clock: FakeClock
) -> None:
    token = token_of(links.calendar("T1", "U_HOST", "123456789"))
    with pytest.raises(MeetingLinkProblem, match="Add to calendar link") as problem:
        await links.webex_url(token)
    assert problem.value.status_code == 400
    meetings.failure = MeetingNotFound("Corresponding Meeting not found", "060001")
    with pytest.raises(MeetingLinkProblem, match="no longer on Webex"):
        await links.open(token)
    clock.advance(timedelta(days=31))
    with pytest.raises(MeetingLinkProblem, match="Add to calendar link has expired") as expired:
        await links.open(token)
    assert expired.value.status_code == 410
