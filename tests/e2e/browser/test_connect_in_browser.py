"""A person's browser through the connect flow: headless Chromium (Debian's) on the real pages.

Screenshots of every page, at phone and desktop sizes, are saved under artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.domain.clock import FakeClock
from bot.emulator import Emulator
from bot.sandbox import SlackDriver
from bot.services.linking import ConnectTokens
from tests.e2e.accounts.test_connect import connect_button
from tests.support.emulator import ALICE, BOB
from tests.support.servers import BotFactory, BotServer
from tests.support.slack import DriverFactory

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    async_playwright = None  # type: ignore[assignment]


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    if async_playwright is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (.ci/run installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def database_backend() -> str:
    """The pages do not depend on the database; one backend is enough here."""
    return "sqlite"


@pytest.fixture
def alice(bot_server: BotServer, slack_driver: DriverFactory) -> SlackDriver:
    return slack_driver(bot_server.events_url, user_id="U_ALICE")


async def open_page(browser: Browser, size: str) -> Page:
    context = await browser.new_context(viewport=VIEWPORTS[size], device_scale_factor=1)
    return await context.new_page()


async def snapshot(page: Page, name: str) -> None:
    """Save the page and check it reads well at this size: nothing wider than the screen, legible text."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
    smallest = await page.evaluate(
        "Math.min(...[...document.querySelectorAll('p, h1, button, li')]"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 14, f"{name}: text as small as {smallest}px is hard to read"


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_allow_links_the_account(
    chromium: Browser, bot_server: BotServer, alice: SlackDriver, emulator: Emulator, size: str
) -> None:
    page = await open_page(chromium, size)
    await page.goto(await connect_button(alice))
    assert "wants to use your Webex account" in await page.inner_text("h1")
    await snapshot(page, f"consent-{size}")

    await page.check(f"input[name=user][value='{ALICE}']")
    await page.click("button.allow")
    await page.wait_for_url(bot_server.url + "/webex/oauth/callback*")
    assert await page.inner_text("h1") == "Your Webex account is linked"
    body = await page.inner_text("body")
    assert "webex-bot" in body and ALICE in body and "Go back to Slack" in body
    await snapshot(page, f"linked-{size}")
    assert await bot_server.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is not None


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_deny_links_nothing(
    chromium: Browser, bot_server: BotServer, alice: SlackDriver, emulator: Emulator, size: str
) -> None:
    page = await open_page(chromium, size)
    await page.goto(await connect_button(alice))
    await page.click("button.deny")
    await page.wait_for_url(bot_server.url + "/webex/oauth/callback*")
    assert await page.inner_text("h1") == "Nothing was linked"
    assert "run /webex connect" in (await page.inner_text("body"))
    await snapshot(page, f"denied-{size}")
    assert await bot_server.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None


async def test_an_expired_connect_link_says_how_to_get_a_new_one(
    chromium: Browser, bot_server: BotServer, emulator: Emulator
) -> None:
    settings = bot_server.settings
    week_ago = FakeClock(datetime.now(UTC) - timedelta(days=8))
    keys = [key.get_secret_value() for key in settings.token_keys]
    old = ConnectTokens(keys, timedelta(hours=settings.connect_link_ttl_hours), week_ago).issue(
        "T1", "U_ALICE", None
    )
    page = await open_page(chromium, "phone")
    response = await page.goto(f"{bot_server.url}/webex/connect/{old}")
    assert response is not None and response.status == 400
    assert await page.inner_text("h1") == "This connect link has expired"
    assert "Run /webex connect in Slack for a new one." in await page.inner_text("body")
    await snapshot(page, "expired-link-phone")


async def test_a_sign_in_left_open_too_long_is_refused(
    chromium: Browser, bot_server: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    page = await open_page(chromium, "desktop")
    await page.goto(await connect_button(alice))
    async with bot_server.services.database.engine.begin() as connection:
        await connection.execute(text("UPDATE oauth_states SET expires_at = created_at"))
    await page.click("button.allow")
    await page.wait_for_url(bot_server.url + "/webex/oauth/callback*")
    assert await page.inner_text("h1") == "This sign-in took too long"
    await snapshot(page, "sign-in-expired-desktop")
    assert await bot_server.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None


async def test_someone_elses_link_is_refused_with_a_page_that_says_why(
    chromium: Browser, bot_server: BotServer, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    bob = slack_driver(bot_server.events_url, user_id="U_BOB")
    page = await open_page(chromium, "phone")
    await page.goto(await connect_button(bob))  # Alice opens the Connect link Bob sent her
    await page.check(f"input[name=user][value='{ALICE}']")
    await page.click("button.allow")
    await page.wait_for_url(bot_server.url + "/webex/oauth/callback*")
    assert await page.inner_text("h1") == "This Webex account was not linked"
    body = await page.inner_text("body")
    assert "Bob Baker" in body and "nothing was stored" in body and "close this page" in body
    await snapshot(page, "not-your-link-phone")
    assert await bot_server.services.links.get(bob.standin.workspace.team_id, "U_BOB") is None


@pytest.mark.parametrize(("slack_user", "links"), [("U_ALICE", True), ("U_BOB", False)])
async def test_sign_in_with_slack_in_the_browser(
    chromium: Browser,
    bot_factory: BotFactory,
    slack_driver: DriverFactory,
    emulator: Emulator,
    slack_user: str,
    links: bool,
) -> None:
    # Alice's Slack email differs from the Webex account she uses (BOB's here, standing for an alias).
    bot = await bot_factory(email_mismatch_policy="sign-in-with-slack")
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    page = await open_page(chromium, "desktop")
    await page.goto(await connect_button(alice))
    await page.check(f"input[name=user][value='{BOB}']")
    await page.click("button.allow")
    # The bot's cookie is set on the way here; `**` as slack_sdk leaves the redirect_uri's slashes as is.
    await page.wait_for_url(alice.standin.sign_in_url + "**")
    await page.check(f"input[name=user][value='{slack_user}']")
    await page.click("button.allow")
    await page.wait_for_url(bot.url + "/slack/sign-in/callback*")
    heading = await page.inner_text("h1")
    if links:
        assert heading == "Your Webex account is linked"
        await snapshot(page, "linked-after-sign-in-with-slack-desktop")
    else:
        assert heading == "This Webex account was not linked"
        assert "signed in to Slack as someone else" in await page.inner_text("body")
    link = await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE")
    assert (link is not None) == links
