"""In the sandbox, a card's Join and Start as host buttons end on the emulator's own meeting page."""

from __future__ import annotations

import httpx
import pytest

from bot.sandbox.console import Console, StepFailed
from bot.sandbox.stack import SandboxStack
from bot.slack.meetings import blocks


async def test_join_and_host_links_open_a_page_the_emulator_serves() -> None:
    stack = SandboxStack()
    await stack.start()
    try:
        console = Console(stack, lambda line: None, reply_timeout=10)
        await console.step("/webex connect")
        await console.step(":approve")
        driver = stack.driver("U_ALICE")
        card = (await driver.command("schedule Standup tomorrow 9am", replies=1, timeout=10)).replies[0]
        (meeting,) = stack.emulator.meetings()
        buttons = {e["action_id"]: e for b in card.blocks for e in b.get("elements", []) if "url" in e}
        await driver.click(card, blocks.START)  # Slack reports the press; the host link opens once for it
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as browser:
            joined = await browser.get(buttons[blocks.JOIN]["url"])
            hosted = await browser.get(buttons[blocks.START]["url"])
    finally:
        await stack.close()
    assert str(joined.url).startswith(stack.emulator_url + "/sandbox/e.php")
    assert joined.status_code == 200 and f"You joined meeting {meeting.key}" in joined.text
    assert "Standup" in joined.text
    assert str(hosted.url).startswith(stack.emulator_url + "/sandbox/p.php")
    assert hosted.status_code == 200 and f"You started meeting {meeting.key} as its host" in hosted.text


async def test_a_sandbox_user_without_a_webex_account_is_told_what_to_do() -> None:
    transcript: list[str] = []
    stack = SandboxStack()
    await stack.start()
    try:
        console = Console(stack, transcript.append, reply_timeout=10)
        await console.step(":as carol")
        await console.step("/webex connect")
        with pytest.raises(StepFailed, match="You have no Webex account on this site"):
            await console.step(":approve")
    finally:
        await stack.close()
    shown = "\n".join(transcript)
    assert "🌐 You have no Webex account on this site" in shown
    assert "carol@elsewhere.example" in shown and "ask the site's administrator for one" in shown
    assert "client ID" not in shown
