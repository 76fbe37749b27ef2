"""`/webex disconnect`, `tokens_revoked` and `app_uninstalled` leave nothing of that user or workspace in any
table (links, connect attempts, command records), and leave everyone else untouched."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.e2e.accounts.test_connect import connect_button
from tests.e2e.meetings.conftest import Stage, shown_text
from tests.reliability.test_data_at_rest import every_row


async def leave_traces(stage: Stage) -> None:
    """Alice and Bob each have a link, a meeting's command record and an unfinished connect attempt."""
    for person in (stage.alice, stage.bob):
        await person.driver.command(f"schedule {person.user_id} traces tomorrow 3pm", replies=1)
        async with httpx.AsyncClient(timeout=10) as browser:
            await browser.get(await connect_button(person.driver), follow_redirects=False)


async def rows_mentioning(stage: Stage, *values: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for table, rows in (await every_row(stage.bot)).items():
        count = sum(1 for row in rows if any(value in repr(row) for value in values))
        if count:
            found[table] = count
    return found


async def wait_until_gone(stage: Stage, *values: str) -> dict[str, int]:
    for _ in range(100):
        left = await rows_mentioning(stage, *values)
        if not left:
            return left
        await asyncio.sleep(0.05)
    return left


async def disconnect(stage: Stage) -> None:
    answer = await stage.alice.driver.command("disconnect", replies=1)
    assert "deleted" in shown_text(answer.replies[0])


async def revoke_alice(stage: Stage) -> None:
    driver = stage.alice.driver
    assert (await driver.send(driver.signer.tokens_revoked(user_ids=["U_ALICE"]))).status == 200


@pytest.mark.parametrize("forget", [disconnect, revoke_alice], ids=["disconnect", "tokens_revoked-user"])
async def test_forgetting_a_user_leaves_nothing_of_them(
    linked: Stage, forget: Callable[[Stage], Awaitable[None]]
) -> None:
    await leave_traces(linked)
    before = await rows_mentioning(linked, "U_ALICE")
    assert set(before) >= {"webex_links", "oauth_states", "operations"}, before
    bob_before = await rows_mentioning(linked, "U_BOB")

    await forget(linked)

    assert await wait_until_gone(linked, "U_ALICE") == {}
    assert await rows_mentioning(linked, "U_BOB") == bob_before
    answer = await linked.bob.driver.command("list", replies=1)
    assert "U_BOB traces" in shown_text(answer.replies[0])
    again = await linked.alice.driver.command("list", replies=1)
    assert "link your Webex account" in shown_text(again.replies[0])


@pytest.mark.parametrize(
    "event", ["app_uninstalled", "tokens_revoked-bot"], ids=["app_uninstalled", "tokens_revoked-bot"]
)
async def test_forgetting_a_workspace_leaves_nothing_of_it(linked: Stage, event: str) -> None:
    await leave_traces(linked)
    driver = linked.alice.driver
    team = driver.standin.workspace.team_id
    assert await rows_mentioning(linked, team)
    request = (
        driver.signer.app_uninstalled()
        if event == "app_uninstalled"
        else driver.signer.tokens_revoked(bot_ids=[driver.standin.workspace.bot_user_id])
    )
    assert (await driver.send(request)).status == 200
    assert await wait_until_gone(linked, team, "U_ALICE", "U_BOB") == {}
