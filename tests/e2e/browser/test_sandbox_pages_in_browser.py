"""In the sandbox, what a browser shows for a card's Join button and to someone the site does not list."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox.console import Console
from bot.sandbox.stack import SandboxStack
from bot.slack.meetings import blocks
from tests.e2e.browser.test_connect_in_browser import chromium, open_page, snapshot

pytestmark = pytest.mark.browser

__all__ = ["chromium"]  # the fixture, shared with the connect flow's browser tests

try:
    from playwright.async_api import Browser
except ImportError:  # pragma: no cover - the dev extras install it
    Browser = object  # type: ignore[assignment,misc]


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxStack]:
    stack = SandboxStack()
    await stack.start()
    try:
        yield stack
    finally:
        await stack.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_the_join_button_ends_on_the_emulators_meeting_page(
    chromium: Browser, sandbox: SandboxStack, size: str
) -> None:
    console = Console(sandbox, lambda line: None, reply_timeout=10)
    await console.step("/webex connect")
    await console.step(":approve")
    driver = sandbox.driver("U_ALICE")
    card = (await driver.command("schedule Standup tomorrow 9am", replies=1, timeout=10)).replies[0]
    (meeting,) = sandbox.emulator.meetings()
    join = next(
        e["url"] for b in card.blocks for e in b.get("elements", []) if e.get("action_id") == blocks.JOIN
    )

    page = await open_page(chromium, size)
    await page.goto(join)
    await page.wait_for_url(sandbox.emulator_url + "/sandbox/e.php*")
    assert await page.inner_text("h1") == f"You joined meeting {meeting.key}"
    assert "Standup" in await page.inner_text("body")
    await snapshot(page, f"sandbox-joined-{size}")


async def test_a_person_not_on_the_consent_page_reads_what_to_do(
    chromium: Browser, sandbox: SandboxStack
) -> None:
    carol = sandbox.driver("U_CAROL")  # her email is no account's on the sandbox site
    answer = (await carol.command("connect", replies=1, timeout=10)).replies[0]
    connect = next(e["url"] for b in answer.blocks for e in b.get("elements", []) if "url" in e)

    page = await open_page(chromium, "phone")
    await page.goto(connect)
    assert "Not listed? You have no account on this site yet" in await page.inner_text("body")
    await snapshot(page, "consent-not-listed-phone")
