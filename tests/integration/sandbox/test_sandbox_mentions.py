"""Through the sandbox driver, `@name` reaches the bot as Slack sends it, so the README's example works."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox.console import Console
from bot.sandbox.driver import SlackDriver
from bot.sandbox.stack import SandboxStack

README_EXAMPLE = "schedule Design review tomorrow 3pm for 45m with @ana @li"


@pytest.fixture
async def linked_stack() -> AsyncIterator[SandboxStack]:
    """The sandbox with alice's Webex account linked."""
    stack = SandboxStack()
    await stack.start()
    try:
        console = Console(stack, lambda line: None, reply_timeout=10)
        await console.step("/webex connect")
        await console.step(":approve")
        yield stack
    finally:
        await stack.close()


async def test_the_readme_example_invites_ana_and_li(linked_stack: SandboxStack) -> None:
    driver = linked_stack.driver("U_ALICE")
    exchange = await driver.command(README_EXAMPLE, replies=1, timeout=10)

    assert exchange.request.payload["text"] == (
        "schedule Design review tomorrow 3pm for 45m with <@U_ANA|ana> <@U_LI|li>"
    )
    (meeting,) = linked_stack.emulator.meetings()
    assert meeting.conf_name == "Design review"
    assert meeting.duration_minutes == 45
    assert {a.email for a in meeting.attendees} == {"ana@sandbox.example", "li@sandbox.example"}
    (card,) = exchange.replies
    invitees = next(b for b in card.blocks if b.get("block_id") == "invitees")
    assert invitees["text"]["text"] == "*Invitees*\nAna Alves, Li Wei"


async def test_an_unknown_name_stays_as_typed_and_the_bot_asks(linked_stack: SandboxStack) -> None:
    driver = linked_stack.driver("U_ALICE")
    exchange = await driver.command("schedule Sync tomorrow 3pm with @ana @zed", replies=1, timeout=10)

    assert exchange.request.payload["text"] == "schedule Sync tomorrow 3pm with <@U_ANA|ana> @zed"
    assert linked_stack.emulator.meetings() == []
    (form,) = exchange.replies
    assert form.method == "views.open"
    problem = next(b for b in form.blocks if b.get("block_id") == "problem")
    assert "@zed" in problem["text"]["text"]
    invitees = next(b for b in form.blocks if b.get("block_id") == "invitees")
    assert invitees["element"]["initial_users"] == ["U_ANA"]


async def test_without_slack_escaping_the_example_would_not_name_anyone(linked_stack: SandboxStack) -> None:
    # What the sandbox did before it escaped like Slack: the bot cannot tell who "@ana" is.
    driver = SlackDriver(
        linked_stack.events_url,
        "sandbox-signing-secret-0123456789abcdef",
        linked_stack.slack,
        escape_commands=False,
    )
    try:
        exchange = await driver.command(README_EXAMPLE, replies=1, timeout=10)
    finally:
        await driver.aclose()
    assert linked_stack.emulator.meetings() == []
    assert exchange.replies[0].method == "views.open"
