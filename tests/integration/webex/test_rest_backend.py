"""The REST adapter against the emulator's REST API (strict against Cisco's description), in process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.emulator import Emulator
from bot.emulator.faults import Fault
from bot.services import ports
from bot.services.ports import Credentials, Invitee, MeetingChanges, MeetingDraft
from bot.webex.oauth import WebexOAuth
from bot.webex.rest_backend import RestApi, RestAuthorizationServer, RestMeetingBackend, s256
from tests.support.emulator import ALICE, BOB, approve_consent

BASE = "http://emulator.test/v1"
START = (datetime.now(UTC) + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)


class Sleeps:
    """Records the waits the adapter asks for instead of waiting."""

    def __init__(self) -> None:
        self.waited: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def api(emulator_client: httpx.AsyncClient, sleeps: Sleeps) -> RestApi:
    return RestApi(emulator_client, base_url=BASE, deadline=5, sleep=sleeps)


@pytest.fixture
def backend(api: RestApi) -> RestMeetingBackend:
    return RestMeetingBackend(api)


def creds_for(emulator: Emulator, user: str = ALICE) -> Credentials:
    grant = emulator.rest.issue_tokens("sandbox", user)
    return Credentials(site="sandbox", user_id="", access_token=str(grant["access_token"]))


def draft(topic: str = "Standup", start: datetime = START, **extra: object) -> MeetingDraft:
    return MeetingDraft(topic=topic, start=start, duration_minutes=30, time_zone="America/New_York", **extra)  # type: ignore[arg-type]


async def test_create_get_change_cancel_round_trip(backend: RestMeetingBackend, emulator: Emulator) -> None:
    creds = creds_for(emulator)
    created = await backend.schedule(
        creds, draft(agenda="Plan", invitees=(Invitee("ops@example.com", "Ops"),), password="Secret123")
    )
    meeting = created.meeting
    assert meeting.number.isdigit() and meeting.meeting_id != meeting.number
    assert (meeting.start, meeting.duration_minutes, meeting.time_zone) == (START, 30, "America/New_York")
    stored = emulator.rest.meeting(meeting.meeting_id)
    assert stored is not None and stored["password"] == "Secret123" and stored["agenda"] == "Plan"

    got = await backend.meeting(creds, meeting.meeting_id)
    assert (got.topic, got.start, got.end) == ("Standup", START, START + timedelta(minutes=30))
    assert got.invitees == (Invitee("ops@example.com", "Ops"),)
    assert (
        await backend.meeting_id_for(creds, f"{meeting.number[:3]} {meeting.number[3:]}")
        == meeting.meeting_id
    )

    later = START + timedelta(hours=1)
    await backend.change(creds, meeting.meeting_id, MeetingChanges(topic="Retro", start=later))
    changed = await backend.meeting(creds, meeting.meeting_id)
    # The duration stays when only the start moves: Webex takes both ends together.
    assert (changed.topic, changed.start, changed.duration_minutes) == ("Retro", later, 30)

    await backend.cancel(creds, meeting.meeting_id)
    with pytest.raises(ports.MeetingNotFound):
        await backend.meeting(creds, meeting.meeting_id)
    with pytest.raises(ports.MeetingNotFound):
        await backend.cancel(creds, meeting.meeting_id)
    with pytest.raises(ports.MeetingNotFound):
        await backend.meeting_id_for(creds, meeting.number)


async def test_adding_an_invitee_through_a_change(backend: RestMeetingBackend, emulator: Emulator) -> None:
    creds = creds_for(emulator)
    made = (await backend.schedule(creds, draft(invitees=(Invitee("a@example.com"),)))).meeting
    wanted = (Invitee("a@example.com"), Invitee("b@example.com", "Bea"))
    await backend.change(creds, made.meeting_id, MeetingChanges(invitees=wanted))
    assert [i.email for i in (await backend.meeting(creds, made.meeting_id)).invitees] == [
        "a@example.com",
        "b@example.com",
    ]


async def test_removing_an_invitee_through_a_change(backend: RestMeetingBackend, emulator: Emulator) -> None:
    creds = creds_for(emulator)
    invited = (Invitee("a@example.com"), Invitee("b@example.com", "Bea"), Invitee("c@example.com"))
    made = (await backend.schedule(creds, draft(invitees=invited))).meeting
    await backend.change(creds, made.meeting_id, MeetingChanges(invitees=(invited[0], invited[2])))
    assert [i.email for i in (await backend.meeting(creds, made.meeting_id)).invitees] == [
        "a@example.com",
        "c@example.com",
    ]
    (stored,) = emulator.meetings()
    assert [a.email for a in stored.attendees] == ["a@example.com", "c@example.com"]


async def test_the_list_follows_the_next_link_in_start_order(
    backend: RestMeetingBackend, emulator: Emulator
) -> None:
    creds = creds_for(emulator)
    for i in range(5):
        await backend.schedule(creds, draft(f"M{i}", START + timedelta(hours=i)))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await backend.list_meetings(
            creds, starts_after=START - timedelta(hours=1), starts_before=None, page_size=2, cursor=cursor
        )
        pages += 1
        seen += [m.topic for m in page.meetings]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["M0", "M1", "M2", "M3", "M4"] and pages == 3
    # Only Alice's own meetings, and none outside the window.
    bob = creds_for(emulator, BOB)
    assert (
        await backend.list_meetings(bob, starts_after=START, starts_before=None, page_size=10)
    ).meetings == ()


async def test_a_cursor_the_adapter_did_not_make_is_refused_and_nothing_is_sent(
    backend: RestMeetingBackend, emulator: Emulator
) -> None:
    creds = creds_for(emulator)
    before = len(emulator.rest.requests())
    for forged in ("https://evil.example/steal?x=1", "hostEmail=bob%40sandbox.example", "a=b"):
        with pytest.raises(ports.RequestRejected):
            await backend.list_meetings(
                creds, starts_after=START, starts_before=None, page_size=2, cursor=forged
            )
    assert len(emulator.rest.requests()) == before


async def test_a_next_link_to_another_host_is_not_followed() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(
            200,
            json={"items": []},
            headers={"link": '<https://evil.example/v1/meetings?offset=2>; rel="next"'},
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        backend = RestMeetingBackend(RestApi(http, base_url="https://webexapis.com/v1"))
        page = await backend.list_meetings(
            Credentials("s", "u", "token"), starts_after=START, starts_before=None, page_size=2
        )
    assert page.next_cursor is None and all(url.startswith("https://webexapis.com/v1/") for url in sent)


async def test_join_and_host_links_come_from_post_meetings_join(
    backend: RestMeetingBackend, emulator: Emulator
) -> None:
    alice = creds_for(emulator)
    made = (await backend.schedule(alice, draft(invitees=(Invitee(BOB),)))).meeting
    join = await backend.join_link(alice, made.meeting_id, name="Bob Baker", email=BOB)
    host = await backend.host_link(alice, made.meeting_id)
    assert join.startswith("http") and host.startswith("http") and join != host
    # An invitee gets a join link but no start link.
    with pytest.raises(ports.NotPermitted):
        await backend.host_link(creds_for(emulator, BOB), made.meeting_id)


async def test_a_join_link_by_number_is_asked_for_whoever_hosts_the_meeting(
    backend: RestMeetingBackend, emulator: Emulator
) -> None:
    alice, bob = creds_for(emulator), creds_for(emulator, BOB)
    invited = (await backend.schedule(alice, draft(invitees=(Invitee(BOB),)))).meeting
    protected = (await backend.schedule(alice, draft(topic="Protected"))).meeting  # Webex sets a password
    open_talk = emulator.add_meeting("sandbox", ALICE, "Open", START, password="")
    for number in (invited.number, f"{open_talk.key}"):
        assert (await backend.join_link_by_number(bob, number)).startswith("http")
    # Not Bob's, not one he is invited to, and protected: Webex does not show it to him.
    with pytest.raises(ports.MeetingNotVisible):
        await backend.join_link_by_number(bob, protected.number)
    # One call each, by number: no lookup among Bob's own meetings first.
    assert len(emulator.rest.requests("POST /v1/meetings/join")) == 3
    assert emulator.rest.requests("GET /v1/meetings") == []


async def test_a_bad_token_is_credentials_rejected(backend: RestMeetingBackend) -> None:
    with pytest.raises(ports.CredentialsRejected):
        await backend.who_am_i(Credentials("sandbox", "", "not-a-token"))


async def test_a_short_retry_after_is_waited_out_once(
    backend: RestMeetingBackend, emulator: Emulator, sleeps: Sleeps
) -> None:
    creds = creds_for(emulator)
    emulator.add_fault(
        Fault.rate_limited(retry_after=2, style="http", operation="POST /v1/meetings", count=1)
    )
    created = await backend.schedule(creds, draft())
    assert sleeps.waited == [2.0] and created.meeting.topic == "Standup"
    assert len(emulator.rest.meetings("sandbox")) == 1


async def test_a_long_retry_after_is_reported_with_its_wait(
    backend: RestMeetingBackend, emulator: Emulator, sleeps: Sleeps
) -> None:
    creds = creds_for(emulator)
    emulator.add_fault(Fault.rate_limited(retry_after=120, style="http", operation="POST /v1/meetings"))
    with pytest.raises(ports.RateLimited) as raised:
        await backend.schedule(creds, draft())
    assert raised.value.retry_after == 120 and not raised.value.outcome_unknown and sleeps.waited == []
    assert emulator.rest.meetings("sandbox") == []


@pytest.mark.parametrize(("status", "unknown"), [(500, True), (502, True), (503, False)])
async def test_a_failing_create_says_whether_it_may_have_happened(
    backend: RestMeetingBackend, emulator: Emulator, status: int, unknown: bool
) -> None:
    emulator.add_fault(Fault.http_error(status, operation="POST /v1/meetings", count=1))
    with pytest.raises(ports.BackendUnavailable) as raised:
        await backend.schedule(creds_for(emulator), draft())
    assert raised.value.outcome_unknown is unknown


async def test_a_refused_value_names_the_field(backend: RestMeetingBackend, emulator: Emulator) -> None:
    with pytest.raises(ports.RequestRejected) as raised:
        await backend.schedule(creds_for(emulator), draft(password="weak"))
    assert raised.value.field == "password"
    assert emulator.rest.meetings("sandbox") == []


async def test_sign_in_uses_s256_and_people_me_names_the_account(
    emulator_client: httpx.AsyncClient, api: RestApi
) -> None:
    redirect = "http://127.0.0.1:3000/webex/oauth/callback"
    oauth = WebexOAuth(
        emulator_client,
        oauth_url=BASE,
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        redirect_uri=redirect,
        token_path="/access_token",
        pkce_method="S256",
        scope_separator=" ",
    )
    server = RestAuthorizationServer(oauth, api)
    verifier = server.new_code_verifier()
    assert 43 <= len(verifier) <= 128
    url = server.authorize_url(
        state="st", code_verifier=verifier, scopes=["meeting:schedules_read", "spark:people_read"]
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge"] == [s256(verifier)] and query["code_challenge_method"] == ["S256"]
    assert "scope=meeting%3Aschedules_read%20spark%3Apeople_read" in url
    location = await approve_consent(emulator_client, url, user=BOB)
    code = parse_qs(urlsplit(location).query)["code"][0]
    grant = await server.exchange_code(code, verifier)
    assert (grant.email, grant.site) == (BOB, "sandbox") and grant.user_name
    person = await api.person(grant.access_token)
    assert person.user_id == grant.user_name and person.time_zone == "Europe/Berlin"
    # A wrong verifier gets nothing.
    location = await approve_consent(emulator_client, url, user=BOB)
    code = parse_qs(urlsplit(location).query)["code"][0]
    with pytest.raises(ports.AuthorizationFailed):
        await server.exchange_code(code, server.new_code_verifier())
