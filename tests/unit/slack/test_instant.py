"""Commands answered from the text alone go out at the door, without Bolt; anything else still reaches it."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from bot.observability import Metrics, Tracing
from bot.observability.asgi import RequestTracking
from bot.observability.logs import RequestFields
from bot.runtime import BackgroundWork
from bot.sandbox.signing import SlackSigner
from bot.slack import accounts
from bot.slack.after_ack import AfterAck
from bot.slack.guard import Guard
from bot.slack.instant import InstantAnswers
from bot.slack.meetings.submitted import FORM_STATES
from bot.slack.router import CommandRouter
from bot.web.slack_gate import SlackGate

SECRET = "instant-secret"


class Bolt:
    """Stands in for Bolt's dispatch: keeps what reaches it."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def async_dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
        self.seen.append(request.body)
        return BoltResponse(status=200, body="through bolt")


class Anything(dict[str, object]):
    """Provides every dependency a subcommand asks for, as None."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> None:
        return None


class Stage:
    def __init__(self, tracing: Tracing | None = None) -> None:
        self.metrics = Metrics(process=False)
        self.tracing = tracing or Tracing()
        self.work = BackgroundWork()
        guard = Guard(lambda *args, **kwargs: "", self.metrics, Tracing())
        self.router = CommandRouter(after_ack=AfterAck(self.work, guard), guard=guard, replies=None)  # type: ignore[arg-type]
        # The account commands' own dependencies are never called here: only their help is read.
        accounts.register(AsyncApp(token="xoxb-0", signing_secret=SECRET), self.router, Anything())
        self.bolt = Bolt()
        gate = SlackGate(
            self.bolt.async_dispatch,
            SECRET,
            forms=FORM_STATES,
            instant=InstantAnswers(self.router, self.tracing),
        )
        self.app = Starlette(
            routes=[Route("/slack/events", gate.handle, methods=["POST"])],
            middleware=[
                Middleware(RequestTracking, metrics=lambda: self.metrics, tracing=lambda: self.tracing)
            ],
        )

    async def command(self, text: str) -> httpx.Response:
        signed = SlackSigner(SECRET, clock=time.time).slash_command(text, user_id="U1")
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
            return await client.post("/slack/events", content=signed.body, headers=dict(signed.headers))

    def count(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_help_is_answered_at_the_door_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    stage = Stage()
    caplog.handler.addFilter(RequestFields())  # as the process's log handler has
    with caplog.at_level(logging.INFO, logger="bot.slack.router"):
        answer = await stage.command("frobnicate now")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    ack = answer.json()
    assert ack["response_type"] == "ephemeral" and ack["text"].startswith("I don't know `frobnicate`")
    assert ack["blocks"][0]["text"]["text"] == ack["text"] and "/webex connect" in ack["text"]
    assert stage.bolt.seen == []
    # Counted and logged as a command answered in its ack, with the request's fields.
    assert stage.count("webex_bot_commands_total", command="/webex help", outcome="ok") == 1
    assert stage.count("webex_bot_slack_ack_seconds_count", kind="command") == 1
    [line] = [record for record in caplog.records if record.getMessage() == "/webex help finished: ok"]
    assert line.__dict__["command"] == "/webex help" and line.__dict__["user"] == "U1"


async def test_the_same_help_as_bolt_would_send() -> None:
    stage = Stage()
    answer = (await stage.command("")).json()
    text, blocks = accounts.HelpMessages(stage.router).answer()
    assert answer == json.loads(json.dumps({"text": text, "response_type": "ephemeral", "blocks": blocks}))


async def test_a_command_that_needs_work_goes_through_bolt() -> None:
    stage = Stage()
    answer = await stage.command("status")
    assert answer.text == "through bolt" and [body["text"] for body in stage.bolt.seen] == ["status"]


async def test_while_stopping_even_help_goes_through_bolt_which_says_so() -> None:
    stage = Stage()
    await stage.work.drain(0)
    answer = await stage.command("help")
    assert answer.text == "through bolt" and len(stage.bolt.seen) == 1


async def test_with_tracing_on_the_request_span_is_named_as_through_bolt() -> None:
    pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    stage = Stage(Tracing(provider))
    await stage.command("help")
    [span] = exporter.get_finished_spans()
    assert span.name == "slack command"
    assert span.attributes is not None and span.attributes["slack.user_id"] == "U1"
