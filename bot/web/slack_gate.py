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

import functools
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
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.observability.asgi import SLACK_EVENTS_PATH
from bot.slack.instant import InstantAnswers
from bot.slack.payloads import FormStates, MalformedRequest, check_request

logger = logging.getLogger(__name__)

# Bolt's AsyncApp.async_dispatch: runs its middleware and the listener that matches.
Dispatch = Callable[[AsyncBoltRequest], Awaitable[BoltResponse]]
ACK_MEDIA_TYPE = "application/json;charset=utf-8"  # Bolt's, for an ack with a body
JSON_MEDIA_TYPE = "application/json"
PLAIN = "text/plain; charset=utf-8"
INVALID_REQUEST = b'{"error":"invalid request"}'


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
        """The gate as a Starlette endpoint (the app serves /slack/events through `__call__` instead)."""
        answer = await self.answer(await request.body(), request.headers, request.url.query)
        if isinstance(answer, BoltResponse):
            return to_starlette_response(answer)
        status, body, media_type, after = answer
        return Response(
            body, status, media_type=media_type, background=BackgroundTask(after) if after else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The gate as a plain ASGI app for POST /slack/events: none of Starlette's routing, request and
        response objects, which cost as much as the gate itself. The body was collected (and bounded)
        by BodyLimit, so it is one message."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its whole body: nobody to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1")
            if key not in headers:  # the first of repeated headers, as Starlette's Headers.get reads
                headers[key] = value.decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        answer = await self.answer(b"".join(chunks), headers, query)
        if isinstance(answer, BoltResponse):
            if not _plain(answer):  # cookies or a status without a body: as Starlette writes them
                await to_starlette_response(answer)(scope, receive, send)
                return
            status = answer.status
            content = answer.body.encode()
            fields = [
                (name.encode("latin-1"), str(next(iter(values))).encode("latin-1"))
                for name, values in answer.headers.items()
                if values
            ]
            after = None
        else:
            status, content, media_type, after = answer
            fields = [(b"content-type", media_type.encode("latin-1"))]
        fields.append((b"content-length", str(len(content)).encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": fields})
        await send({"type": "http.response.body", "body": content})
        if after is not None:
            await after()

    async def answer(
        self, body: bytes, headers: Mapping[str, str], query: str
    ) -> BoltResponse | tuple[int, bytes, str, Callable[[], Awaitable[None]] | None]:
        """Bolt's answer, or the gate's own: (status, body, media type, what to run once it is sent).
        `headers` are read by lower-case name."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Slack signs UTF-8 text; bytes that are not cannot carry a signature anyone could check.
            logger.info("refused a Slack request whose body is not UTF-8")
            return 400, b"Not a Slack request this app understands: the body is not UTF-8.\n", PLAIN, None
        if not self._signed(text, headers):
            logger.info("refused a Slack request with a missing, wrong or stale signature")
            return 401, INVALID_REQUEST, JSON_MEDIA_TYPE, None
        try:
            payload = check_request(body, headers.get("content-type", ""), forms=self._forms)
        except MalformedRequest as problem:
            logger.info("refused a malformed Slack request: %s", problem)
            return 400, f"Not a Slack request this app understands: {problem}.\n".encode(), PLAIN, None
        if self._instant is not None and "command" in payload:
            instant = self._instant.answer(payload)
            if instant is not None:
                # Counted and logged once the answer has gone out, as a listener does after its ack.
                return 200, instant.body, ACK_MEDIA_TYPE, functools.partial(self._instant.answered, instant)
        return await self._dispatch(checked_request(text, payload, headers, query))

    def _signed(self, text: str, headers: Mapping[str, str]) -> bool:
        try:
            return self._verifier.is_valid(
                text,
                timestamp=headers.get("x-slack-request-timestamp"),
                signature=headers.get("x-slack-signature"),
            )
        except (ValueError, TypeError):
            return False  # a timestamp that is not a number, a signature that is not ASCII


def _plain(answer: BoltResponse) -> bool:
    """An answer written as it is, its length added: a status that has a body, no cookies to set and no
    length of its own (all of Bolt's acks)."""
    headers = answer.headers
    return (
        200 <= answer.status
        and answer.status not in (204, 304)
        and "set-cookie" not in headers
        and "content-length" not in headers
    )


def checked_request(
    raw_body: str, payload: dict[str, Any], headers: Mapping[str, str], query: str
) -> AsyncBoltRequest:
    """Bolt's request for a body parsed and checked already: Bolt's constructor would parse it again
    (and its parser reads a form with "payload" anywhere in it, a command's text included, as empty)."""
    request = AsyncBoltRequest(body="", query=query, headers=dict(headers))
    request.raw_body = raw_body
    request.body = payload
    request.context = build_async_context(AsyncBoltContext(), payload)
    return request


class SlackEndpoint:
    """Pure ASGI middleware, innermost: POST /slack/events goes straight to the gate, past Starlette's
    exception middleware, router and request/response objects (the outer middleware still apply: the
    body limit, request tracking, and Starlette's 500 for an error). Anything else, or a request before
    start-up made the gate, goes on to the app."""

    def __init__(self, app: ASGIApp, *, gate: Callable[[], SlackGate | None]) -> None:
        self.app = app
        self._gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == SLACK_EVENTS_PATH and scope["method"] == "POST":
            gate = self._gate()
            if gate is not None:
                await gate(scope, receive, send)
                return
        await self.app(scope, receive, send)
