"""Linking a Slack user to their own Webex account: connect links, the OAuth round trip, identity checks."""

from __future__ import annotations

import hmac
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.config import EmailPolicy
from bot.domain.accounts import Link, TokenGrant
from bot.domain.clock import Clock
from bot.services.linking_outcomes import (
    TRY_AGAIN_OR_ADMIN,
    ConnectProblem,
    ConnectTokens,
    Identities,
    Linked,
    OwnerNotice,
    ProfilePort,
    SignInUnconfirmed,
    SlackIdentityPort,
    SlackOwner,
    SlackSignInNeeded,
    WebexAccount,
    emails_differ,
)
from bot.services.ports import (
    AuthorizationFailed,
    AuthorizationServer,
    BackendError,
    Credentials,
)

__all__ = [
    "ConnectProblem",
    "ConnectTokens",
    "Linked",
    "LinkingService",
    "OwnerNotice",
    "SignInUnconfirmed",
    "SlackSignInNeeded",
]

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_LIFETIME = timedelta(days=60)
# Slack refuses button URLs longer than 3000 characters; past this a pending command is not carried.
MAX_CONNECT_URL = 2900


class LinkingService:
    """The account-linking use cases, independent of Slack and of the web framework."""

    def __init__(
        self,
        *,
        links: Any,
        states: Any,
        oauth: AuthorizationServer,
        webex: Identities,
        profiles: ProfilePort,
        connect_tokens: ConnectTokens,
        clock: Clock,
        base_url: str,
        scopes: tuple[str, ...],
        default_site: str | None,
        email_policy: EmailPolicy,
        state_ttl: timedelta,
        sign_in: SlackIdentityPort | None = None,
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
        self._sign_in = sign_in

    def connect_url(
        self,
        team_id: str,
        user_id: str,
        pending: dict[str, Any] | None = None,
        extra_scopes: tuple[str, ...] = (),
    ) -> str:
        """The Connect link; `extra_scopes` are asked for on top of the usual ones (incremental consent:
        a permission one feature needs is asked for when someone first uses it)."""
        url = f"{self._base_url}/webex/connect/{self._tokens.issue(team_id, user_id, pending, extra_scopes)}"
        if pending is not None and len(url) > MAX_CONNECT_URL:
            token = self._tokens.issue(team_id, user_id, None, extra_scopes)
            url = f"{self._base_url}/webex/connect/{token}"
        return url

    async def begin(self, token: str) -> str:
        """A Connect button was clicked: make a fresh single-use state and the Webex authorize URL."""
        payload = self._tokens.read(token)
        verifier = self._oauth.new_code_verifier()
        state = await self._states.create(
            team_id=payload["t"],
            user_id=payload["u"],
            code_verifier=verifier,
            pending_command=payload.get("p"),
            ttl=self._state_ttl,
        )
        extra = tuple(str(scope) for scope in payload.get("x") or () if scope not in self._scopes)
        return self._oauth.authorize_url(state=state, code_verifier=verifier, scopes=self._scopes + extra)

    async def complete(self, params: dict[str, str]) -> Linked | SlackSignInNeeded:
        """Webex sent the browser back: check the state, exchange the code, check identity, store the link.

        The Webex account is linked only when its email is the Slack user's; otherwise, as the policy says,
        nothing is stored (ConnectProblem) or the account is held until the browser signs in with Slack.
        """
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
        except AuthorizationFailed as error:
            logger.warning(
                "code exchange failed for team=%s user=%s: %s", state.team_id, state.user_id, error.error
            )
            raise ConnectProblem(
                "Webex did not accept this sign-in",
                "The sign-in could not be completed with Webex"
                + (" (the service did not answer)." if error.error == "temporarily_unavailable" else "."),
                next_step="Run /webex connect in Slack to try again in a minute.",
            ) from None
        account = await self._account(grant, state.team_id, state.user_id)
        owner = await self._owner(state.team_id, state.user_id)
        if owner.email and account.email and owner.email.casefold() == account.email.casefold():
            return await self._save(account, state.team_id, state.user_id, owner.name, state.pending_command)
        if self._email_policy is EmailPolicy.SIGN_IN_WITH_SLACK and self._sign_in is not None:
            # Not stored as a link yet: held (encrypted) on the attempt until Slack says who this browser is.
            sign_in_state = await self._states.hold_for_sign_in(state.state, account.held(), self._state_ttl)
            logger.info(
                "emails differ; asking the browser to sign in with Slack team=%s user=%s",
                state.team_id,
                state.user_id,
            )
            return SlackSignInNeeded(
                url=self._sign_in.authorize_url(state=sign_in_state, team_id=state.team_id),
                sign_in_state=sign_in_state,
                max_age=int(self._state_ttl.total_seconds()),
            )
        logger.info("emails differ; nothing linked team=%s user=%s", state.team_id, state.user_id)
        raise emails_differ(account, owner, state.team_id, state.user_id, state.pending_command)

    async def finish_sign_in(self, params: dict[str, str], browser_proof: str | None) -> Linked:
        """Slack sent the browser back from Sign in with Slack: link the held account only to that user.

        `browser_proof` is the cookie set when the browser was sent to Slack, so a Sign in with Slack
        address carried to another browser cannot finish there.
        """
        sign_in_state = params.get("state", "")
        if not sign_in_state or self._sign_in is None:
            raise ConnectProblem(
                "This sign-in is not one we started",
                "The address does not match any Sign in with Slack step we began.",
                next_step="Run /webex connect in Slack and use its button.",
            )
        # Whatever happens next, this step ends here: the held account is taken off the row at once.
        held = await self._take_held(sign_in_state)
        if not browser_proof or not hmac.compare_digest(browser_proof, sign_in_state):
            raise ConnectProblem(
                "Finish this in the browser you started in",
                "This Sign in with Slack step belongs to another browser window, so nothing was linked "
                "and the Webex account's access was thrown away.",
                next_step="Run /webex connect in Slack and finish the sign-in in the browser where you "
                "click Connect Webex.",
            )
        owner = await self._owner(held.team_id, held.user_id)
        account = WebexAccount.from_held(held.account)
        if params.get("error") or not params.get("code"):
            raise ConnectProblem(
                "Nothing was linked",
                "Slack did not confirm who you are, so the Webex account was not linked and its access "
                "was thrown away.",
                next_step="If you meant to link it, run /webex connect in Slack again and sign in with "
                "Slack when asked.",
            )
        try:
            identity = await self._sign_in.identify(params["code"])
        except SignInUnconfirmed as error:
            logger.warning("Sign in with Slack failed team=%s user=%s: %s", held.team_id, held.user_id, error)
            raise ConnectProblem(
                "Slack did not confirm who you are",
                "The Sign in with Slack step could not be completed, so nothing was linked and the Webex "
                "account's access was thrown away.",
                next_step="Run /webex connect in Slack to try again in a minute.",
            ) from None
        if identity.user_id != held.user_id or not identity.belongs_to(held.team_id):
            logger.warning(
                "Sign in with Slack by another user refused: link was for team=%s user=%s",
                held.team_id,
                held.user_id,
            )
            raise ConnectProblem(
                "This Webex account was not linked",
                f"This Connect link was made for the Slack user {owner.label}, but you signed in to Slack "
                "as someone else. Nothing was stored: the Webex account's access was thrown away.",
                next_step="If you want to link your own Webex account, run /webex connect in Slack "
                "yourself and use its button. Nothing of yours was shared.",
                notice=OwnerNotice(
                    held.team_id,
                    held.user_id,
                    "Someone else finished your Connect Webex link (they signed in to Slack as another "
                    "person), so nothing was linked to your Slack account."
                    + (" The command you started was not run." if held.pending_command else "")
                    + " To link your own Webex account, run `/webex connect` and finish it yourself.",
                ),
            )
        linked = await self._save(account, held.team_id, held.user_id, owner.name, held.pending_command)
        return replace(
            linked,
            warning="The Webex account's email differs from your Slack email; Sign in with Slack "
            "confirmed that you linked it.",
        )

    async def _take_held(self, sign_in_state: str) -> Any:
        from bot.store.states import StateAlreadyUsed, StateExpired, StateUnknown

        try:
            return await self._states.take_held(sign_in_state)
        except StateExpired:
            raise ConnectProblem(
                "This sign-in took too long",
                "For your safety a sign-in must be finished within a few minutes, so nothing was linked.",
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
                "The address does not match any Sign in with Slack step we began.",
                next_step="Run /webex connect in Slack and use its button.",
            ) from None

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

    async def _account(self, grant: TokenGrant, team_id: str, user_id: str) -> WebexAccount:
        """Which Webex account signed in (site, user, email), with the tokens it granted."""
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
                user = await self._webex.who_am_i(Credentials(site, webex_id, grant.access_token))
                email = user.email
            except BackendError:
                logger.warning("GetUser failed while linking team=%s user=%s", team_id, user_id)
        if not webex_id:
            raise ConnectProblem(
                "Your Webex account could not be identified",
                "Webex did not say which account signed in.",
                next_step=TRY_AGAIN_OR_ADMIN,
            )
        now = self._clock.now()
        return WebexAccount(
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
        )

    async def _owner(self, team_id: str, user_id: str) -> SlackOwner:
        """The Slack user who clicked Connect: their profile email and name ('' when unreadable)."""
        try:
            profile = await self._profiles.get(team_id, user_id)
            return SlackOwner(email=profile.email, name=profile.display_name)
        except Exception:
            logger.warning("could not read the Slack profile of team=%s user=%s", team_id, user_id)
            return SlackOwner(email="", name="")

    async def _save(
        self,
        account: WebexAccount,
        team_id: str,
        user_id: str,
        slack_name: str,
        pending: dict[str, Any] | None,
    ) -> Linked:
        now = self._clock.now()
        previous = await self._links.get(team_id, user_id)
        link = Link(
            team_id=team_id,
            user_id=user_id,
            site=account.site,
            webex_id=account.webex_id,
            email=account.email,
            scopes=account.scopes,
            access_token=account.access_token,
            refresh_token=account.refresh_token,
            access_expires_at=account.access_expires_at,
            refresh_expires_at=account.refresh_expires_at,
            created_at=previous.created_at if previous else now,
            updated_at=now,
        )
        stored = await self._links.save(link)
        logger.info("linked team=%s user=%s to site=%s", team_id, user_id, account.site)
        return Linked(
            link=stored,
            slack_name=slack_name,
            warning=None,
            pending=pending,
            replaced=previous is not None,
        )
