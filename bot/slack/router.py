"""The /webex command: ack at once with a short note, then run the subcommand after the ack."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.observability import current
from bot.services.errors import NeedsConnect
from bot.slack import texts
from bot.slack.errors import explain, log_failure
from bot.slack.replies import DirectReply, Reply, ResponseUrlReply, is_slack_response_url

if TYPE_CHECKING:
    from bot.bootstrap import Services

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


Handler = Callable[[Invocation, Reply, "Services"], Awaitable[None]]
Resumer = Callable[[dict[str, Any], str, str, Reply, "Services"], Awaitable[None]]
HomeSection = Callable[[str, str, "Services"], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Subcommand:
    names: tuple[str, ...]
    run: Handler
    usage: str
    summary: str
    ack_text: str | None = None
    listed: bool = True


@dataclass
class CommandRouter:
    """Maps the first word of `/webex ...` to a subcommand; unknown words get the help."""

    services: Services
    subcommands: list[Subcommand] = field(default_factory=list)
    resumers: dict[str, Resumer] = field(default_factory=dict)
    fallback: Subcommand | None = None
    home_sections: list[HomeSection] = field(default_factory=list)

    def add(self, subcommand: Subcommand) -> None:
        self.subcommands.append(subcommand)

    def resumer(self, name: str, resume: Resumer) -> None:
        """Register how to finish a piece of pending work of kind `name` once the user has linked."""
        self.resumers[name] = resume

    def find(self, word: str) -> Subcommand | None:
        for subcommand in self.subcommands:
            if word in subcommand.names:
                return subcommand
        return None

    def parse(self, body: dict[str, Any]) -> tuple[Subcommand, Invocation]:
        text = (body.get("text") or "").strip()
        word, _, args = text.partition(" ")
        found = self.find(word.lower())
        subcommand = found or self.fallback
        if subcommand is None:
            raise LookupError("no fallback subcommand registered")
        # An unknown first word is not a subcommand: the fallback gets the whole text to explain.
        invocation = Invocation(
            team_id=body.get("team_id") or "",
            user_id=body.get("user_id") or "",
            channel_id=body.get("channel_id") or "",
            subcommand=word.lower() if found else "",
            args=args.strip() if found else text,
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
        )
        return subcommand, invocation

    async def on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        if not self.services.work.accepting:
            await ack(text=texts.SHUTTING_DOWN)
            return
        subcommand, invocation = self.parse(body)
        name = invocation.name
        context = current()
        if context is not None:
            context.command = name
        if subcommand.ack_text:
            await ack(text=subcommand.ack_text)
        else:
            await ack()
        reply = self.reply_for(invocation.response_url, invocation.user_id, invocation.channel_id)
        # The task copies the request's context: its log lines carry the ack's request id.
        request_id = context.request_id if context is not None else ""
        self.services.work.spawn(self.run(subcommand, invocation, reply), name=f"{name} {request_id}".strip())

    def reply_for(self, response_url: str | None, user_id: str, channel_id: str | None) -> Reply:
        """How to answer: through `response_url` when it is Slack's, else through the Web API."""
        if response_url and not is_slack_response_url(response_url, self.services.settings.slack_api_url):
            # Slack never sends this: the request was forged or altered. The user is still answered,
            # through the bot's own token, and nothing goes to that address.
            logger.warning("ignored a response_url outside Slack for user=%s", user_id)
            response_url = None
        if response_url:
            return ResponseUrlReply(
                response_url,
                session=self.services.slack_session,
                retry_handlers=self.services.slack_retry_handlers,
            )
        return DirectReply(self.services.slack, user_id=user_id, channel_id=channel_id)

    async def run(self, subcommand: Subcommand, invocation: Invocation, reply: Reply) -> None:
        await self.guarded(
            lambda: subcommand.run(invocation, reply, self.services),
            team_id=invocation.team_id,
            user_id=invocation.user_id,
            reply=reply,
            pending=invocation.to_pending(),
            what=invocation.name,
        )

    async def guarded(
        self,
        work: Callable[[], Awaitable[None]],
        *,
        team_id: str,
        user_id: str,
        reply: Reply,
        pending: dict[str, Any] | None,
        what: str,
    ) -> None:
        """Run work for a user; turn a missing link into a Connect button and any error into a message.

        `what` names the work in log lines and in the commands metric (a name from the code, never
        user text). Its outcome is ok, needs_connect, failed or cut_short."""
        outcome = "ok"
        try:
            with self.services.tracing.span(what, **{"slack.team_id": team_id, "slack.user_id": user_id}):
                await work()
        except asyncio.CancelledError:
            # The process is stopping and could not finish in time: say so rather than go quiet.
            outcome = "cut_short"
            await self.safe_send(reply, texts.CUT_SHORT)
            raise
        except NeedsConnect as needed:
            from bot.slack.accounts import connect_prompt

            outcome = "needs_connect"
            url = self.services.linking.connect_url(team_id, user_id, pending)
            text, blocks = connect_prompt(url, reason=needed, resumes=pending is not None)
            await self.safe_send(reply, text, blocks)
        except Exception as error:  # one place that logs with context and tells the user honestly
            outcome = "failed"
            log_failure(logger, error, f"{what} for team={team_id} user={user_id}")
            await self.safe_send(reply, explain(error))
        finally:
            context = current()
            started = context.started if context is not None else None
            self.services.metrics.command_finished(what, outcome, started)
            # One line a command at INFO: what an operator follows a request id to.
            seconds = time.perf_counter() - started if started is not None else None
            logger.info(
                "%s finished: %s",
                what,
                outcome,
                extra={"outcome": outcome, "seconds": round(seconds, 4) if seconds is not None else None},
            )

    async def safe_send(self, reply: Reply, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        try:
            await reply.send(text, blocks)
        except Exception:
            logger.exception("could not deliver a reply to Slack")

    async def resume(self, pending: dict[str, Any], team_id: str, user_id: str) -> None:
        """Finish what the user asked for before they linked their account."""
        channel_id = pending.get("channel_id") or None
        reply = DirectReply(self.services.slack, user_id=user_id, channel_id=channel_id)
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
            await self.run(subcommand, invocation, reply)
        elif isinstance(kind, str) and kind in self.resumers:
            resume = self.resumers[kind]
            await self.guarded(
                lambda: resume(pending, team_id, user_id, reply, self.services),
                team_id=team_id,
                user_id=user_id,
                reply=reply,
                pending=pending,
                what=f"resume {kind}",
            )
        else:
            logger.warning("cannot resume pending work of kind %r", kind)

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self.on_command)
