"""The /webex command: the first word picks a subcommand, answered in the ack or run after it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.observability import current
from bot.slack import texts
from bot.slack.after_ack import AfterAck, RecordOffer
from bot.slack.command_listener import listen_to_command
from bot.slack.guard import Guard
from bot.slack.replies import Blocks, Replies, Reply
from bot.slack.workspaces import workspace_key

logger = logging.getLogger(__name__)

COMMAND = "/webex"


@dataclass(frozen=True)
class Invocation:
    """One `/webex ...` as the user typed it."""

    team_id: str
    user_id: str
    channel_id: str
    subcommand: str
    args: str
    response_url: str | None = None
    trigger_id: str | None = None

    @property
    def text(self) -> str:
        return f"{self.subcommand} {self.args}".strip()

    @property
    def name(self) -> str:
        """`/webex schedule`, or `/webex help` for an empty or unknown first word."""
        return f"{COMMAND} {self.subcommand or 'help'}"

    def to_pending(self) -> dict[str, Any]:
        return {"kind": "command", "text": self.text, "channel_id": self.channel_id}

    def to_record(self) -> dict[str, Any]:
        """What another process needs to run this command again if this one dies before answering."""
        return {
            "text": self.text,
            "channel_id": self.channel_id,
            "response_url": self.response_url,
            "trigger_id": self.trigger_id,
        }


# A subcommand gets the invocation and how to answer; whatever else it needs was injected by name.
Handler = Callable[[Invocation, Reply], Awaitable[None]]
# Finishes a piece of pending work (pending, team_id, user_id, reply) once the person has linked.
Resumer = Callable[[dict[str, Any], str, str, Reply], Awaitable[None]]
# The whole answer when it needs no I/O (help, a usage error), or None when the subcommand must run.
Instant = Callable[[Invocation], tuple[str, Blocks | None] | None]


@dataclass(frozen=True)
class Subcommand:
    names: tuple[str, ...]
    run: Handler
    usage: str
    summary: str
    ack_text: str | None = None
    listed: bool = True
    instant: Instant | None = None


@dataclass
class CommandRouter:
    """Maps the first word of `/webex ...` to a subcommand; unknown words get the help."""

    after_ack: AfterAck
    guard: Guard
    replies: Replies
    subcommands: list[Subcommand] = field(default_factory=list)
    resumers: dict[str, Resumer] = field(default_factory=dict)
    # What the answer to a resumed piece of work's failure carries besides the explanation, by kind.
    offers: dict[str, RecordOffer] = field(default_factory=dict)
    fallback: Subcommand | None = None
    # Each name's subcommand (the first registered with it), kept up to date by `add`.
    _by_name: dict[str, Subcommand] = field(default_factory=dict, repr=False)
    # The last body parsed and what it read as: the instant-answer check (bot.slack.instant) and then
    # the listener read the same checked payload, one after the other.
    _last: tuple[dict[str, Any], Subcommand, Invocation] | None = field(default=None, repr=False)

    @property
    def accepting(self) -> bool:
        """False once the process is stopping: no new work starts."""
        return self.after_ack.accepting

    def add(self, subcommand: Subcommand) -> None:
        self.subcommands.append(subcommand)
        for name in subcommand.names:
            self._by_name.setdefault(name, subcommand)

    def resumer(self, name: str, resume: Resumer, *, offer: RecordOffer | None = None) -> None:
        """Register how to finish a piece of pending work of kind `name` once the user has linked, and
        what the answer to its failure offers (the pending work is its record)."""
        self.resumers[name] = resume
        if offer is not None:
            self.offers[name] = offer

    def find(self, word: str) -> Subcommand | None:
        return self._by_name.get(word)

    def parse(self, body: dict[str, Any]) -> tuple[Subcommand, Invocation]:
        last = self._last
        if last is not None and last[0] is body:
            return last[1], last[2]  # the same payload, unchanged: nothing writes to a checked body
        subcommand, invocation = self._parse(body)
        self._last = (body, subcommand, invocation)
        return subcommand, invocation

    def _parse(self, body: dict[str, Any]) -> tuple[Subcommand, Invocation]:
        text = (body.get("text") or "").strip()
        word, _, args = text.partition(" ")
        found = self.find(word.lower())
        subcommand = found or self.fallback
        if subcommand is None:
            raise LookupError("no fallback subcommand registered")
        # An unknown first word is not a subcommand: the fallback gets the whole text to explain.
        invocation = Invocation(
            team_id=workspace_key(body),
            user_id=body.get("user_id") or "",
            channel_id=body.get("channel_id") or "",
            subcommand=word.lower() if found else "",
            args=args.strip() if found else text,
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
        )
        return subcommand, invocation

    async def on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        if not self.after_ack.accepting:
            await ack(text=texts.SHUTTING_DOWN)
            return
        subcommand, invocation = self.parse(body)
        context = current()
        if context is not None:
            context.command = invocation.name
        answer = subcommand.instant(invocation) if subcommand.instant is not None else None
        if answer is not None:
            # Known without any I/O: the ack carries it, which spares Slack a second round trip.
            text, blocks = answer
            await ack(text=text, blocks=blocks, response_type="ephemeral")
            self.guard.answered_in_ack(invocation.name)
            return
        if subcommand.ack_text:
            await ack(text=subcommand.ack_text, response_type="ephemeral")
        else:
            await ack()
        reply = self.replies.to(invocation.response_url, invocation.user_id, invocation.channel_id)
        self.run_after_ack(subcommand, invocation, reply, key=self._key(invocation), record=True)

    def run_after_ack(
        self,
        subcommand: Subcommand,
        invocation: Invocation,
        reply: Reply,
        *,
        key: str | None,
        record: bool = False,
    ) -> None:
        """Run a subcommand after the ack; with a journal `key`, first journal it as accepted (`record`)
        and mark it answered once it has been (bot.slack.after_ack)."""
        self.after_ack.run(
            lambda: subcommand.run(invocation, reply),
            team_id=invocation.team_id,
            user_id=invocation.user_id,
            reply=reply,
            pending=invocation.to_pending(),
            what=invocation.name,
            key=key,
            record=invocation.to_record() if record else None,
        )

    def _key(self, invocation: Invocation) -> str | None:
        """The command's journal key; None without a journal."""
        if not self.after_ack.journaling:
            return None
        unique = invocation.trigger_id or secrets.token_hex(8)
        return f"command:{invocation.team_id}:{invocation.user_id}:{unique}"

    def recover(self, key: str, team_id: str, user_id: str, command: dict[str, Any], reply: Reply) -> None:
        """Run again what another process accepted and never answered (it died), answering `reply`: a
        command, or a recoverable form or button (those name their kind)."""
        if "kind" in command:
            self.after_ack.recover(key, team_id, user_id, command, reply)
            return
        subcommand, invocation = self.parse(
            {
                "text": command.get("text", ""),
                "team_id": team_id,
                "user_id": user_id,
                "channel_id": command.get("channel_id"),
                "response_url": command.get("response_url"),
                "trigger_id": command.get("trigger_id"),
            }
        )
        self.run_after_ack(subcommand, invocation, reply, key=key)

    async def resume(self, pending: dict[str, Any], team_id: str, user_id: str) -> None:
        """Finish what the user asked for before they linked their account."""
        channel_id = pending.get("channel_id") or None
        reply = self.replies.direct(user_id, channel_id)
        kind = pending.get("kind")
        if kind == "command":
            subcommand, invocation = self.parse(
                {
                    "text": pending.get("text", ""),
                    "team_id": team_id,
                    "user_id": user_id,
                    "channel_id": channel_id,
                }
            )
            await self.guard.run(
                lambda: subcommand.run(invocation, reply),
                team_id=team_id,
                user_id=user_id,
                reply=reply,
                pending=invocation.to_pending(),
                what=invocation.name,
            )
        elif isinstance(kind, str) and kind in self.resumers:
            resume, offer = self.resumers[kind], self.offers.get(kind)
            await self.guard.run(
                lambda: resume(pending, team_id, user_id, reply),
                team_id=team_id,
                user_id=user_id,
                reply=reply,
                pending=pending,
                what=f"resume {kind}",
                offer=None
                if offer is None
                else (lambda error, text: offer(pending, team_id, user_id, error, text)),
            )
        else:
            logger.warning("cannot resume pending work of kind %r", kind)

    def register(self, app: AsyncApp) -> None:
        listen_to_command(app, COMMAND, self.on_command)
