"""A Webex account whose email differs from the Slack profile: warned, refused or allowed by policy."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import SlackUser
from tests.e2e.accounts.test_connect import connect_button, sign_in
from tests.e2e.meetings.conftest import shown_text
from tests.support.emulator import ALICE, BOB
from tests.support.servers import BotFactory
from tests.support.slack import DriverFactory

# policy, Webex account used by Alice, linked?, what the page says
CASES = [
    ("warn", ALICE, True, None),
    ("warn", BOB, True, "does not match your Slack email"),
    ("refuse", ALICE, True, None),
    ("refuse", BOB, False, "was not linked"),
    ("off", ALICE, True, None),
    ("off", BOB, True, None),
]


@pytest.mark.parametrize(("policy", "webex_user", "links", "says"), CASES)
async def test_each_policy_on_a_matching_and_a_different_email(
    bot_factory: BotFactory,
    slack_driver: DriverFactory,
    emulator_server: Any,
    policy: str,
    webex_user: str,
    links: bool,
    says: str | None,
) -> None:
    bot = await bot_factory(email_mismatch_policy=policy)
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    page = await sign_in(await connect_button(alice), user=webex_user)
    link = await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE")
    assert (link is not None) == links
    assert page.status_code == (200 if links else 400)
    if says:
        assert says in page.text
    else:
        assert "does not match" not in page.text
    if links:
        assert link is not None and link.email == webex_user
        dm = await alice.standin.wait_for(
            lambda c: c.method == "chat.postMessage" and c.audience == "U_ALICE"
        )
        # The warning reaches Slack too, where the owner of the Slack account reads it.
        assert ("does not match" in shown_text(dm)) == (says is not None)


@pytest.mark.parametrize(("policy", "links"), [("warn", True), ("refuse", False), ("off", True)])
async def test_a_slack_profile_without_a_visible_email_is_treated_as_a_mismatch(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, policy: str, links: bool
) -> None:
    bot = await bot_factory(email_mismatch_policy=policy)
    dave = slack_driver(bot.events_url, user_id="U_DAVE")
    dave.standin.add_users([SlackUser(id="U_DAVE", name="dave", real_name="Dave Hidden", email=None)])
    page = await sign_in(await connect_button(dave), user=ALICE)
    link = await bot.services.links.get(dave.standin.workspace.team_id, "U_DAVE")
    assert (link is not None) == links
    if policy != "off":
        assert "not visible to the bot" in page.text


async def test_the_same_email_in_other_letter_case_is_the_same_person(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    bot = await bot_factory(email_mismatch_policy="refuse")
    ann = slack_driver(bot.events_url, user_id="U_ANN")
    ann.standin.add_users([SlackUser(id="U_ANN", name="ann", real_name="Ann", email=ALICE.upper())])
    page = await sign_in(await connect_button(ann), user=ALICE)
    assert page.status_code == 200 and "does not match" not in page.text
    assert await bot.services.links.get(ann.standin.workspace.team_id, "U_ANN") is not None
