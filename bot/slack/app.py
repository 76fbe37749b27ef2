"""Builds the Bolt app: verification on, ack first, every feature registered."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import accounts, events, meetings
from bot.slack.installs import NoInstalls, OneWorkspace, oauth_settings
from bot.slack.request_context import RequestContextMiddleware
from bot.slack.router import CommandRouter
from bot.slack.sealed import CheckSealedValues
from bot.slack.workspaces import WorkspaceMiddleware

if TYPE_CHECKING:
    from bot.bootstrap import Services


def build_slack_app(services: Services) -> tuple[AsyncApp, CommandRouter]:
    app = _new_app(services)
    # After Bolt's own signature check: names the request for log lines and metrics.
    app.use(RequestContextMiddleware(services.tracing))
    # Slack calls made for the request, now or in its background work, go out as its workspace's bot.
    app.use(WorkspaceMiddleware())
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
    settings = services.settings
    # Bolt would build an OAuth flow of its own from SLACK_CLIENT_ID and SLACK_CLIENT_SECRET in the
    # environment (dropping the bot token) unless it is given one: so it always is, when they are set.
    oauth = None
    client = services.slack
    if services.installations is not None and services.install_states is not None:
        oauth = oauth_settings(settings, services.installations, services.install_states)
    elif settings.slack_client_id is not None and settings.slack_bot_token is not None:
        # They serve Sign in with Slack here; the one workspace's token stays the only one.
        token = settings.slack_bot_token.get_secret_value()
        oauth = oauth_settings(settings, OneWorkspace(services.slack, token), NoInstalls())
        # Bolt takes each request's token from the installation; a client of its own without one keeps it
        # from warning that the token it was given is ignored. Listeners use services.slack.
        client = AsyncWebClient(
            base_url=services.slack.base_url,
            session=services.slack.session,
            retry_handlers=services.slack.retry_handlers,
        )
    return AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        oauth_settings=oauth,
        # Listeners ack and hand slow work to services.work, so the HTTP answer goes out at once
        # instead of waiting on Bolt's 10 ms ack poll.
        process_before_response=True,
        logger=logging.getLogger("bot.slack.bolt"),
    )
