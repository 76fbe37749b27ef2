"""The workspace a Slack request comes from, and Slack calls made as that workspace's bot.

With one bot token (SLACK_BOT_TOKEN) every call uses it. Installed to many workspaces, each call is made
with the bot token of the workspace the work is for: the request's, kept in a context variable that
follows the work into the tasks it spawns, or one named with `speaking_for` (work that starts outside a
Slack request, such as the Webex OAuth callback).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from aiohttp import FormData
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import (
    extract_enterprise_id,
    extract_is_enterprise_install,
    extract_team_id,
)
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.domain.workspaces import Workspace

_current: ContextVar[str | None] = ContextVar("webex_bot_workspace", default=None)


def workspace_of(body: Mapping[str, Any]) -> Workspace:
    """The installation a payload (command, action, view, event) belongs to."""
    payload = body if isinstance(body, dict) else dict(body)
    return Workspace.of(
        enterprise_id=extract_enterprise_id(payload),
        team_id=extract_team_id(payload),
        org_wide=bool(extract_is_enterprise_install(payload)),
    )


def workspace_key(body: Mapping[str, Any]) -> str:
    """The key that data of this payload's people is stored under (see Workspace.key)."""
    return workspace_of(body).key


def current_workspace() -> str | None:
    return _current.get()


@contextmanager
def speaking_for(workspace_key: str) -> Iterator[None]:
    """Slack calls in this block (and tasks started in it) go out as this workspace's bot."""
    token = _current.set(workspace_key)
    try:
        yield
    finally:
        _current.reset(token)


class WorkspaceMiddleware(AsyncMiddleware):
    """Names the request's workspace for the Slack calls its listeners and their background work make."""

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002 (Bolt's name)
    ) -> BoltResponse:
        # Each request runs in a task of its own, so this does not leak into the next one.
        _current.set(workspace_key(req.body))
        return await next()


class BotTokenSource(Protocol):
    async def bot_token(self, workspace_key: str) -> str | None: ...


class NotInstalled(SlackClientError):
    """Work for a workspace the app is no longer (or was never) installed in."""


class BotTokens:
    """Bot tokens by workspace from the installation store, remembered for a minute.

    A token uninstalled in another process may be used for up to that minute: Slack refuses it, and the
    work fails as it would have a moment later anyway.
    """

    def __init__(self, source: BotTokenSource, ttl_seconds: float = 60.0) -> None:
        self._source = source
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[str, float]] = {}

    async def bot_token(self, workspace_key: str) -> str:
        cached = self._cache.get(workspace_key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        token = await self._source.bot_token(workspace_key)
        if token is None:
            raise NotInstalled(f"the app is not installed in workspace {workspace_key or '(none)'}")
        self._cache[workspace_key] = (token, time.monotonic() + self._ttl)
        return token

    def forget(self, workspace_key: str) -> None:
        self._cache.pop(workspace_key, None)


class WorkspaceWebClient(AsyncWebClient):
    """An AsyncWebClient without a token of its own: each call carries the current workspace's bot token.

    A call that names its own credentials (a `token` argument, the app's client id and secret) or runs for
    no workspace (Bolt's install flow) goes out as given.
    """

    def __init__(self, tokens: BotTokens, **options: Any) -> None:
        super().__init__(**options)
        self.bot_tokens = tokens

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | FormData | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        if auth is not None and (data is None or isinstance(data, dict)):
            # The app's credentials (Bolt's install step, oauth.v2.access) go in the form body, which Slack
            # takes as well: slack_sdk's HTTP Basic path goes through aiohttp's deprecated BasicAuth.
            data, auth = {**(data or {}), **auth}, None
            return await super().api_call(
                api_method,
                http_verb=http_verb,
                files=files,
                data=data,
                params=params,
                json=json,
                headers=headers,
            )
        workspace = current_workspace()
        named = auth is not None or any(
            isinstance(part, dict) and "token" in part for part in (data, params, json)
        )
        if workspace is not None and not named and "Authorization" not in (headers or {}):
            token = await self.bot_tokens.bot_token(workspace)
            headers = {**(headers or {}), "Authorization": f"Bearer {token}"}
        return await super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )


class InstallationRemover(Protocol):
    async def delete(self, workspace_key: str) -> bool: ...


class WorkspaceInstalls:
    """Forgets a workspace's installation, and its remembered bot token, when the app leaves it. With
    one configured bot token there is no installation to forget."""

    def __init__(self, store: InstallationRemover | None = None, tokens: BotTokens | None = None) -> None:
        self._store = store
        self._tokens = tokens

    async def forget(self, workspace_key: str) -> None:
        if self._store is not None:
            await self._store.delete(workspace_key)
        if self._tokens is not None:
            self._tokens.forget(workspace_key)
