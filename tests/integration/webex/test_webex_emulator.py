"""The Webex side against the emulator over loopback HTTP, in strict mode (requests checked by the XSD)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.emulator import Emulator, Fault
from bot.webex import (
    TRANSPORTS,
    AccessDenied,
    AccessTokenInvalid,
    InvalidGrant,
    InvalidRequest,
    MeetingNotFound,
    PasswordRequired,
    TokenEndpointUnavailable,
    WebexClient,
    WebexCredentials,
    WebexFailure,
    WebexOAuth,
    WebexRateLimited,
    WebexTimeout,
    WebexUnavailable,
    new_code_verifier,
    new_webex_http_client,
)
from bot.webex.values import Invitee, MeetingChanges, MeetingDraft
from tests.support.emulator import (
    ALICE,
    BOB,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    SITE,
    approve_consent,
    query_of,
)
from tests.support.paths import SCHEMAS_MISSING


@pytest.fixture(params=TRANSPORTS)
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    client = new_webex_http_client(timeout=5, transport=request.param, max_connections=20)
    yield client
    await client.aclose()


@pytest.fixture
def oauth(http: httpx.AsyncClient, emulator_server: object) -> WebexOAuth:
    return WebexOAuth(
        http,
        oauth_url=emulator_server.oauth_url,  # type: ignore[attr-defined]
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
    )


@pytest.fixture
def client(http: httpx.AsyncClient, emulator_server: object) -> WebexClient:
    return WebexClient(http, xml_url=emulator_server.xml_url, deadline=5)  # type: ignore[attr-defined]


def creds_for(emulator: Emulator, user: str) -> WebexCredentials:
    tokens = emulator.issue_tokens(SITE, user)
    return WebexCredentials(
        site=SITE, webex_id=str(tokens["user_name"]), access_token=str(tokens["access_token"])
    )


def assert_all_requests_succeeded_the_schema(emulator: Emulator) -> None:
    """Strict mode answers a request that fails the XSD with an invalid-request FAILURE. Without the
    schemas the emulator cannot be strict: the test has checked the answers, and skips this part."""
    if not emulator.strict:
        pytest.skip(f"the answers were right, but the requests were not checked: {SCHEMAS_MISSING}")
    refused = [
        r for r in emulator.xml_requests() if "schema" in r.outcome.lower() or r.exception_id == "999999"
    ]
    assert refused == []


async def link(oauth: WebexOAuth, user: str = ALICE) -> tuple[str, str]:
    """The consent flow as the bot drives it: its authorize URL, a browser approving, the code exchange."""
    verifier = new_code_verifier()
    url = oauth.authorize_url(state="s-1", code_challenge=verifier, scopes=["all_read", "meeting_modify"])
    async with httpx.AsyncClient(timeout=5) as browser:
        location = await approve_consent(browser, url, user=user)
    answer = query_of(location)
    assert answer["state"] == "s-1"
    grant = await oauth.exchange_code(answer["code"], verifier)
    assert grant.site == SITE
    assert grant.scopes == ("all_read", "meeting_modify")
    assert grant.email == user
    assert grant.expires_in > 0
    return grant.access_token, grant.refresh_token


async def test_link_then_run_every_operation(
    oauth: WebexOAuth, client: WebexClient, emulator: Emulator
) -> None:
    access_token, _ = await link(oauth)
    creds = WebexCredentials(site=SITE, webex_id=ALICE, access_token=access_token)

    user = await client.get_user(creds)
    assert (user.email, user.first_name, user.time_zone_id) == (ALICE, "Alice", 11)

    start = datetime(2030, 3, 11, 14, 0, tzinfo=UTC)  # the day after New York's change to summer time
    draft = MeetingDraft(
        topic='Plan "Q2" <draft> & </confName> ]]> 🚀 שלום',
        start=start,
        duration_minutes=45,
        time_zone_id=11,
        agenda="line 1\nline 2\t&amp;",
        invitees=(Invitee(email=BOB, name="Bob Baker"), Invitee(email="guest@example.com")),
    )
    created = await client.create_meeting(creds, draft)
    assert created.meeting_key.isdigit()
    stored = emulator.meeting(created.meeting_key)
    assert stored is not None and stored.conf_name == draft.topic and stored.start == start

    meeting = await client.get_meeting(creds, created.meeting_key)
    assert (meeting.topic, meeting.agenda, meeting.start, meeting.duration_minutes) == (
        draft.topic,
        draft.agenda,
        start,
        45,
    )
    assert meeting.time_zone_id == 11
    assert [(i.email, i.name) for i in meeting.invitees] == [(BOB, "Bob Baker"), ("guest@example.com", "")]
    assert meeting.host_key

    later = start + timedelta(days=1, hours=2)
    await client.set_meeting(creds, created.meeting_key, MeetingChanges(topic="Renamed", start=later))
    changed = await client.get_meeting(creds, created.meeting_key)
    assert (changed.topic, changed.start, changed.time_zone_id, changed.duration_minutes) == (
        "Renamed",
        later,
        11,
        45,
    )

    join = await client.join_url(
        creds, created.meeting_key, attendee_name="Ana", attendee_email="ana@example.com"
    )
    assert join.startswith("http")
    assert (await client.host_url(creds, created.meeting_key)).startswith("http")

    await client.delete_meeting(creds, created.meeting_key)
    with pytest.raises(MeetingNotFound):
        await client.get_meeting(creds, created.meeting_key)
    with pytest.raises(MeetingNotFound):
        await client.delete_meeting(creds, created.meeting_key)
    assert (await client.list_meetings(creds, starts_after=start - timedelta(days=1))).meetings == ()

    assert await client.api_version(SITE)
    assert_all_requests_succeeded_the_schema(emulator)


async def test_list_meetings_pages_in_start_order(client: WebexClient, emulator: Emulator) -> None:
    creds = creds_for(emulator, ALICE)
    base = datetime(2030, 6, 3, 8, 0, tzinfo=UTC)
    zones = [11, 25, 45, 4, 20]
    for index, zone in reversed(list(enumerate(zones))):
        await client.create_meeting(
            creds, MeetingDraft(topic=f"M{index}", start=base + timedelta(hours=index), time_zone_id=zone)
        )
    await client.create_meeting(creds, MeetingDraft(topic="past window", start=base - timedelta(days=2)))

    first = await client.list_meetings(creds, maximum=2, starts_after=base - timedelta(minutes=1))
    assert [m.topic for m in first.meetings] == ["M0", "M1"]
    assert (first.total, first.start_from, first.has_more) == (5, 1, True)
    rest = await client.list_meetings(
        creds, start_from=3, maximum=10, starts_after=base - timedelta(minutes=1)
    )
    assert [m.topic for m in rest.meetings] == ["M2", "M3", "M4"]
    assert [m.start for m in rest.meetings] == [base + timedelta(hours=h) for h in (2, 3, 4)]
    assert [m.time_zone_id for m in rest.meetings] == [45, 4, 20]
    assert not rest.has_more
    window = await client.list_meetings(
        creds, starts_after=base + timedelta(minutes=30), starts_before=base + timedelta(hours=2)
    )
    assert [m.topic for m in window.meetings] == ["M1", "M2"]
    assert_all_requests_succeeded_the_schema(emulator)


async def test_recordings(client: WebexClient, emulator: Emulator) -> None:
    creds = creds_for(emulator, ALICE)
    assert await client.list_recordings(creds) == ()
    created = datetime(2030, 1, 2, 15, 0, tzinfo=UTC)
    emulator.add_recording(SITE, ALICE, "Kickoff", created=created, duration_seconds=1200, time_zone_id=25)
    recordings = await client.list_recordings(creds, created_after=created - timedelta(days=1))
    assert [(r.name, r.created, r.duration_seconds) for r in recordings] == [("Kickoff", created, 1200)]
    assert_all_requests_succeeded_the_schema(emulator)


async def test_refresh_and_token_errors(oauth: WebexOAuth, client: WebexClient, emulator: Emulator) -> None:
    access_token, refresh_token = await link(oauth)
    grant = await oauth.refresh(refresh_token)
    assert grant.access_token != access_token
    assert grant.site == SITE
    creds = WebexCredentials(site=SITE, webex_id=ALICE, access_token=grant.access_token)
    assert (await client.get_user(creds)).email == ALICE

    # The old access token no longer works (or was revoked): a typed error the token service refreshes on.
    emulator.revoke_tokens(token=grant.access_token)
    with pytest.raises(AccessTokenInvalid):
        await client.get_user(creds)

    emulator.revoke_tokens(token=grant.refresh_token)
    with pytest.raises(InvalidGrant):
        await oauth.refresh(grant.refresh_token)
    with pytest.raises(InvalidGrant):
        await oauth.exchange_code("no-such-code", "verifier1")


async def test_expired_access_token(client: WebexClient, emulator: Emulator) -> None:
    creds = creds_for(emulator, ALICE)
    emulator.advance(timedelta(hours=3))
    with pytest.raises(AccessTokenInvalid) as caught:
        await client.list_meetings(creds)
    assert "access token is invalid" in caught.value.reason.lower()


async def test_a_minimal_token_answer_is_enough(http: httpx.AsyncClient, emulator_server: object) -> None:
    emulator = emulator_server.use(  # type: ignore[attr-defined]
        Emulator.with_defaults(minimal_token_response=True, seed=7)
    )
    oauth = WebexOAuth(
        http,
        oauth_url=emulator_server.oauth_url,  # type: ignore[attr-defined]
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
    )
    tokens = emulator.issue_tokens(SITE, ALICE)
    assert set(tokens) == {"access_token", "refresh_token", "expires_in"}
    grant = await oauth.refresh(str(tokens["refresh_token"]))
    assert (grant.site, grant.user_name, grant.email, grant.scopes) == (SITE, "", "", ())


async def test_another_hosts_meeting_is_denied(client: WebexClient, emulator: Emulator) -> None:
    alice, bob = creds_for(emulator, ALICE), creds_for(emulator, BOB)
    created = await client.create_meeting(
        alice, MeetingDraft(topic="Alice's", start=datetime(2030, 1, 1, tzinfo=UTC))
    )
    with pytest.raises(AccessDenied):
        await client.delete_meeting(bob, created.meeting_key)
    with pytest.raises(AccessDenied):
        await client.set_meeting(bob, created.meeting_key, MeetingChanges(topic="mine now"))
    assert emulator.meeting(created.meeting_key) is not None


async def test_a_site_that_requires_passwords(http: httpx.AsyncClient, emulator_server: object) -> None:
    emulator = emulator_server.use(Emulator(seed=3))  # type: ignore[attr-defined]
    emulator.add_site("locked", require_meeting_password=True)
    emulator.add_user("locked", "carol@locked.example", time_zone_id=20)
    emulator.add_client(CLIENT_ID, CLIENT_SECRET, site="locked", allow_any_loopback_redirect=True)
    client = WebexClient(http, xml_url=emulator_server.xml_url)  # type: ignore[attr-defined]
    tokens = emulator.issue_tokens("locked", "carol@locked.example")
    creds = WebexCredentials(
        site="locked", webex_id=str(tokens["user_name"]), access_token=str(tokens["access_token"])
    )
    draft = MeetingDraft(topic="x", start=datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(PasswordRequired):
        await client.create_meeting(creds, draft)
    created = await client.create_meeting(creds, replace(draft, password="pa55word"))
    assert (await client.get_meeting(creds, created.meeting_key)).password == "pa55word"


@pytest.mark.parametrize(
    ("fault", "error", "checks"),
    [
        (Fault.http_error(503), WebexUnavailable, {"status_code": 503, "outcome_unknown": False}),
        (Fault.http_error(500), WebexUnavailable, {"status_code": 500, "outcome_unknown": True}),
        (Fault.malformed(), WebexUnavailable, {"timed_out": False, "outcome_unknown": True}),
        (Fault.rate_limited(retry_after=9), WebexRateLimited, {"retry_after": 9.0, "outcome_unknown": False}),
        (Fault.rate_limited(style="webex"), WebexRateLimited, {"exception_id": "000429"}),
        (Fault.failure("060001", "Corresponding Meeting not found"), MeetingNotFound, {}),
        (Fault.failure("123456", "Something unusual"), WebexFailure, {"exception_id": "123456"}),
    ],
)
async def test_injected_faults_become_typed_errors(
    fault: Fault, error: type[Exception], checks: dict[str, object], client: WebexClient, emulator: Emulator
) -> None:
    creds = creds_for(emulator, ALICE)
    emulator.add_fault(replace(fault, operation="CreateMeeting", count=1))
    draft = MeetingDraft(topic="x", start=datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(error) as caught:
        await client.create_meeting(creds, draft)
    assert type(caught.value) is error
    for name, value in checks.items():
        assert getattr(caught.value, name) == value, name
    assert emulator.meetings() == []
    assert (await client.create_meeting(creds, draft)).meeting_key  # the fault was used up: works again


async def test_a_hang_is_a_timeout(
    http: httpx.AsyncClient, emulator_server: object, emulator: Emulator
) -> None:
    client = WebexClient(http, xml_url=emulator_server.xml_url, deadline=0.4)  # type: ignore[attr-defined]
    creds = creds_for(emulator, ALICE)
    emulator.add_fault(Fault.hang(operation="GetUser", count=1, seconds=5))
    with pytest.raises(WebexTimeout) as caught:
        await client.get_user(creds)
    assert caught.value.timed_out
    emulator.clear_faults()


async def test_token_endpoint_faults(oauth: WebexOAuth, emulator: Emulator) -> None:
    tokens = emulator.issue_tokens(SITE, ALICE)
    emulator.add_fault(Fault.http_error(503, operation="token", count=1))
    with pytest.raises(TokenEndpointUnavailable) as caught:
        await oauth.refresh(str(tokens["refresh_token"]))
    assert caught.value.status_code == 503
    grant = await oauth.refresh(str(tokens["refresh_token"]))
    assert grant.access_token


async def test_the_emulator_refuses_what_the_bot_would_not_send(
    client: WebexClient, emulator: Emulator
) -> None:
    """The bot's own limits hold before any request leaves (the emulator would refuse these too)."""
    creds = creds_for(emulator, ALICE)
    before = len(emulator.xml_requests())
    with pytest.raises(InvalidRequest):
        await client.create_meeting(
            creds, MeetingDraft(topic="x", start=datetime(2030, 1, 1, tzinfo=UTC), agenda="a" * 2501)
        )
    assert len(emulator.xml_requests()) == before
