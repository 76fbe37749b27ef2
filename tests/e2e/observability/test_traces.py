"""With OTEL_EXPORTER_OTLP_ENDPOINT set, a scheduled meeting reaches an OTLP/HTTP collector as one trace:
the Slack request, the work after the ack, the Webex call; with no token in any of it."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.e2e.meetings.conftest import Stage
from tests.reliability.support import served
from tests.reliability.test_secrets_in_logs import secrets
from tests.support.servers import stop_bot
from tests.support.slack import DriverFactory

pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest  # noqa: E402


class Collector:
    """An OTLP/HTTP collector on loopback: keeps every span it is sent, and the raw bodies."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        self.bodies: list[bytes] = []

    def app(self) -> Starlette:
        async def traces(request: Request) -> Response:
            body = await request.body()
            if request.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            self.bodies.append(body)
            message = ExportTraceServiceRequest()
            message.ParseFromString(body)
            for resource in message.resource_spans:
                for scope in resource.scope_spans:
                    self.spans.extend(scope.spans)
            return Response(b"", media_type="application/x-protobuf")

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])

    def named(self, name: str) -> list[Any]:
        return [span for span in self.spans if span.name == name]


def attributes(span: Any) -> dict[str, str]:
    return {item.key: item.value.string_value for item in span.attributes}


async def test_a_scheduled_meeting_is_one_trace_from_the_request_to_the_webex_call(
    linked: Stage, bot_factory: Any, slack_driver: DriverFactory
) -> None:
    collector = Collector()
    async with served(collector.app()) as collector_url:
        keys = [key.get_secret_value() for key in linked.bot.settings.token_keys]  # Alice's link is there
        bot = await bot_factory(otel_exporter_otlp_endpoint=collector_url, token_keys=keys)
        alice = slack_driver(bot.events_url, user_id="U_ALICE")
        exchange = await alice.command("schedule Traced tomorrow 3pm", replies=1)
        assert "Traced" in (exchange.replies[0].text or "")
        await stop_bot(bot)  # sends the last batch
    [request] = collector.named("slack command")
    [work] = collector.named("/webex schedule")
    [call] = collector.named("webex CreateMeeting")
    assert request.trace_id == work.trace_id == call.trace_id
    assert work.parent_span_id == request.span_id and call.parent_span_id == work.span_id
    assert attributes(request)["slack.user_id"] == "U_ALICE" and len(attributes(request)["request_id"]) == 16
    assert attributes(call)["outcome"] == "ok" and attributes(call)["webex.operation"] == "CreateMeeting"
    sent = b"".join(collector.bodies).decode(errors="replace")
    for secret in secrets(bot, linked.emulator):
        assert secret not in sent
