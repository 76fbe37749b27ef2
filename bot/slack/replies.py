"""Answering a user after the ack: through response_url, an ephemeral message, or a DM."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Protocol

import orjson
from aiohttp import ClientSession
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import async_default_handlers
from slack_sdk.http_retry.request import HttpRequest as RetryHttpRequest
from slack_sdk.http_retry.response import HttpResponse as RetryHttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.internal_utils import get_user_agent
from slack_sdk.webhook.async_client import AsyncWebhookClient
from yarl import URL

logger = logging.getLogger(__name__)

Blocks = list[dict[str, Any]]

# Slack's answers when the bot may not show anything in a channel.
CHANNEL_UNREACHABLE = frozenset({"channel_not_found", "not_in_channel", "is_archived"})

# Where Slack's response_urls point. The host of SLACK_API_URL is Slack's too (or, in tests and the
# sandbox, the stand-in's, which hands out response_urls on its own host).
SLACK_RESPONSE_URL_ORIGIN = ("https", "hooks.slack.com", 443)


def is_slack_response_url(url: str, slack_api_url: str) -> bool:
    """Whether the bot may post to `url`: https://hooks.slack.com/..., or the origin of SLACK_API_URL.

    A response_url comes in the request body, so a forged or altered one must not make the bot send a
    user's answer (a meeting card, a join link) to someone else's server. yarl is what aiohttp, which
    posts the answer, parses the URL with; anything it would read differently from a plain
    reading (credentials, backslashes, spaces, non-ASCII) is refused outright."""
    if not url.isascii() or any(character in url for character in "\\ \t\r\n@"):
        return False
    if url.startswith(_trusted_prefixes(slack_api_url)):
        return True  # the authority ends at the prefix's "/": nothing after it changes the origin
    try:
        parsed, api = URL(url), _api_origin(slack_api_url)
    except ValueError:
        return False
    if not parsed.is_absolute():
        return False
    origin = (parsed.scheme, parsed.host, parsed.port)
    return origin in (SLACK_RESPONSE_URL_ORIGIN, api)


@lru_cache(maxsize=8)
def _trusted_prefixes(slack_api_url: str) -> tuple[str, ...]:
    """How a trusted origin's URLs plainly start ("https://hooks.slack.com/"), each checked once with yarl:
    a URL that starts so (and passed the character check) needs no parsing per answer."""
    api = _api_origin(slack_api_url)
    candidates = ["https://hooks.slack.com/"]
    if api[0] and api[1]:
        candidates += [f"{api[0]}://{api[1]}/", f"{api[0]}://{api[1]}:{api[2]}/"]
    trusted = []
    for prefix in candidates:
        try:
            parsed = URL(prefix + "x")
        except ValueError:
            continue  # an origin that is not written plainly (an IPv6 host): always parsed
        if (parsed.scheme, parsed.host, parsed.port) in (SLACK_RESPONSE_URL_ORIGIN, api):
            trusted.append(prefix)
    return tuple(trusted)


@lru_cache(maxsize=8)
def _api_origin(slack_api_url: str) -> tuple[str, str | None, int | None]:
    # One SLACK_API_URL per process: parsed once, not once per answer.
    api = URL(slack_api_url)
    return api.scheme, api.host, api.port


class Reply(Protocol):
    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        """Show `text` (and `blocks`) to the user; `replace` swaps the message they acted on,
        `public` posts it for the whole channel."""
        ...


class ResponseUrlReply:
    """Answers through the response_url Slack gave with a command or a button click.

    Posted as slack_sdk's webhook client posts it (the same JSON body, headers and proxy, and the same
    retry handlers deciding on each failure), with the bot's shared aiohttp session; the client itself
    cost a third of the answer's CPU (built per answer, reading the proxy settings each time, and
    formatting its debug lines, the whole body, even with DEBUG off)."""

    def __init__(
        self,
        response_url: str,
        *,
        session: ClientSession | None = None,
        retry_handlers: list[AsyncRetryHandler] | None = None,
        proxy: str | None = None,
    ) -> None:
        self._url = response_url
        self._session = session
        self._retry_handlers = retry_handlers if retry_handlers is not None else async_default_handlers()
        self._proxy = proxy

    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        body: dict[str, Any] = {"text": text}
        if blocks is not None:
            body["blocks"] = blocks
        body["response_type"] = "in_channel" if public else "ephemeral"
        body["replace_original"] = replace
        if self._session is None or self._session.closed:
            webhook = AsyncWebhookClient(self._url, retry_handlers=self._retry_handlers, proxy=self._proxy)
            status = (await webhook.send_dict(body)).status_code
        else:
            status = await self._post(self._session, body)
        if status >= 300:
            logger.warning("response_url answered %s", status)

    async def _post(self, session: ClientSession, body: dict[str, Any]) -> int:
        """The status Slack answered, after the retry handlers' retries; an error none retries is raised."""
        # Compact UTF-8 bytes, which aiohttp sends as they are; orjson writes a card in a twentieth of
        # the json module's CPU.
        data = orjson.dumps(body)
        # What the retry handlers look at, made only once an attempt fails.
        request: RetryHttpRequest | None = None
        state = RetryState()
        while True:
            state.next_attempt_requested = False
            answer: RetryHttpResponse | None = None
            try:
                async with session.post(
                    self._url, data=data, headers=_WEBHOOK_HEADERS, proxy=self._proxy
                ) as response:
                    data_back = await response.read()
                    if response.status < 400:
                        return response.status
                    headers: dict[str, str | list[str]] = dict(response.headers)
                    answer = RetryHttpResponse(status_code=response.status, headers=headers, data=data_back)
                    request = request or self._retry_request(body)
                    if not await self._retry(state, request, answer, None):
                        return response.status
            except Exception as error:
                request = request or self._retry_request(body)
                if not await self._retry(state, request, answer, error):
                    raise

    def _retry_request(self, body: dict[str, Any]) -> RetryHttpRequest:
        return RetryHttpRequest(method="POST", url=self._url, headers=_WEBHOOK_HEADERS, body_params=body)

    async def _retry(
        self,
        state: RetryState,
        request: RetryHttpRequest,
        answer: RetryHttpResponse | None,
        error: Exception | None,
    ) -> bool:
        for handler in self._retry_handlers:
            if await handler.can_retry_async(state=state, request=request, response=answer, error=error):
                await handler.prepare_for_next_attempt_async(
                    state=state, request=request, response=answer, error=error
                )
                return True
        return False


# What slack_sdk's webhook client sends with every post.
_WEBHOOK_HEADERS = {"User-Agent": get_user_agent(), "Content-Type": "application/json;charset=utf-8"}


class DirectReply:
    """Answers with chat.postEphemeral in a channel, or a DM when there is no channel to use."""

    def __init__(self, client: AsyncWebClient, *, user_id: str, channel_id: str | None = None) -> None:
        self._client = client
        self._user_id = user_id
        self._channel_id = channel_id

    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        if public and self._channel_id:
            await self._client.chat_postMessage(channel=self._channel_id, text=text, blocks=blocks)
        elif self._channel_id and not self._channel_id.startswith("D"):
            try:
                await self._client.chat_postEphemeral(
                    channel=self._channel_id, user=self._user_id, text=text, blocks=blocks
                )
            except SlackApiError as error:
                # A private channel without the bot is invisible to it: the answer goes to a DM instead.
                if error.response.get("error") not in CHANNEL_UNREACHABLE:
                    raise
                logger.info("cannot answer in %s (%s); answering in a DM", self._channel_id, error)
                await self._client.chat_postMessage(channel=self._user_id, text=text, blocks=blocks)
        else:
            await self._client.chat_postMessage(channel=self._user_id, text=text, blocks=blocks)


class Replies:
    """How to answer a person after the ack: through the response_url when Slack gave one, else directly."""

    def __init__(
        self,
        slack: AsyncWebClient,
        *,
        slack_api_url: str,
        session: ClientSession | None = None,
        retry_handlers: list[AsyncRetryHandler] | None = None,
    ) -> None:
        self._slack = slack
        self._slack_api_url = slack_api_url
        self._session = session
        self._retry_handlers = retry_handlers
        # Read once, as slack_sdk's webhook client read it on every answer (HTTPS_PROXY and the like).
        self._proxy = load_http_proxy_from_env(logger)

    def to(self, response_url: str | None, user_id: str, channel_id: str | None) -> Reply:
        """Through `response_url` when it is Slack's, else through the Web API."""
        if response_url and not is_slack_response_url(response_url, self._slack_api_url):
            # Slack never sends this: the request was forged or altered. The user is still answered,
            # through the bot's own token, and nothing goes to that address.
            logger.warning("ignored a response_url outside Slack for user=%s", user_id)
            response_url = None
        if response_url:
            return ResponseUrlReply(
                response_url, session=self._session, retry_handlers=self._retry_handlers, proxy=self._proxy
            )
        return self.direct(user_id, channel_id)

    def direct(self, user_id: str, channel_id: str | None) -> Reply:
        """An ephemeral message in `channel_id`, or a DM without one."""
        return DirectReply(self._slack, user_id=user_id, channel_id=channel_id)
