"""TokenService on a real database: fresh tokens, one refresh however many ask, expiry and forgetting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.accounts import Link, TokenGrant
from bot.domain.clock import FakeClock
from bot.services.accounts import LinkExpired, NotLinked, TokenRefreshUnavailable, TokenService
from bot.store import Database, LinkStore, OAuthStateStore, OperationStore, TokenCipher
from bot.webex.errors import InvalidGrant, OAuthError, TokenEndpointUnavailable
from tests.support.database import sample_link

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class CountingOAuth:
    """A token endpoint that counts refreshes and takes a moment, so racing callers really overlap."""

    def __init__(self, *, delay: float = 0.05) -> None:
        self.calls: list[str] = []
        self.delay = delay
        self.error: Exception | None = None
        self.refresh_expires_in: int | None = None
        self.new_refresh_token = True
        self.accepts: Callable[[str], bool] = lambda refresh_token: True

    async def refresh(self, refresh_token: str) -> TokenGrant:
        self.calls.append(refresh_token)
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        if not self.accepts(refresh_token):
            raise InvalidGrant("invalid_grant", "The refresh token is invalid, expired or revoked")
        n = len(self.calls)
        return TokenGrant(
            access_token=f"access-after-{n}",
            refresh_token=f"sandbox_refresh-after-{n}" if self.new_refresh_token else refresh_token,
            expires_in=7200,
            refresh_expires_in=self.refresh_expires_in,
        )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def oauth() -> CountingOAuth:
    return CountingOAuth()


@pytest.fixture
def links(database: Database, cipher: TokenCipher, clock: FakeClock) -> LinkStore:
    return LinkStore(database, cipher, clock)


@pytest.fixture
def tokens(links: LinkStore, oauth: CountingOAuth, clock: FakeClock) -> TokenService:
    return TokenService(links, oauth, clock)


async def linked(links: LinkStore, clock: FakeClock, *, expires_in: timedelta, **changes: object) -> Link:
    return await links.save(sample_link(now=clock.now(), access_expires_in=expires_in, **changes))


async def test_a_fresh_token_is_used_as_is(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    saved = await linked(links, clock, expires_in=timedelta(hours=2))
    assert await tokens.link_with_fresh_token("T1", "U1") == saved
    assert oauth.calls == []


async def test_an_expired_token_is_refreshed_and_stored(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    await linked(links, clock, expires_in=timedelta(hours=2))
    clock.advance(timedelta(hours=3))
    link = await tokens.link_with_fresh_token("T1", "U1")
    assert oauth.calls == ["sandbox_refresh-1"]
    assert (link.access_token, link.refresh_token) == ("access-after-1", "sandbox_refresh-after-1")
    assert link.access_expires_at == clock.now() + timedelta(seconds=7200)
    assert link.version == 2 and link.status == "active"
    assert await links.get("T1", "U1") == link
    assert await tokens.link_with_fresh_token("T1", "U1") == link
    assert len(oauth.calls) == 1


async def test_a_token_about_to_lapse_is_refreshed_ahead(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    await linked(links, clock, expires_in=timedelta(minutes=3))
    assert (await tokens.link_with_fresh_token("T1", "U1")).access_token == "access-after-1"
    assert len(oauth.calls) == 1


async def test_200_concurrent_requests_on_an_expired_token_refresh_once(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    await linked(links, clock, expires_in=timedelta(hours=2))
    clock.advance(timedelta(hours=3))
    results = await asyncio.gather(*(tokens.link_with_fresh_token("T1", "U1") for _ in range(200)))
    assert len(oauth.calls) == 1
    assert {link.access_token for link in results} == {"access-after-1"}


async def test_two_services_on_separate_pools_refresh_once(
    migrated_database_url: str, cipher: TokenCipher, oauth: CountingOAuth, clock: FakeClock
) -> None:
    # Separate engines and services: the database, not the in-process lock, must keep this to one.
    databases = [Database(migrated_database_url) for _ in range(2)]
    try:
        services = [TokenService(LinkStore(db, cipher, clock), oauth, clock) for db in databases]
        await linked(LinkStore(databases[0], cipher, clock), clock, expires_in=timedelta(hours=2))
        clock.advance(timedelta(hours=3))
        results = await asyncio.gather(
            *(services[i % 2].link_with_fresh_token("T1", "U1") for i in range(100)),
            *(services[i % 2].refresh_after_rejection("T1", "U1", "sandbox-access-1") for i in range(20)),
        )
        assert len(oauth.calls) == 1
        assert {link.access_token for link in results} == {"access-after-1"}
    finally:
        for db in databases:
            await db.dispose()


async def test_a_rejected_token_is_refreshed_once_unless_already_replaced(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    await linked(links, clock, expires_in=timedelta(hours=2))
    results = await asyncio.gather(
        *(tokens.refresh_after_rejection("T1", "U1", "sandbox-access-1") for _ in range(50))
    )
    assert len(oauth.calls) == 1
    assert {link.access_token for link in results} == {"access-after-1"}
    # A caller that still held the old token is handed the new one without another refresh.
    assert (
        await tokens.refresh_after_rejection("T1", "U1", "sandbox-access-1")
    ).access_token == "access-after-1"
    assert len(oauth.calls) == 1
    # The new token rejected too: that is a new refresh.
    assert (
        await tokens.refresh_after_rejection("T1", "U1", "access-after-1")
    ).access_token == "access-after-2"


async def test_a_refused_refresh_token_expires_the_link(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    await linked(links, clock, expires_in=timedelta(hours=2))
    clock.advance(timedelta(hours=3))
    oauth.error = InvalidGrant("invalid_grant", "refresh token expired")
    outcomes = await asyncio.gather(
        *(tokens.link_with_fresh_token("T1", "U1") for _ in range(20)), return_exceptions=True
    )
    assert all(isinstance(outcome, LinkExpired) for outcome in outcomes)
    assert len(oauth.calls) == 1
    stored = await links.get("T1", "U1")
    assert stored is not None and stored.expired and stored.refresh_token == "sandbox_refresh-1"
    with pytest.raises(LinkExpired):
        await tokens.refresh_after_rejection("T1", "U1", "sandbox-access-1")
    assert len(oauth.calls) == 1
    # Connecting again brings the link back.
    await linked(links, clock, expires_in=timedelta(hours=2), access_token="reconnected")
    assert (await tokens.link_with_fresh_token("T1", "U1")).access_token == "reconnected"


@pytest.mark.parametrize(
    "error",
    [
        TokenEndpointUnavailable("the token endpoint answered HTTP 503", status_code=503),
        OAuthError("invalid_client", "Invalid client secret", status_code=401),
    ],
    ids=["endpoint-down", "client-refused"],
)
async def test_a_token_endpoint_failure_keeps_the_link(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock, error: Exception
) -> None:
    saved = await linked(links, clock, expires_in=timedelta(hours=2))
    clock.advance(timedelta(hours=3))
    oauth.error = error
    outcomes = await asyncio.gather(
        *(tokens.link_with_fresh_token("T1", "U1") for _ in range(30)), return_exceptions=True
    )
    assert all(isinstance(outcome, TokenRefreshUnavailable) for outcome in outcomes)
    # Those queued behind the failed attempt were told at once instead of each trying in turn.
    assert len(oauth.calls) == 1
    assert await links.get("T1", "U1") == saved
    # Nothing is left holding the refresh turn: the next command tries again and succeeds.
    oauth.error = None
    assert (await tokens.link_with_fresh_token("T1", "U1")).access_token == "access-after-2"


async def test_no_link_is_not_linked(tokens: TokenService) -> None:
    with pytest.raises(NotLinked):
        await tokens.link_with_fresh_token("T1", "U1")
    with pytest.raises(NotLinked):
        await tokens.refresh_after_rejection("T1", "U1", "whatever")


async def test_a_bare_refresh_token_is_sent_as_issued_to_a_server_that_issued_it_bare(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    oauth.new_refresh_token = False  # the server hands back the token it was given
    oauth.refresh_expires_in = 86400
    oauth.accepts = lambda refresh_token: refresh_token == "bare-refresh"
    await linked(links, clock, expires_in=timedelta(hours=2), refresh_token="bare-refresh")
    clock.advance(timedelta(hours=3))
    first = await tokens.link_with_fresh_token("T1", "U1")
    assert oauth.calls == ["bare-refresh"]
    assert first.refresh_expires_at == START + timedelta(hours=3, days=1)


async def test_a_bare_refresh_token_gets_the_site_prefix_when_the_server_wants_it(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    oauth.new_refresh_token = False
    oauth.accepts = lambda refresh_token: refresh_token == "sandbox_bare-refresh"
    await linked(links, clock, expires_in=timedelta(hours=2), refresh_token="bare-refresh")
    clock.advance(timedelta(hours=3))
    link = await tokens.link_with_fresh_token("T1", "U1")
    assert oauth.calls == ["bare-refresh", "sandbox_bare-refresh"]
    assert link.access_token == "access-after-2" and link.status == "active"
    # The form that worked is what is stored now, so the next refresh takes one request.
    assert link.refresh_token == "sandbox_bare-refresh"
    clock.advance(timedelta(hours=3))
    await tokens.link_with_fresh_token("T1", "U1")
    assert oauth.calls[2:] == ["sandbox_bare-refresh"]


async def test_a_prefixed_refresh_token_is_never_prefixed_again(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    oauth.accepts = lambda refresh_token: False
    await linked(links, clock, expires_in=timedelta(hours=2), refresh_token="sandbox_refresh-1")
    clock.advance(timedelta(hours=3))
    with pytest.raises(LinkExpired):
        await tokens.link_with_fresh_token("T1", "U1")
    assert oauth.calls == ["sandbox_refresh-1"]


async def test_a_bare_refresh_token_refused_in_both_forms_expires_the_link(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    oauth.accepts = lambda refresh_token: False
    await linked(links, clock, expires_in=timedelta(hours=2), refresh_token="bare-refresh")
    clock.advance(timedelta(hours=3))
    with pytest.raises(LinkExpired):
        await tokens.link_with_fresh_token("T1", "U1")
    assert oauth.calls == ["bare-refresh", "sandbox_bare-refresh"]
    stored = await links.get("T1", "U1")
    assert stored is not None and stored.expired


async def test_refresh_keeps_the_refresh_expiry_when_the_server_says_nothing(
    tokens: TokenService, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    oauth.new_refresh_token = False
    saved = await linked(links, clock, expires_in=timedelta(hours=2))
    clock.advance(timedelta(hours=3))
    link = await tokens.link_with_fresh_token("T1", "U1")
    assert link.refresh_token == saved.refresh_token
    assert link.refresh_expires_at == saved.refresh_expires_at


async def test_forgetting_leaves_nothing_of_the_user_or_team(
    database: Database, cipher: TokenCipher, links: LinkStore, oauth: CountingOAuth, clock: FakeClock
) -> None:
    states = OAuthStateStore(database, cipher, clock)
    operations = OperationStore(database, clock)
    tokens = TokenService(links, oauth, clock)  # reaches states and operations through the same database
    for team, user in [("T1", "U1"), ("T1", "U2"), ("T2", "U1")]:
        await links.save(sample_link(team, user, now=clock.now()))
        await states.create(team, user, "verifier")
        await operations.begin(f"{team}-{user}", team, user, "schedule")

    removed = await tokens.disconnect("T1", "U2")
    assert removed is not None and removed.webex_id == "alice"
    assert await tokens.disconnect("T1", "U2") is None
    assert await states.delete_user("T1", "U2") == 0

    assert await tokens.forget_user("T2", "U1")
    assert await links.get("T2", "U1") is None
    assert await operations.get("T2-U1") is None
    assert await states.delete_user("T2", "U1") == 0

    assert await tokens.forget_team("T1") == 1
    assert await links.get("T1", "U1") is None
    assert await operations.get("T1-U1") is None and await operations.get("T1-U2") is None
    assert await states.delete_team("T1") == 0


async def test_tokens_never_reach_the_logs(
    tokens: TokenService,
    links: LinkStore,
    oauth: CountingOAuth,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await linked(links, clock, expires_in=timedelta(hours=2))
    clock.advance(timedelta(hours=3))
    await tokens.link_with_fresh_token("T1", "U1")
    await tokens.refresh_after_rejection("T1", "U1", "access-after-1")
    oauth.error = TokenEndpointUnavailable("down")
    with pytest.raises(TokenRefreshUnavailable):
        await tokens.refresh_after_rejection("T1", "U1", "access-after-2")
    oauth.error = InvalidGrant("invalid_grant")
    with pytest.raises(LinkExpired):
        await tokens.refresh_after_rejection("T1", "U1", "access-after-2")
    assert "T1" in caplog.text  # the logs do say what happened to whom
    for secret in (
        "sandbox-access-1",
        "sandbox_refresh-1",
        "access-after-1",
        "refresh-after-1",
        "access-after-2",
    ):
        assert secret not in caplog.text
