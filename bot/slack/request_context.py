"""Bolt middleware: names the request (team, user, what Slack sent) for log lines and metrics."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.observability.context import RequestContext, begin, current
from bot.observability.tracing import Tracing

# Slack's event ids look like Ev0123ABCD; anything else is not used as a request id.
_EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class RequestContextMiddleware(AsyncMiddleware):
    """Runs after Bolt's signature check and before the listener (Bolt calls its global middleware one
    after another, not nested, so this one names the request rather than wrapping it). Over HTTP it
    fills in the context the ASGI layer opened; in Socket Mode, where slack_sdk runs each message in a
    task of its own, it opens one in that task. An Events API delivery takes Slack's `event_id` as its
    request id, so a retried delivery (X-Slack-Retry-Num) shows up under the same id. With tracing
    on, it names the request's span."""

    def __init__(self, tracing: Tracing | None = None) -> None:
        self._tracing = tracing or Tracing()

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002 (Bolt's name)
    ) -> BoltResponse:
        opened = current()
        context = opened if opened is not None and not opened.kind else begin()
        describe(context, req.body, team=req.context.team_id, user=req.context.user_id)
        name_span(self._tracing, context)
        return await next()


def name_span(tracing: Tracing, context: RequestContext) -> None:
    """With tracing on, name the request's span after what Slack sent, with who sent it."""
    tracing.name_current(
        f"slack {context.kind}",
        **{
            "request_id": context.request_id,
            "slack.team_id": context.team,
            "slack.user_id": context.user,
            "slack.command": context.command,
        },
    )


def describe(context: RequestContext, body: dict[str, Any], *, team: str | None, user: str | None) -> None:
    """What Slack sent, in the words operators search logs for: `/webex`, an action id, a form, an event."""
    context.team = team or ""
    context.user = user or ""
    kind = body.get("type")
    if "command" in body:
        context.kind, context.command = "command", str(body["command"])
    elif kind == "event_callback":
        event_id = body.get("event_id")
        if isinstance(event_id, str) and _EVENT_ID.match(event_id):
            context.request_id = event_id
        context.kind, context.command = "event", str((body.get("event") or {}).get("type") or "")
    elif kind == "block_actions":
        action = (body.get("actions") or [{}])[0]
        context.kind, context.command = "action", str(action.get("action_id") or "")
    elif kind in ("view_submission", "view_closed"):
        context.kind, context.command = "view", str((body.get("view") or {}).get("callback_id") or "")
    elif kind == "block_suggestion":
        context.kind, context.command = "options", str(body.get("action_id") or "")
    else:
        context.kind = "other"
