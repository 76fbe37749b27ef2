"""Plays a Slack user against a running bot: sends signed requests and collects the bot's replies."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Self

import aiohttp

from bot.sandbox.escaping import CommandText, escape_command_text
from bot.sandbox.signing import SignatureMode, SignedRequest, SlackSigner
from bot.sandbox.slackapi import SlackStandIn, StandInTimeout
from bot.sandbox.workspace import RecordedCall

__all__ = ["Exchange", "SlackDriver"]


@dataclass(frozen=True)
class Exchange:
    """One request sent to the bot: its HTTP answer (the ack) and the replies collected after it."""

    request: SignedRequest
    status: int
    body: bytes
    headers: Mapping[str, str]
    user_id: str
    channel_id: str | None
    first_seq: int
    sent_at: float
    acked_at: float
    replies: tuple[RecordedCall, ...] = ()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The ack body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def ack_text(self) -> str:
        """What the user sees from the ack itself: the `text` of a JSON ack or the plain body."""
        parsed = self.json()
        if isinstance(parsed, Mapping):
            return str(parsed.get("text") or "")
        return self.text

    @property
    def ack_blocks(self) -> list[dict[str, Any]]:
        """The blocks of a JSON ack: an answer the bot gave in the ack itself (help, a usage error)."""
        parsed = self.json()
        blocks = parsed.get("blocks") if isinstance(parsed, Mapping) else None
        return list(blocks) if isinstance(blocks, list) else []

    @property
    def ack_seconds(self) -> float:
        return self.acked_at - self.sent_at

    def belongs_here(self, call: RecordedCall) -> bool:
        """Whether `call` answers this request: its response_url, its trigger_id, or shown to its user."""
        if call.seq < self.first_seq or not call.is_reply:
            return False
        if call.response_target is not None:
            return call.response_target.url == self.request.response_url
        if call.trigger_id is not None and call.trigger_id == self.request.trigger_id:
            return True
        return call.audience == self.user_id or (call.audience is None and call.channel == self.channel_id)


class SlackDriver:
    """A Slack user pressing things: each method sends one signed request to `bot_url`, returns an Exchange.

    `replies=n` waits (up to `timeout`) until n replies belonging to that request reached the stand-in.
    """

    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        slack_standin: SlackStandIn,
        *,
        user_id: str = "U_ALICE",
        channel_id: str = "C_SANDBOX",
        channel_name: str = "sandbox",
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 30.0,
        escape_commands: bool = True,
    ) -> None:
        self.bot_url = bot_url
        self.standin = slack_standin
        workspace = slack_standin.workspace
        self.signer = SlackSigner(
            signing_secret,
            ids=slack_standin,
            team_id=workspace.team_id,
            team_domain=workspace.team_domain,
            api_app_id=workspace.app_id,
            bot_user_id=workspace.bot_user_id,
        )
        self.user_id = user_id
        self.channel_id = channel_id
        self.channel_name = channel_name
        # manifest.yml sets `should_escape: true` for /webex, so Slack escapes what people type.
        self.escape_commands = escape_commands
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Many simultaneous commands are the point of the benchmarks: no per-host connection cap.
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
            self._session = aiohttp.ClientSession(connector=connector)
            self._owns_session = True
        return self._session

    def _user_name(self, user_id: str) -> str | None:
        user = self.standin.workspace.users.get(user_id)
        return user.name if user else None

    # What a user does.

    async def command(
        self,
        text: str,
        *,
        command: str = "/webex",
        user_id: str | None = None,
        channel_id: str | None = None,
        replies: int = 0,
        timeout: float = 5.0,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> Exchange:
        """Type `/webex <text>` (or another `command`) in a channel; Slack's escaping is applied to `text`."""
        user_id = user_id or self.user_id
        channel_id = channel_id or self.channel_id
        if self.escape_commands:
            workspace = self.standin.workspace
            text = escape_command_text(
                text, CommandText.of(workspace.users.values(), workspace.channels.values())
            )
        channel = self.standin.workspace.channels.get(channel_id)
        request = self.signer.slash_command(
            text,
            user_id=user_id,
            user_name=self._user_name(user_id),
            command=command,
            channel_id=channel_id,
            channel_name=channel.name if channel else self.channel_name,
            signature=signature,
            age=age,
        )
        return await self.send(
            request, user_id=user_id, channel_id=channel_id, replies=replies, timeout=timeout
        )

    async def click(
        self,
        source: RecordedCall | Mapping[str, Any] | Sequence[Mapping[str, Any]],
        action_id: str,
        *,
        value: str | None = None,
        user_id: str | None = None,
        replies: int = 0,
        timeout: float = 5.0,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> Exchange:
        """Press the element `action_id` of a message or view the bot sent (a recorded call), or of blocks.

        A message posted to a channel sends a non-ephemeral container; anything else is ephemeral.
        """
        user_id = user_id or self.user_id
        channel_id = self.channel_id
        view: Mapping[str, Any] | None = None
        message: Mapping[str, Any] | None = None
        message_ts: str | None = None
        is_ephemeral = True
        if isinstance(source, RecordedCall):
            blocks: Sequence[Mapping[str, Any]] = source.blocks
            if source.method.startswith("views."):
                view = source.view
            else:
                message_ts = source.message_ts
                channel_id = source.channel or channel_id
                if source.method in ("chat.postMessage", "chat.update"):
                    is_ephemeral = False
                    answered = source.answer.get("message")
                    message = answered if isinstance(answered, Mapping) else None
                elif source.method == "response_url" and source.body.get("response_type") == "in_channel":
                    is_ephemeral = False
        elif isinstance(source, Mapping):
            if source.get("type") in ("modal", "home"):
                view = source
            else:
                message = source
            blocks = list(source.get("blocks") or [])
        else:
            blocks = source
        request = self.signer.block_actions(
            blocks,
            action_id,
            user_id=user_id,
            user_name=self._user_name(user_id),
            value=value,
            channel_id=channel_id,
            channel_name=self.channel_name,
            message_ts=message_ts,
            message=message,
            is_ephemeral=is_ephemeral,
            view=view,
            signature=signature,
            age=age,
        )
        return await self.send(
            request, user_id=user_id, channel_id=channel_id, replies=replies, timeout=timeout
        )

    async def shortcut(
        self,
        callback_id: str,
        *,
        user_id: str | None = None,
        replies: int = 0,
        timeout: float = 5.0,
        signature: SignatureMode = "valid",
    ) -> Exchange:
        """Pick a global shortcut from Slack's shortcuts menu."""
        user_id = user_id or self.user_id
        request = self.signer.shortcut(
            callback_id, user_id=user_id, user_name=self._user_name(user_id), signature=signature
        )
        return await self.send(request, user_id=user_id, channel_id=None, replies=replies, timeout=timeout)

    async def message_shortcut(
        self,
        callback_id: str,
        message: Mapping[str, Any],
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        replies: int = 0,
        timeout: float = 5.0,
    ) -> Exchange:
        """Pick a message shortcut on `message` (its `text`, `user` and `ts`) in a channel."""
        user_id = user_id or self.user_id
        channel_id = channel_id or self.channel_id
        channel = self.standin.workspace.channels.get(channel_id)
        request = self.signer.message_action(
            callback_id,
            message,
            user_id=user_id,
            user_name=self._user_name(user_id),
            channel_id=channel_id,
            channel_name=channel.name if channel else self.channel_name,
        )
        return await self.send(
            request, user_id=user_id, channel_id=channel_id, replies=replies, timeout=timeout
        )

    async def submit(
        self,
        view: RecordedCall | Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        *,
        user_id: str | None = None,
        replies: int = 0,
        timeout: float = 5.0,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> Exchange:
        """Press Submit on a modal the bot opened, with `values` keyed by input action_id or block_id."""
        user_id = user_id or self.user_id
        request = self.signer.view_submission(
            _view_of(view),
            values,
            user_id=user_id,
            user_name=self._user_name(user_id),
            signature=signature,
            age=age,
        )
        return await self.send(request, user_id=user_id, channel_id=None, replies=replies, timeout=timeout)

    async def close_view(
        self, view: RecordedCall | Mapping[str, Any], *, user_id: str | None = None, replies: int = 0
    ) -> Exchange:
        user_id = user_id or self.user_id
        request = self.signer.view_closed(_view_of(view), user_id=user_id, user_name=self._user_name(user_id))
        return await self.send(request, user_id=user_id, channel_id=None, replies=replies)

    async def open_home(
        self, *, user_id: str | None = None, replies: int = 0, timeout: float = 5.0
    ) -> Exchange:
        """Open the app's Home tab (an `app_home_opened` event)."""
        user_id = user_id or self.user_id
        request = self.signer.app_home_opened(user_id)
        return await self.send(request, user_id=user_id, channel_id=None, replies=replies, timeout=timeout)

    async def send(
        self,
        request: SignedRequest,
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        replies: int = 0,
        timeout: float = 5.0,
    ) -> Exchange:
        """POST any signed request to the bot; wait for `replies` replies that belong to it."""
        first_seq = self.standin.next_seq()
        sent_at = time.perf_counter()
        async with self._http().post(
            self.bot_url, data=request.body, headers=dict(request.headers), timeout=self._timeout
        ) as response:
            body = await response.read()
            acked_at = time.perf_counter()
            exchange = Exchange(
                request=request,
                status=response.status,
                body=body,
                headers={k.lower(): v for k, v in response.headers.items()},
                user_id=user_id or self.user_id,
                channel_id=channel_id,
                first_seq=first_seq,
                sent_at=sent_at,
                acked_at=acked_at,
            )
        if replies:
            found = await self.wait_replies(exchange, replies, timeout)
            exchange = replace(exchange, replies=found)
        return exchange

    async def wait_replies(
        self, exchange: Exchange, count: int = 1, timeout: float = 5.0
    ) -> tuple[RecordedCall, ...]:
        """The first `count` replies belonging to `exchange`, once they have arrived."""
        deadline = time.monotonic() + timeout
        found: list[RecordedCall] = []
        seen: set[int] = set()
        while len(found) < count:
            remaining = deadline - time.monotonic()
            try:
                call = await self.standin.wait_for(
                    lambda c: c.seq not in seen and exchange.belongs_here(c), timeout=max(remaining, 0.0)
                )
            except StandInTimeout as timeout_error:
                got = ", ".join(c.method for c in found) or "none"
                raise StandInTimeout(
                    f"expected {count} repl(ies) to {_describe(exchange)}, got {got}; {timeout_error}"
                ) from None
            seen.add(call.seq)
            found.append(call)
        return tuple(found)

    def replies_so_far(self, exchange: Exchange) -> list[RecordedCall]:
        return [call for call in self.standin.calls if exchange.belongs_here(call)]


def _view_of(view: RecordedCall | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(view, RecordedCall):
        stored = view.view
        if stored is None:
            raise ValueError(f"{view.method} call #{view.seq} carries no view")
        return stored
    return view


def _describe(exchange: Exchange) -> str:
    payload = exchange.request.payload
    if "command" in payload:
        return f"{payload['command']} {payload.get('text', '')}".strip()
    return str(payload.get("type") or "request")
