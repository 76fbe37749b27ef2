"""Answering a user after the ack: through response_url, an ephemeral message, or a DM."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiohttp import ClientSession
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
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
    user's answer (a meeting card, a join link) to someone else's server. yarl is what aiohttp, and so
    slack_sdk's webhook client, parses the URL with; anything it would read differently from a plain
    reading (credentials, backslashes, spaces, non-ASCII) is refused outright."""
    if not url.isascii() or any(character in url for character in "\\ \t\r\n@"):
        return False
    try:
        parsed, api = URL(url), URL(slack_api_url)
    except ValueError:
        return False
    if not parsed.is_absolute():
        return False
    origin = (parsed.scheme, parsed.host, parsed.port)
    return origin in (SLACK_RESPONSE_URL_ORIGIN, (api.scheme, api.host, api.port))


class Reply(Protocol):
    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        """Show `text` (and `blocks`) to the user; `replace` swaps the message they acted on,
        `public` posts it for the whole channel."""
        ...


def webhook_logger() -> logging.Logger:
    """The logger for slack_sdk's webhook client: its own, when DEBUG is on for it.

    The client builds its debug lines (the whole request body, the answer's headers) whenever its logger's
    *own* level is DEBUG or unset, whatever the effective level, so with its usual unset level every answer
    paid for text that was then thrown away. Otherwise it gets a logger of the same name whose own level
    is the effective one: nothing is built, and what it does log goes to the same handlers."""
    source = logging.getLogger(_WEBHOOK_LOGGER)
    level = source.getEffectiveLevel()
    if level <= logging.DEBUG:
        return source
    quiet = _quiet_loggers.get(level)
    if quiet is None:
        quiet = logging.Logger(_WEBHOOK_LOGGER, level)
        quiet.parent = source  # records go up through slack_sdk's and the root's handlers
        _quiet_loggers[level] = quiet
    return quiet


_WEBHOOK_LOGGER = "slack_sdk.webhook.async_client"
_quiet_loggers: dict[int, logging.Logger] = {}


class ResponseUrlReply:
    """Answers through the response_url Slack gave with a command or a button click."""

    def __init__(
        self,
        response_url: str,
        *,
        session: ClientSession | None = None,
        retry_handlers: list[AsyncRetryHandler] | None = None,
    ) -> None:
        self._webhook = AsyncWebhookClient(
            response_url, session=session, retry_handlers=retry_handlers, logger=webhook_logger()
        )

    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        response = await self._webhook.send(
            text=text,
            blocks=blocks,
            response_type="in_channel" if public else "ephemeral",
            replace_original=replace,
        )
        if response.status_code >= 300:
            logger.warning("response_url answered %s", response.status_code)


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

    def to(self, response_url: str | None, user_id: str, channel_id: str | None) -> Reply:
        """Through `response_url` when it is Slack's, else through the Web API."""
        if response_url and not is_slack_response_url(response_url, self._slack_api_url):
            # Slack never sends this: the request was forged or altered. The user is still answered,
            # through the bot's own token, and nothing goes to that address.
            logger.warning("ignored a response_url outside Slack for user=%s", user_id)
            response_url = None
        if response_url:
            return ResponseUrlReply(response_url, session=self._session, retry_handlers=self._retry_handlers)
        return self.direct(user_id, channel_id)

    def direct(self, user_id: str, channel_id: str | None) -> Reply:
        """An ephemeral message in `channel_id`, or a DM without one."""
        return DirectReply(self._slack, user_id=user_id, channel_id=channel_id)
