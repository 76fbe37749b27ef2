"""Two workspaces installed through Slack's OAuth flow, side by side: the same user id is two people; and
an org-wide install on Enterprise Grid, where it is one person in every workspace of the organization.

In the first workspace U_ALICE is Alice (Webex alice@); in the second, U_ALICE is Bob Baker (Webex bob@).
Both install the app through /slack/install on the stand-in, link their Webex account and schedule;
each sees only their own meetings, every Slack call for a workspace carries that workspace's bot
token, and uninstalling one workspace removes its data and nothing of the other's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.emulator import Emulator
from bot.sandbox import SANDBOX_USERS, SlackDriver, SlackStandIn
from bot.sandbox.workspace import RecordedCall, SlackUser
from bot.store.models import OAuthStateRow, OperationRow, SlackInstallationRow, WebexLinkRow
from tests.support.emulator import ALICE, BOB, approve_consent
from tests.support.servers import BotFactory, BotServer
from tests.support.slack import SLACK_STATE_SECRET, DriverFactory, install_app

FIRST = "T_SANDBOX"
SECOND = "T_SECOND"
# Same Slack user id as Alice in the first workspace; here it is Bob, with Bob's Webex account.
SECOND_ALICE = SlackUser(
    id="U_ALICE",
    name="bob",
    real_name="Bob Baker",
    email=BOB,
    tz="Europe/Berlin",
    tz_label="Central European Time",
)


@dataclass
class Workspaces:
    bot: BotServer
    standin: SlackStandIn
    emulator: Emulator
    first: SlackDriver
    second: SlackDriver

    def calls(self, method: str, team_id: str) -> list[RecordedCall]:
        return [call for call in self.standin.calls_to(method) if call.team_id == team_id]


@pytest.fixture
async def workspaces(
    bot_factory: BotFactory, slack_standin: SlackStandIn, slack_driver: DriverFactory, emulator_server: Any
) -> Workspaces:
    slack_standin.add_workspace(SECOND, [SECOND_ALICE], team_domain="second")
    # No SLACK_BOT_TOKEN: every workspace installs the app.
    bot = await bot_factory(slack_bot_token=None, slack_state_secret=SLACK_STATE_SECRET)
    events = bot.url + "/slack/events"
    first = slack_driver(events, user_id="U_ALICE")
    second = slack_driver(events, user_id="U_ALICE", team_id=SECOND)
    return Workspaces(bot, slack_standin, emulator_server.emulator, first, second)


async def install(stage: Workspaces, team_id: str) -> None:
    async with httpx.AsyncClient(timeout=10) as browser:
        done = await install_app(browser, stage.bot.url, team_id=team_id)
    assert done.status_code == 200, done.text[:300]
    assert "Thank you" in done.text or "installed" in done.text.lower(), done.text[:300]


async def link(driver: SlackDriver, webex_email: str) -> None:
    exchange = await driver.command("connect", replies=1)
    url = button(exchange.replies[0].blocks, "connect_webex")["url"]
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(url, follow_redirects=False)
        assert start.status_code in (302, 303, 307), start.text[:300]
        callback = await approve_consent(browser, start.headers["location"], user=webex_email)
        done = await browser.get(callback, follow_redirects=False)
    assert done.status_code == 200, done.text[:500]


def button(blocks: Sequence[Mapping[str, Any]], action_id: str) -> Mapping[str, Any]:
    for block in blocks:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button")


def shown(call: RecordedCall) -> str:
    return repr(call.body)


def bearer(call: RecordedCall) -> str:
    return call.headers.get("authorization", "").removeprefix("Bearer ")


async def test_two_workspaces_install_link_and_schedule_side_by_side(workspaces: Workspaces) -> None:
    stage = workspaces
    await install(stage, FIRST)
    await install(stage, SECOND)
    [first_token] = stage.standin.installs.tokens_of(FIRST)
    [second_token] = stage.standin.installs.tokens_of(SECOND)

    await link(stage.first, ALICE)
    await link(stage.second, BOB)
    first_card = await stage.first.command("schedule First team sync tomorrow 3pm", replies=1)
    second_card = await stage.second.command("schedule Second team sync tomorrow 4pm", replies=1)

    hosts = {meeting.conf_name: meeting.host_webex_id for meeting in stage.emulator.meetings()}
    assert hosts == {"First team sync": ALICE, "Second team sync": BOB}
    assert "First team sync" in shown(first_card.replies[0])
    assert "Second team sync" in shown(second_card.replies[0])

    first_list = await stage.first.command("list", replies=1)
    second_list = await stage.second.command("list", replies=1)
    assert "First team sync" in shown(first_list.replies[0])
    assert "Second team sync" not in shown(first_list.replies[0])
    assert "Second team sync" in shown(second_list.replies[0])
    assert "First team sync" not in shown(second_list.replies[0])

    # Every Web API call the bot made for a workspace went with that workspace's own bot token.
    web_api = [call for call in stage.standin.calls if call.method not in ("response_url", "oauth.v2.access")]
    assert web_api, "the bot made no Web API call"
    for call in web_api:
        assert call.status == 200 and call.answer.get("ok"), (call.method, call.answer)
        expected = {FIRST: first_token, SECOND: second_token}[call.team_id or ""]
        assert bearer(call) == expected, call.method
    # The profile lookups (time zone, email check) were made in each workspace, as each workspace's bot.
    assert stage.calls("users.info", FIRST) and stage.calls("users.info", SECOND)

    # Stored: two links for the same user id, one per workspace, and the bot tokens only as ciphertext.
    database = stage.bot.services.database
    async with database.session() as session:
        links = (await session.scalars(select(WebexLinkRow))).all()
        installs = (await session.scalars(select(SlackInstallationRow))).all()
    assert sorted((row.team_id, row.user_id, row.email) for row in links) == [
        (FIRST, "U_ALICE", ALICE),
        (SECOND, "U_ALICE", BOB),
    ]
    assert sorted(row.team_id for row in installs) == [FIRST, SECOND]
    for row in installs:
        assert first_token not in row.bot_token and second_token not in row.bot_token


async def test_uninstalling_one_workspace_removes_only_its_data(workspaces: Workspaces) -> None:
    stage = workspaces
    await install(stage, FIRST)
    await install(stage, SECOND)
    await link(stage.first, ALICE)
    await link(stage.second, BOB)
    await stage.first.command("schedule Kept tomorrow 3pm", replies=1)
    await stage.second.command("schedule Gone tomorrow 4pm", replies=1)

    stage.standin.uninstall(SECOND)
    uninstalled = await stage.second.send(stage.second.signer.app_uninstalled())
    assert uninstalled.status == 200

    database = stage.bot.services.database
    async with database.session() as session:
        links = (await session.scalars(select(WebexLinkRow))).all()
        installs = (await session.scalars(select(SlackInstallationRow))).all()
        states = (await session.scalars(select(OAuthStateRow))).all()
        operations = (await session.scalars(select(OperationRow))).all()
    assert [(row.team_id, row.user_id) for row in links] == [(FIRST, "U_ALICE")]
    assert [row.team_id for row in installs] == [FIRST]
    assert {row.team_id for row in states} <= {FIRST}
    assert {row.team_id for row in operations} == {FIRST}

    # The first workspace carries on as before.
    still = await stage.first.command("list", replies=1)
    assert "Kept" in shown(still.replies[0]) and "Gone" not in shown(still.replies[0])
    # The second one, installed again, starts from nothing: its person has to link again.
    await install(stage, SECOND)
    again = await stage.second.command("list", replies=1)
    assert "connect_webex" in shown(again.replies[0])


async def test_a_workspace_that_never_installed_is_told_to_install_and_reaches_nothing(
    workspaces: Workspaces,
) -> None:
    stage = workspaces
    await install(stage, FIRST)
    await link(stage.first, ALICE)
    await stage.first.command("schedule Private tomorrow 3pm", replies=1)
    exchange = await stage.second.command("list", replies=1)
    # Bolt finds no installation before any listener runs, and says so through the response URL.
    [answer] = exchange.replies
    assert answer.method == "response_url" and "reinstall" in shown(answer)
    assert "Private" not in shown(answer)
    # Nothing was asked of Slack as the second workspace, and nothing of it was stored.
    assert not [
        call for call in stage.standin.calls if call.team_id == SECOND and call.method != "response_url"
    ]
    async with stage.bot.services.database.session() as session:
        teams = {row.team_id for row in (await session.scalars(select(OAuthStateRow))).all()}
        teams |= {row.team_id for row in (await session.scalars(select(OperationRow))).all()}
    assert SECOND not in teams


def test_the_sandbox_users_keep_alice_in_the_first_workspace() -> None:
    # The premise of these tests: the first workspace's U_ALICE is another person than the second's.
    [alice] = [user for user in SANDBOX_USERS if user.id == "U_ALICE"]
    assert alice.email == ALICE != SECOND_ALICE.email


async def install_until_redirect(stage: Workspaces, team_id: str) -> tuple[str, str]:
    """An admin's install up to Slack's redirect back to the bot: (its URL, the browser's state cookie)."""
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(stage.bot.url + "/slack/install")
        cookie = start.headers["set-cookie"].split(";", 1)[0]
        authorize = unescape(re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', start.text).group(1))  # type: ignore[union-attr]
        page = await browser.get(authorize)
        request_id = unescape(re.search(r'name="request_id" value="([^"]*)"', page.text).group(1))  # type: ignore[union-attr]
        answer = await browser.post(
            stage.standin.install_url, data={"request_id": request_id, "team": team_id, "decision": "allow"}
        )
    return answer.headers["location"], cookie


async def installed_teams(stage: Workspaces) -> list[str]:
    async with stage.bot.services.database.session() as session:
        return sorted(row.team_id for row in (await session.scalars(select(SlackInstallationRow))).all())


async def test_a_redirect_without_the_installing_browsers_cookie_installs_nothing(
    workspaces: Workspaces,
) -> None:
    stage = workspaces
    redirect, _cookie = await install_until_redirect(stage, SECOND)
    # Someone else's browser (a link sent to a victim, or an attacker replaying it) has no state cookie.
    async with httpx.AsyncClient(timeout=10) as other_browser:
        refused = await other_browser.get(redirect)
    assert refused.status_code >= 400
    assert await installed_teams(stage) == []
    assert not stage.standin.calls_to("oauth.v2.access")


async def test_a_redirect_replayed_after_the_install_installs_nothing_more(workspaces: Workspaces) -> None:
    stage = workspaces
    redirect, cookie = await install_until_redirect(stage, SECOND)
    async with httpx.AsyncClient(timeout=10) as browser:
        first = await browser.get(redirect, headers={"Cookie": cookie})
        replayed = await browser.get(redirect, headers={"Cookie": cookie})
    assert first.status_code == 200 and replayed.status_code >= 400
    assert await installed_teams(stage) == [SECOND]
    assert len(stage.standin.calls_to("oauth.v2.access")) == 1


async def test_a_made_up_state_installs_nothing(workspaces: Workspaces) -> None:
    stage = workspaces
    redirect, _cookie = await install_until_redirect(stage, SECOND)
    forged = re.sub(r"state=[^&]*", "state=forged", redirect)
    async with httpx.AsyncClient(timeout=10) as browser:
        refused = await browser.get(forged, headers={"Cookie": "slack-app-oauth-state=forged"})
    assert refused.status_code >= 400
    assert await installed_teams(stage) == []


async def test_an_org_wide_install_serves_every_workspace_of_the_organization_as_one(
    bot_factory: BotFactory, slack_standin: SlackStandIn, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    # Enterprise Grid: a user has the same id in every workspace of the organization.
    slack_standin.add_workspace("T_G1", SANDBOX_USERS, enterprise_id="E_GRID")
    slack_standin.add_workspace("T_G2", SANDBOX_USERS, enterprise_id="E_GRID")
    bot = await bot_factory(slack_bot_token=None, slack_state_secret=SLACK_STATE_SECRET)
    async with httpx.AsyncClient(timeout=10) as browser:
        assert (await install_app(browser, bot.url, team_id="T_G1", org_wide=True)).status_code == 200
    [org_token] = slack_standin.installs.tokens_of("T_G1")
    in_one = slack_driver(bot.events_url, user_id="U_ALICE", team_id="T_G1", org_wide=True)
    in_other = slack_driver(bot.events_url, user_id="U_ALICE", team_id="T_G2", org_wide=True)

    await link(in_one, ALICE)
    await in_one.command("schedule Org sync tomorrow 3pm", replies=1)
    listed = await in_other.command("list", replies=1)
    assert "Org sync" in shown(listed.replies[0])

    async with bot.services.database.session() as session:
        [installed] = (await session.scalars(select(SlackInstallationRow))).all()
        [linked] = (await session.scalars(select(WebexLinkRow))).all()
    assert (installed.enterprise_id, installed.team_id, installed.is_enterprise_install) == (
        "E_GRID",
        "",
        True,
    )
    assert (linked.enterprise_id, linked.team_id, linked.user_id) == ("E_GRID", "", "U_ALICE")
    web_api = [call for call in slack_standin.calls if call.method not in ("response_url", "oauth.v2.access")]
    assert web_api and all(bearer(call) == org_token for call in web_api)

    # Removed from the organization: everything of it goes.
    slack_standin.uninstall("T_G1")
    assert (await in_other.send(in_other.signer.app_uninstalled())).status == 200
    async with bot.services.database.session() as session:
        assert not (await session.scalars(select(SlackInstallationRow))).all()
        assert not (await session.scalars(select(WebexLinkRow))).all()
