"""The driver plays a Slack user against a real Bolt app over HTTP, and sees what the app sent back."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import SlackDriver, SlackStandIn, StandInTimeout
from tests.support.slack import SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, DriverFactory

MEETING_BLOCKS = [
    {
        "type": "section",
        "block_id": "m1",
        "text": {"type": "mrkdwn", "text": "*Standup*"},
        "accessory": {
            "type": "button",
            "action_id": "cancel_meeting",
            "value": "123",
            "text": {"type": "plain_text", "text": "Cancel"},
        },
    },
]
MODAL = {
    "type": "modal",
    "callback_id": "schedule",
    "title": {"type": "plain_text", "text": "Schedule"},
    "submit": {"type": "plain_text", "text": "Schedule"},
    "blocks": [
        {
            "type": "input",
            "block_id": "topic",
            "label": {"type": "plain_text", "text": "Topic"},
            "element": {"type": "plain_text_input", "action_id": "topic"},
        }
    ],
}


def tiny_bot(standin: SlackStandIn) -> AsyncApp:
    """A minimal Bolt app exercising each surface the driver offers."""
    app = AsyncApp(
        signing_secret=SLACK_SIGNING_SECRET,
        client=AsyncWebClient(token=SLACK_BOT_TOKEN, base_url=standin.url),
    )

    @app.command("/webex")
    async def webex(
        ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        text = command["text"]
        if text == "modal":
            await ack()
            await client.views_open(trigger_id=command["trigger_id"], view=MODAL)
            return
        if text == "help":
            await ack(text="Try list", blocks=MEETING_BLOCKS, response_type="ephemeral")
            return
        await ack(f"Working on {text}…")
        user = (await client.users_info(user=command["user_id"]))["user"]
        await respond(text=f"{text} for {user['profile']['email']}", blocks=MEETING_BLOCKS)

    @app.action("cancel_meeting")
    async def cancel(
        ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any], body: dict[str, Any]
    ) -> None:
        await ack()
        if "response_url" in body:  # a click in a view (the Home tab) has none
            await respond(text=f"Cancelled {action['value']}", replace_original=True)

    @app.view("schedule")
    async def submitted(
        ack: AsyncAck, view: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        topic = view["state"]["values"]["topic"]["topic"]["value"]
        if not topic:
            await ack(response_action="errors", errors={"topic": "A topic, please"})
            return
        await ack()
        await client.chat_postMessage(channel=body["user"]["id"], text=f"Scheduled {topic}")

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": MEETING_BLOCKS})

    return app


@pytest.fixture
async def bot_url(slack_standin: SlackStandIn) -> AsyncIterator[str]:
    runner = web.AppRunner(tiny_bot(slack_standin).web_app(), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
    await runner.cleanup()


@pytest.fixture
def alice(slack_driver: DriverFactory, bot_url: str) -> SlackDriver:
    return slack_driver(bot_url, user_id="U_ALICE")


async def test_command_is_acked_then_answered_through_its_response_url(
    alice: SlackDriver, slack_standin: SlackStandIn
) -> None:
    exchange = await alice.command("list", replies=1)
    assert exchange.status == 200
    assert exchange.ack_text == "Working on list…"
    assert exchange.ack_seconds < 3
    (reply,) = exchange.replies
    assert reply.method == "response_url"
    assert reply.text == "list for alice@sandbox.example"
    assert reply.response_target is not None
    assert reply.response_target.command == "/webex"
    assert reply.response_target.text == "list"
    assert reply.response_target.url == exchange.request.response_url
    assert slack_standin.calls_to("users.info")[0].body["user"] == "U_ALICE"


async def test_an_answer_in_the_ack_is_read_from_its_body(alice: SlackDriver) -> None:
    exchange = await alice.command("help")
    assert exchange.ack_text == "Try list"
    assert exchange.ack_blocks == MEETING_BLOCKS
    assert exchange.json()["response_type"] == "ephemeral"
    assert alice.replies_so_far(exchange) == []


async def test_replies_are_told_apart_between_users(
    slack_driver: DriverFactory, bot_url: str, alice: SlackDriver
) -> None:
    bob = slack_driver(bot_url, user_id="U_BOB")
    first = await alice.command("one")
    second = await bob.command("two")
    (bobs,) = await bob.wait_replies(second)
    (alices,) = await alice.wait_replies(first)
    assert bobs.text == "two for bob@sandbox.example"
    assert alices.text == "one for alice@sandbox.example"


async def test_clicking_a_button_in_the_reply(alice: SlackDriver) -> None:
    reply = (await alice.command("list", replies=1)).replies[0]
    click = await alice.click(reply, "cancel_meeting", replies=1)
    assert click.status == 200
    (answer,) = click.replies
    assert answer.text == "Cancelled 123"
    assert answer.response_target is not None
    assert answer.response_target.message_ts == reply.message_ts
    assert answer.message_ts == reply.message_ts


async def test_a_modal_opened_then_submitted(alice: SlackDriver) -> None:
    opened = await alice.command("modal", replies=1)
    (modal,) = opened.replies
    assert modal.method == "views.open"
    assert modal.ok
    refused = await alice.submit(modal, {})
    assert refused.json() == {"response_action": "errors", "errors": {"topic": "A topic, please"}}
    accepted = await alice.submit(modal, {"topic": "Retro"}, replies=1)
    assert accepted.status == 200
    assert accepted.replies[0].method == "chat.postMessage"
    assert accepted.replies[0].text == "Scheduled Retro"


async def test_home_tab(alice: SlackDriver) -> None:
    opened = await alice.open_home(replies=1)
    (home,) = opened.replies
    assert home.method == "views.publish"
    assert home.view is not None and home.view["type"] == "home"
    pressed = await alice.click(home, "cancel_meeting")
    assert pressed.status == 200


async def test_forged_and_stale_requests_are_refused(alice: SlackDriver, slack_standin: SlackStandIn) -> None:
    for options in ({"signature": "wrong"}, {"signature": "missing"}, {"age": 301.0}):
        refused = await alice.command("list", **options)  # type: ignore[arg-type]
        assert refused.status == 401, options
    with pytest.raises(StandInTimeout):
        await slack_standin.wait_for(lambda c: c.method == "response_url", timeout=0.2)


async def test_waiting_for_replies_that_never_come_says_so(alice: SlackDriver) -> None:
    exchange = await alice.command("list", replies=1)
    with pytest.raises(StandInTimeout, match="expected 2 repl"):
        await alice.wait_replies(exchange, 2, timeout=0.2)


async def test_hundreds_of_simultaneous_commands_each_get_their_own_reply(alice: SlackDriver) -> None:
    texts = [f"meeting {i}" for i in range(200)]
    exchanges = await asyncio.gather(*(alice.command(text, replies=1, timeout=30) for text in texts))
    assert all(exchange.status == 200 for exchange in exchanges)
    assert [exchange.replies[0].text for exchange in exchanges] == [
        f"{t} for alice@sandbox.example" for t in texts
    ]
    assert len({exchange.replies[0].seq for exchange in exchanges}) == 200
