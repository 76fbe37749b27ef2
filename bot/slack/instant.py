"""Answers a `/webex ...` needs no I/O for (help, an unknown word, a usage error), straight from the checked
request: the whole answer is known from the text alone, so none of Bolt's dispatch applies to it.

Bolt would run its middleware (authorization, SSL check, URL verification, self events: none of which
changes a help text) and try its listeners, only to reach `CommandRouter.on_command`, which acks with
the same answer. Everything else, and every command in Socket Mode, still goes through Bolt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.observability import Tracing, current
from bot.slack.replies import Blocks
from bot.slack.request_context import describe, name_span
from bot.slack.router import COMMAND, CommandRouter


@dataclass(frozen=True)
class InstantAnswer:
    """The ack's JSON body, and the command it answered (for the guard's count and log line)."""

    body: bytes
    command: str


class InstantAnswers:
    """Finds the answer to a slash command that needs no I/O, and counts it once it has gone out."""

    def __init__(self, router: CommandRouter, tracing: Tracing | None = None) -> None:
        self._router = router
        self._tracing = tracing or Tracing()
        self._last_text: str | None = None
        self._last_blocks: Blocks | None = None
        self._last_body = b""

    def answer(self, payload: dict[str, Any]) -> InstantAnswer | None:
        """The ack for `payload` (a checked slash command), or None when it must go through Bolt."""
        if payload.get("command") != COMMAND or not self._router.accepting:
            return None
        subcommand, invocation = self._router.parse(payload)
        answer = subcommand.instant(invocation) if subcommand.instant is not None else None
        if answer is None:
            return None
        context = current()
        if context is not None:
            describe(context, payload, team=payload.get("team_id"), user=payload.get("user_id"))
            name_span(self._tracing, context)
            context.command = invocation.name
        text, blocks = answer
        if text != self._last_text or blocks is not self._last_blocks:
            # As Bolt's ack(text=..., blocks=..., response_type="ephemeral") writes it. The last one is
            # kept: the help, written once (bot.slack.accounts), is the answer most often asked again.
            body: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
            if blocks:
                body["blocks"] = blocks
            self._last_text, self._last_blocks = text, blocks
            self._last_body = json.dumps(body).encode()
        return InstantAnswer(self._last_body, invocation.name)

    async def answered(self, answer: InstantAnswer) -> None:
        """After the ack went out: count it and write its `finished` line (a coroutine, so Starlette
        runs it as the response's background task on the event loop, not in a thread)."""
        self._router.guard.answered_in_ack(answer.command)
