"""Slack requests unsigned, wrongly signed, tampered with or stale: refused (401), and nothing changes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.sandbox import SignedRequest, SlackDriver
from tests.e2e.meetings.conftest import Stage

FORGERIES = [
    pytest.param({"signature": "missing"}, id="no-signature"),
    pytest.param({"signature": "wrong"}, id="wrong-signature"),
    pytest.param({"age": 310}, id="older-than-five-minutes"),
    pytest.param({"age": 3600}, id="an-hour-old"),
    pytest.param({"age": -310}, id="from-the-future"),
]


async def assert_refused(driver: SlackDriver, request: SignedRequest, stage: Stage) -> None:
    calls_before = len(driver.standin.calls)
    xml_before = len(stage.emulator.xml_requests())
    exchange = await driver.send(request)
    assert exchange.status == 401, exchange.text
    # Nothing the request asked for happened: no answer in Slack, no call to Webex.
    assert len(driver.standin.calls) == calls_before
    assert len(stage.emulator.xml_requests()) == xml_before


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_forged_commands_are_refused_without_side_effects(
    linked: Stage, forgery: dict[str, Any]
) -> None:
    alice = linked.alice.driver
    request = alice.signer.slash_command("schedule Forged tomorrow 3pm", user_id="U_ALICE", **forgery)  # type: ignore[arg-type]
    await assert_refused(alice, request, linked)
    assert linked.emulator.meetings() == []


async def test_a_tampered_body_with_a_valid_signature_is_refused(linked: Stage) -> None:
    alice = linked.alice.driver
    genuine = alice.signer.slash_command("list", user_id="U_ALICE")
    # The attacker keeps Alice's signature but runs their own command as Alice.
    tampered = replace(genuine, body=genuine.body.replace(b"text=list", b"text=disconnect"))
    assert tampered.body != genuine.body
    await assert_refused(alice, tampered, linked)
    assert await linked.bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is not None


@pytest.mark.parametrize("forgery", FORGERIES[:3])
async def test_forged_uninstall_and_revocation_events_delete_nothing(
    linked: Stage, forgery: dict[str, Any]
) -> None:
    alice = linked.alice.driver
    team = alice.standin.workspace.team_id
    for request in (
        alice.signer.app_uninstalled(**forgery),
        alice.signer.tokens_revoked(user_ids=["U_ALICE"], **forgery),
    ):
        await assert_refused(alice, request, linked)
    assert await linked.bot.services.links.get(team, "U_ALICE") is not None
    assert await linked.bot.services.links.get(team, "U_BOB") is not None


@pytest.mark.parametrize("forgery", FORGERIES[:3])
async def test_forged_button_clicks_and_form_submissions_are_refused(
    linked: Stage, forgery: dict[str, Any]
) -> None:
    alice = linked.alice.driver
    card = (await alice.command("schedule Keep me tomorrow 4pm", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    click = alice.signer.block_actions(
        card.blocks, _first_action(card.blocks), user_id="U_ALICE", channel_id=alice.channel_id, **forgery
    )
    await assert_refused(alice, click, linked)
    form = (await alice.command("schedule", replies=1)).replies[0]
    assert form.view is not None
    submission = alice.signer.view_submission(form.view, {}, user_id="U_ALICE", **forgery)
    await assert_refused(alice, submission, linked)
    assert [m.key for m in linked.emulator.meetings()] == [meeting.key]


async def test_the_same_requests_signed_correctly_are_accepted(linked: Stage) -> None:
    # The control: what the tests above forge does work when Slack really sent it.
    alice = linked.alice.driver
    exchange = await alice.command("list", replies=1)
    assert exchange.status == 200 and exchange.replies


def _first_action(blocks: list[dict[str, Any]]) -> str:
    for block in blocks:
        for element in block.get("elements") or []:  # type: ignore[attr-defined]
            if element.get("action_id"):
                return str(element["action_id"])
    raise AssertionError(f"no button in {blocks}")


@pytest.mark.parametrize("forgery", FORGERIES[:3])
async def test_a_forged_url_verification_gets_no_challenge_back(
    linked: Stage, forgery: dict[str, Any]
) -> None:
    alice = linked.alice.driver
    forged = alice.signer.url_verification("forged-challenge", **forgery)
    answer = await alice.send(forged)
    assert answer.status == 401 and b"forged-challenge" not in answer.body
    genuine = await alice.send(alice.signer.url_verification("real-challenge"))
    assert genuine.status == 200 and b"real-challenge" in genuine.body
