"""LinkingService with fakes: a Webex account is stored only for the Slack user it belongs to, and each
refusal tells the browser and the Slack user what they need, no more."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.config import EmailPolicy
from bot.domain.accounts import Link, TokenGrant
from bot.domain.clock import FakeClock
from bot.services.linking import (
    ConnectProblem,
    ConnectTokens,
    Linked,
    LinkingService,
    SignInUnconfirmed,
    SlackSignInNeeded,
)
from bot.slack.profiles import SlackProfile
from bot.slack.sign_in import SlackIdentity
from bot.store.states import ConnectAttempt, HeldAccount, StateAlreadyUsed

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ALICE_WEBEX = "alice@acme.example"


@dataclass
class FakeStates:
    held: dict[str, HeldAccount] = field(default_factory=dict)

    async def consume(self, value: str) -> ConnectAttempt:
        return ConnectAttempt(value, "T1", "U_BOB", "verifier", {"kind": "command"}, NOW, NOW)

    async def hold_for_sign_in(self, state: str, account: dict[str, Any], ttl: timedelta) -> str:
        self.held["sign-in-1"] = HeldAccount("T1", "U_BOB", {"kind": "command"}, account)
        return "sign-in-1"

    async def take_held(self, sign_in_state: str) -> HeldAccount:
        if sign_in_state not in self.held:
            raise StateAlreadyUsed(sign_in_state)
        return self.held.pop(sign_in_state)


@dataclass
class FakeLinks:
    saved: list[Link] = field(default_factory=list)

    async def get(self, team_id: str, user_id: str) -> Link | None:
        return None

    async def save(self, link: Link) -> Link:
        self.saved.append(link)
        return link


class FakeOAuth:
    def authorize_url(self, *, state: str, code_verifier: str, scopes: Any) -> str:
        return f"https://webex.test/authorize?state={state}"

    async def exchange_code(self, code: str, code_verifier: str) -> TokenGrant:
        return TokenGrant("AT-alice", "RT-alice", 7200, user_name=ALICE_WEBEX, email=ALICE_WEBEX, site="acme")


class FakeProfiles:
    def __init__(self, email: str) -> None:
        self.email = email

    async def get(self, team_id: str, user_id: str) -> SlackProfile:
        return SlackProfile(user_id, "bob", "Bob Baker", self.email, "UTC")


class FakeSignIn:
    def __init__(self, who: str | None) -> None:
        self.who = who

    def authorize_url(self, *, state: str, team_id: str) -> str:
        return f"https://slack.test/openid/connect/authorize?state={state}&team={team_id}"

    async def identify(self, code: str) -> SlackIdentity:
        if self.who is None:
            raise SignInUnconfirmed("invalid_code")
        return SlackIdentity("T1", self.who, "whoever")


def service(
    slack_email: str, policy: EmailPolicy, *, signed_in_as: str | None = "U_BOB"
) -> tuple[LinkingService, FakeLinks, FakeStates]:
    links, states, clock = FakeLinks(), FakeStates(), FakeClock(NOW)
    linking = LinkingService(
        links=links,
        states=states,
        oauth=FakeOAuth(),
        webex=object(),  # type: ignore[arg-type]
        profiles=FakeProfiles(slack_email),
        connect_tokens=ConnectTokens([Fernet.generate_key().decode()], timedelta(hours=1), clock),
        clock=clock,
        base_url="https://bot.test",
        scopes=("meeting_modify",),
        default_site="acme",
        email_policy=policy,
        state_ttl=timedelta(minutes=10),
        sign_in=FakeSignIn(signed_in_as),
    )
    return linking, links, states


CALLBACK = {"state": "s-1", "code": "c-1"}


@pytest.mark.parametrize("policy", list(EmailPolicy))
async def test_the_same_email_in_any_letter_case_links_at_once(policy: EmailPolicy) -> None:
    linking, links, _ = service(ALICE_WEBEX.upper(), policy)
    outcome = await linking.complete(CALLBACK)
    assert isinstance(outcome, Linked) and outcome.warning is None
    assert [link.email for link in links.saved] == [ALICE_WEBEX]


async def test_refused_the_browser_learns_why_and_the_slack_user_never_learns_whose_account() -> None:
    linking, links, _ = service("bob@acme.example", EmailPolicy.REFUSE)
    with pytest.raises(ConnectProblem) as raised:
        await linking.complete(CALLBACK)
    problem = raised.value
    assert links.saved == []
    assert (
        "Bob Baker" in problem.detail
        and ALICE_WEBEX in problem.detail
        and "nothing was stored" in problem.detail
    )
    assert problem.notice is not None and (problem.notice.team_id, problem.notice.user_id) == ("T1", "U_BOB")
    assert ALICE_WEBEX not in problem.notice.text and "AT-alice" not in problem.notice.text
    assert "bob@acme.example" in problem.notice.text and "was not run" in problem.notice.text


async def test_sign_in_with_slack_links_only_the_slack_user_who_asked() -> None:
    linking, links, states = service("bob@acme.example", EmailPolicy.SIGN_IN_WITH_SLACK)
    asked = await linking.complete(CALLBACK)
    assert isinstance(asked, SlackSignInNeeded) and "team=T1" in asked.url
    assert links.saved == [] and states.held["sign-in-1"].account["access_token"] == "AT-alice"
    linked = await linking.finish_sign_in({"state": "sign-in-1", "code": "slack-code"}, "sign-in-1")
    assert linked.link.user_id == "U_BOB" and linked.pending == {"kind": "command"}
    assert [link.access_token for link in links.saved] == ["AT-alice"]


@pytest.mark.parametrize(
    ("signed_in_as", "cookie", "says"),
    [
        ("U_ALICE", "sign-in-1", "signed in to Slack as someone else"),
        ("U_BOB", None, "belongs to another browser"),
        ("U_BOB", "another-step", "belongs to another browser"),
        (None, "sign-in-1", "did not confirm who you are"),
    ],
)
async def test_sign_in_with_slack_refusals_store_nothing_and_end_the_step(
    signed_in_as: str | None, cookie: str | None, says: str
) -> None:
    linking, links, states = service(
        "bob@acme.example", EmailPolicy.SIGN_IN_WITH_SLACK, signed_in_as=signed_in_as
    )
    await linking.complete(CALLBACK)
    with pytest.raises(ConnectProblem) as raised:
        await linking.finish_sign_in({"state": "sign-in-1", "code": "slack-code"}, cookie)
    assert says in raised.value.detail or says in raised.value.title
    assert links.saved == [] and states.held == {}
    if raised.value.notice is not None:
        assert ALICE_WEBEX not in raised.value.notice.text
