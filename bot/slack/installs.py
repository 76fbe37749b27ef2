"""How Bolt finds a workspace's bot token: one configured token, or Slack's OAuth install flow.

Bolt is always given explicit settings, so it never builds its own OAuth flow from SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET in the environment (those also serve Sign in with Slack).
"""

from __future__ import annotations

import logging
from logging import Logger
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings

logger = logging.getLogger(__name__)

# The bot scopes of manifest.yml: what an install asks each workspace for.
BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "users:read", "users:read.email")


class OneWorkspace(AsyncInstallationStore):
    """The single workspace of SLACK_BOT_TOKEN, as an installation: every request gets that token.

    Its bot and team ids come from auth.test once, as Bolt's single-token mode does.
    """

    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self._client = client
        self._token = token
        self._bot: Bot | None = None

    @property
    def logger(self) -> Logger:
        return logger

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        if self._bot is None:
            me = await self._client.auth_test(token=self._token)
            self._bot = Bot(
                app_id=me.get("app_id"),
                enterprise_id=me.get("enterprise_id"),
                team_id=me.get("team_id"),
                bot_token=self._token,
                bot_id=str(me.get("bot_id") or ""),
                bot_user_id=str(me.get("user_id") or ""),
                is_enterprise_install=bool(me.get("is_enterprise_install")),
                installed_at=0.0,
            )
        return self._bot

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        bot = await self.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None:
            return None
        return Installation(
            app_id=bot.app_id,
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            user_id=user_id or "",
            installed_at=bot.installed_at,
        )

    async def async_save(self, installation: Installation) -> None:
        # Deliberately refused, not unfinished: installing needs the multi-workspace mode (no bot token).
        raise SingleWorkspaceOnly("a bot with SLACK_BOT_TOKEN serves one workspace and takes no installs")


class SingleWorkspaceOnly(RuntimeError):
    """An install reached a bot set up for one workspace (SLACK_BOT_TOKEN): it is refused."""


class InstalledBot(AsyncAuthorize):
    """Each request's bot token, ids and scopes, read from the installation store.

    Bolt's own installation-store authorize also calls auth.test on every request (one more round trip to
    Slack before the ack); everything it would learn is in the installation already.
    """

    def __init__(self, installations: AsyncInstallationStore) -> None:
        # AsyncAuthorize.__init__ sets nothing.
        self._installations = installations

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = await self._installations.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=bool(context.is_enterprise_install),
        )
        if bot is None:
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )


class NoInstalls(AsyncOAuthStateStore):
    """The state store of a bot with one configured token: /slack/install is not served, so no install
    can start, and no `state` is ever accepted."""

    @property
    def logger(self) -> Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        raise RuntimeError("this bot serves the one workspace of SLACK_BOT_TOKEN and takes no installs")

    async def async_consume(self, state: str) -> bool:
        return False


def oauth_settings(
    settings: Settings, installations: AsyncInstallationStore, states: AsyncOAuthStateStore
) -> AsyncOAuthSettings:
    """Bolt's OAuth settings, every value given (none read from the environment)."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_install_callback_url,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        authorization_url=settings.slack_install_authorize_url,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=settings.oauth_state_ttl_seconds,
        logger=logging.getLogger("bot.slack.bolt"),
    )
