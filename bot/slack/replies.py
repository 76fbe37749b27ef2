"""Answering a user after the ack: through response_url, an ephemeral message, or a DM."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiohttp import ClientSession
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

logger = logging.getLogger(__name__)

Blocks = list[dict[str, Any]]

# Slack's answers when the bot may not show anything in a channel.
CHANNEL_UNREACHABLE = frozenset({"channel_not_found", "not_in_channel", "is_archived"})


class Reply(Protocol):
    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        """Show `text` (and `blocks`) to the user; `replace` swaps the message they acted on,
        `public` posts it for the whole channel."""
        ...


class ResponseUrlReply:
    """Answers through the response_url Slack gave with a command or a button click."""

    def __init__(
        self,
        response_url: str,
        *,
        session: ClientSession | None = None,
        retry_handlers: list[AsyncRetryHandler] | None = None,
    ) -> None:
        self._webhook = AsyncWebhookClient(response_url, session=session, retry_handlers=retry_handlers)

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
        session: ClientSession | None = None,
        retry_handlers: list[AsyncRetryHandler] | None = None,
    ) -> None:
        self._slack = slack
        self._session = session
        self._retry_handlers = retry_handlers

    def to(self, response_url: str | None, user_id: str, channel_id: str | None) -> Reply:
        if response_url:
            return ResponseUrlReply(response_url, session=self._session, retry_handlers=self._retry_handlers)
        return self.direct(user_id, channel_id)

    def direct(self, user_id: str, channel_id: str | None) -> Reply:
        """An ephemeral message in `channel_id`, or a DM without one."""
        return DirectReply(self._slack, user_id=user_id, channel_id=channel_id)

    def through(self, response_url: str) -> Reply:
        """Through a response_url kept from earlier (a form's), without the retry handlers."""
        return ResponseUrlReply(response_url, session=self._session)
