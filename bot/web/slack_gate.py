"""The door of /slack/events: the signature is checked first, then the request's shape, then Bolt runs.

Bolt parses a body before it checks the signature, and a body it cannot parse (`payload=` that is not
JSON, bytes that are not UTF-8) escapes as a 500 with a traceback. Here an unsigned request is refused
(401) before its body is parsed at all, and a signed one that is not a Slack request the bot's listeners
can read gets 400 with one line saying why. Neither is logged above INFO: they are the sender's
mistakes, not the bot's.

The signature is checked here, once, over the raw body (Bolt's own check is off: see bot.slack.app), and
the body is parsed here, once: Bolt is handed the payload the shape check read, so what was checked is
exactly what the listeners see. A command whose whole answer needs no I/O (bot.slack.instant) is
answered here, without Bolt's dispatch, none of which applies to it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.slack.instant import InstantAnswers
from bot.slack.payloads import FormStates, MalformedRequest, check_request

logger = logging.getLogger(__name__)

# Bolt's AsyncApp.async_dispatch: runs its middleware and the listener that matches.
Dispatch = Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]
ACK_MEDIA_TYPE = "application/json;charset=utf-8"  # Bolt's, for an ack with a body


class SlackGate:
    """Lets Bolt see only signed requests that are shaped as Slack sends them."""

    def __init__(
        self,
        dispatch: Dispatch,
        signing_secret: str,
        *,
        forms: FormStates,
        instant: InstantAnswers | None = None,
    ) -> None:
        self._dispatch = dispatch
        self._verifier = SignatureVerifier(signing_secret)
        self._forms = forms
        self._instant = instant

    async def handle(self, request: Request) -> Response:
        body = await request.body()  # bounded by BodyLimit
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Slack signs UTF-8 text; bytes that are not cannot carry a signature anyone could check.
            logger.info("refused a Slack request whose body is not UTF-8")
            return PlainTextResponse(
                "Not a Slack request this app understands: the body is not UTF-8.\n", 400
            )
        headers = request.headers
        if not self._signed(text, headers):
            logger.info("refused a Slack request with a missing, wrong or stale signature")
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            payload = check_request(body, headers.get("content-type", ""), forms=self._forms)
        except MalformedRequest as problem:
            logger.info("refused a malformed Slack request: %s", problem)
            return PlainTextResponse(f"Not a Slack request this app understands: {problem}.\n", 400)
        if self._instant is not None and "command" in payload:
            instant = self._instant.answer(payload)
            if instant is not None:
                # Counted and logged once the answer has gone out, as a listener does after its ack.
                done = BackgroundTask(self._instant.answered, instant)
                return Response(instant.body, media_type=ACK_MEDIA_TYPE, background=done)
        answer = await self._dispatch(checked_request(text, payload, headers, request.query_params))
        return to_starlette_response(answer)

    def _signed(self, text: str, headers: Mapping[str, str]) -> bool:
        try:
            return self._verifier.is_valid(
                text,
                timestamp=headers.get("x-slack-request-timestamp"),
                signature=headers.get("x-slack-signature"),
            )
        except (ValueError, TypeError):
            return False  # a timestamp that is not a number, a signature that is not ASCII


def checked_request(
    raw_body: str, payload: dict[str, Any], headers: Mapping[str, str], query: Mapping[str, str]
) -> AsyncBoltRequest:
    """Bolt's request for a body parsed and checked already: Bolt's constructor would parse it again
    (and its parser reads a form with "payload" anywhere in it, a command's text included, as empty)."""
    request = AsyncBoltRequest(body="", query=dict(query), headers=dict(headers))
    request.raw_body = raw_body
    request.body = payload
    request.context = build_async_context(AsyncBoltContext(), payload)
    return request
