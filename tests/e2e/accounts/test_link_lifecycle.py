"""A link over time: renewals Webex refuses, the Home tab, and Slack telling us people are gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.emulator import Emulator
from bot.sandbox import SlackDriver
from bot.sandbox.workspace import RecordedCall
from tests.e2e.accounts.test_connect import answered, connect_button, everything_shown, sign_in
from tests.support.emulator import ACCESS_TOKEN_LIFETIME, ALICE, BOB
from tests.support.servers import BotServer
from tests.support.slack import DriverFactory


@pytest.fixture
def alice(bot_server: BotServer, slack_driver: DriverFactory) -> SlackDriver:
    return slack_driver(bot_server.events_url, user_id="U_ALICE")


@pytest.fixture
def bob(bot_server: BotServer, slack_driver: DriverFactory) -> SlackDriver:
    return slack_driver(bot_server.events_url, user_id="U_BOB")


async def home(driver: SlackDriver) -> RecordedCall:
    """Open the Home tab and return what the bot published there."""
    before = driver.standin.next_seq()
    await driver.open_home()
    return await driver.standin.wait_for(lambda c: c.seq >= before and c.method == "views.publish")


async def link(driver: SlackDriver, webex_user: str) -> None:
    page = await sign_in(await connect_button(driver), user=webex_user)
    assert page.status_code == 200, page.text[:300]


async def test_a_rejected_refresh_token_asks_to_reconnect_and_the_command_resumes_after(
    bot_server: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    await link(alice, ALICE)
    emulator.revoke_tokens(site="sandbox", user=ALICE)  # access and refresh tokens both stop working

    answer = await answered(alice, "list", timeout=10)
    shown = everything_shown(answer.replies)
    assert "expired" in shown and "reconnect" in shown.lower()
    team = alice.standin.workspace.team_id
    link_row = await bot_server.services.links.get(team, "U_ALICE")
    assert link_row is not None and link_row.expired

    status = await answered(alice, "status")
    assert "Expired" in everything_shown(status.replies)

    # Reconnecting with the fresh button finishes the `/webex list` that was asked for.
    reconnect = answer.replies[0]
    url = next(
        element["url"]
        for block in reconnect.blocks
        for element in block.get("elements") or []
        if element.get("action_id") == "connect_webex"
    )
    before = len(alice.standin.calls)
    assert (await sign_in(url)).status_code == 200
    resumed = await alice.standin.wait_for(
        lambda c: c.seq >= before and c.audience == "U_ALICE" and "upcoming" in (c.text or "").lower(),
        timeout=10,
    )
    assert resumed is not None
    refreshed = await bot_server.services.links.get(team, "U_ALICE")
    assert refreshed is not None and not refreshed.expired


async def test_an_expired_access_token_is_renewed_without_the_user_noticing(
    bot_server: BotServer, alice: SlackDriver, emulator: Emulator, webex_api: str
) -> None:
    await link(alice, ALICE)
    # Webex now considers the access token expired (2 hours on the XML side, 14 days on REST).
    emulator.advance(ACCESS_TOKEN_LIFETIME[webex_api] + timedelta(hours=1))
    refreshes = emulator.token_refreshes
    answer = await answered(alice, "list", timeout=10)
    assert "expired" not in everything_shown(answer.replies)
    assert emulator.token_refreshes == refreshes + 1


async def test_home_tab_offers_connect_then_shows_the_link(
    bot_server: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    first = await home(alice)
    assert "Connect Webex" in everything_shown([first])
    await link(alice, ALICE)
    second = await home(alice)
    shown = everything_shown([second])
    assert f"Linked as *{ALICE}*" in shown and "Disconnect" in shown


async def rows_about(bot_server: BotServer, user_id: str) -> int:
    count = 0
    async with bot_server.services.database.engine.connect() as connection:
        for table in ("webex_links", "oauth_states", "operations"):
            result = await connection.execute(
                text(f"SELECT COUNT(*) FROM {table} WHERE user_id = :user"), {"user": user_id}
            )
            count += int(result.scalar_one())
    return count


async def test_tokens_revoked_forgets_that_user_only(
    bot_server: BotServer, alice: SlackDriver, bob: SlackDriver, emulator: Emulator
) -> None:
    await link(alice, ALICE)
    await link(bob, BOB)
    response = await alice.send(alice.signer.tokens_revoked(user_ids=["U_ALICE"]))
    assert response.status == 200
    assert await rows_about(bot_server, "U_ALICE") == 0
    assert await bot_server.services.links.get(alice.standin.workspace.team_id, "U_BOB") is not None


async def test_app_uninstalled_forgets_the_whole_team(
    bot_server: BotServer, alice: SlackDriver, bob: SlackDriver, emulator: Emulator
) -> None:
    await link(alice, ALICE)
    await link(bob, BOB)
    response = await alice.send(alice.signer.app_uninstalled())
    assert response.status == 200
    assert await rows_about(bot_server, "U_ALICE") == 0
    assert await rows_about(bot_server, "U_BOB") == 0


async def test_home_tab_opened_after_the_access_was_withdrawn_in_webex_asks_to_reconnect_at_once(
    bot_server: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    await link(alice, ALICE)
    emulator.revoke_tokens(site="sandbox", user=ALICE)  # withdrawn in Webex: the refresh is refused too
    shown = everything_shown([await home(alice)])
    # The first opening already says what to do, not that part of the page failed to load.
    assert "Your Webex link has expired. Reconnect" in shown and "Reconnect" in shown
    assert "Linked as" not in shown and "could not be loaded" not in shown
    assert "Disconnect" not in shown
