"""What account linking hands back and takes: outcomes, problems, ports and the Connect link's token."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain.accounts import Link
from bot.domain.clock import Clock
from bot.services.ports import BackendUser, Credentials
from bot.services.signed_tokens import SignedTokens, TokenExpired, TokenInvalid

TRY_AGAIN_OR_ADMIN = "Run /webex connect in Slack to try again; if it keeps failing, tell your Webex admin."


@dataclass(frozen=True)
class OwnerNotice:
    """What the Slack user who clicked Connect is told in Slack when a sign-in through their link fails."""

    team_id: str
    user_id: str
    text: str


class ConnectProblem(Exception):
    """Why a connect link or an OAuth callback cannot go on, in words for the person in the browser."""

    def __init__(self, title: str, detail: str, *, next_step: str, notice: OwnerNotice | None = None) -> None:
        super().__init__(title)
        self.title = title
        self.detail = detail
        self.next_step = next_step
        self.notice = notice


@dataclass(frozen=True)
class SlackSignInNeeded:
    """The emails differ: the browser must sign in with Slack (at `url`) before anything is linked."""

    url: str
    sign_in_state: str
    max_age: int


@dataclass(frozen=True)
class SlackOwner:
    """The Slack user who clicked Connect, as their profile reads."""

    email: str
    name: str

    @property
    def label(self) -> str:
        return self.name or "who made it"


@dataclass(frozen=True)
class WebexAccount:
    """The Webex account that signed in, with the tokens it granted (not stored until it is linked)."""

    site: str
    webex_id: str
    email: str
    scopes: tuple[str, ...]
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime

    def held(self) -> dict[str, Any]:
        """As kept (encrypted) while the browser signs in with Slack."""
        return {
            "site": self.site,
            "webex_id": self.webex_id,
            "email": self.email,
            "scopes": list(self.scopes),
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "access_expires_at": self.access_expires_at.isoformat(),
            "refresh_expires_at": self.refresh_expires_at.isoformat(),
        }

    @classmethod
    def from_held(cls, held: dict[str, Any]) -> WebexAccount:
        return cls(
            site=held["site"],
            webex_id=held["webex_id"],
            email=held["email"],
            scopes=tuple(held["scopes"]),
            access_token=held["access_token"],
            refresh_token=held["refresh_token"],
            access_expires_at=datetime.fromisoformat(held["access_expires_at"]),
            refresh_expires_at=datetime.fromisoformat(held["refresh_expires_at"]),
        )


class SignInUnconfirmed(Exception):
    """Slack did not confirm who signed in (a bad or used code, or Slack unreachable)."""


class SlackIdentityPort(Protocol):
    """Sign in with Slack (bot.slack.sign_in.SlackSignIn); identify raises SignInUnconfirmed."""

    def authorize_url(self, *, state: str, team_id: str) -> str: ...

    async def identify(self, code: str) -> Any: ...


@dataclass(frozen=True)
class Linked:
    """A link made through the callback, and what to tell the user."""

    link: Link
    slack_name: str
    warning: str | None
    pending: dict[str, Any] | None
    replaced: bool


class Identities(Protocol):
    """Who a token belongs to (the meeting backend's `who_am_i`)."""

    async def who_am_i(self, creds: Credentials) -> BackendUser: ...


class ProfilePort(Protocol):
    async def get(self, team_id: str, user_id: str) -> Any: ...


class ConnectTokens:
    """The token in a Connect button's URL: whom it is for and what to finish afterwards, signed and dated.

    The OAuth state is made only when the button is clicked, so an old button still works until the
    token's own (long) lifetime runs out.
    """

    def __init__(self, keys: list[str], ttl: timedelta, clock: Clock) -> None:
        self._tokens = SignedTokens(keys, purpose="connect link", ttl=ttl, clock=clock)

    def issue(
        self, team_id: str, user_id: str, pending: dict[str, Any] | None, extra_scopes: tuple[str, ...] = ()
    ) -> str:
        payload: dict[str, Any] = {"t": team_id, "u": user_id, "p": pending}
        if extra_scopes:
            payload["x"] = list(extra_scopes)  # permissions asked for on top of the usual ones
        return self._tokens.issue(payload)

    def read(self, token: str) -> dict[str, Any]:
        try:
            return self._tokens.read(token)
        except TokenExpired:
            raise ConnectProblem(
                "This connect link has expired",
                "Connect links stay valid for a while, and this one is too old.",
                next_step="Run /webex connect in Slack for a new one.",
            ) from None
        except TokenInvalid:
            raise ConnectProblem(
                "This connect link is not valid",
                "It may have been cut short when it was copied.",
                next_step="Run /webex connect in Slack and use the button it gives you.",
            ) from None


def emails_differ(
    account: WebexAccount,
    owner: SlackOwner,
    team_id: str,
    user_id: str,
    pending: dict[str, Any] | None,
) -> ConnectProblem:
    """The refusal when the Webex email is not the Slack user's: the page, and a word to that Slack user.

    The page is read by whoever signed in to Webex (perhaps not the Slack user); the Slack message is read
    by the Slack user (perhaps not who signed in), so it never names the Webex account.
    """
    seen = "" if owner.email else " (the bot cannot see that profile's email)"
    if owner.email:
        own_account = f"the Webex account that uses your Slack email, {owner.email}"
    else:
        own_account = "your Webex account once your Slack profile shows your email to the bot"
    return ConnectProblem(
        "This Webex account was not linked",
        f"This Connect link was made for the Slack user {owner.label}. The Webex account you signed in "
        f"with ({account.email or account.webex_id}) does not have that Slack profile's email{seen}, so "
        "nothing was stored: no tokens, no link.",
        next_step=f"If you are not {owner.label}, close this page: nothing of yours was shared. If you "
        "are, run /webex connect in Slack again and sign in to Webex with the account under your Slack "
        "email, or ask the person who runs this bot.",
        notice=OwnerNotice(
            team_id,
            user_id,
            "Your Connect Webex link was used to sign in to a Webex account that does not have your Slack "
            "email, so nothing was linked to your Slack account."
            + (" The command you started was not run." if pending else "")
            + f" To link, run `/webex connect` again and sign in with {own_account}.",
        ),
    )
