"""The door of /slack/events: the signature is checked first, then the request's shape, then Bolt runs.

Bolt parses a body before it checks the signature, and a body it cannot parse (`payload=` that is not
JSON, bytes that are not UTF-8) escapes as a 500 with a traceback. Here an unsigned request is refused
(401) before its body is parsed at all, and a signed one that is not a Slack request the bot's listeners
can read gets 400 with one line saying why. Neither is logged above INFO: they are the sender's
mistakes, not the bot's.
"""

from __future__ import annotations

import logging

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.slack.payloads import FormStates, MalformedRequest, check_request

logger = logging.getLogger(__name__)


class SlackGate:
    """Lets Bolt see only signed requests that are shaped as Slack sends them."""

    def __init__(self, handler: AsyncSlackRequestHandler, signing_secret: str, *, forms: FormStates) -> None:
        self._handler = handler
        self._verifier = SignatureVerifier(signing_secret)
        self._forms = forms

    async def handle(self, request: Request) -> Response:
        body = await request.body()  # bounded by BodyLimit; Bolt reads the same cached bytes
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Slack signs UTF-8 text; bytes that are not cannot carry a signature anyone could check.
            logger.info("refused a Slack request whose body is not UTF-8")
            return PlainTextResponse(
                "Not a Slack request this app understands: the body is not UTF-8.\n", 400
            )
        if not self._signed(text, request):
            logger.info("refused a Slack request with a missing, wrong or stale signature")
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            check_request(body, request.headers.get("content-type", ""), forms=self._forms)
        except MalformedRequest as problem:
            logger.info("refused a malformed Slack request: %s", problem)
            return PlainTextResponse(f"Not a Slack request this app understands: {problem}.\n", 400)
        return await self._handler.handle(request)

    def _signed(self, text: str, request: Request) -> bool:
        try:
            return self._verifier.is_valid_request(text, dict(request.headers))
        except (ValueError, TypeError):
            return False  # a timestamp that is not a number, a signature that is not ASCII
