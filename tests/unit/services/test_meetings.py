"""MeetingService with in-memory fakes of the Webex XML API (behind its adapter), the token service and the
idempotency records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.accounts import Link
from bot.domain.clock import FakeClock
from bot.domain.meeting_rules import MeetingLimits, SeveralMeetingNumbers, check_meeting_number
from bot.domain.meetings import Meeting as ShownMeeting
from bot.domain.reminders import HostReminder
from bot.services.errors import NotLinked
from bot.services.idempotency import STALE_AFTER
from bot.services.meeting_reading import day_start
from bot.services.meetings import (
    AnsweredElsewhere,
    ChangeResult,
    CreateOutcomeUnknown,
    ListWindow,
    MeetingEdit,
    MeetingNotCreated,
    MeetingRequestInvalid,
    MeetingService,
    ScheduleRequest,
    SlowDown,
    clean_agenda,
    clean_topic,
    window_bounds,
)
from bot.services.reminders import ReminderService
from bot.store.throttle import ThrottleFull
from bot.webex.client import WebexCredentials
from bot.webex.errors import AccessTokenInvalid, MeetingNotFound, WebexTimeout, WebexUnavailable
from bot.webex.timezones import WebexTimeZone, zone_by_name
from bot.webex.values import CreatedMeeting, Invitee, Meeting, MeetingChanges, MeetingDraft, MeetingPage
from bot.webex.xml_backend import XmlMeetingBackend

NOW = datetime(2026, 3, 2, 9, 7, tzinfo=UTC)  # a Monday


class FakeTokens:
    def __init__(self) -> None:
        self.token = "token-1"
        self.refreshes = 0
        self.linked = True

    def _link(self) -> Link:
        return Link(
            team_id="T1",
            user_id="U1",
            site="sandbox",
            webex_id="alice",
            email="alice@sandbox.example",
            scopes=("meeting_modify",),
            access_token=self.token,
            refresh_token="sandbox_r",
            access_expires_at=NOW + timedelta(hours=2),
            refresh_expires_at=None,
            created_at=NOW,
            updated_at=NOW,
        )

    async def link_with_fresh_token(self, team_id: str, user_id: str) -> Link:
        if not self.linked:
            raise NotLinked("not linked")
        return self._link()

    async def refresh_after_rejection(self, team_id: str, user_id: str, rejected_access_token: str) -> Link:
        if rejected_access_token == self.token:
            self.refreshes += 1
            self.token = f"token-{self.refreshes + 1}"
        return self._link()


@dataclass
class FakeWebex:
    """Meetings in a dict; only the current token is accepted; faults are queued per operation."""

    tokens: FakeTokens
    meeting_limits: MeetingLimits = MeetingLimits()
    ids_are_numbers: bool = True
    meetings: dict[str, Meeting] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    faults: dict[str, list[Exception]] = field(default_factory=dict)
    timeout_after_create: bool = False
    garble_instead_of_timeout: bool = False
    create_lands_late: bool = False  # Webex carries out the create only after the first look
    late: list[Meeting] = field(default_factory=list)
    set_calls: list[MeetingChanges] = field(default_factory=list)
    next_key: int = 123456789
    created_password: str = ""
    stale_after_create: bool = False  # the create reached Webex, then its connection was dropped
    new_connections: list[bool] = field(default_factory=list)  # per create: sent on a new connection?

    def _enter(self, operation: str, creds: WebexCredentials) -> None:
        self.calls.append(operation)
        if creds.access_token != self.tokens.token:
            raise AccessTokenInvalid("WebEx access token is invalid", "030047")
        queued = self.faults.get(operation)
        if queued:
            raise queued.pop(0)

    async def create_meeting(
        self, creds: WebexCredentials, draft: MeetingDraft, *, new_connection: bool = False
    ) -> CreatedMeeting:
        self.new_connections.append(new_connection)
        await asyncio.sleep(0)  # Webex takes a while: let a duplicate delivery arrive meanwhile
        self._enter("create", creds)
        await asyncio.sleep(0)  # and the create is under way before its answer comes
        key = str(self.next_key)
        self.next_key += 1
        self.meetings[key] = Meeting(
            meeting_key=key,
            topic=draft.topic,
            start=draft.start,
            duration_minutes=draft.duration_minutes,
            time_zone_id=draft.time_zone_id,
            agenda=draft.agenda,
            invitees=draft.invitees,
            host_key="654321",
        )
        if self.create_lands_late:
            self.create_lands_late = False
            self.late.append(self.meetings.pop(key))
            raise WebexTimeout("Webex did not answer in 15 s")
        if self.stale_after_create:
            self.stale_after_create = False
            raise WebexUnavailable("connection dropped before any answer", stale_connection=True)
        if self.timeout_after_create:
            self.timeout_after_create = False
            if self.garble_instead_of_timeout:
                raise WebexUnavailable("truncated answer", outcome_unknown=True)
            raise WebexTimeout("Webex did not answer in 15 s")
        return CreatedMeeting(
            meeting_key=key,
            attendee_calendar_url=f"https://ical/{key}",
            password=self.created_password or draft.password or "",
        )

    async def set_meeting(self, creds: WebexCredentials, key: str, changes: MeetingChanges) -> None:
        await asyncio.sleep(0)  # as create_meeting
        self._enter("set", creds)
        self.set_calls.append(changes)
        meeting = self.meetings[key]
        self.meetings[key] = replace(
            meeting,
            topic=changes.topic or meeting.topic,
            start=changes.start or meeting.start,
            duration_minutes=changes.duration_minutes or meeting.duration_minutes,
            agenda=meeting.agenda if changes.agenda is None else changes.agenda,
        )

    async def get_meeting(self, creds: WebexCredentials, key: str) -> Meeting:
        self._enter("get", creds)
        if key not in self.meetings:
            raise MeetingNotFound("Corresponding Meeting not found", "060001")
        return self.meetings[key]

    async def delete_meeting(self, creds: WebexCredentials, key: str) -> None:
        self._enter("delete", creds)
        if self.meetings.pop(key, None) is None:
            raise MeetingNotFound("Corresponding Meeting not found", "060001")

    async def list_meetings(
        self,
        creds: WebexCredentials,
        *,
        start_from: int = 1,
        maximum: int = 10,
        starts_after: datetime | None = None,
        starts_before: datetime | None = None,
    ) -> MeetingPage:
        self._enter("list", creds)
        if self.calls.count("list") > 1:
            self.meetings.update({m.meeting_key: m for m in self.late})
            self.late.clear()
        rows = sorted(
            (
                m
                for m in self.meetings.values()
                if (starts_after is None or m.start >= starts_after)
                and (starts_before is None or m.start <= starts_before)
            ),
            key=lambda m: m.start,
        )
        return MeetingPage(
            meetings=tuple(rows[start_from - 1 : start_from - 1 + maximum]),
            total=len(rows),
            start_from=start_from,
        )

    async def join_url(
        self,
        creds: WebexCredentials,
        key: str,
        *,
        attendee_name: str | None = None,
        attendee_email: str | None = None,
    ) -> str:
        self._enter("join", creds)
        return f"https://sandbox.webex.test/j/{key}?name={attendee_name or ''}"

    async def host_url(self, creds: WebexCredentials, key: str) -> str:
        self._enter("host", creds)
        return f"https://sandbox.webex.test/h/{key}"


def webex_zone(meeting: ShownMeeting) -> WebexTimeZone:
    """The Webex zone a meeting is shown in, by the name the adapter gives it."""
    return zone_by_name(meeting.time_zone_label)


@dataclass(frozen=True)
class Record:
    status: str
    owned: bool
    result: dict[str, Any] | None
    updated_at: datetime = NOW
    error: str | None = None


class FakeOperations:
    """Like the operations table: the first begin owns a key; done and failed records are final."""

    def __init__(self) -> None:
        self.records: dict[str, tuple[str, dict[str, Any] | None]] = {}
        self.writable = True  # False: closing a record fails, as when the database has just gone away
        self.full: ThrottleFull | None = None  # the person is over the throttle: a new creation is refused
        self.reminders: list[HostReminder] = []  # written with the records
        self.errors: dict[str, str] = {}  # of the failed records

    async def begin(
        self, key: str, team_id: str, user_id: str, kind: str, request: dict[str, Any] | None = None
    ) -> Record:
        if key in self.records:
            status, result = self.records[key]
            return Record(status, False, result)
        if self.full is not None:
            raise self.full
        self.records[key] = ("started", None)
        return Record("started", True, None)

    async def get(self, key: str) -> Record | None:
        if key not in self.records:
            return None
        status, result = self.records[key]
        return Record(status, False, result, error=self.errors.get(key))

    async def finish(
        self, key: str, result: dict[str, Any] | None = None, *, reminder: HostReminder | None = None
    ) -> bool:
        if not self.writable:
            raise ConnectionError("database gone")
        self.records[key] = ("done", result)
        if reminder is not None:
            self.reminders.append(reminder)
        return True

    async def fail(self, key: str, error: str, result: dict[str, Any] | None = None) -> bool:
        self.records[key] = ("failed", result)
        self.errors[key] = error
        return True


@dataclass
class World:
    tokens: FakeTokens
    webex: FakeWebex
    operations: FakeOperations
    clock: FakeClock
    service: MeetingService


@pytest.fixture
def world() -> World:
    tokens = FakeTokens()
    webex = FakeWebex(tokens)
    operations = FakeOperations()
    clock = FakeClock(NOW)
    return World(
        tokens,
        webex,
        operations,
        clock,
        MeetingService(
            tokens,
            XmlMeetingBackend(webex),  # type: ignore[arg-type]
            operations,
            clock,
            recheck_pauses=(0.0, 0.0),
            stale_after=timedelta(seconds=0.3),
        ),
    )


def request(**overrides: object) -> ScheduleRequest:
    values: dict[str, object] = {
        "topic": "Design review",
        "start": datetime(2026, 3, 3, 14, 0, tzinfo=UTC),
        "user_tz": "Europe/Berlin",
        "duration_minutes": 45,
    }
    values.update(overrides)
    return ScheduleRequest(**values)  # type: ignore[arg-type]


# ---- schedule ----------------------------------------------------------------------------------


async def test_schedule_creates_one_meeting_in_one_call_to_webex(world: World) -> None:
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert list(world.webex.meetings) == [result.meeting.meeting_id]
    assert world.webex.calls == ["create"]  # the card is made from what Webex accepted
    assert result.meeting.topic == "Design review"
    assert result.meeting.duration_minutes == 45
    assert result.meeting.start == world.webex.meetings[result.meeting.meeting_id].start
    assert result.calendar_url == f"https://ical/{result.meeting.meeting_id}"
    assert webex_zone(result.meeting).iana == "Europe/Berlin"
    assert not result.repeated


async def test_a_repeated_request_answers_with_the_same_meeting(world: World) -> None:
    first = await world.service.schedule("T1", "U1", request(), request_key="k1")
    second = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert second.meeting.meeting_id == first.meeting.meeting_id
    assert second.repeated and second.calendar_url == first.calendar_url
    assert world.webex.calls.count("create") == 1
    # Not made by this delivery: shown as Webex has it now, host key included.
    assert world.webex.calls[-1] == "get" and second.meeting.host_key == "654321"


async def test_the_password_is_the_one_webex_answered_with(world: World) -> None:
    world.webex.created_password = "Xy7pQ2"  # a site that makes up a password when none is given
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert result.meeting.password == "Xy7pQ2"
    assert world.webex.calls == ["create"]


async def test_concurrent_duplicates_create_exactly_one(world: World) -> None:
    results = await asyncio.gather(
        *(world.service.schedule("T1", "U1", request(), request_key="same") for _ in range(3)),
        return_exceptions=True,
    )
    assert len(world.webex.meetings) == 1
    assert [r.answered_elsewhere for r in results] == [False, True, True]  # type: ignore[union-attr]
    assert len({r.meeting.meeting_id for r in results}) == 1  # type: ignore[union-attr]


async def test_a_request_abandoned_while_running_is_taken_over_and_its_meeting_found(world: World) -> None:
    # A process died after Webex created the meeting but before the record was closed.
    first = await world.service.schedule("T1", "U1", request(), request_key="k1")
    world.operations.records["k1"] = ("started", None)
    again = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert again.meeting.meeting_id == first.meeting.meeting_id and again.repeated
    assert not again.answered_elsewhere
    assert world.webex.calls.count("create") == 1


async def test_a_record_that_cannot_be_written_does_not_hide_the_meeting(world: World) -> None:
    world.operations.writable = False
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert result.meeting.meeting_id in world.webex.meetings


async def test_a_garbled_answer_to_create_is_looked_into(world: World) -> None:
    world.webex.timeout_after_create = True
    world.webex.garble_instead_of_timeout = True
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert list(world.webex.meetings) == [result.meeting.meeting_id]


async def test_a_timeout_on_create_finds_the_meeting_instead_of_creating_another(world: World) -> None:
    world.webex.timeout_after_create = True
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert len(world.webex.meetings) == 1
    assert result.meeting.meeting_id in world.webex.meetings
    assert world.webex.calls.count("create") == 1
    # Found, not answered: shown as Webex has it.
    assert world.webex.calls[-1] == "get" and result.meeting.host_key == "654321"


async def test_a_create_webex_carries_out_after_the_timeout_is_found_on_a_later_look(world: World) -> None:
    world.webex.create_lands_late = True
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert list(world.webex.meetings) == [result.meeting.meeting_id]
    assert world.webex.calls.count("create") == 1 and world.webex.calls.count("list") == 2


async def test_a_timeout_where_nothing_was_created_is_reported_and_the_retry_looks_first(
    world: World,
) -> None:
    world.webex.faults["create"] = [WebexTimeout("no answer")]
    with pytest.raises(MeetingNotCreated):
        await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert world.webex.meetings == {}
    world.clock.advance(STALE_AFTER)  # a retry a while later (at once it is the same press's double)
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert world.webex.calls.count("list") == 3  # twice after the timeout, and before the retry creates
    assert list(world.webex.meetings) == [result.meeting.meeting_id]


async def test_a_timeout_and_webex_gone_says_the_outcome_is_unknown(world: World) -> None:
    world.webex.faults["create"] = [WebexTimeout("no answer")]
    world.webex.faults["list"] = [WebexUnavailable("HTTP 503")]
    with pytest.raises(CreateOutcomeUnknown):
        await world.service.schedule("T1", "U1", request(), request_key="k1")


def dropped_connection() -> WebexUnavailable:
    """What the client raises when a create went out on a kept-open connection Webex had closed."""
    return WebexUnavailable("Webex dropped the connection before answering", stale_connection=True)


async def test_a_create_on_a_dropped_connection_looks_once_then_creates_on_a_new_connection(
    world: World,
) -> None:
    world.webex.faults["create"] = [dropped_connection()]
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert list(world.webex.meetings) == [result.meeting.meeting_id]
    assert world.webex.calls == ["create", "list", "create"]  # no pauses, no repeated looks
    assert world.webex.new_connections == [False, True]
    assert not result.repeated and world.operations.records["k1"][0] == "done"


async def test_a_create_that_reached_webex_before_its_connection_dropped_is_found_not_made_again(
    world: World,
) -> None:
    world.webex.stale_after_create = True
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert list(world.webex.meetings) == [result.meeting.meeting_id]
    assert world.webex.calls.count("create") == 1 and world.webex.calls[-1] == "get"


async def test_a_dropped_connection_and_webex_failing_the_second_create_is_not_called_a_timeout(
    world: World,
) -> None:
    world.webex.faults["create"] = [dropped_connection(), WebexUnavailable("reset", outcome_unknown=True)]
    with pytest.raises(MeetingNotCreated) as caught:
        await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert caught.value.timed_out is False
    assert world.webex.calls.count("create") == 2 and world.webex.meetings == {}


async def test_a_dropped_connection_when_the_look_fails_falls_back_to_the_patient_looks(world: World) -> None:
    world.webex.faults["create"] = [dropped_connection()]
    world.webex.faults["list"] = [WebexUnavailable("HTTP 503")]
    with pytest.raises(MeetingNotCreated) as caught:
        await world.service.schedule("T1", "U1", request(), request_key="k1")
    # Without a look that worked, the create is not sent again blindly; the patient looks found nothing.
    assert world.webex.calls.count("create") == 1 and world.webex.calls.count("list") == 3
    assert caught.value.timed_out is False and world.webex.meetings == {}


async def test_an_unavailable_webex_fails_the_record_so_a_retry_looks_before_creating(world: World) -> None:
    world.webex.faults["create"] = [WebexUnavailable("HTTP 502")]
    with pytest.raises(WebexUnavailable):
        await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert world.operations.records["k1"][0] == "failed"
    # Delivered again at once, it is the same press: its failure was the answer, nothing is created.
    with pytest.raises(AnsweredElsewhere):
        await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert world.webex.calls.count("create") == 1 and world.webex.meetings == {}
    # A retry a while later looks, then creates.
    world.clock.advance(STALE_AFTER)
    await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert world.webex.calls.count("create") == 2 and len(world.webex.meetings) == 1


async def test_a_rejected_token_is_refreshed_once_and_the_call_retried(world: World) -> None:
    world.webex.faults["create"] = [AccessTokenInvalid("WebEx access token is invalid")]
    result = await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert world.tokens.refreshes == 1
    assert result.meeting.meeting_id in world.webex.meetings


async def test_a_token_rejected_twice_is_not_refreshed_again(world: World) -> None:
    world.webex.faults["get"] = [AccessTokenInvalid("invalid"), AccessTokenInvalid("invalid")]
    world.webex.meetings["111222333"] = Meeting("111222333", "x", NOW + timedelta(hours=1), 30, 20)
    with pytest.raises(AccessTokenInvalid):
        await world.service.get("T1", "U1", "111222333")
    assert world.tokens.refreshes == 1


async def test_not_linked_reaches_the_caller(world: World) -> None:
    world.tokens.linked = False
    with pytest.raises(NotLinked):
        await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert world.webex.calls == []


@pytest.mark.parametrize(
    ("overrides", "field_name"),
    [
        ({"topic": "   "}, "topic"),
        ({"topic": "bell\x07"}, "topic"),
        ({"topic": "x" * 513}, "topic"),
        ({"agenda": "nul\x00"}, "agenda"),
        ({"agenda": "a" * 2501}, "agenda"),
        ({"start": NOW - timedelta(hours=1)}, "start"),
        ({"duration_minutes": 0}, "duration"),
        ({"duration_minutes": 24 * 60 + 1}, "duration"),
        ({"invitees": (Invitee("not-an-email"),)}, "invitees"),
    ],
)
async def test_requests_webex_cannot_take_are_refused_before_any_call(
    world: World, overrides: dict[str, object], field_name: str
) -> None:
    with pytest.raises(MeetingRequestInvalid) as caught:
        await world.service.schedule("T1", "U1", request(**overrides), request_key="k1")
    assert caught.value.field == field_name
    assert caught.value.message
    assert world.webex.calls == []


async def test_text_is_carried_exactly(world: World) -> None:
    topic = 'Q&A "<b>review</b>" ]]> 🚀 ревью مراجعة'
    agenda = "1. <intro> & 'welcome'\n2.\tdemo 🎉"
    result = await world.service.schedule("T1", "U1", request(topic=topic, agenda=agenda), request_key="k1")
    stored = world.webex.meetings[result.meeting.meeting_id]
    assert stored.topic == topic and stored.agenda == agenda


def test_topic_newlines_become_spaces_and_control_characters_are_named() -> None:
    assert clean_topic(" Plan\nQ3 ") == "Plan Q3"
    with pytest.raises(MeetingRequestInvalid, match="U\\+001B"):
        clean_topic("esc\x1b")
    assert clean_agenda("line\r\nline") == "line\r\nline"


async def test_invitees_are_deduplicated_by_email(world: World) -> None:
    invitees = (Invitee("ana@example.com", "Ana"), Invitee("ANA@example.com"), Invitee("li@example.com"))
    result = await world.service.schedule("T1", "U1", request(invitees=invitees), request_key="k1")
    assert [i.email for i in result.meeting.invitees] == ["ana@example.com", "li@example.com"]


@pytest.mark.parametrize(
    ("user_tz", "local_start", "iana"),
    [
        # Europe moves its clocks on 29 March 2026, the US on 8 March: the zone is chosen per date.
        ("Europe/Berlin", datetime(2026, 3, 30, 9, 0), "Europe/Berlin"),
        ("America/New_York", datetime(2026, 3, 9, 9, 0), "America/New_York"),
        ("Europe/Vienna", datetime(2026, 3, 30, 9, 0), None),
    ],
)
async def test_the_webex_zone_matches_the_offset_on_the_meeting_date(
    world: World, user_tz: str, local_start: datetime, iana: str | None
) -> None:
    from zoneinfo import ZoneInfo

    start = local_start.replace(tzinfo=ZoneInfo(user_tz))
    result = await world.service.schedule("T1", "U1", request(start=start, user_tz=user_tz), request_key="k")
    zone = webex_zone(result.meeting)
    if iana:
        assert zone.iana == iana
    assert start.astimezone(zone.tzinfo).utcoffset() == start.utcoffset()
    assert result.meeting.start == start.astimezone(UTC)


async def test_an_unknown_user_zone_falls_back_to_gmt_with_the_same_instant(world: World) -> None:
    start = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    result = await world.service.schedule(
        "T1", "U1", request(user_tz="Mars/Olympus", start=start), request_key="k"
    )
    assert webex_zone(result.meeting).id == 20 and result.meeting.start == start


@pytest.mark.parametrize(
    ("asked_tz", "start", "iana"),
    [
        # Asked in another zone: Webex shows the meeting in that zone, at the instant asked.
        ("Europe/Berlin", datetime(2026, 12, 25, 9, 0, tzinfo=UTC), "Europe/Berlin"),
        ("America/Sao_Paulo", datetime(2026, 12, 25, 13, 0, tzinfo=UTC), "America/Sao_Paulo"),
        ("UTC+05:30", datetime(2026, 12, 25, 4, 30, tzinfo=UTC), "Asia/Kolkata"),
        ("UTC", datetime(2026, 12, 25, 10, 0, tzinfo=UTC), "Etc/GMT"),
        # No Webex zone has +05:45: the person's own zone (Berlin), same instant.
        ("Asia/Kathmandu", datetime(2026, 12, 25, 4, 15, tzinfo=UTC), "Europe/Berlin"),
        ("UTC+05:45", datetime(2026, 12, 25, 4, 15, tzinfo=UTC), "Europe/Berlin"),
        ("", datetime(2026, 12, 25, 9, 0, tzinfo=UTC), "Europe/Berlin"),
    ],
)
async def test_a_meeting_asked_in_another_zone_is_shown_in_webex_in_that_zone(
    world: World, asked_tz: str, start: datetime, iana: str
) -> None:
    asked = request(start=start, user_tz="Europe/Berlin", time_zone=asked_tz)
    result = await world.service.schedule("T1", "U1", asked, request_key="k")
    assert webex_zone(result.meeting).iana == iana
    assert result.meeting.start == start


async def test_start_now_begins_at_the_next_minute(world: World) -> None:
    world.clock.set(datetime(2026, 3, 2, 9, 7, 31, tzinfo=UTC))
    result = await world.service.start_now("T1", "U1", "Quick sync", "Europe/Berlin", request_key="n1")
    assert result.meeting.start == datetime(2026, 3, 2, 9, 8, tzinfo=UTC)
    assert world.webex.calls == ["create"]


# ---- list --------------------------------------------------------------------------------------


def seed(world: World, count: int, *, first: datetime, every: timedelta) -> None:
    for i in range(count):
        key = str(500000000 + i)
        world.webex.meetings[key] = Meeting(key, f"m{i}", first + i * every, 30, 20)


async def test_list_pages_through_upcoming_meetings(world: World) -> None:
    seed(world, 12, first=NOW + timedelta(hours=1), every=timedelta(hours=3))
    page1 = await world.service.list_upcoming("T1", "U1", user_tz="Europe/Berlin")
    assert [m.topic for m in page1.meetings] == [f"m{i}" for i in range(10)]
    assert page1.next_cursor == "11"
    page2 = await world.service.list_upcoming("T1", "U1", user_tz="Europe/Berlin", cursor="11")
    assert [m.topic for m in page2.meetings] == ["m10", "m11"] and page2.next_cursor is None


async def test_list_shows_a_running_meeting_but_not_an_ended_one(world: World) -> None:
    world.webex.meetings["100000001"] = Meeting("100000001", "ended", NOW - timedelta(hours=2), 30, 20)
    world.webex.meetings["100000002"] = Meeting("100000002", "running", NOW - timedelta(minutes=10), 60, 20)
    page = await world.service.list_upcoming("T1", "U1", user_tz="UTC")
    assert [m.topic for m in page.meetings] == ["running"]


async def test_an_empty_list_is_not_an_error(world: World) -> None:
    page = await world.service.list_upcoming("T1", "U1", user_tz="UTC", window=ListWindow.WEEK)
    assert page.meetings == () and page.next_cursor is None


def test_today_is_the_persons_own_day() -> None:
    late = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already 3 March in Tokyo
    after, before = window_bounds(ListWindow.TODAY, late, "Asia/Tokyo", longest_meeting=timedelta(hours=24))
    assert day_start(late, "Asia/Tokyo") == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    # Asked from earlier than midnight, so a meeting begun last night and still running is found.
    assert after == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert before == datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
    _, week_end = window_bounds(ListWindow.WEEK, late, "UTC", longest_meeting=timedelta(hours=24))
    assert week_end == datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("window", list(ListWindow))
async def test_every_list_shows_a_meeting_running_for_longer_than_half_a_day(
    world: World, window: ListWindow
) -> None:
    # Started 15 hours ago for 20 hours: still running (the XML API holds meetings of up to 24 hours).
    world.webex.meetings["100000001"] = Meeting(
        "100000001", "marathon", NOW - timedelta(hours=15), 20 * 60, 20
    )
    world.webex.meetings["100000002"] = Meeting("100000002", "ended", NOW - timedelta(hours=15), 14 * 60, 20)
    page = await world.service.list_upcoming("T1", "U1", user_tz="UTC", window=window)
    assert [m.topic for m in page.meetings] == ["marathon"]


async def test_a_day_of_meetings_already_over_does_not_empty_the_list(world: World) -> None:
    # Twelve meetings of the last ten hours, all over, come first from Webex: the page still shows
    # what is to come, and the count leaves out what is over.
    seed(world, 12, first=NOW - timedelta(hours=10), every=timedelta(minutes=40))
    world.webex.meetings["100000001"] = Meeting("100000001", "next", NOW + timedelta(hours=2), 30, 20)
    world.webex.meetings["100000002"] = Meeting("100000002", "after", NOW + timedelta(hours=5), 30, 20)
    page = await world.service.list_upcoming("T1", "U1", user_tz="UTC", window=ListWindow.WEEK, page_size=5)
    assert [m.topic for m in page.meetings] == ["next", "after"]
    assert page.next_cursor is None and page.total == 2


# ---- change, cancel, join ----------------------------------------------------------------------


async def test_change_sends_only_what_changed(world: World) -> None:
    created = await world.service.schedule("T1", "U1", request(agenda="a"), request_key="k1")
    key = created.meeting.meeting_id
    new_start = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    result = await world.service.change(
        "T1",
        "U1",
        key,
        MeetingEdit(
            user_tz="Europe/Berlin", topic="Design review", start=new_start, duration_minutes=45, agenda="a"
        ),
        request_key="e1",
    )
    assert result.changed == ("time",)
    sent = world.webex.set_calls[-1]
    assert sent.start == new_start and sent.time_zone_id is not None
    assert sent.topic is None and sent.duration_minutes is None and sent.agenda is None
    assert result.meeting.start == new_start


async def test_change_with_nothing_different_makes_no_call(world: World) -> None:
    created = await world.service.schedule("T1", "U1", request(), request_key="k1")
    result = await world.service.change(
        "T1",
        "U1",
        created.meeting.meeting_id,
        MeetingEdit(user_tz="UTC", topic="Design review"),
        request_key="e1",
    )
    assert result.changed == () and world.webex.set_calls == []


async def test_one_edit_saved_three_times_at_once_is_sent_once_and_answered_once(world: World) -> None:
    created = await world.service.schedule("T1", "U1", request(), request_key="k1")
    edit = MeetingEdit(user_tz="UTC", topic="Renamed")
    results = await asyncio.gather(
        *(
            world.service.change("T1", "U1", created.meeting.meeting_id, edit, request_key="e1")
            for _ in range(3)
        ),
        return_exceptions=True,
    )
    assert len(world.webex.set_calls) == 1
    first, *others = results
    assert isinstance(first, ChangeResult) and first.changed == ("topic",) and not first.repeated
    # The deliveries that waited add nothing: the first is showing the card.
    assert [type(other) for other in others] == [AnsweredElsewhere, AnsweredElsewhere]


async def test_an_edit_saved_again_after_it_was_answered_is_already_saved_without_a_call(
    world: World,
) -> None:
    created = await world.service.schedule("T1", "U1", request(), request_key="k1")
    edit = MeetingEdit(user_tz="UTC", topic="Renamed", duration_minutes=60)
    await world.service.change("T1", "U1", created.meeting.meeting_id, edit, request_key="e1")
    again = await world.service.change("T1", "U1", created.meeting.meeting_id, edit, request_key="e1")
    assert again.repeated and again.changed == ("topic", "duration")
    assert again.meeting.topic == "Renamed" and len(world.webex.set_calls) == 1


async def test_an_edit_failing_while_its_double_waits_is_answered_by_the_failure_alone(world: World) -> None:
    created = await world.service.schedule("T1", "U1", request(), request_key="k1")
    world.webex.faults["set"] = [WebexUnavailable("HTTP 502")]
    edit = MeetingEdit(user_tz="UTC", topic="Renamed")
    first, second = await asyncio.gather(
        *(
            world.service.change("T1", "U1", created.meeting.meeting_id, edit, request_key="e1")
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    assert isinstance(first, WebexUnavailable) and isinstance(second, AnsweredElsewhere)
    assert world.webex.calls.count("set") == 1 and world.operations.records["e1"][0] == "failed"
    # Delivered again at once (the same press): the failure was its answer, nothing is tried again.
    with pytest.raises(AnsweredElsewhere):
        await world.service.change("T1", "U1", created.meeting.meeting_id, edit, request_key="e1")
    assert world.webex.calls.count("set") == 1
    # Saved again a while later (a retry, or another process finishing it): the next attempt makes it.
    world.clock.advance(STALE_AFTER)
    result = await world.service.change("T1", "U1", created.meeting.meeting_id, edit, request_key="e1")
    assert result.changed == ("topic",) and not result.repeated
    assert world.webex.meetings[created.meeting.meeting_id].topic == "Renamed"


async def test_a_delivery_waiting_on_an_attempt_whose_process_died_makes_the_change(world: World) -> None:
    created = await world.service.schedule("T1", "U1", request(), request_key="k1")
    world.operations.records["e1"] = ("started", None)  # another process began it, then died

    async def found_dead() -> None:  # as another process's recovery round closes what it left
        await asyncio.sleep(0.05)
        await world.operations.fail("e1", "OwnerStopped")

    edit = MeetingEdit(user_tz="UTC", topic="Renamed")
    result, _ = await asyncio.gather(
        world.service.change("T1", "U1", created.meeting.meeting_id, edit, request_key="e1"), found_dead()
    )
    # That process told no one: this delivery takes the next attempt and answers.
    assert result.changed == ("topic",) and len(world.webex.set_calls) == 1
    assert world.operations.records["e1#1"][0] == "done"


async def test_a_double_click_whose_create_failed_is_answered_by_the_failure_alone(world: World) -> None:
    world.webex.faults["create"] = [WebexUnavailable("HTTP 502")]
    first, second = await asyncio.gather(
        *(world.service.schedule("T1", "U1", request(), request_key="k1") for _ in range(2)),
        return_exceptions=True,
    )
    assert isinstance(first, WebexUnavailable) and isinstance(second, AnsweredElsewhere)
    assert world.webex.calls.count("create") == 1 and world.webex.meetings == {}


async def test_cancel_deletes_and_a_second_cancel_says_it_is_already_gone(world: World) -> None:
    created = await world.service.schedule("T1", "U1", request(), request_key="k1")
    key = created.meeting.meeting_id
    first = await world.service.cancel("T1", "U1", key)
    assert not first.already_cancelled and first.topic == "Design review"
    assert key not in world.webex.meetings
    second = await world.service.cancel("T1", "U1", key)
    assert second.already_cancelled


async def test_cancel_racing_another_delete_is_already_cancelled(world: World) -> None:
    created = await world.service.schedule("T1", "U1", request(), request_key="k1")
    world.webex.faults["delete"] = [MeetingNotFound("Corresponding Meeting not found", "060001")]
    result = await world.service.cancel("T1", "U1", created.meeting.meeting_id)
    assert result.already_cancelled and result.topic == "Design review"


async def test_join_url_passes_the_name(world: World) -> None:
    meeting_id = await world.service.meeting_id_for("T1", "U1", "123 456 789")
    url = await world.service.join_url("T1", "U1", meeting_id, name="Li")
    assert url.endswith("123456789?name=Li")


@pytest.mark.parametrize(
    "text", ["abc", "12", "", "1234567", "123456789012", "12345678901234567890123", "²³⁴⁵⁶⁷⁸⁹"]
)
def test_meeting_numbers_that_cannot_be_one_are_refused(text: str) -> None:
    with pytest.raises(MeetingRequestInvalid):
        check_meeting_number(text)


@pytest.mark.parametrize(
    "text",
    [" 1234 567-890 ", "1234567890", "1234 567 890", "123-456-7890", "12345678 90", "１２３４ ５６７ ８９０"],
)
def test_meeting_numbers_as_people_type_them(text: str) -> None:
    assert check_meeting_number(text) == "1234567890"


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("123456789 987654321", ("123456789", "987654321")),
        ("12345678901 - 2345678901", ("12345678901", "2345678901")),
        ("123456789 987654321 11122233344", ("123456789", "987654321", "11122233344")),
    ],
)
def test_two_whole_meeting_numbers_are_not_read_as_one(text: str, numbers: tuple[str, ...]) -> None:
    with pytest.raises(SeveralMeetingNumbers) as refused:
        check_meeting_number(text)
    assert refused.value.numbers == numbers


def test_more_digits_than_a_meeting_number_has_say_so() -> None:
    with pytest.raises(MeetingRequestInvalid) as refused:
        check_meeting_number("1234 5678 9012 3456 7890")
    assert "has 20 digits" in refused.value.message and "one meeting at a time" in refused.value.message


@pytest.mark.parametrize(
    "link",
    [
        "https://acme.webex.com/acme/e.php?AT=SI&MK=123456789",  # the XML API's join link
        "https://acme.webex.com/acme/m.php?AT=HM&MK=1234567890",
        "https://acme.webex.com/acme/e.php?MK=123456789&AN=Ana+Li ",
    ],
)
def test_a_webex_link_that_shows_the_number_is_read_as_it(link: str) -> None:
    assert check_meeting_number(link) in ("123456789", "1234567890")


@pytest.mark.parametrize(
    "link",
    [
        "https://acme.webex.com/acme/j.php?MTID=m3881b2c4d5",  # the invitation and REST links
        "https://acme.webex.com/meet/ana",  # a personal room
        "https://zoom.us/j/85012345678",  # digits, but not a Webex meeting
        "https://evil.example/acme.webex.com/e.php?MK=123456789",
        "https://acme.webex.com/acme/e.php?MK=12",
    ],
)
def test_a_link_without_a_readable_number_says_where_the_number_is(link: str) -> None:
    with pytest.raises(MeetingRequestInvalid) as refused:
        check_meeting_number(link)
    assert "link" in refused.value.message and "/webex list" in refused.value.message


def test_full_width_digits_are_read_as_the_number_they_show() -> None:
    # What a Japanese or Chinese keyboard types; Webex takes only ASCII digits.
    assert check_meeting_number("１２３ ４５６ ７８９") == "123456789"


# ---- the per-user throttle ---------------------------------------------------------------------


async def test_over_the_throttle_nothing_is_created_or_recorded_and_the_person_is_told_when_to_retry(
    world: World,
) -> None:
    world.operations.full = ThrottleFull(12, limit="per minute")
    with pytest.raises(SlowDown) as slow:
        await world.service.schedule("T1", "U1", request(), request_key="k1")
    assert (slow.value.retry_after, slow.value.limit) == (12, "per minute")
    assert world.webex.meetings == {} and world.webex.calls == []
    assert world.operations.records == {}  # a retry of the same request starts afresh


async def test_a_creation_ends_its_record_whether_it_worked_or_failed(world: World) -> None:
    # The throttle counts a creation in flight while its record is "started".
    world.webex.faults["create"] = [WebexUnavailable("Webex answered 503")]
    with pytest.raises(WebexUnavailable):
        await world.service.schedule("T1", "U1", request(), request_key="k1")
    await world.service.schedule("T1", "U1", request(), request_key="k2")
    assert [status for status, _ in world.operations.records.values()] == ["failed", "done"]
    assert len(world.webex.meetings) == 1


async def test_a_creation_cut_short_at_shutdown_ends_its_record(world: World) -> None:
    creating = asyncio.create_task(world.service.schedule("T1", "U1", request(), request_key="k1"))
    while "create" not in world.webex.calls:
        await asyncio.sleep(0)
    creating.cancel()
    with pytest.raises(asyncio.CancelledError):
        await creating
    assert world.operations.records["k1"][0] == "failed"


# ---- the host's reminder ------------------------------------------------------------------------


class FakeReminderStore:
    """The reminder rows written on their own (not with a meeting's record)."""

    def __init__(self) -> None:
        self.put_meetings: list[str] = []

    async def choice(self, team_id: str, user_id: str, default: int | None) -> int | None:
        return default

    async def put(self, team_id: str, meeting_id: str, **values: Any) -> None:
        self.put_meetings.append(meeting_id)


def reminding(world: World, store: FakeReminderStore) -> MeetingService:
    return MeetingService(
        world.tokens,
        XmlMeetingBackend(world.webex),  # type: ignore[arg-type]
        world.operations,
        world.clock,
        reminders=ReminderService(store, world.clock, default_minutes=10),  # type: ignore[arg-type]
    )


async def test_the_hosts_reminder_is_written_with_the_meetings_record(world: World) -> None:
    store = FakeReminderStore()
    scheduled = await reminding(world, store).schedule("T1", "U1", request(), request_key="k1")
    [reminder] = world.operations.reminders
    assert reminder == HostReminder(
        team_id="T1",
        host_user_id="U1",
        meeting_id=scheduled.meeting.meeting_id,
        topic="Design review",
        starts_at=datetime(2026, 3, 3, 14, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 3, 14, 45, tzinfo=UTC),
        default_minutes=10,
    )
    assert store.put_meetings == []  # no second write


async def test_the_reminder_is_kept_on_its_own_when_the_record_cannot_be_written_or_was_not_ours(
    world: World,
) -> None:
    store = FakeReminderStore()
    service = reminding(world, store)
    world.operations.writable = False
    first = await service.schedule("T1", "U1", request(), request_key="k1")
    world.operations.writable = True
    world.operations.records["k2"] = ("done", {"meeting_key": first.meeting.meeting_id})  # made before
    await service.schedule("T1", "U1", request(), request_key="k2")
    assert world.operations.reminders == []
    assert store.put_meetings == [first.meeting.meeting_id] * 2  # the store keeps one row per meeting


async def test_a_meeting_started_now_has_no_reminder(world: World) -> None:
    store = FakeReminderStore()
    await reminding(world, store).start_now("T1", "U1", "Quick sync", "Europe/Berlin", request_key="k1")
    assert world.operations.reminders == [] and store.put_meetings == []
