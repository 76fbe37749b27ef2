"""What comes back through Slack is not trusted blindly: button values and form metadata the bot wrote are
sealed for one person and one button or form, and a response_url that is not Slack's gets nothing.

Each test is signed correctly, as Slack would sign it: the attacker has changed what the bot wrote (or
holds the signing secret). Bob is a Webex site administrator here, so Webex itself would let him delete
Alice's meetings: only the bot's own checks stand between his tampering and her meeting.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.emulator import Emulator
from bot.emulator.state import StoredMeeting
from bot.sandbox import SignedRequest, SlackDriver
from bot.sandbox.signing import FORM
from bot.sandbox.workspace import RecordedCall
from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import Person, Stage, button, shown_text
from tests.reliability.support import served
from tests.support.database import BACKENDS

SITE = "sandbox"
SOMEONE_ELSES = ":no_entry: That button was made for someone else, so I did nothing."


def make_site_admin(emulator: Emulator, email: str) -> None:
    with emulator.state.lock:
        site = emulator.state.site_state(SITE)
        assert site is not None
        site.users[email.lower()] = replace(site.users[email.lower()], site_admin=True)


async def schedule(stage: Stage, person: Person, topic: str) -> tuple[RecordedCall, StoredMeeting]:
    """`/webex schedule <topic> tomorrow 3pm`: the card and the meeting it made."""
    card = (await person.driver.command(f"schedule {topic} tomorrow 3pm", replies=1)).replies[0]
    [meeting] = [m for m in stage.emulator.meetings() if m.conf_name == topic]
    return card, meeting


@pytest.fixture
def admin_bob(linked: Stage) -> Stage:
    make_site_admin(linked.emulator, linked.bob.webex_email)
    return linked


def resigned(driver: SlackDriver, payload: Mapping[str, Any]) -> SignedRequest:
    """`payload` as an interactive request with a valid signature (as Slack, or whoever holds the secret)."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return driver.signer.signed(body, FORM, payload, response_url=payload.get("response_url"))


def click_with_value(
    driver: SlackDriver, card_blocks: Sequence[Mapping[str, Any]], action_id: str, value: str
) -> SignedRequest:
    """A genuine click on `action_id` among `card_blocks`, its value replaced on the way back."""
    genuine = driver.signer.block_actions(card_blocks, action_id, user_id=driver.user_id)
    payload = copy.deepcopy(dict(genuine.payload))
    payload["actions"][0]["value"] = value
    return resigned(driver, payload)


def keys(emulator: Emulator) -> set[int]:
    return {meeting.key for meeting in emulator.meetings()}


@pytest.mark.parametrize("database_backend", BACKENDS, indirect=True)
async def test_a_meeting_number_typed_into_a_cancel_button_cancels_nothing(admin_bob: Stage) -> None:
    stage = admin_bob
    _, alices = await schedule(stage, stage.alice, "Alice planning")
    bobs_card, bobs = await schedule(stage, stage.bob, "Bob sync")
    deletions = len(stage.emulator.xml_requests("DelMeeting"))
    # Bob presses Cancel on his own card with Alice's meeting number in place of the bot's value.
    forged = click_with_value(stage.bob.driver, bobs_card.blocks, blocks.CANCEL, str(alices.key))
    exchange = await stage.bob.driver.send(forged, user_id="U_BOB", channel_id="C_SANDBOX", replies=1)
    assert exchange.status == 200
    assert "came back from Slack changed" in shown_text(exchange.replies[0])
    assert keys(stage.emulator) == {alices.key, bobs.key}
    assert len(stage.emulator.xml_requests("DelMeeting")) == deletions
    # The control: the value the bot sealed for Bob works, so the refusal above was the seal's doing.
    done = await stage.bob.driver.click(bobs_card, blocks.CANCEL, replies=1)
    assert "is cancelled" in shown_text(done.replies[0])
    assert keys(stage.emulator) == {alices.key}


async def test_a_button_value_copied_from_someone_elses_card_is_refused(admin_bob: Stage) -> None:
    stage = admin_bob
    alices_card, alices = await schedule(stage, stage.alice, "Alice planning")
    bobs_card, bobs = await schedule(stage, stage.bob, "Bob sync")
    # Bob got hold of the genuine, sealed value of Alice's Cancel button.
    alices_value = str(button(alices_card.blocks, blocks.CANCEL)["value"])
    forged = click_with_value(stage.bob.driver, bobs_card.blocks, blocks.CANCEL, alices_value)
    exchange = await stage.bob.driver.send(forged, user_id="U_BOB", channel_id="C_SANDBOX", replies=1)
    # Refused all the same; the value is genuine, so the answer says whose it is, not "changed".
    assert shown_text(exchange.replies[0]) == SOMEONE_ELSES
    assert keys(stage.emulator) == {alices.key, bobs.key}
    assert stage.emulator.xml_requests("DelMeeting") == []


async def test_a_colleague_pressing_a_button_on_someone_elses_card_is_told_whose_it_is(
    admin_bob: Stage,
) -> None:
    stage = admin_bob
    alices_card, alices = await schedule(stage, stage.alice, "Alice planning")
    # The card Alice was shown, pressed by Bob as it is (a screen shared, a message forwarded).
    exchange = await stage.bob.driver.click(alices_card, blocks.CANCEL, user_id="U_BOB", replies=1)
    told = shown_text(exchange.replies[0])
    assert told == SOMEONE_ELSES and "came back from Slack changed" not in told
    assert keys(stage.emulator) == {alices.key}
    assert stage.emulator.xml_requests("DelMeeting") == []


async def test_a_value_moved_from_one_button_to_another_is_refused(admin_bob: Stage) -> None:
    stage = admin_bob
    card, meeting = await schedule(stage, stage.alice, "Alice planning")
    # "Share in channel" carries the same meeting number, sealed for sharing, not for cancelling.
    share_value = str(button(card.blocks, blocks.SHARE)["value"])
    forged = click_with_value(stage.alice.driver, card.blocks, blocks.CANCEL, share_value)
    exchange = await stage.alice.driver.send(forged, user_id="U_ALICE", channel_id="C_SANDBOX", replies=1)
    assert "came back from Slack changed" in shown_text(exchange.replies[0])
    assert keys(stage.emulator) == {meeting.key}


async def test_a_tampered_more_button_lists_nothing(admin_bob: Stage) -> None:
    stage = admin_bob
    await schedule(stage, stage.alice, "Alice planning")
    listing = (await stage.alice.driver.command("list", replies=1)).replies[0]
    # A More button the bot never sent, added to a real list with a value of the attacker's choosing.
    more = {"type": "actions", "block_id": "more", "elements": [{"type": "button", "action_id": blocks.MORE}]}
    lists_before = len(stage.emulator.xml_requests("LstsummaryMeeting"))
    forged = click_with_value(
        stage.alice.driver, [*listing.blocks, more], blocks.MORE, '{"window":"week","start_from":1}'
    )
    exchange = await stage.alice.driver.send(forged, user_id="U_ALICE", channel_id="C_SANDBOX", replies=1)
    assert "came back from Slack changed" in shown_text(exchange.replies[0])
    assert len(stage.emulator.xml_requests("LstsummaryMeeting")) == lists_before


async def open_edit_form(stage: Stage, card: RecordedCall) -> Mapping[str, Any]:
    """Alice presses Edit on her card: the bot opens a form, then fills it in with the meeting."""
    driver = stage.alice.driver
    await driver.click(card, blocks.EDIT)
    update = await driver.standin.wait_for(
        lambda c: c.method == "views.update" and (c.view or {}).get("callback_id") == blocks.EDIT_VIEW
    )
    assert update.view is not None
    return update.view


async def test_edit_form_metadata_pointed_at_another_meeting_changes_nothing(admin_bob: Stage) -> None:
    stage = admin_bob
    alices_card, alices = await schedule(stage, stage.alice, "Alice planning")
    _, bobs = await schedule(stage, stage.bob, "Bob sync")
    form = await open_edit_form(stage, alices_card)
    assert str(alices.key) not in form["private_metadata"]  # sealed, not readable JSON
    edits = len(stage.emulator.xml_requests("SetMeeting"))
    # Alice's form, resubmitted with metadata naming Bob's meeting (Alice is no admin, Bob is: here
    # Bob drives Alice's form as if it were his own).
    forged_metadata = json.dumps({"channel": "C_SANDBOX", "tz": "UTC", "key": str(bobs.key)})
    tampered = {**form, "private_metadata": forged_metadata}
    exchange = await stage.bob.driver.submit(tampered, {blocks.TOPIC: "Taken over"})
    assert exchange.status == 200
    answer = exchange.json()
    assert answer["response_action"] == "update"
    assert "came back from Slack changed" in json.dumps(answer["view"])
    await asyncio.sleep(0.3)  # anything spawned after the ack would have reached Webex by now
    assert len(stage.emulator.xml_requests("SetMeeting")) == edits
    assert {m.key: m.conf_name for m in stage.emulator.meetings()} == {
        alices.key: "Alice planning",
        bobs.key: "Bob sync",
    }


async def test_a_form_submitted_by_someone_it_was_not_opened_for_changes_nothing(admin_bob: Stage) -> None:
    stage = admin_bob
    alices_card, alices = await schedule(stage, stage.alice, "Alice planning")
    form = await open_edit_form(stage, alices_card)
    # Bob submits Alice's genuine form, sealed metadata and all.
    exchange = await stage.bob.driver.submit(form, {blocks.TOPIC: "Taken over"})
    assert exchange.json()["response_action"] == "update"
    await asyncio.sleep(0.3)
    assert stage.emulator.xml_requests("SetMeeting") == []
    assert [m.conf_name for m in stage.emulator.meetings()] == ["Alice planning"]


async def test_a_schedule_form_with_made_up_metadata_schedules_nothing(admin_bob: Stage) -> None:
    stage = admin_bob
    form = (await stage.alice.driver.command("schedule", replies=1)).replies[0]
    assert form.view is not None
    tampered = {**form.view, "private_metadata": json.dumps({"channel": "C_ELSEWHERE", "tz": "UTC"})}
    exchange = await stage.alice.driver.submit(tampered, {blocks.TOPIC: "Sneaky"})
    assert exchange.json()["response_action"] == "update"
    await asyncio.sleep(0.3)
    assert stage.emulator.meetings() == []
    # The genuine form still works.
    done = await stage.alice.driver.submit(form, {blocks.TOPIC: "Honest"}, replies=1)
    assert done.status == 200 and [m.conf_name for m in stage.emulator.meetings()] == ["Honest"]


# ---- response_url ------------------------------------------------------------------------------


class Attacker:
    """A server of the attacker's: records every request that reaches it."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    def app(self) -> Starlette:
        async def anything(request: Request) -> Response:
            self.received.append(await request.body())
            return Response("ok")

        return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])


@pytest.fixture
async def attacker() -> AsyncIterator[tuple[Attacker, str]]:
    server = Attacker()
    async with served(server.app()) as url:
        yield server, url


FOREIGN_URLS = [
    pytest.param("{attacker}/hooks", id="attackers-server"),
    pytest.param("https://hooks.slack.com.{host}/hooks", id="lookalike-host"),
    pytest.param("https://hooks.slack.com@{host}/hooks", id="credentials-trick"),
]


@pytest.mark.parametrize("template", FOREIGN_URLS)
async def test_a_command_whose_response_url_is_not_slacks_sends_nothing_there(
    linked: Stage, attacker: tuple[Attacker, str], template: str
) -> None:
    server, url = attacker
    forged_url = template.format(attacker=url, host=url.removeprefix("http://"))
    alice = linked.alice.driver
    request = alice.signer.slash_command(
        "schedule Quarterly review tomorrow 3pm", user_id="U_ALICE", response_url=forged_url
    )
    exchange = await alice.send(request, user_id="U_ALICE", channel_id=alice.channel_id, replies=1)
    # Alice still gets her card, through the bot's own token; the attacker gets nothing, ever.
    reply = exchange.replies[0]
    assert reply.method == "chat.postEphemeral" and "Quarterly review" in shown_text(reply)
    await asyncio.sleep(0.3)
    assert server.received == []


async def test_a_click_whose_response_url_is_not_slacks_sends_nothing_there(
    linked: Stage, attacker: tuple[Attacker, str]
) -> None:
    server, url = attacker
    alice = linked.alice.driver
    card = (await alice.command("schedule Planning tomorrow 3pm", replies=1)).replies[0]
    genuine = alice.signer.block_actions(card.blocks, blocks.SHARE, user_id="U_ALICE")
    payload = copy.deepcopy(dict(genuine.payload))
    payload["response_url"] = url + "/hooks"
    exchange = await alice.send(resigned(alice, payload), user_id="U_ALICE", channel_id=alice.channel_id)
    assert exchange.status == 200
    # Shared all the same, by the bot in the channel; nothing went to the attacker.
    posted = await alice.standin.wait_for(
        lambda c: c.method == "chat.postMessage" and c.channel == "C_SANDBOX"
    )
    assert "Planning" in shown_text(posted)
    await asyncio.sleep(0.3)
    assert server.received == []


def test_only_slacks_own_addresses_count_as_response_urls() -> None:
    from bot.slack.replies import is_slack_response_url

    api = "http://127.0.0.1:5000/api/"
    assert is_slack_response_url("https://hooks.slack.com/actions/T1/1/abc", api)
    assert is_slack_response_url("http://127.0.0.1:5000/response/abc", api)
    for url in (
        "http://hooks.slack.com/actions/T1/1/abc",  # not https
        "https://hooks.slack.com:8443/actions",  # another port
        "https://hooks.slack.com.evil.example/actions",
        "https://evil.example/hooks.slack.com/actions",
        "https://hooks.slack.com@evil.example/actions",
        "https://evil.example\\@hooks.slack.com/actions",
        "https://hooks.slack.com\\.evil.example/actions",
        "https://hооks.slack.com/actions",  # Cyrillic o
        "http://127.0.0.1:5001/response/abc",
        "http://localhost:5000/response/abc",
        "/response/abc",
        "",
        "not a url",
    ):
        assert not is_slack_response_url(url, api), url


def test_a_response_url_read_by_its_plain_start_is_read_as_aiohttps_parser_reads_it() -> None:
    """The common case is decided by how the URL starts, without parsing it; whatever follows the
    trusted start, the origin aiohttp would post to (yarl's reading) is the trusted one."""
    from yarl import URL

    from bot.slack.replies import SLACK_RESPONSE_URL_ORIGIN, is_slack_response_url

    for api in ("http://127.0.0.1:5000/api/", "https://slack.com/api/", "http://localhost/api/"):
        origin = URL(api)
        trusted = {SLACK_RESPONSE_URL_ORIGIN, (origin.scheme, origin.host, origin.port)}
        for start in ("https://hooks.slack.com/", f"{origin.scheme}://{origin.host}:{origin.port}/"):
            for rest in ("actions/T1/1/abc", "/evil.example/x", "?x=1#y", "%2e%2e/x", "a\x00b", ":9/x"):
                url = start + rest
                parsed = URL(url)
                assert is_slack_response_url(url, api) == (
                    (parsed.scheme, parsed.host, parsed.port) in trusted
                ), url
