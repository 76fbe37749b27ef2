"""slack_sdk's own clients against the stand-in over loopback: every method, response URLs, faults, waits."""

from __future__ import annotations

import asyncio
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.sandbox import SANDBOX_USERS, SlackStandIn, StandInTimeout
from tests.support.slack import SLACK_BOT_TOKEN

MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Schedule"},
    "blocks": [
        {
            "type": "input",
            "block_id": "topic",
            "label": {"type": "plain_text", "text": "Topic"},
            "element": {"type": "plain_text_input", "action_id": "topic"},
        }
    ],
}


class NoJitter(Jitter):
    def recalculate(self, duration: float) -> float:
        return duration


def client(standin: SlackStandIn, token: str | None = SLACK_BOT_TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=standin.url)


def test_url_ends_with_a_slash_for_slack_sdk(slack_standin: SlackStandIn) -> None:
    assert slack_standin.url.startswith("http://127.0.0.1:")
    assert slack_standin.url.endswith("/api/")
    assert slack_standin.port > 0


async def test_auth_test(slack_standin: SlackStandIn) -> None:
    answer = await client(slack_standin).auth_test()
    assert answer["ok"] is True
    assert answer["team_id"] == "T_SANDBOX"
    assert answer["user_id"] == "U_BOT"
    assert answer["bot_id"] == "B_BOT"
    call = slack_standin.calls[-1]
    assert call.method == "auth.test"
    assert call.headers["authorization"] == f"Bearer {SLACK_BOT_TOKEN}"
    assert call.ok


async def test_token_is_checked(slack_standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as missing:
        await client(slack_standin, token=None).auth_test()
    assert missing.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as wrong:
        await client(slack_standin, token="xoxb-someone-else").auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as user_token:
        await client(slack_standin, token="xoxp-user").auth_test()
    assert user_token.value.response["error"] == "invalid_auth"
    slack_standin.revoke_token()
    with pytest.raises(SlackApiError) as revoked:
        await client(slack_standin).auth_test()
    assert revoked.value.response["error"] == "token_revoked"
    assert [c.ok for c in slack_standin.calls] == [False] * 4


async def test_users_info(slack_standin: SlackStandIn) -> None:
    alice = (await client(slack_standin).users_info(user="U_ALICE"))["user"]
    assert alice["profile"]["email"] == "alice@sandbox.example"
    assert alice["tz"] == "America/New_York"
    bob = (await client(slack_standin).users_info(user="U_BOB"))["user"]
    assert bob["tz"] == "Europe/Berlin"
    carol = (await client(slack_standin).users_info(user="U_CAROL"))["user"]
    assert not carol["profile"]["email"].endswith("@sandbox.example")
    with pytest.raises(SlackApiError) as unknown:
        await client(slack_standin).users_info(user="U_NOBODY")
    assert unknown.value.response["error"] == "user_not_found"
    assert slack_standin.calls_to("users.info")[0].http_method == "GET"
    assert slack_standin.calls_to("users.info")[0].body == {"user": "U_ALICE"}


async def test_post_ephemeral_and_message(slack_standin: SlackStandIn) -> None:
    web = client(slack_standin)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Standup* at 9:00"}}]
    ephemeral = await web.chat_postEphemeral(
        channel="C_SANDBOX", user="U_ALICE", text="Standup", blocks=blocks
    )
    assert ephemeral["message_ts"]
    dm = await web.conversations_open(users="U_BOB")
    assert dm["channel"]["id"] == "D_BOB"
    posted = await web.chat_postMessage(channel=dm["channel"]["id"], text="Linked")
    assert posted["channel"] == "D_BOB"
    assert posted["message"]["text"] == "Linked"
    updated = await web.chat_update(channel="D_BOB", ts=posted["ts"], text="Linked ✓")
    assert updated["text"] == "Linked ✓"
    await web.chat_delete(channel="D_BOB", ts=posted["ts"])

    first = slack_standin.calls_to("chat.postEphemeral")[0]
    assert first.blocks == blocks
    assert first.audience == "U_ALICE"
    assert slack_standin.calls_to("chat.postMessage")[0].audience == "U_BOB"
    assert [c.method for c in slack_standin.replies_to("U_BOB")] == [
        "chat.postMessage",
        "chat.update",
        "chat.delete",
    ]


async def test_views(slack_standin: SlackStandIn) -> None:
    web = client(slack_standin)
    opened = await web.views_open(trigger_id=slack_standin.issue_trigger_id("U_ALICE"), view=MODAL)
    view_id = opened["view"]["id"]
    assert opened["view"]["blocks"] == MODAL["blocks"]
    pushed = await web.views_push(trigger_id=slack_standin.issue_trigger_id("U_ALICE"), view=MODAL)
    assert pushed["view"]["root_view_id"] == view_id
    updated = await web.views_update(view_id=view_id, view={**MODAL, "private_metadata": "x"})
    assert updated["view"]["private_metadata"] == "x"
    home = await web.views_publish(user_id="U_BOB", view={"type": "home", "blocks": []})
    assert home["view"]["type"] == "home"
    with pytest.raises(SlackApiError) as reused:
        await web.views_open(trigger_id="123.456.abc", view=MODAL)
    assert reused.value.response["error"] == "invalid_trigger_id"
    assert slack_standin.calls_to("views.open")[0].view_id == view_id
    assert slack_standin.calls_to("views.update")[0].audience == "U_ALICE"
    assert slack_standin.calls_to("views.publish")[0].audience == "U_BOB"


async def test_response_url_post_is_recorded_with_its_command(slack_standin: SlackStandIn) -> None:
    target = slack_standin.issue_response_url(
        user_id="U_ALICE", channel_id="C_SANDBOX", command="/webex", text="list"
    )
    assert target.url.startswith(slack_standin.base_url + "response/")
    answer = await AsyncWebhookClient(target.url).send(text="No meetings", response_type="ephemeral")
    assert answer.status_code == 200
    call = (await slack_standin.wait_for_calls("response_url"))[0]
    assert call.response_target == target
    assert call.response_target is not None and call.response_target.text == "list"
    assert call.text == "No meetings"
    assert call.audience == "U_ALICE"
    unknown = await AsyncWebhookClient(slack_standin.base_url + "response/nope").send(text="x")
    assert unknown.status_code == 404


async def test_rate_limit_is_retried_after_retry_after(slack_standin: SlackStandIn) -> None:
    slack_standin.rate_limit("chat.postEphemeral", retry_after=1, times=1)
    web = client(slack_standin)
    web.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    started = time.monotonic()
    await web.chat_postEphemeral(channel="C_SANDBOX", user="U_ALICE", text="hi")
    assert time.monotonic() - started >= 1.0
    calls = slack_standin.calls_to("chat.postEphemeral")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].fault == "429 retry-after 1"
    assert calls[1].at - calls[0].at >= 1.0


async def test_rate_limit_without_retry_reaches_the_caller(slack_standin: SlackStandIn) -> None:
    slack_standin.rate_limit("views.open", retry_after=7, times=2)
    web = client(slack_standin)
    for _ in range(2):
        with pytest.raises(SlackApiError) as limited:
            await web.views_open(trigger_id=slack_standin.issue_trigger_id("U_ALICE"), view=MODAL)
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "7"
    assert (await web.views_open(trigger_id=slack_standin.issue_trigger_id("U_ALICE"), view=MODAL))["ok"]


async def test_server_errors_for_k_calls(slack_standin: SlackStandIn) -> None:
    slack_standin.fail("chat.postMessage", status=503, times=2)
    web = client(slack_standin)
    quick = BackoffRetryIntervalCalculator(backoff_factor=0.01, jitter=NoJitter())
    web.retry_handlers.append(AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=quick))
    await web.chat_postMessage(channel="C_SANDBOX", text="hi")
    assert [c.status for c in slack_standin.calls_to("chat.postMessage")] == [503, 503, 200]


async def test_faults_on_response_urls_and_all_methods(slack_standin: SlackStandIn) -> None:
    target = slack_standin.issue_response_url(user_id="U_ALICE", channel_id="C1")
    slack_standin.fail("response_url", status=500)
    assert (await AsyncWebhookClient(target.url).send(text="x")).status_code == 500
    assert (await AsyncWebhookClient(target.url).send(text="x")).status_code == 200
    slack_standin.fail("*", status=502, times=None)
    with pytest.raises(SlackApiError):
        await client(slack_standin).auth_test()
    slack_standin.clear_faults()
    assert (await client(slack_standin).auth_test())["ok"]


async def test_delay(slack_standin: SlackStandIn) -> None:
    slack_standin.delay("auth.test", 0.2, times=1)
    started = time.monotonic()
    await client(slack_standin).auth_test()
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    await client(slack_standin).auth_test()
    assert time.monotonic() - started < 0.2


async def test_wait_for_calls_returns_when_they_arrive(slack_standin: SlackStandIn) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        web = client(slack_standin)
        await asyncio.gather(*(web.chat_postMessage(channel="C1", text=str(i)) for i in range(3)))

    task = asyncio.create_task(later())
    calls = await slack_standin.wait_for_calls("chat.postMessage", count=3, timeout=5)
    assert sorted(c.text or "" for c in calls) == ["0", "1", "2"]
    found = await slack_standin.wait_for(lambda c: c.text == "2", timeout=1)
    assert found.method == "chat.postMessage"
    await task


async def test_wait_times_out_with_what_did_arrive(slack_standin: SlackStandIn) -> None:
    await client(slack_standin).auth_test()
    with pytest.raises(StandInTimeout, match=r"views.open.*auth.test\(200\)"):
        await slack_standin.wait_for_calls("views.open", timeout=0.05)


async def test_five_hundred_concurrent_posts(slack_standin: SlackStandIn) -> None:
    web = client(slack_standin)
    started = time.monotonic()
    await asyncio.gather(*(web.chat_postMessage(channel="C1", text=str(i)) for i in range(500)))
    elapsed = time.monotonic() - started
    calls = slack_standin.calls_to("chat.postMessage")
    assert len(calls) == 500
    assert [c.seq for c in slack_standin.calls] == list(range(1, 501))
    assert len({c.message_ts for c in calls}) == 500
    assert elapsed < 20, elapsed


def test_in_a_thread_for_sync_code(slack_standin_thread: SlackStandIn) -> None:
    web = WebClient(token=SLACK_BOT_TOKEN, base_url=slack_standin_thread.url)
    assert web.users_info(user="U_BOB")["user"]["name"] == "bob"
    assert slack_standin_thread.wait_for_calls_blocking("users.info")[0].ok
    with pytest.raises(StandInTimeout):
        slack_standin_thread.wait_for_blocking(lambda c: c.method == "views.open", timeout=0.05)


async def test_thread_stand_in_serves_async_waiters() -> None:
    with SlackStandIn(SANDBOX_USERS) as standin:
        waiting = asyncio.create_task(standin.wait_for_calls("auth.test", timeout=5))
        await asyncio.sleep(0)
        await AsyncWebClient(token="xoxb-any", base_url=standin.url).auth_test()
        assert (await waiting)[0].ok
    with pytest.raises(OSError):
        await AsyncWebClient(token="xoxb-any", base_url=standin.url, timeout=1, retry_handlers=[]).auth_test()
