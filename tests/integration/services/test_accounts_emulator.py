"""TokenService with the real OAuth client against the emulator, with prefixed and bare refresh tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.domain.accounts import Link
from bot.domain.clock import FakeClock
from bot.emulator import Emulator, create_app
from bot.services.accounts import LinkExpired, TokenService
from bot.store import Database, LinkStore, TokenCipher
from bot.webex.oauth import WebexOAuth
from tests.support.emulator import ALICE, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SITE, new_emulator


@pytest.fixture(params=[True, False], ids=["prefixed-refresh-tokens", "bare-refresh-tokens"])
def webex(request: pytest.FixtureRequest) -> Emulator:
    return new_emulator(refresh_token_site_prefix=request.param)


@pytest.fixture
async def oauth(webex: Emulator) -> AsyncIterator[WebexOAuth]:
    transport = httpx.ASGITransport(app=create_app(webex))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http:
        yield WebexOAuth(
            http,
            oauth_url="http://emulator.test/v1/oauth2",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT_URI,
        )


async def link_alice(webex: Emulator, links: LinkStore, now: datetime) -> Link:
    grant = webex.issue_tokens(SITE, ALICE)
    user = webex.user(SITE, ALICE)
    return await links.save(
        Link(
            team_id="T1",
            user_id="U1",
            site=SITE,
            webex_id=user.webex_id,
            email=user.email,
            scopes=("all_read", "meeting_modify"),
            access_token=str(grant["access_token"]),
            refresh_token=str(grant["refresh_token"]),
            access_expires_at=now + timedelta(seconds=int(str(grant["expires_in"]))),
            refresh_expires_at=None,
            created_at=now,
            updated_at=now,
        )
    )


async def test_an_expired_token_is_refreshed_once_by_the_emulator(
    webex: Emulator, oauth: WebexOAuth, database: Database, cipher: TokenCipher
) -> None:
    clock = FakeClock(webex.now().astimezone(UTC))
    links = LinkStore(database, cipher, clock)
    before = await link_alice(webex, links, clock.now())
    clock.advance(timedelta(hours=3))
    webex.advance(timedelta(hours=3))
    tokens = TokenService(links, oauth, clock)

    results = await asyncio.gather(*(tokens.link_with_fresh_token("T1", "U1") for _ in range(100)))

    assert webex.token_refreshes == 1
    assert {link.access_token for link in results} == {results[0].access_token}
    assert results[0].access_token != before.access_token and not results[0].expired
    # The next expiry is refreshed with whatever refresh token the emulator handed back.
    clock.advance(timedelta(hours=3))
    webex.advance(timedelta(hours=3))
    assert (await tokens.link_with_fresh_token("T1", "U1")).access_token != results[0].access_token
    assert webex.token_refreshes == 2


async def test_a_revoked_refresh_token_expires_the_link(
    webex: Emulator, oauth: WebexOAuth, database: Database, cipher: TokenCipher
) -> None:
    clock = FakeClock(webex.now().astimezone(UTC))
    links = LinkStore(database, cipher, clock)
    await link_alice(webex, links, clock.now())
    webex.revoke_tokens(user=ALICE)
    clock.advance(timedelta(hours=3))
    with pytest.raises(LinkExpired):
        await TokenService(links, oauth, clock).link_with_fresh_token("T1", "U1")
    stored = await links.get("T1", "U1")
    assert stored is not None and stored.expired
    assert webex.token_refreshes == 0
