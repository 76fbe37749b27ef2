"""A Webex account whose email differs from the Slack profile: refused, or linked only after Sign in with
Slack proves the browser is the Slack user who clicked Connect; the same email links with one consent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from bot.sandbox import SlackUser
from tests.e2e.accounts.test_connect import connect_button, sign_in
from tests.e2e.meetings.conftest import shown_text
from tests.support.emulator import ALICE, BOB, approve_consent
from tests.support.servers import APIS, BotFactory, both_apis
from tests.support.slack import DriverFactory, sign_in_with_slack

POLICIES = ["refuse", "sign-in-with-slack"]


@pytest.fixture(params=APIS)
def webex_api(request: pytest.FixtureRequest) -> str:
    """Every row runs on both Webex APIs: the XML API and the REST API (its OAuth and GET /people/me)."""
    return both_apis(request)


def openid_calls(standin: Any) -> int:
    return len(standin.calls_to("openid.connect.token")) + len(standin.calls_to("openid.connect.userInfo"))


@pytest.mark.parametrize("policy", POLICIES)
async def test_the_same_email_links_with_one_click_and_one_allow(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, policy: str
) -> None:
    bot = await bot_factory(email_mismatch_policy=policy)
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(await connect_button(alice), follow_redirects=False)
        assert start.status_code == 302  # straight to Webex: no page of ours to click through
        page = await browser.get(await approve_consent(browser, start.headers["location"], user=ALICE))
    assert page.status_code == 200 and "Your Webex account is linked" in page.text
    assert "Sign in with Slack" not in page.text and openid_calls(alice.standin) == 0
    link = await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE")
    assert link is not None and link.email == ALICE


async def test_a_different_email_is_refused_by_default_and_the_slack_user_is_told_what_to_do(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    bot = await bot_factory()
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    page = await sign_in(await connect_button(alice), user=BOB)
    assert page.status_code == 400 and "was not linked" in page.text and "nothing was stored" in page.text
    assert BOB in page.text  # the person who signed in to Webex sees which account was refused
    assert await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None
    dm = await alice.standin.wait_for(lambda c: c.method == "chat.postMessage" and c.audience == "U_ALICE")
    told = shown_text(dm)
    assert "nothing was linked" in told and ALICE in told and "/webex connect" in told
    assert BOB not in told  # the Slack user is never told whose Webex account was offered


async def test_a_different_email_links_after_sign_in_with_slack_as_the_same_user(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    bot = await bot_factory(email_mismatch_policy="sign-in-with-slack")
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    page = await sign_in(await connect_button(alice), user=BOB, slack_user="U_ALICE")
    assert page.status_code == 200 and "Your Webex account is linked" in page.text
    link = await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE")
    assert link is not None and link.email == BOB and link.access_token
    assert len(alice.standin.calls_to("openid.connect.userInfo")) == 1
    dm = await alice.standin.wait_for(
        lambda c: c.method == "chat.postMessage" and c.audience == "U_ALICE" and "is linked" in (c.text or "")
    )
    assert "Sign in with Slack confirmed" in shown_text(dm)


async def test_cancelling_sign_in_with_slack_links_nothing_and_keeps_nothing(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    bot = await bot_factory(email_mismatch_policy="sign-in-with-slack")
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(await connect_button(alice), follow_redirects=False)
        asked = await browser.get(
            await approve_consent(browser, start.headers["location"], user=BOB), follow_redirects=False
        )
        back = await sign_in_with_slack(
            browser, asked.headers["location"], user_id="U_ALICE", decision="deny"
        )
        page = await browser.get(back)
    assert page.status_code == 400 and "Nothing was linked" in page.text
    assert await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None
    assert not alice.standin.calls_to("openid.connect.token")
    async with bot.services.database.engine.connect() as connection:
        held = (
            await connection.execute(text("SELECT count(*) FROM oauth_states WHERE held_link IS NOT NULL"))
        ).scalar_one()
    assert held == 0


@pytest.mark.parametrize(("policy", "links"), [("refuse", False), ("sign-in-with-slack", True)])
async def test_a_slack_profile_without_a_visible_email_is_a_different_email(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, policy: str, links: bool
) -> None:
    bot = await bot_factory(email_mismatch_policy=policy)
    dave = slack_driver(bot.events_url, user_id="U_DAVE")
    dave.standin.add_users([SlackUser(id="U_DAVE", name="dave", real_name="Dave Hidden", email=None)])
    page = await sign_in(await connect_button(dave), user=ALICE, slack_user="U_DAVE")
    link = await bot.services.links.get(dave.standin.workspace.team_id, "U_DAVE")
    assert (link is not None) == links
    if not links:
        assert "bot cannot see that profile" in page.text


async def test_the_same_email_in_other_letter_case_is_the_same_person(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    bot = await bot_factory()
    ann = slack_driver(bot.events_url, user_id="U_ANN")
    ann.standin.add_users([SlackUser(id="U_ANN", name="ann", real_name="Ann", email=ALICE.upper())])
    page = await sign_in(await connect_button(ann), user=ALICE)
    assert page.status_code == 200 and "was not linked" not in page.text
    assert await bot.services.links.get(ann.standin.workspace.team_id, "U_ANN") is not None


async def test_an_unreadable_slack_profile_links_nothing(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    bot = await bot_factory()
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    url = await connect_button(alice)
    alice.standin.fail("users.info", status=500, times=None)
    page = await sign_in(url, user=ALICE)
    alice.standin.clear_faults()
    assert page.status_code == 400 and "was not linked" in page.text
    assert await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None
