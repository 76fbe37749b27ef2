"""The one message a person gets when Webex refused to renew their link: what happened, and Reconnect."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.connect_prompt import connect_button
from bot.slack.home import ConnectUrl

TEXT = (
    ":warning: Webex would not renew your link, so webex-bot can no longer act for you "
    "(the access was probably withdrawn in Webex, or the password changed). Reconnect to keep scheduling "
    "from Slack; your meetings stay on Webex."
)


class LapsedLinkNotice:
    """Sent by the keep-alive job; the link is marked expired at the same time, so it is sent once."""

    def __init__(self, slack: AsyncWebClient, connect_url: ConnectUrl) -> None:
        self._slack = slack
        self._connect_url = connect_url

    async def __call__(self, team_id: str, user_id: str) -> None:
        url = self._connect_url(team_id, user_id)
        await self._slack.chat_postMessage(
            channel=user_id,
            text=TEXT,
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": TEXT}},
                {"type": "actions", "elements": [connect_button(url, "Reconnect")]},
            ],
        )
