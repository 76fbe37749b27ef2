"""ASGI middleware: every HTTP request gets a request id; Slack's requests also get their ack timed."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.observability.context import request
from bot.observability.metrics import Metrics
from bot.observability.tracing import Tracing

SLACK_EVENTS_PATH = "/slack/events"


class RequestTracking:
    """Opens a request context around each HTTP request, so its log lines (the access log's too) and
    the work it spawns carry one id; for Slack's endpoint, observes the time to the answer's start."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Callable[[], Metrics | None],
        tracing: Callable[[], Tracing | None] = lambda: None,
    ) -> None:
        self.app = app
        self._metrics = metrics
        self._tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with request() as context:
            if scope["path"] != SLACK_EVENTS_PATH:
                await self.app(scope, receive, send)
                return

            async def timed_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    metrics = self._metrics()
                    if metrics is not None:
                        # The Bolt middleware has said by now what Slack sent (a command, an action...).
                        metrics.acked(context.kind, time.perf_counter() - context.started)
                await send(message)

            tracing = self._tracing()
            if tracing is None or not tracing.enabled:
                await self.app(scope, receive, timed_send)
                return
            # The span covers the whole request, listener included; the Bolt middleware names it.
            with tracing.span("slack request"):
                await self.app(scope, receive, timed_send)
