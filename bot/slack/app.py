"""Builds the Bolt app: verification on, ack first, every feature registered."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack import accounts, events
from bot.slack.router import CommandRouter

if TYPE_CHECKING:
    from bot.bootstrap import Services

logger = logging.getLogger(__name__)

# Features that add subcommands, buttons and views of their own, in the order help lists them.
FEATURES = ("bot.slack.meetings",)


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
    for name in FEATURES:
        try:
            feature = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            logger.warning("feature %s is not installed", name)
            continue
        feature.register(app, router, services)
    accounts.register(app, router, services)
    events.register(app, router, services)
    router.register(app)
    return app, router
