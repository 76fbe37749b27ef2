"""Sign in with Slack (OpenID Connect): which Slack user a browser belongs to, as Slack itself says."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.workspaces import Workspace
from bot.services.linking import SignInUnconfirmed

logger = logging.getLogger(__name__)

SCOPES = ("openid", "email", "profile")


@dataclass(frozen=True)
class SlackIdentity:
    """Who signed in, from openid.connect.userInfo."""

    team_id: str
    user_id: str
    name: str
    enterprise_id: str = ""

    def belongs_to(self, workspace_key: str) -> bool:
        """Whether this is a member of the workspace (or, for an org-wide install, the organization)."""
        workspace = Workspace.from_key(workspace_key)
        if workspace.org_wide:
            return workspace.enterprise_id == self.enterprise_id
        return (workspace.enterprise_id, workspace.team_id) == (self.enterprise_id, self.team_id)


class SlackSignIn:
    """The authorize URL for one attempt, and the code exchanged for the identity behind it."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        authorize_url: str,
    ) -> None:
        # A client of its own, without the bot token: these calls authenticate as the app or the user.
        self._client = client
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._urls = OpenIDConnectAuthorizeUrlGenerator(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=list(SCOPES),
            authorization_url=authorize_url,
        )

    def authorize_url(self, *, state: str, team_id: str) -> str:
        """Slack's sign-in page for this attempt, with the workspace of the user who asked preselected."""
        # Slack preselects a workspace by its team id; an org-wide install has none to preselect.
        return self._urls.generate(state=state, team=Workspace.from_key(team_id).team_id or None)

    async def identify(self, code: str) -> SlackIdentity:
        """Exchange the code and ask Slack whose it is; raises SignInUnconfirmed."""
        try:
            # The same method as AsyncWebClient.openid_connect_token, with the app's credentials in the form
            # body (Slack takes either): that helper's HTTP Basic path goes through aiohttp's deprecated
            # BasicAuth.
            tokens = await self._client.api_call(
                "openid.connect.token",
                data={
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "code": code,
                    "redirect_uri": self._redirect_uri,
                },
            )
            info = await self._client.openid_connect_userInfo(token=str(tokens["access_token"]))
        except SlackApiError as error:
            raise SignInUnconfirmed(str(error.response.get("error") or "refused")) from None
        except (SlackClientError, OSError, TimeoutError) as error:
            logger.warning("Sign in with Slack could not reach Slack: %s", type(error).__name__)
            raise SignInUnconfirmed("unreachable") from None
        team_id = str(info.get("https://slack.com/team_id") or "")
        user_id = str(info.get("https://slack.com/user_id") or info.get("sub") or "")
        if not team_id or not user_id:
            raise SignInUnconfirmed("no user in the answer")
        return SlackIdentity(
            team_id=team_id,
            user_id=user_id,
            name=str(info.get("name") or ""),
            enterprise_id=str(info.get("https://slack.com/enterprise_id") or ""),
        )
