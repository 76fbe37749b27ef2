"""Slack events: the Home tab, and forgetting people when Slack says their access is gone."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.runtime import BackgroundWork
from bot.services.linked_accounts import LinkedAccounts
from bot.slack.dependencies import inject
from bot.slack.home import HomeTab
from bot.slack.profiles import SlackProfiles
from bot.slack.workspaces import WorkspaceInstalls, workspace_key

logger = logging.getLogger(__name__)


async def on_home_opened(
    event: dict[str, Any], body: dict[str, Any], *, home: HomeTab, work: BackgroundWork
) -> None:
    if event.get("tab", "home") != "home":
        return
    team_id = workspace_key(body)
    work.spawn(home.publish(team_id, event["user"]), name="home tab")


async def on_uninstalled(
    body: dict[str, Any], *, accounts: LinkedAccounts, profiles: SlackProfiles, installs: WorkspaceInstalls
) -> None:
    team_id = workspace_key(body)
    removed = await accounts.forget_team(team_id)
    profiles.forget(team_id)
    await installs.forget(team_id)
    logger.info("app uninstalled from team=%s: removed %s links", team_id, removed)


async def on_tokens_revoked(
    event: dict[str, Any],
    body: dict[str, Any],
    *,
    accounts: LinkedAccounts,
    profiles: SlackProfiles,
    installs: WorkspaceInstalls,
) -> None:
    team_id = workspace_key(body)
    users = (event.get("tokens") or {}).get("oauth") or []
    bots = (event.get("tokens") or {}).get("bot") or []
    for user_id in users:
        await accounts.forget_user(team_id, user_id)
        profiles.forget(team_id, user_id)
    if bots:
        # The bot's own token is gone: it can no longer act in this workspace at all.
        await accounts.forget_team(team_id)
        profiles.forget(team_id)
        await installs.forget(team_id)
    logger.info("tokens revoked in team=%s: %s users, %s bot tokens", team_id, len(users), len(bots))


def register(app: AsyncApp, dependencies: Mapping[str, object]) -> None:
    # Bolt passes a listener the arguments it names (event, body): the rest is injected here.
    app.event("app_home_opened")(inject(on_home_opened, dependencies, takes=("event", "body")))
    app.event("app_uninstalled")(inject(on_uninstalled, dependencies, takes=("body",)))
    app.event("tokens_revoked")(inject(on_tokens_revoked, dependencies, takes=("event", "body")))
