"""Builds the Bolt app: verification on, ack first, every feature registered."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.services.linked_accounts import LinkedAccounts
from bot.slack import accounts, events, meetings, recordings, reminders
from bot.slack.after_ack import AfterAck
from bot.slack.guard import Guard
from bot.slack.home import HomeTab
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.channel_cards import ChannelCards
from bot.slack.meetings.form_opener import FormOpener
from bot.slack.replies import Replies
from bot.slack.request_context import RequestContextMiddleware
from bot.slack.router import CommandRouter
from bot.slack.sealed import CheckSealedValues

if TYPE_CHECKING:
    from bot.bootstrap import Services


def build_slack_app(services: Services) -> tuple[AsyncApp, CommandRouter]:
    """The Slack side's composition: each listener is given, by name, only what it asks for."""
    with _hidden_from_bolt("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        app = _new_app(services)
    # After Bolt's own signature check: names the request for log lines and metrics.
    app.use(RequestContextMiddleware(services.tracing))
    guard = Guard(services.linking.connect_url, services.metrics, services.tracing)
    after_ack = AfterAck(services.work, guard)
    replies = Replies(
        services.slack,
        slack_api_url=services.settings.slack_api_url,
        session=services.slack_session,
        retry_handlers=services.slack_retry_handlers,
    )
    router = CommandRouter(after_ack=after_ack, guard=guard, replies=replies, journal=services.operations)
    # Button values and form metadata the bot wrote come back through Slack: opened (or refused) here,
    # before any listener reads them.
    app.use(
        CheckSealedValues(
            services.sealed,
            replies,
            services.work,
            actions=meetings.SEALED_ACTIONS | recordings.SEALED_ACTIONS,
            views=meetings.SEALED_VIEWS | recordings.SEALED_VIEWS,
        )
    )
    accounts_ = LinkedAccounts(services.links, services.tokens)
    home = HomeTab(accounts_, services.linking.connect_url, services.slack)
    answers = Answers(
        profiles=services.profiles,
        meeting_links=services.meeting_links,
        slack=services.slack,
        clock=services.clock,
        meetings=services.meetings,
        channel_cards=ChannelCards(services.slack, services.channel_cards),
        sealed=services.sealed,
    )
    dependencies: dict[str, object] = {
        "accounts": accounts_,
        "after_ack": after_ack,
        "answers": answers,
        "clock": services.clock,
        "forms": FormOpener(
            slack=services.slack, clock=services.clock, answers=answers, meetings=services.meetings
        ),
        "home": home,
        "linking": services.linking,
        "meeting_links": services.meeting_links,
        "meetings": services.meetings,
        "profiles": services.profiles,
        "recordings": services.recordings,
        "reminders": services.reminders,
        "replies": replies,
        "slack": services.slack,
        "work": services.work,
    }
    # Registration order is the order `/webex help` lists the subcommands in.
    meetings.register(app, router, home, dependencies)
    reminders.register(app, router, home, dependencies)
    recordings.register(app, router, dependencies)
    accounts.register(app, router, dependencies)
    events.register(app, dependencies)
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
