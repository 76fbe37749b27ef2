"""The Bolt middleware names each request: team, user, what Slack sent; Slack's event_id as the id."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.response import BoltResponse

from bot.observability import RequestContext, current, request
from bot.slack.request_context import RequestContextMiddleware, describe


@dataclass
class BoltContext:
    team_id: str | None = "T1"
    user_id: str | None = "U1"


@dataclass
class FakeRequest:
    body: dict[str, Any]
    context: BoltContext = field(default_factory=BoltContext)


def described(body: dict[str, Any]) -> RequestContext:
    context = RequestContext("made-at-ack")
    describe(context, body, team="T1", user="U1")
    return context


def test_a_slash_command_keeps_the_id_made_at_the_ack() -> None:
    context = described({"command": "/webex", "text": "schedule x"})
    assert (context.request_id, context.kind, context.command) == ("made-at-ack", "command", "/webex")
    assert (context.team, context.user) == ("T1", "U1")


def test_an_event_takes_slacks_event_id_so_a_retried_delivery_has_the_same_id() -> None:
    body = {"type": "event_callback", "event_id": "Ev0ABC123", "event": {"type": "app_home_opened"}}
    context = described(body)
    assert (context.request_id, context.kind, context.command) == ("Ev0ABC123", "event", "app_home_opened")


def test_an_odd_event_id_is_not_used() -> None:
    body = {"type": "event_callback", "event_id": "Ev 1\n2", "event": {"type": "x"}}
    assert described(body).request_id == "made-at-ack"


def test_buttons_forms_and_menus_are_named_by_their_ids() -> None:
    action = described({"type": "block_actions", "actions": [{"action_id": "cancel_meeting"}]})
    assert (action.kind, action.command) == ("action", "cancel_meeting")
    view = described({"type": "view_submission", "view": {"callback_id": "schedule_form"}})
    assert (view.kind, view.command) == ("view", "schedule_form")
    assert described({"type": "block_suggestion", "action_id": "invitees"}).kind == "options"
    assert described({"type": "something_new"}).kind == "other"


async def dispatch(body: dict[str, Any]) -> RequestContext | None:
    """What Bolt does: the global middleware runs and returns, then the listener runs."""

    async def next_() -> BoltResponse:
        return BoltResponse(status=200)

    await RequestContextMiddleware().async_process(
        req=FakeRequest(body), resp=BoltResponse(status=200), next=next_
    )
    return current()  # what the listener, and the work it spawns, see


async def test_over_http_it_fills_in_the_context_the_asgi_layer_opened() -> None:
    with request("from-http") as opened:
        seen = await dispatch({"command": "/webex"})
    assert seen is opened and opened.user == "U1" and opened.kind == "command"


async def test_in_socket_mode_each_message_gets_its_own_context() -> None:
    # slack_sdk's Socket Mode client runs each message in a task of its own.
    first, second = await asyncio.gather(
        asyncio.create_task(dispatch({"command": "/webex"})),
        asyncio.create_task(dispatch({"type": "block_actions", "actions": [{"action_id": "share"}]})),
    )
    assert first is not None and second is not None and first.request_id != second.request_id
    assert (first.kind, second.kind, second.command) == ("command", "action", "share")
    assert current() is None  # nothing leaked into the caller's context
