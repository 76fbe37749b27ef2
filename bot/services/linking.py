"""Linking a Slack user to their own Webex account: connect links, the OAuth round trip, identity checks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from bot.config import EmailPolicy
from bot.domain.accounts import Link, TokenGrant
from bot.domain.clock import Clock
from bot.domain.meetings import WebexUser
from bot.services.signed_tokens import SignedTokens, TokenExpired, TokenInvalid
from bot.webex.client import WebexCredentials
from bot.webex.errors import OAuthError, WebexError
from bot.webex.oauth import new_code_verifier

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_LIFETIME = timedelta(days=60)
TRY_AGAIN_OR_ADMIN = "Run /webex connect in Slack to try again; if it keeps failing, tell your Webex admin."
# Slack refuses button URLs longer than 3000 characters; past this a pending command is not carried.
MAX_CONNECT_URL = 2900


class ConnectProblem(Exception):
    """Why a connect link or an OAuth callback cannot go on, in words for the person in the browser."""

    def __init__(self, title: str, detail: str, *, next_step: str) -> None:
        super().__init__(title)
        self.title = title
        self.detail = detail
        self.next_step = next_step


@dataclass(frozen=True)
class Linked:
    """A link made through the callback, and what to tell the user."""

    link: Link
    slack_name: str
    warning: str | None
    pending: dict[str, Any] | None
    replaced: bool


class OAuthPort(Protocol):
    def authorize_url(
        self, *, state: str, code_challenge: str, scopes: tuple[str, ...] | list[str]
    ) -> str: ...

    async def exchange_code(self, code: str, code_verifier: str) -> TokenGrant: ...


class WebexUsers(Protocol):
    async def get_user(self, creds: WebexCredentials, webex_id: str | None = None) -> WebexUser: ...


class ProfilePort(Protocol):
    async def get(self, team_id: str, user_id: str) -> Any: ...


class ConnectTokens:
    """The token in a Connect button's URL: whom it is for and what to finish afterwards, signed and dated.

    The OAuth state is made only when the button is clicked, so an old button still works until the
    token's own (long) lifetime runs out.
    """

    def __init__(self, keys: list[str], ttl: timedelta, clock: Clock) -> None:
        self._tokens = SignedTokens(keys, purpose="connect link", ttl=ttl, clock=clock)

    def issue(self, team_id: str, user_id: str, pending: dict[str, Any] | None) -> str:
        return self._tokens.issue({"t": team_id, "u": user_id, "p": pending})

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


class LinkingService:
    """The account-linking use cases, independent of Slack and of the web framework."""

    def __init__(
        self,
        *,
        links: Any,
        states: Any,
        oauth: OAuthPort,
        webex: WebexUsers,
        profiles: ProfilePort,
        connect_tokens: ConnectTokens,
        clock: Clock,
        base_url: str,
        scopes: tuple[str, ...],
        default_site: str | None,
        email_policy: EmailPolicy,
        state_ttl: timedelta,
    ) -> None:
        self._links = links
        self._states = states
        self._oauth = oauth
        self._webex = webex
        self._profiles = profiles
        self._tokens = connect_tokens
        self._clock = clock
        self._base_url = base_url
        self._scopes = scopes
        self._default_site = default_site
        self._email_policy = email_policy
        self._state_ttl = state_ttl

    def connect_url(self, team_id: str, user_id: str, pending: dict[str, Any] | None = None) -> str:
        url = f"{self._base_url}/webex/connect/{self._tokens.issue(team_id, user_id, pending)}"
        if pending is not None and len(url) > MAX_CONNECT_URL:
            url = f"{self._base_url}/webex/connect/{self._tokens.issue(team_id, user_id, None)}"
        return url

    async def begin(self, token: str) -> str:
        """A Connect button was clicked: make a fresh single-use state and the Webex authorize URL."""
        payload = self._tokens.read(token)
        verifier = new_code_verifier()
        state = await self._states.create(
            team_id=payload["t"],
            user_id=payload["u"],
            code_verifier=verifier,
            pending_command=payload.get("p"),
            ttl=self._state_ttl,
        )
        return self._oauth.authorize_url(state=state, code_challenge=verifier, scopes=self._scopes)

    async def complete(self, params: dict[str, str]) -> Linked:
        """Webex sent the browser back: check the state, exchange the code, check identity, store the link."""
        state_value = params.get("state", "")
        if not state_value:
            raise ConnectProblem(
                "This sign-in cannot be finished",
                "The address is missing the information that ties it to your Slack account.",
                next_step="Run /webex connect in Slack and start again from its button.",
            )
        state = await self._consume_state(state_value)
        if params.get("error"):
            if params["error"] == "access_denied":
                raise ConnectProblem(
                    "Nothing was linked",
                    "You chose not to allow access on Webex.",
                    next_step="If that was a mistake, run /webex connect in Slack again.",
                )
            raise ConnectProblem(
                "Webex did not finish the sign-in",
                f"Webex answered: {params['error']}"
                + (f" ({params['error_description']})" if params.get("error_description") else ""),
                next_step=TRY_AGAIN_OR_ADMIN,
            )
        code = params.get("code", "")
        if not code:
            raise ConnectProblem(
                "This sign-in cannot be finished",
                "Webex did not send an authorization code.",
                next_step="Run /webex connect in Slack to try again.",
            )
        try:
            grant = await self._oauth.exchange_code(code, state.code_verifier)
        except OAuthError as error:
            logger.warning(
                "code exchange failed for team=%s user=%s: %s", state.team_id, state.user_id, error.error
            )
            raise ConnectProblem(
                "Webex did not accept this sign-in",
                "The sign-in could not be completed with Webex"
                + (" (the service did not answer)." if error.error == "temporarily_unavailable" else "."),
                next_step="Run /webex connect in Slack to try again in a minute.",
            ) from None
        return await self._store(grant, state.team_id, state.user_id, state.pending_command)

    async def _consume_state(self, value: str) -> Any:
        from bot.store.states import StateAlreadyUsed, StateExpired, StateUnknown

        try:
            return await self._states.consume(value)
        except StateExpired:
            raise ConnectProblem(
                "This sign-in took too long",
                "For your safety a sign-in must be finished within a few minutes of clicking Connect.",
                next_step="Click the Connect Webex button in Slack again.",
            ) from None
        except StateAlreadyUsed:
            raise ConnectProblem(
                "This sign-in was already used",
                "Each sign-in works once. If you just linked your account, you are all set.",
                next_step="Run /webex status in Slack to check, or /webex connect to start again.",
            ) from None
        except StateUnknown:
            raise ConnectProblem(
                "This sign-in is not one we started",
                "The address does not match any Connect button we gave out.",
                next_step="Run /webex connect in Slack and use its button.",
            ) from None

    async def _store(
        self, grant: TokenGrant, team_id: str, user_id: str, pending: dict[str, Any] | None
    ) -> Linked:
        site = grant.site or self._default_site
        if not site:
            raise ConnectProblem(
                "Your Webex site is unknown",
                "Webex did not say which site your account is on, and no default site is configured.",
                next_step="Ask the person who runs this bot to set WEBEX_SITE.",
            )
        webex_id = grant.user_name or grant.email
        email = grant.email
        if not email and webex_id:
            try:
                user = await self._webex.get_user(WebexCredentials(site, webex_id, grant.access_token))
                email = user.email
            except WebexError:
                logger.warning("GetUser failed while linking team=%s user=%s", team_id, user_id)
        if not webex_id:
            raise ConnectProblem(
                "Your Webex account could not be identified",
                "Webex did not say which account signed in.",
                next_step=TRY_AGAIN_OR_ADMIN,
            )
        try:
            profile = await self._profiles.get(team_id, user_id)
            slack_email, slack_name = profile.email, profile.display_name
        except Exception:
            logger.warning("could not read the Slack profile of team=%s user=%s", team_id, user_id)
            slack_email, slack_name = "", ""
        warning = self._check_email(slack_email, email)
        now = self._clock.now()
        previous = await self._links.get(team_id, user_id)
        link = Link(
            team_id=team_id,
            user_id=user_id,
            site=site,
            webex_id=webex_id,
            email=email,
            scopes=grant.scopes or self._scopes,
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            access_expires_at=now + timedelta(seconds=grant.expires_in),
            refresh_expires_at=now
            + (
                timedelta(seconds=grant.refresh_expires_in)
                if grant.refresh_expires_in
                else DEFAULT_REFRESH_LIFETIME
            ),
            created_at=previous.created_at if previous else now,
            updated_at=now,
        )
        stored = await self._links.save(link)
        logger.info("linked team=%s user=%s to site=%s", team_id, user_id, site)
        return Linked(
            link=stored,
            slack_name=slack_name,
            warning=warning,
            pending=pending,
            replaced=previous is not None,
        )

    def _check_email(self, slack_email: str, webex_email: str) -> str | None:
        if self._email_policy is EmailPolicy.OFF:
            return None
        if slack_email and webex_email and slack_email.casefold() == webex_email.casefold():
            return None
        detail = (
            f"The Webex account ({webex_email or 'no email given'}) does not match your Slack email "
            f"({slack_email or 'not visible to the bot'})."
        )
        if self._email_policy is EmailPolicy.REFUSE:
            raise ConnectProblem(
                "This Webex account was not linked",
                detail + " This workspace only links accounts with the same email.",
                next_step="Sign in to Webex with your own account: run /webex connect in Slack again.",
            )
        return detail + " If this is not your account, run /webex disconnect in Slack."
