"""The Home tab: the person's link, a Connect or Disconnect button, and each feature's section."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.services.errors import LinkExpired, NotLinked
from bot.services.linked_accounts import LinkedAccounts
from bot.slack.connect_prompt import connect_button, disconnect_button
from bot.slack.errors import log_failure
from bot.slack.formatting import slack_date

logger = logging.getLogger("bot.slack.events")

# A feature's part of the Home tab for (team_id, user_id); shown only to linked people.
HomeSection = Callable[[str, str], Awaitable[list[dict[str, Any]]]]
ConnectUrl = Callable[[str, str], str]


def renewed(instant: datetime) -> str:
    """When the link's tokens were last replaced (linked, or renewed by use or by the keep-alive job)."""
    return slack_date(instant, f"{instant:%Y-%m-%d}", "{date_short}")


class HomeTab:
    """Builds and publishes a person's Home tab."""

    def __init__(self, accounts: LinkedAccounts, connect_url: ConnectUrl, slack: AsyncWebClient) -> None:
        self._accounts = accounts
        self._connect_url = connect_url
        self._slack = slack
        self.sections: list[HomeSection] = []

    async def view(self, team_id: str, user_id: str) -> dict[str, Any]:
        link = await self._accounts.link_of(team_id, user_id)
        sections: list[dict[str, Any]] = []
        if link is not None and not link.expired:
            try:
                sections = await self._sections(team_id, user_id)
            except LinkExpired:
                # Webex refused the link while the tab was being made (access withdrawn in Webex): the
                # tab says to reconnect now, not on its next opening.
                link = dataclasses.replace(link, status="expired")
            except NotLinked:
                link = None  # disconnected meanwhile
        url = self._connect_url(team_id, user_id)
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
                {
                    "type": "actions",
                    "elements": [connect_button(url, "Reconnect" if link else "Connect Webex")],
                },
            ]
        else:
            blocks += [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": f"Linked as *{link.email or link.webex_id}* on site *{link.site}*. "
                        f"Last renewed {renewed(link.updated_at)}.",
                    },
                },
                {"type": "actions", "elements": [connect_button(url, "Reconnect"), disconnect_button()]},
                *sections,
            ]
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

    async def _sections(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        """Each feature's part of the tab; one that fails says so in its place (a lapsed link is raised:
        the whole tab then asks to reconnect)."""
        blocks: list[dict[str, Any]] = []
        for section in self.sections:
            try:
                blocks += await section(team_id, user_id)
            except (LinkExpired, NotLinked):
                raise
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
        return blocks

    async def publish(self, team_id: str, user_id: str) -> None:
        view = await self.view(team_id, user_id)
        await self._slack.views_publish(user_id=user_id, view=view)
