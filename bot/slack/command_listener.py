"""Bolt's listener for the bot's slash command, without Bolt's per-request argument building.

Bolt matches a listener, then calls it, by building every argument any listener could ask for (client,
say, respond, each payload shape...) and keeping the few asked for: twice per request, some 15% of a
command's ack. The slash command's listener asks for two, `ack` and `body`, and matches on one field,
so it is handed those directly. It is still one of Bolt's listeners, tried in order after Bolt's global
middleware (authorization of the workspace included) and run by Bolt's listener runner (its error
handling, its completion handler), exactly where `app.command(...)` would have put it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.listener.async_listener import AsyncCustomListener
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

OnCommand = Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]


class CommandListener(AsyncCustomListener):
    """Matches one slash command (as Bolt's `command("/name")` matcher does) and calls
    `on_command(ack, body)`."""

    def __init__(self, app: AsyncApp, command: str, on_command: OnCommand) -> None:
        super().__init__(
            app_name=app.name,
            ack_function=on_command,
            lazy_functions=[],
            matchers=[],
            middleware=[],
            base_logger=app.logger,
        )
        self.command = command
        self._on_command = on_command

    async def async_matches(self, *, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        return req.body.get("command") == self.command

    async def run_ack_function(self, *, request: AsyncBoltRequest, response: BoltResponse) -> None:
        await self._on_command(request.context.ack, request.body)


def listen_to_command(app: AsyncApp, command: str, on_command: OnCommand) -> None:
    """Register `on_command(ack, body)` for `command`, after the listeners registered so far (Bolt tries
    them in order). Bolt has no public way to add a listener object; its list is where `app.command()`
    appends its own."""
    app._async_listeners.append(CommandListener(app, command, on_command))
