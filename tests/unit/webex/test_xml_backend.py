"""The XML adapter keeps the XML API's shapes to itself: zones by IANA name, a cursor for the 1-based
offsets, a meeting's id and number both its key, and errors the use cases know by their neutral names."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.recurrence import Frequency, Recurrence
from bot.services import ports
from bot.services.ports import Credentials, MeetingChanges, MeetingDraft
from bot.webex import errors
from bot.webex.client import WebexCredentials
from bot.webex.timezones import zone_by_id
from bot.webex.values import CreatedMeeting, Meeting, MeetingPage, WebexUser
from bot.webex.values import MeetingChanges as XmlChanges
from bot.webex.values import MeetingDraft as XmlDraft
from bot.webex.xml_backend import XmlMeetingBackend, shown_zone

CREDS = Credentials(site="acme", user_id="alice", access_token="token")
START = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)  # summer: Berlin is UTC+2


@dataclass
class ScriptedXml:
    """What the adapter sent to the XML client, and what the client answers."""

    drafts: list[XmlDraft] = field(default_factory=list)
    changes: list[XmlChanges] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)
    rows: tuple[Meeting, ...] = ()
    described: dict[str, Meeting] = field(default_factory=dict)  # what GetMeeting answers, by key

    async def create_meeting(
        self, creds: WebexCredentials, draft: XmlDraft, *, new_connection: bool = False
    ) -> CreatedMeeting:
        assert creds.webex_id == "alice" and creds.access_token == "token"
        self.drafts.append(draft)
        return CreatedMeeting(meeting_key="123456789", attendee_calendar_url="https://ical/1", password="pw")

    async def set_meeting(self, creds: WebexCredentials, key: str, changes: XmlChanges) -> None:
        self.changes.append(changes)

    async def get_meeting(self, creds: WebexCredentials, key: str) -> Meeting:
        if key in self.described:
            return self.described[key]
        raise errors.MeetingNotFound("Corresponding Meeting not found", "060001")

    async def list_meetings(self, creds: WebexCredentials, **query: object) -> MeetingPage:
        start_from, maximum = int(str(query["start_from"])), int(str(query["maximum"]))
        self.pages.append((start_from, maximum))
        shown = self.rows[start_from - 1 : start_from - 1 + maximum]
        return MeetingPage(meetings=shown, total=len(self.rows), start_from=start_from)

    async def get_user(self, creds: WebexCredentials, webex_id: str | None = None) -> WebexUser:
        return WebexUser(webex_id="alice", email="alice@acme.example", first_name="Alice", time_zone_id=25)


def backend(xml: ScriptedXml) -> XmlMeetingBackend:
    return XmlMeetingBackend(xml)  # type: ignore[arg-type]


def test_a_draft_in_an_iana_zone_goes_out_in_the_webex_zone_of_that_place() -> None:
    xml = ScriptedXml()
    draft = MeetingDraft(topic="Sync", start=START, duration_minutes=45, time_zone="Europe/Berlin")
    created = asyncio.run(backend(xml).schedule(CREDS, draft))
    assert zone_by_id(xml.drafts[0].time_zone_id).iana == "Europe/Berlin"
    meeting = created.meeting
    assert (meeting.meeting_id, meeting.number) == ("123456789", "123456789")
    assert (meeting.time_zone, meeting.time_zone_label) == ("Europe/Berlin", "GMT+01:00, Europe (Berlin)")
    assert meeting.start == START and meeting.host_id == "alice" and meeting.password == "pw"
    assert created.calendar_url == "https://ical/1"


def test_a_zone_webex_lacks_falls_back_to_the_persons_own_at_the_same_instant() -> None:
    at = datetime(2026, 12, 25, 4, 15, tzinfo=UTC)
    assert shown_zone("Asia/Kathmandu", at, "Europe/Berlin")[0] == "Europe/Berlin"
    assert shown_zone("UTC+05:30", at, "Europe/Berlin")[0] == "Asia/Kolkata"
    assert shown_zone("", at, "")[1] == "GMT+00:00, Greenwich (Casablanca)"


def test_a_new_start_is_sent_in_the_webex_zone_of_the_persons_zone() -> None:
    xml = ScriptedXml()
    asyncio.run(backend(xml).change(CREDS, "123456789", MeetingChanges(start=START, time_zone="Asia/Tokyo")))
    assert zone_by_id(xml.changes[0].time_zone_id or 0).iana == "Asia/Tokyo"


def test_the_cursor_walks_the_one_based_pages_and_ends_with_none() -> None:
    rows = tuple(
        Meeting(
            meeting_key=str(100000000 + i), topic=f"m{i}", start=START, duration_minutes=30, time_zone_id=20
        )
        for i in range(5)
    )
    xml = ScriptedXml(rows=rows)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = asyncio.run(
            backend(xml).list_meetings(
                CREDS, starts_after=START, starts_before=None, page_size=2, cursor=cursor
            )
        )
        seen += [m.topic for m in page.meetings]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # Rows are read ahead (a series takes one row per occurrence); the cursor goes on from the next.
    assert seen == ["m0", "m1", "m2", "m3", "m4"] and xml.pages == [(1, 10), (3, 10), (5, 10)]
    assert page.total == 5


def test_a_series_is_listed_once_at_its_next_meeting_with_its_rule() -> None:
    weekly = Recurrence(Frequency.WEEKLY, weekdays=frozenset({2}))

    def row(key: str, topic: str, days: int) -> Meeting:
        start = START + timedelta(days=days)
        return Meeting(meeting_key=key, topic=topic, start=start, duration_minutes=30, time_zone_id=20)

    rows = (
        row("111111111", "Standup", 0), row("222222222", "One-off", 1), row("111111111", "Standup", 7),
        row("333333333", "Other", 8), row("111111111", "Standup", 14), row("111111111", "Standup", 21),
    )  # fmt: skip
    series = replace(rows[0], recurrence=weekly)
    xml = ScriptedXml(rows=rows, described={"111111111": series})
    first = asyncio.run(
        backend(xml).list_meetings(CREDS, starts_after=START, starts_before=None, page_size=2)
    )
    assert [(m.topic, m.recurrence) for m in first.meetings] == [("Standup", weekly), ("One-off", None)]
    assert first.total is None  # Webex's count is of occurrences, not of meetings
    assert first.next_cursor is not None
    rest = asyncio.run(
        backend(xml).list_meetings(
            CREDS, starts_after=START, starts_before=None, page_size=2, cursor=first.next_cursor
        )
    )
    # The next page does not show the series again.
    assert [m.topic for m in rest.meetings] == ["Other"] and rest.next_cursor is None


def test_a_cursor_the_adapter_did_not_make_is_refused() -> None:
    with pytest.raises(ports.RequestRejected):
        asyncio.run(
            backend(ScriptedXml()).list_meetings(
                CREDS, starts_after=START, starts_before=None, page_size=2, cursor="-3"
            )
        )


def test_webex_errors_are_the_neutral_ones_the_use_cases_catch() -> None:
    with pytest.raises(ports.MeetingNotFound):
        asyncio.run(backend(ScriptedXml()).meeting(CREDS, "123456789"))
    assert isinstance(errors.AccessTokenInvalid("expired"), ports.CredentialsRejected)
    assert isinstance(errors.WebexTimeout("slow"), ports.TimedOut)
    assert errors.WebexTimeout("slow").outcome_unknown
    assert isinstance(errors.InvalidGrant("invalid_grant"), ports.GrantRevoked)
    assert isinstance(errors.TokenEndpointUnavailable("down"), ports.AuthorizationServerUnavailable)
    assert errors.InvalidRequest("too long", field="topic").field == "topic"


def test_a_meeting_number_is_its_id_without_a_call() -> None:
    assert asyncio.run(backend(ScriptedXml()).meeting_id_for(CREDS, "123 456-789")) == "123456789"


def test_who_am_i_names_the_users_zone_by_its_iana_name() -> None:
    user = asyncio.run(backend(ScriptedXml()).who_am_i(CREDS))
    assert (user.user_id, user.email, user.time_zone) == ("alice", "alice@acme.example", "Europe/Berlin")


def test_a_series_met_once_on_the_page_is_known_by_the_rows_read_ahead() -> None:
    weekly = Recurrence(Frequency.WEEKLY)
    rows = tuple(
        Meeting(
            meeting_key=key,
            topic=key,
            start=START + timedelta(days=day),
            duration_minutes=30,
            time_zone_id=20,
        )
        for key, day in (("111111111", 0), ("222222222", 1), ("111111111", 7))
    )
    xml = ScriptedXml(rows=rows, described={"111111111": replace(rows[0], recurrence=weekly)})
    page = asyncio.run(backend(xml).list_meetings(CREDS, starts_after=START, starts_before=None, page_size=1))
    assert [(m.topic, m.recurrence) for m in page.meetings] == [("111111111", weekly)]
