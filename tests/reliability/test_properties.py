"""Property tests (hypothesis) that extend the unit ones: tests/unit/domain/test_schedule_text.py already
shows no text crashes the schedule parser, and tests/unit/webex/test_webex_xml.py that any single text
value survives the XML builder and parser. Here: what a person clearly wrote is read exactly, and a whole
meeting survives the round trip through the client, the strict (schema-checking) emulator and back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.domain.meeting_rules import MeetingRequestInvalid, clean_agenda, clean_topic
from bot.domain.schedule_text import parse_schedule_text
from bot.emulator import create_app
from bot.webex.client import WebexClient, WebexCredentials
from bot.webex.values import Invitee, MeetingDraft
from tests.support.emulator import ALICE, SITE, new_emulator

# Words that are never dates, times, durations or invitee markers, so a topic made of them is all topic.
TOPIC_WORDS = ["Design", "review", "Budget", "kickoff", "Retro", "roadmap", "Sync", "hiring", "Ops", "demo"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
EMAILS = st.lists(st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True), max_size=3, unique=True)
NOWS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.sampled_from(TOPIC_WORDS), min_size=1, max_size=5),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    duration=st.integers(1, 8 * 60),
    mentions=st.lists(st.from_regex(r"U[A-Z0-9]{8}", fullmatch=True), max_size=3, unique=True),
    emails=EMAILS,
    zone=st.sampled_from(ZONES),
    now=NOWS,
)
def test_a_clearly_written_request_is_read_exactly(
    words: list[str],
    hour: int,
    minute: int,
    duration: int,
    mentions: list[str],
    emails: list[str],
    zone: str,
    now: datetime,
) -> None:
    local_zone = ZoneInfo(zone)
    day = now.astimezone(local_zone).date() + timedelta(days=1)
    wanted = datetime.combine(day, time(hour, minute), tzinfo=local_zone)
    assume(wanted.astimezone(UTC).astimezone(local_zone).time() == time(hour, minute))  # not in a DST gap
    topic = " ".join(words)
    invitees = " ".join([f"<@{user}>" for user in mentions] + emails)
    text = f"{topic} tomorrow at {hour:02}:{minute:02} for {duration}m" + (
        f" with {invitees}" if invitees else ""
    )
    result = parse_schedule_text(text, now=now, user_tz=zone)
    assert result.is_clear, (text, result)
    assert result.topic == topic
    assert result.start == wanted.astimezone(UTC)
    assert result.duration_minutes == duration
    assert list(result.mention_user_ids) == mentions
    assert list(result.emails) == emails


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@settings(max_examples=150, deadline=None)
@given(
    phrase=st.sampled_from(["in {n} days", "{n} days from now", "{n} days from today", "{wd}", "on {wd}"]),
    count=st.integers(1, 60),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    zone=st.sampled_from(ZONES),
    now=NOWS,
)
def test_a_day_counted_or_named_is_that_day(
    phrase: str, count: int, weekday: int, hour: int, minute: int, zone: str, now: datetime
) -> None:
    # "in 3 days" / "3 days from now" is the date 3 days on in the person's zone; "friday" is the next
    # Friday: today only while its time is still ahead, else in a week (and then said).
    local_zone = ZoneInfo(zone)
    today = now.astimezone(local_zone).date()
    said = phrase.format(n=count, wd=WEEKDAY_NAMES[weekday])
    result = parse_schedule_text(f"Sync {said} at {hour:02}:{minute:02}", now=now, user_tz=zone)
    if "{n}" in phrase:
        days = [today + timedelta(days=count)]
    else:
        ahead = (weekday - today.weekday()) % 7
        days = [today + timedelta(days=ahead)] + ([today + timedelta(days=7)] if ahead == 0 else [])
    ahead_of_now = [d for d in days if datetime.combine(d, time(hour, minute), local_zone) > now]
    assert result.topic == "Sync"
    if not ahead_of_now:
        assert result.start is None and any("in the past" in p for p in result.problems), result
        return
    assert result.start is not None and not result.problems, (said, result)
    assert result.day == ahead_of_now[0]
    wanted = datetime.combine(ahead_of_now[0], time(hour, minute), tzinfo=local_zone)
    once = wanted.utcoffset() == wanted.replace(fold=1).utcoffset()  # not skipped or repeated by DST
    if once:
        assert result.start == wanted.astimezone(UTC)
    if len(days) == 2:
        assert result.ambiguities, "today's own weekday is always said"
    elif once:
        assert result.is_clear, (said, result)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200), zone=st.sampled_from(ZONES), now=NOWS)
def test_whatever_is_read_from_any_text_can_be_sent_to_webex(text: str, zone: str, now: datetime) -> None:
    # The parser's topic feeds CreateMeeting: it must pass the same checks the form's topic passes.
    topic = parse_schedule_text(text, now=now, user_tz=zone).topic
    if topic.strip():
        try:
            assert clean_topic(topic) == topic.strip()
        except MeetingRequestInvalid as invalid:
            assert "at most" in invalid.message  # only ever too long, never uncarriable


AWKWARD = st.sampled_from(["<", ">", "&", "]]>", "</confName>", "&amp;", '"', "'", "\t", "🚀", "ש", "\n"])
PRINTABLE = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff")
XML_TEXT = st.lists(AWKWARD | st.text(alphabet=PRINTABLE, max_size=6), min_size=1, max_size=15).map("".join)


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _draft(
    topic: str, agenda: str, duration: int, zone_id: int, days: int, emails: list[str]
) -> MeetingDraft:
    start = (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0)
    return MeetingDraft(
        topic=topic,
        start=start,
        duration_minutes=duration,
        time_zone_id=zone_id,
        agenda=agenda,
        invitees=tuple(Invitee(email=email, name="") for email in emails),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    topic=XML_TEXT,
    agenda=XML_TEXT | st.just(""),
    duration=st.integers(1, 24 * 60),
    zone_id=st.integers(0, 61),
    days=st.integers(1, 300),
    emails=EMAILS,
)
def test_a_whole_meeting_survives_the_client_and_the_strict_emulator(
    topic: str, agenda: str, duration: int, zone_id: int, days: int, emails: list[str]
) -> None:
    try:
        draft = _draft(clean_topic(topic), clean_agenda(agenda), duration, zone_id, days, emails)
    except MeetingRequestInvalid:
        assume(False)
        return
    meeting = asyncio.run(_create_and_read(draft))
    assert meeting.topic == draft.topic
    assert _lines(meeting.agenda) == _lines(draft.agenda)
    assert meeting.start == draft.start
    assert meeting.duration_minutes == draft.duration_minutes
    assert meeting.time_zone_id == draft.time_zone_id
    assert sorted(i.email for i in meeting.invitees) == sorted(emails)


async def _create_and_read(draft: MeetingDraft):  # type: ignore[no-untyped-def]
    emulator = new_emulator()  # strict: every request is checked against the official schema
    token = str(emulator.issue_tokens(SITE, ALICE)["access_token"])
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http:
        client = WebexClient(http, xml_url="http://emulator.test/WBXService/XMLService")
        creds = WebexCredentials(site=SITE, webex_id=ALICE, access_token=token)
        created = await client.create_meeting(creds, draft)
        [stored] = emulator.meetings()
        assert str(stored.key) == created.meeting_key and stored.conf_name == draft.topic
        return await client.get_meeting(creds, created.meeting_key)
