"""The slash command's listener: Bolt dispatches /webex to it as it would to `app.command("/webex")`,
after its global middleware, and answers with what the listener acked (or Bolt's 500 on an error)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.command_listener import listen_to_command


def command(name: str, text: str = "list") -> AsyncBoltRequest:
    body = f"command={name}&text={text}&team_id=T1&user_id=U1&response_url=https://hooks.slack.com/x"
    return AsyncBoltRequest(body=body, headers={"content-type": "application/x-www-form-urlencoded"})


async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-0")


def app() -> AsyncApp:
    return AsyncApp(
        signing_secret="secret",
        authorize=authorize,
        request_verification_enabled=False,
        process_before_response=True,
    )


async def test_the_command_reaches_its_listener_with_ack_and_body() -> None:
    bolt = app()
    seen: list[dict[str, Any]] = []
    order: list[str] = []

    async def global_middleware(next: Any) -> None:  # noqa: A002 (Bolt's name)
        order.append("middleware")
        await next()

    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        order.append("listener")
        seen.append(body)
        await ack(text="on it")

    bolt.middleware(global_middleware)
    listen_to_command(bolt, "/webex", on_command)
    answer = await bolt.async_dispatch(command("/webex"))
    assert answer.status == 200 and answer.body == "on it"
    assert seen[0]["text"] == "list" and seen[0]["user_id"] == "U1"
    assert order == ["middleware", "listener"]


async def test_another_command_is_left_to_the_listeners_after_it() -> None:
    bolt = app()
    calls: list[str] = []

    async def on_webex(ack: AsyncAck, body: dict[str, Any]) -> None:
        calls.append("webex")
        await ack()

    async def on_other(ack: AsyncAck) -> None:
        calls.append("other")
        await ack()

    listen_to_command(bolt, "/webex", on_webex)
    bolt.command("/other")(on_other)
    assert (await bolt.async_dispatch(command("/other"))).status == 200
    assert (await bolt.async_dispatch(command("/nothing"))).status == 404
    assert calls == ["other"]


async def test_an_error_in_the_listener_is_bolts_500() -> None:
    bolt = app()

    async def failing(ack: AsyncAck, body: dict[str, Any]) -> None:
        raise RuntimeError("broken")

    listen_to_command(bolt, "/webex", failing)
    assert (await bolt.async_dispatch(command("/webex"))).status == 500
