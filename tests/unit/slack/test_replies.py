"""Answers through a response_url: what reaches Slack, and 429 and 5xx retried as slack_sdk retries them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession, web
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slack.replies import Replies, ResponseUrlReply

CARD = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Sync* at 10:00"}}]


class Hooks:
    """A response_url endpoint that answers with the statuses it is given, then 200."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.seen: list[tuple[dict[str, str], Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((dict(request.headers), json.loads(await request.read())))
        status = self.statuses.pop(0) if self.statuses else 200
        headers = {"Retry-After": "0"} if status == 429 else {}
        return web.Response(status=status, text="ok" if status == 200 else "no", headers=headers)


@pytest.fixture
async def hooks() -> AsyncIterator[tuple[Hooks, str]]:
    fake = Hooks()
    app = web.Application()
    app.router.add_post("/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield fake, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_the_answer_is_posted_as_slack_sdks_webhook_client_posts_it(hooks: tuple[Hooks, str]) -> None:
    fake, base = hooks
    async with ClientSession() as session:
        await ResponseUrlReply(f"{base}/actions/1", session=session).send("Sync", CARD, replace=True)
        await ResponseUrlReply(f"{base}/actions/2", session=session).send("Shared", public=True)
    await AsyncWebhookClient(f"{base}/actions/3").send(
        text="Sync", blocks=CARD, response_type="ephemeral", replace_original=True
    )
    await AsyncWebhookClient(f"{base}/actions/4").send(
        text="Shared", response_type="in_channel", replace_original=False
    )
    (ours, card), (ours_public, public), (theirs, their_card), (_, their_public) = fake.seen
    assert (
        card
        == their_card
        == {
            "text": "Sync",
            "blocks": CARD,
            "response_type": "ephemeral",
            "replace_original": True,
        }
    )
    assert (
        public == their_public == {"text": "Shared", "response_type": "in_channel", "replace_original": False}
    )
    for name in ("Content-Type", "User-Agent"):
        assert ours[name] == ours_public[name] == theirs[name]


@pytest.mark.parametrize(
    ("statuses", "posts", "last"),
    [([429, 503], 3, 200), ([500, 500, 500], 3, 500), ([404], 1, 404)],
)
async def test_slacks_429_and_5xx_are_retried_as_slack_sdk_retries_them(
    hooks: tuple[Hooks, str],
    caplog: pytest.LogCaptureFixture,
    statuses: list[int],
    posts: int,
    last: int,
) -> None:
    fake, base = hooks

    def handlers() -> list[AsyncRetryHandler]:
        return [
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ]

    fake.statuses = list(statuses)
    async with ClientSession() as session:
        await ResponseUrlReply(f"{base}/a", session=session, retry_handlers=handlers()).send("Sync")
    assert len(fake.seen) == posts
    fake.statuses = list(statuses)
    answer = await AsyncWebhookClient(f"{base}/b", retry_handlers=handlers()).send(text="Sync")
    assert len(fake.seen) == 2 * posts  # slack_sdk's own client posts as many times
    assert answer.status_code == last
    assert ("response_url answered" in caplog.text) == (last != 200)


async def test_a_connection_no_handler_retries_is_an_error() -> None:
    async with ClientSession() as session:
        reply = ResponseUrlReply("http://127.0.0.1:9/a", session=session, retry_handlers=[])
        with pytest.raises(OSError):
            await reply.send("Sync")


async def test_an_address_outside_slack_is_never_posted_to(hooks: tuple[Hooks, str]) -> None:
    fake, base = hooks
    sent: list[str] = []

    class Slack:
        async def chat_postMessage(self, **kwargs: Any) -> None:
            sent.append(kwargs["channel"])

    async with ClientSession() as session:
        replies = Replies(Slack(), slack_api_url="https://slack.example/api/", session=session)  # type: ignore[arg-type]
        await replies.to(f"{base}/actions/1", "U1", None).send("Sync")
    assert fake.seen == []
    assert sent == ["U1"]  # a DM through the bot's own token instead
