"""Which workspace a payload belongs to (plain, inside Enterprise Grid, org-wide), and bot tokens by it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.workspaces import Workspace
from bot.slack.sign_in import SlackIdentity
from bot.slack.workspaces import BotTokens, NotInstalled, current_workspace, speaking_for, workspace_key


def command(**fields: Any) -> dict[str, Any]:
    return {"command": "/webex", "text": "list", "user_id": "U1", **fields}


def test_a_workspace_outside_enterprise_grid_keeps_its_bare_team_id() -> None:
    assert workspace_key(command(team_id="T1", is_enterprise_install="false")) == "T1"
    assert Workspace.from_key("T1") == Workspace("", "T1")


def test_a_workspace_inside_an_organization_is_keyed_by_both() -> None:
    body = command(team_id="T1", enterprise_id="E1", is_enterprise_install="false")
    assert workspace_key(body) == "E1/T1"
    assert Workspace.from_key("E1/T1") == Workspace("E1", "T1")


def test_an_org_wide_install_keys_its_people_by_the_organization_whichever_workspace_they_type_in() -> None:
    in_one = command(team_id="T1", enterprise_id="E1", is_enterprise_install="true")
    in_another = command(team_id="T2", enterprise_id="E1", is_enterprise_install="true")
    assert workspace_key(in_one) == workspace_key(in_another) == "E1/"
    assert Workspace.from_key("E1/").org_wide


def test_button_and_event_payloads_of_an_org_wide_install() -> None:
    # Interactivity payloads of an org-wide install may carry no team at all.
    action = {
        "type": "block_actions",
        "team": None,
        "enterprise": {"id": "E1"},
        "is_enterprise_install": True,
        "user": {"id": "U1", "team_id": "T9"},
    }
    event = {
        "type": "event_callback",
        "team_id": "T9",
        "enterprise_id": "E1",
        "authorizations": [{"enterprise_id": "E1", "team_id": None, "is_enterprise_install": True}],
        "event": {"type": "app_home_opened", "user": "U1"},
    }
    assert workspace_key(action) == workspace_key(event) == "E1/"


def test_the_same_user_id_in_two_workspaces_is_two_keys() -> None:
    assert workspace_key(command(team_id="T1")) != workspace_key(command(team_id="T2"))


def test_slack_calls_speak_for_the_named_workspace_only_inside_the_block() -> None:
    assert current_workspace() is None
    with speaking_for("E1/T1"):
        assert current_workspace() == "E1/T1"
    assert current_workspace() is None


class Tokens:
    def __init__(self) -> None:
        self.stored = {"T1": "xoxb-one"}
        self.asked = 0

    async def bot_token(self, workspace_key: str) -> str | None:
        self.asked += 1
        return self.stored.get(workspace_key)


async def test_bot_tokens_are_remembered_briefly_and_forgotten_on_uninstall() -> None:
    source = Tokens()
    tokens = BotTokens(source)
    assert await tokens.bot_token("T1") == "xoxb-one"
    assert await tokens.bot_token("T1") == "xoxb-one"
    assert source.asked == 1
    del source.stored["T1"]
    tokens.forget("T1")
    with pytest.raises(NotInstalled, match="not installed in workspace T1"):
        await tokens.bot_token("T1")


def test_sign_in_with_slack_matches_the_workspace_or_the_organization() -> None:
    plain = SlackIdentity(team_id="T1", user_id="U1", name="")
    in_org = SlackIdentity(team_id="T1", user_id="U1", name="", enterprise_id="E1")
    assert plain.belongs_to("T1") and not plain.belongs_to("T2") and not plain.belongs_to("E1/T1")
    assert in_org.belongs_to("E1/T1") and in_org.belongs_to("E1/") and not in_org.belongs_to("T1")
    assert not in_org.belongs_to("E2/")
