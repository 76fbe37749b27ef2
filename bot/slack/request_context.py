"""Bolt middleware: names the request (team, user, what Slack sent) for log lines and metrics."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.observability.context import RequestContext, current, request

# Slack's event ids look like Ev0123ABCD; anything else is not used as a request id.
_EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class RequestContextMiddleware(AsyncMiddleware):
    """Runs after Bolt's signature check. Over HTTP it fills in the context the ASGI layer opened;
    in Socket Mode (no HTTP request) it opens one. An Events API delivery takes Slack's `event_id` as
    its request id, so a retried delivery (X-Slack-Retry-Num) shows up under the same id."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002 (Bolt's name)
    ) -> BoltResponse:
        opened = current()
        scope: AbstractContextManager[RequestContext] = (
            nullcontext(opened) if opened is not None and not opened.kind else request()
        )
        with scope as context:
            describe(context, req.body, team=req.context.team_id, user=req.context.user_id)
            return await next()


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
