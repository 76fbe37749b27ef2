"""Test fixtures: the Slack stand-in (running, with the sandbox users), request signing, a driver."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from html import unescape

import httpx
import pytest

from bot.sandbox import SANDBOX_USERS, SlackDriver, SlackSigner, SlackStandIn

SLACK_SIGNING_SECRET = "sandbox-signing-secret-0123456789abcdef"
SLACK_BOT_TOKEN = "xoxb-sandbox-0000-token"

DriverFactory = Callable[..., SlackDriver]


@pytest.fixture
def slack_signing_secret() -> str:
    return SLACK_SIGNING_SECRET


@pytest.fixture
def slack_bot_token() -> str:
    return SLACK_BOT_TOKEN


@pytest.fixture
async def slack_standin() -> AsyncIterator[SlackStandIn]:
    """The stand-in on the test's event loop, with the sandbox users; point slack_sdk at `.url`."""
    async with SlackStandIn(SANDBOX_USERS, bot_token=SLACK_BOT_TOKEN) as standin:
        yield standin


@pytest.fixture
def slack_standin_thread() -> Iterator[SlackStandIn]:
    """The same stand-in on a thread of its own, for synchronous tests and servers run in threads."""
    with SlackStandIn(SANDBOX_USERS, bot_token=SLACK_BOT_TOKEN) as standin:
        yield standin


@pytest.fixture
def slack_signer(slack_standin: SlackStandIn) -> SlackSigner:
    """Signs requests with SLACK_SIGNING_SECRET; response URLs and trigger ids come from the stand-in."""
    workspace = slack_standin.workspace
    return SlackSigner(
        SLACK_SIGNING_SECRET,
        ids=slack_standin,
        team_id=workspace.team_id,
        team_domain=workspace.team_domain,
        api_app_id=workspace.app_id,
        bot_user_id=workspace.bot_user_id,
    )


@pytest.fixture
async def slack_driver(slack_standin: SlackStandIn) -> AsyncIterator[DriverFactory]:
    """`slack_driver(bot_url, user_id="U_ALICE", ...)` -> a SlackDriver; all are closed after the test."""
    drivers: list[SlackDriver] = []

    def make(bot_url: str, **options: object) -> SlackDriver:
        driver = SlackDriver(bot_url, SLACK_SIGNING_SECRET, slack_standin, **options)  # type: ignore[arg-type]
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        await driver.aclose()


_REQUEST_ID = re.compile(r'name="request_id" value="([^"]*)"')


async def sign_in_with_slack(
    browser: httpx.AsyncClient, url: str, *, user_id: str, decision: str = "allow"
) -> str:
    """Open the stand-in's Sign in with Slack page at `url` as a browser would, answer it as `user_id`,
    and return where Slack sends the browser back (the app's redirect URI with `code` and `state`)."""
    page = await browser.get(url, follow_redirects=False)
    match = _REQUEST_ID.search(page.text)
    if page.status_code != 200 or match is None:
        raise AssertionError(f"no Sign in with Slack page (HTTP {page.status_code}): {page.text[:300]}")
    form = {"request_id": unescape(match.group(1)), "user": user_id, "decision": decision}
    answer = await browser.post(str(page.url.copy_with(query=None)), data=form, follow_redirects=False)
    if answer.status_code != 302:
        raise AssertionError(
            f"the Sign in with Slack form answered HTTP {answer.status_code}: {answer.text[:300]}"
        )
    return str(answer.headers["location"])
