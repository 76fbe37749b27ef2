"""Sign in with Slack on the stand-in, driven by slack_sdk's own OpenID Connect helpers and by the bot's
adapter over loopback: the authorize page, openid.connect.token, openid.connect.userInfo, and refusals."""

from __future__ import annotations

import asyncio
import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiohttp import ClientSession
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import SlackStandIn
from bot.sandbox.openid import SANDBOX_SLACK_CLIENT_ID, SANDBOX_SLACK_CLIENT_SECRET
from bot.services.linking import SignInUnconfirmed
from bot.slack.sign_in import SlackSignIn
from tests.support.slack import SLACK_BOT_TOKEN, sign_in_with_slack

REDIRECT = "http://127.0.0.1:3000/slack/sign-in/callback"


def authorize_url(standin: SlackStandIn, *, client_id: str = SANDBOX_SLACK_CLIENT_ID, team: str = "") -> str:
    generator = OpenIDConnectAuthorizeUrlGenerator(
        client_id=client_id,
        redirect_uri=REDIRECT,
        scopes=["openid", "email", "profile"],
        authorization_url=standin.sign_in_url,
    )
    return generator.generate(state="state-1", nonce="nonce-1", team=team or standin.workspace.team_id)


def choose(standin: SlackStandIn, user_id: str, decision: str = "allow") -> dict[str, str]:
    """A browser on the stand-in's page, signed in as `user_id`: the query Slack sends back."""

    async def run() -> str:
        async with httpx.AsyncClient(timeout=10) as browser:
            return await sign_in_with_slack(
                browser, authorize_url(standin), user_id=user_id, decision=decision
            )

    location = asyncio.run(run())
    assert location.startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_slack_sdks_helpers_sign_a_member_in(slack_standin_thread: SlackStandIn) -> None:
    standin = slack_standin_thread
    page = httpx.get(authorize_url(standin), timeout=10)
    assert page.status_code == 200 and "Bob Baker" in page.text and "Alice Archer" in page.text
    back = choose(standin, "U_BOB")
    assert back["state"] == "state-1" and back["code"]

    slack = WebClient(base_url=standin.url)
    tokens = slack.openid_connect_token(
        client_id=SANDBOX_SLACK_CLIENT_ID,
        client_secret=SANDBOX_SLACK_CLIENT_SECRET,
        code=back["code"],
        redirect_uri=REDIRECT,
    )
    assert str(tokens["access_token"]).startswith("xoxp-") and tokens["token_type"] == "Bearer"
    claims = json.loads(base64.urlsafe_b64decode(str(tokens["id_token"]).split(".")[1] + "=="))
    assert (
        claims["sub"] == "U_BOB" and claims["nonce"] == "nonce-1" and claims["aud"] == SANDBOX_SLACK_CLIENT_ID
    )

    info = slack.openid_connect_userInfo(token=str(tokens["access_token"]))
    assert info["https://slack.com/user_id"] == "U_BOB"
    assert info["https://slack.com/team_id"] == standin.workspace.team_id
    assert info["email"] == "bob@sandbox.example" and info["email_verified"] is True

    with pytest.raises(SlackApiError, match="invalid_code"):  # a code works once
        slack.openid_connect_token(
            client_id=SANDBOX_SLACK_CLIENT_ID,
            client_secret=SANDBOX_SLACK_CLIENT_SECRET,
            code=back["code"],
            redirect_uri=REDIRECT,
        )


@pytest.mark.parametrize(
    ("secret", "redirect_uri", "error"),
    [
        ("wrong-secret", REDIRECT, "bad_client_secret"),
        (SANDBOX_SLACK_CLIENT_SECRET, "http://127.0.0.1:3000/elsewhere", "bad_redirect_uri"),
    ],
)
def test_the_token_method_refuses_a_wrong_secret_or_redirect(
    slack_standin_thread: SlackStandIn, secret: str, redirect_uri: str, error: str
) -> None:
    code = choose(slack_standin_thread, "U_ALICE")["code"]
    slack = WebClient(base_url=slack_standin_thread.url)
    with pytest.raises(SlackApiError, match=error):
        slack.openid_connect_token(
            client_id=SANDBOX_SLACK_CLIENT_ID, client_secret=secret, code=code, redirect_uri=redirect_uri
        )


def test_the_page_refuses_an_unknown_app_or_another_workspace_and_cancel_says_so(
    slack_standin_thread: SlackStandIn,
) -> None:
    standin = slack_standin_thread
    assert httpx.get(authorize_url(standin, client_id="someone-else"), timeout=10).status_code == 400
    assert httpx.get(authorize_url(standin, team="T_OTHER"), timeout=10).status_code == 400
    assert choose(standin, "U_ALICE", decision="deny") == {"error": "access_denied", "state": "state-1"}


def test_user_info_needs_a_user_token_from_sign_in(slack_standin_thread: SlackStandIn) -> None:
    slack = WebClient(base_url=slack_standin_thread.url)
    for token in ("xoxp-made-up", SLACK_BOT_TOKEN):
        with pytest.raises(SlackApiError, match="invalid_auth"):
            slack.openid_connect_userInfo(token=token)


async def test_the_bots_adapter_names_who_signed_in(slack_standin: SlackStandIn) -> None:
    async with ClientSession() as session:
        sign_in = SlackSignIn(
            AsyncWebClient(base_url=slack_standin.url, session=session),
            client_id=SANDBOX_SLACK_CLIENT_ID,
            client_secret=SANDBOX_SLACK_CLIENT_SECRET,
            redirect_uri=REDIRECT,
            authorize_url=slack_standin.sign_in_url,
        )
        url = sign_in.authorize_url(state="s-1", team_id=slack_standin.workspace.team_id)
        async with httpx.AsyncClient(timeout=10) as browser:
            location = await sign_in_with_slack(browser, url, user_id="U_CAROL")
        code = parse_qs(urlsplit(location).query)["code"][0]
        identity = await sign_in.identify(code)
        assert (identity.team_id, identity.user_id, identity.name) == (
            slack_standin.workspace.team_id,
            "U_CAROL",
            "Carol Clark",
        )
        with pytest.raises(SignInUnconfirmed):
            await sign_in.identify(code)
