"""Linking end to end: signed Slack requests -> the real bot over HTTP -> the emulator's consent -> back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from bot.emulator import Emulator
from bot.emulator.faults import Fault
from bot.sandbox import SlackDriver
from bot.sandbox.driver import Exchange
from bot.sandbox.workspace import RecordedCall
from tests.support.emulator import ALICE, BOB, OPERATIONS, approve_consent
from tests.support.servers import BotFactory, BotServer
from tests.support.slack import DriverFactory, sign_in_with_slack


def connect_url(reply: RecordedCall) -> str:
    for block in reply.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == "connect_webex":
                return str(element["url"])
    raise AssertionError(f"no Connect button in {reply.blocks} ({reply.text})")


def everything_shown(calls: Sequence[RecordedCall]) -> str:
    return "\n".join(everything_shown_in(dict(call.body)) for call in calls)


def everything_shown_in(body: Any) -> str:
    """Every string in an ack body (its text and its blocks)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            parts.append(node)

    walk(body)
    return "\n".join(parts)


async def answered(driver: SlackDriver, text_typed: str, *, timeout: float = 5.0) -> Exchange:
    """`/webex <text_typed>` and the answer posted to its response_url, not another message to the user."""
    exchange = await driver.command(text_typed)
    url = exchange.request.response_url
    reply = await driver.standin.wait_for(
        lambda c: c.response_target is not None and c.response_target.url == url, timeout=timeout
    )
    return replace(exchange, replies=(reply,))


async def connect_button(driver: SlackDriver) -> str:
    exchange = await answered(driver, "connect")
    assert exchange.status == 200
    return connect_url(exchange.replies[0])


async def sign_in(
    url: str, *, user: str = ALICE, decision: str = "allow", slack_user: str | None = None
) -> httpx.Response:
    """What a person's browser does: our connect route, the consent page, the callback; and, when the bot
    asks for it and `slack_user` is given, Sign in with Slack as that Slack user and back to the bot."""
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(url, follow_redirects=False)
        assert start.status_code == 302, start.text[:300]
        callback = await approve_consent(browser, start.headers["location"], user=user, decision=decision)
        done = await browser.get(callback, follow_redirects=False)
        if done.status_code == 302 and slack_user is not None:
            back = await sign_in_with_slack(browser, done.headers["location"], user_id=slack_user)
            done = await browser.get(back, follow_redirects=False)
        return done


@pytest.fixture
async def bot(bot_server: BotServer) -> BotServer:
    return bot_server


@pytest.fixture
def alice(bot: BotServer, slack_driver: DriverFactory) -> SlackDriver:
    return slack_driver(bot.events_url, user_id="U_ALICE")


async def test_connect_links_the_account_and_status_shows_it(
    bot: BotServer, alice: SlackDriver, emulator: Emulator, webex_api: str
) -> None:
    url = await connect_button(alice)
    assert url.startswith(bot.url + "/webex/connect/")

    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(url, follow_redirects=False)
    authorize = urlsplit(start.headers["location"])
    params = parse_qs(authorize.query)
    assert set(params) == {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    }
    assert params["response_type"] == ["code"]
    assert params["redirect_uri"] == [bot.url + "/webex/oauth/callback"]
    if webex_api == "xml":
        assert authorize.path.endswith("/v1/oauth2/authorize")
        assert params["code_challenge_method"] == ["plain"]
        assert params["scope"] == ["all_read+meeting_modify"]
        assert 1 <= len(params["code_challenge"][0]) <= 10
    else:
        # webexapis.com/v1/authorize: S256 (a 43-character challenge), scopes joined by %20.
        assert authorize.path.endswith("/v1/authorize")
        assert params["code_challenge_method"] == ["S256"] and len(params["code_challenge"][0]) == 43
        assert "scope=meeting%3Aschedules_read%20meeting%3Aschedules_write%20spark%3Apeople_read" in (
            authorize.query
        )

    done = await sign_in(url)
    assert done.status_code == 200
    assert "Your Webex account is linked" in done.text and ALICE in done.text

    dm = await alice.standin.wait_for(lambda c: c.method == "chat.postMessage" and c.audience == "U_ALICE")
    assert ALICE in (dm.text or "")

    status = await answered(alice, "status")
    shown = everything_shown(status.replies)
    assert ALICE in shown and "sandbox" in shown and "create, change and cancel your meetings" in shown
    # The link is kept alive by the bot (the daily renewal): nothing asks the person to act before a date.
    assert "the bot renews it by itself" in shown and "you will need to reconnect" not in shown


async def test_tokens_are_never_stored_in_plain_text(
    bot: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    await sign_in(await connect_button(alice))
    link = await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE")
    assert link is not None and link.access_token and link.refresh_token
    async with bot.services.database.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM webex_links"))).all()
        states = (await connection.execute(text("SELECT * FROM oauth_states"))).all()
    raw = repr(rows) + repr(states)
    assert link.access_token not in raw and link.refresh_token not in raw
    assert link.refresh_token.removeprefix("sandbox_") not in raw


async def test_an_old_button_still_works_because_the_state_is_made_at_click_time(
    bot: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    url = await connect_button(alice)
    first = await sign_in(url)
    assert first.status_code == 200
    second = await sign_in(url, user=ALICE)  # the same button, clicked again later
    assert second.status_code == 200


async def test_already_linked_says_as_whom_and_offers_reconnect_and_disconnect(
    bot: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    await sign_in(await connect_button(alice))
    again = await answered(alice, "connect")
    shown = everything_shown(again.replies)
    assert ALICE in shown
    actions = [e.get("action_id") for b in again.replies[0].blocks for e in b.get("elements") or []]
    assert actions == ["connect_webex", "disconnect_webex"]


async def test_disconnect_deletes_the_tokens_and_says_what_was_deleted(
    bot: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    await sign_in(await connect_button(alice))
    answer = await answered(alice, "signout")
    assert "deleted your Webex access and refresh tokens" in everything_shown(answer.replies)
    assert await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None
    again = await answered(alice, "logout")
    assert "nothing to delete" in everything_shown(again.replies)


async def test_consent_denied_links_nothing_and_says_so(
    bot: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    page = await sign_in(await connect_button(alice), decision="deny")
    assert page.status_code == 400
    assert "Nothing was linked" in page.text
    assert await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None


async def test_a_replayed_callback_is_refused(bot: BotServer, alice: SlackDriver, emulator: Emulator) -> None:
    url = await connect_button(alice)
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(url, follow_redirects=False)
        callback = await approve_consent(browser, start.headers["location"])
        assert (await browser.get(callback)).status_code == 200
        replay = await browser.get(callback)
    assert replay.status_code == 400 and "already used" in replay.text


async def test_a_forged_state_is_refused(bot: BotServer) -> None:
    page = await bot.get("/webex/oauth/callback?code=abc&state=forged")
    assert page.status_code == 400 and "not one we started" in page.text


async def test_an_expired_state_is_refused(bot: BotServer, alice: SlackDriver, emulator: Emulator) -> None:
    url = await connect_button(alice)
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(url, follow_redirects=False)
        callback = await approve_consent(browser, start.headers["location"])
        state = parse_qs(urlsplit(callback).query)["state"][0]
        async with bot.services.database.engine.begin() as connection:
            await connection.execute(text("UPDATE oauth_states SET expires_at = created_at WHERE 1 = 1"))
        page = await browser.get(callback)
    assert state and page.status_code == 400 and "took too long" in page.text


async def test_email_mismatch_is_refused_by_default(
    bot: BotServer, alice: SlackDriver, emulator: Emulator
) -> None:
    page = await sign_in(await connect_button(alice), user=BOB)
    assert page.status_code == 400 and "was not linked" in page.text
    assert "nothing was stored" in page.text
    assert await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None


async def test_email_mismatch_links_once_sign_in_with_slack_confirms_the_user(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    bot = await bot_factory(email_mismatch_policy="sign-in-with-slack")
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    url = await connect_button(alice)
    asked = await sign_in(url, user=BOB)
    assert asked.status_code == 302
    assert asked.headers["location"].startswith(alice.standin.sign_in_url + "?")
    # The step is tied to this browser by a cookie no script can read, sent back only to the callback.
    cookie = asked.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/slack/sign-in/callback" in cookie
    assert await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None

    page = await sign_in(url, user=BOB, slack_user="U_ALICE")
    assert page.status_code == 200 and "Your Webex account is linked" in page.text
    assert "Sign in with Slack confirmed" in page.text
    link = await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE")
    assert link is not None and link.email == BOB


async def test_token_endpoint_failing_shows_a_clear_page_and_links_nothing(
    bot: BotServer, alice: SlackDriver, emulator: Emulator, webex_api: str
) -> None:
    url = await connect_button(alice)
    emulator.add_fault(Fault.http_error(503, operation=OPERATIONS[webex_api]["token"], count=1))
    page = await sign_in(url)
    assert page.status_code == 400 and "Webex did not accept this sign-in" in page.text
    assert await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE") is None


async def test_unsigned_and_stale_slack_requests_are_refused(bot: BotServer, alice: SlackDriver) -> None:
    assert (await alice.command("connect", signature="none")).status == 401
    assert (await alice.command("connect", signature="wrong")).status == 401
    assert (await alice.command("connect", age=600)).status == 401
    assert not alice.standin.calls_to("response")


async def test_help_for_nothing_and_for_unknown_words(bot: BotServer, alice: SlackDriver) -> None:
    helped = []
    for text_typed in ("", "help", "frobnicate now"):
        exchange = await alice.command(text_typed)
        # The help is the ack itself, shown to the person alone: no second round trip to Slack.
        ack = exchange.json()
        assert exchange.status == 200 and ack["response_type"] == "ephemeral"
        shown = everything_shown_in(ack)
        assert "/webex connect" in shown and "/webex disconnect" in shown
        helped.append(exchange)
    assert "I don't know `frobnicate`" in shown
    # A later command is answered after its ack; nothing was ever sent for the three helps.
    later = await answered(alice, "status")
    assert all(call.seq >= later.first_seq for call in alice.standin.calls if call.is_reply)
    assert [call for exchange in helped for call in alice.replies_so_far(exchange)] == []


async def test_a_mistyped_command_says_the_command_it_was_probably_meant_to_be_with_what_was_typed(
    bot: BotServer, alice: SlackDriver
) -> None:
    # Slack sends it escaped (should_escape): the mention as <@U_ANA|ana>, the ampersand as &amp;.
    exchange = await alice.command("schedul Design & review tomorrow 3pm with @ana")
    shown = everything_shown_in(exchange.json())
    meant = "/webex schedule Design &amp; review tomorrow 3pm with @ana"  # shown as typed, ready to copy
    assert f"I don't know `schedul`. Did you mean `{meant}`?" in shown
    assert "/webex connect" in shown  # and the whole list, as for any unknown word
    # Nothing was done for it: no meeting, no Webex call, no answer after the ack.
    assert alice.replies_so_far(exchange) == []
    # However long the rest, the answer stays within what Slack shows in one section.
    long = (await alice.command("schedul " + "standup " * 600)).json()
    assert "Did you mean `/webex schedule standup" in everything_shown_in(long)
    assert len(long["blocks"][0]["text"]["text"]) <= 3000
    # A word close to nothing still gets the list alone.
    far = everything_shown_in((await alice.command("frobnicate now")).json())
    assert "Did you mean" not in far
