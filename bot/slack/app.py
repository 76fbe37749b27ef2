"""Builds the Bolt app: verification on, ack first, every feature registered."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack import accounts, events, meetings
from bot.slack.router import CommandRouter
from bot.slack.sealed import CheckSealedValues

if TYPE_CHECKING:
    from bot.bootstrap import Services


def build_slack_app(services: Services) -> tuple[AsyncApp, CommandRouter]:
    app = AsyncApp(
        client=services.slack,
        signing_secret=services.settings.slack_signing_secret.get_secret_value(),
        # Listeners ack and hand slow work to services.work, so the HTTP answer goes out at once
        # instead of waiting on Bolt's 10 ms ack poll.
        process_before_response=True,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    router = CommandRouter(services)
    # Button values and form metadata the bot wrote come back through Slack: opened (or refused) here,
    # before any listener reads them.
    app.use(
        CheckSealedValues(
            services.sealed, router, services, actions=meetings.SEALED_ACTIONS, views=meetings.SEALED_VIEWS
        )
    )
    # Registration order is the order `/webex help` lists the subcommands in.
    meetings.register(app, router, services)
    accounts.register(app, router, services)
    events.register(app, router, services)
    router.register(app)
    return app, router
