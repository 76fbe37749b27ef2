"""Builds the Bolt app: verification on, ack first, every feature registered."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack import accounts, events, meetings
from bot.slack.request_context import RequestContextMiddleware
from bot.slack.router import CommandRouter
from bot.slack.sealed import CheckSealedValues

if TYPE_CHECKING:
    from bot.bootstrap import Services


def build_slack_app(services: Services) -> tuple[AsyncApp, CommandRouter]:
    with _hidden_from_bolt("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        app = _new_app(services)
    # After Bolt's own signature check: names the request for log lines and metrics.
    app.use(RequestContextMiddleware(services.tracing))
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


def _new_app(services: Services) -> AsyncApp:
    return AsyncApp(
        client=services.slack,
        signing_secret=services.settings.slack_signing_secret.get_secret_value(),
        # Listeners ack and hand slow work to services.work, so the HTTP answer goes out at once
        # instead of waiting on Bolt's 10 ms ack poll.
        process_before_response=True,
        logger=logging.getLogger("bot.slack.bolt"),
    )


@contextlib.contextmanager
def _hidden_from_bolt(*names: str) -> Iterator[None]:
    """Bolt looks these up in the environment and, finding both, turns on its own OAuth install flow and
    drops the bot token. Here they serve Sign in with Slack, and the settings (bot.config), not the
    environment, decide how Bolt authorizes; so Bolt is built without seeing them (start-up, one thread).
    """
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)
