"""Slack events: the Home tab, and forgetting people when Slack says their access is gone."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp

from bot.slack.accounts import connect_button, disconnect_button
from bot.slack.errors import log_failure
from bot.slack.router import CommandRouter

if TYPE_CHECKING:
    from bot.bootstrap import Services

logger = logging.getLogger(__name__)


async def home_view(router: CommandRouter, services: Services, team_id: str, user_id: str) -> dict[str, Any]:
    link = await services.links.get(team_id, user_id)
    url = services.linking.connect_url(team_id, user_id)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Webex meetings"}}
    ]
    if link is None or link.expired:
        why = (
            "Your Webex link has expired. Reconnect to keep scheduling from Slack."
            if link is not None
            else "Link your Webex account to schedule, list and cancel meetings right here in Slack."
        )
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text": why}},
            {"type": "actions", "elements": [connect_button(url, "Reconnect" if link else "Connect Webex")]},
        ]
    else:
        blocks += [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"Linked as *{link.email or link.webex_id}* on site *{link.site}*.",
                },
            },
            {"type": "actions", "elements": [connect_button(url, "Reconnect"), disconnect_button()]},
        ]
        for section in router.home_sections:
            try:
                blocks += await section(team_id, user_id, services)
            except Exception as error:
                log_failure(logger, error, f"a Home tab section for team={team_id} user={user_id}")
                blocks.append(
                    {
                        "type": "context",
                        "elements": [
                            {"type": "mrkdwn", "text": "Part of this page could not be loaded just now."}
                        ],
                    }
                )
    blocks += [
        {"type": "divider"},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Type `/webex help` in any channel to see every command."}
            ],
        },
    ]
    return {"type": "home", "blocks": blocks}


async def publish_home(router: CommandRouter, services: Services, team_id: str, user_id: str) -> None:
    view = await home_view(router, services, team_id, user_id)
    await services.slack.views_publish(user_id=user_id, view=view)


def register(app: AsyncApp, router: CommandRouter, services: Services) -> None:
    async def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id = body.get("team_id") or ""
        services.work.spawn(publish_home(router, services, team_id, event["user"]), name="home tab")

    async def on_uninstalled(body: dict[str, Any]) -> None:
        team_id = body.get("team_id") or ""
        removed = await services.tokens.forget_team(team_id)
        services.profiles.forget(team_id)
        logger.info("app uninstalled from team=%s: removed %s links", team_id, removed)

    async def on_tokens_revoked(event: dict[str, Any], body: dict[str, Any]) -> None:
        team_id = body.get("team_id") or ""
        users = (event.get("tokens") or {}).get("oauth") or []
        bots = (event.get("tokens") or {}).get("bot") or []
        for user_id in users:
            await services.tokens.forget_user(team_id, user_id)
            services.profiles.forget(team_id, user_id)
        if bots:
            # The bot's own token is gone: it can no longer act in this workspace at all.
            await services.tokens.forget_team(team_id)
            services.profiles.forget(team_id)
        logger.info("tokens revoked in team=%s: %s users, %s bot tokens", team_id, len(users), len(bots))

    app.event("app_home_opened")(on_home_opened)
    app.event("app_uninstalled")(on_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
