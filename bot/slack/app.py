"""Builds the Bolt app: verification on, ack first, every feature registered."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.linked_accounts import LinkedAccounts
from bot.slack import accounts, events, meetings, recordings, reminders
from bot.slack.after_ack import AfterAck
from bot.slack.guard import Guard
from bot.slack.home import HomeTab
from bot.slack.installs import InstalledBot, NoInstalls, OneWorkspace, oauth_settings
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.channel_cards import ChannelCards, FollowedCards
from bot.slack.meetings.form_opener import FormOpener
from bot.slack.replies import Replies
from bot.slack.request_context import RequestContextMiddleware
from bot.slack.router import CommandRouter
from bot.slack.sealed import CheckSealedValues
from bot.slack.workspaces import WorkspaceInstalls, WorkspaceMiddleware

if TYPE_CHECKING:
    from bot.bootstrap import Services


def build_slack_app(services: Services) -> tuple[AsyncApp, CommandRouter]:
    """The Slack side's composition: each listener is given, by name, only what it asks for."""
    app = _new_app(services)
    # After Bolt's own signature check: names the request for log lines and metrics.
    app.use(RequestContextMiddleware(services.tracing))
    # Slack calls made for the request, now or in its background work, go out as its workspace's bot.
    app.use(WorkspaceMiddleware())
    guard = Guard(services.linking.connect_url, services.metrics, services.tracing)
    after_ack = AfterAck(services.work, guard, journal=services.operations)
    replies = Replies(
        services.slack,
        slack_api_url=services.settings.slack_api_url,
        session=services.slack_session,
        retry_handlers=services.slack_retry_handlers,
    )
    router = CommandRouter(after_ack=after_ack, guard=guard, replies=replies)
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
    answers = _answers(services)
    dependencies: dict[str, object] = {
        "accounts": accounts_,
        "after_ack": after_ack,
        "answers": answers,
        "clock": services.clock,
        "forms": FormOpener(
            slack=services.slack, clock=services.clock, answers=answers, meetings=services.meetings
        ),
        "home": home,
        "installs": WorkspaceInstalls(services.installations, services.bot_tokens),
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
    # Bolt tries its listeners in registration order, building each one's arguments to ask whether it
    # matches (tens of microseconds each): /webex, the most frequent request, is tried first.
    router.register(app)
    # Registration order is the order `/webex help` lists the subcommands in.
    meetings.register(app, router, home, dependencies)
    reminders.register(app, router, home, dependencies)
    recordings.register(app, router, dependencies)
    accounts.register(app, router, dependencies)
    events.register(app, dependencies)
    return app, router


def followed_cards(services: Services) -> FollowedCards:
    """What the timed check of channel cards rewrites them with: the card an edit writes."""
    answers = _answers(services)
    return FollowedCards(answers.channel_cards, answers.shared_card)


def _answers(services: Services) -> Answers:
    return Answers(
        profiles=services.profiles,
        meeting_links=services.meeting_links,
        slack=services.slack,
        clock=services.clock,
        meetings=services.meetings,
        channel_cards=ChannelCards(services.slack, services.channel_cards),
        sealed=services.sealed,
    )


class _TokenInTheClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and, given a client as well, warns at every
    start that the token goes unused: it does not, the client carries it. The warning would send an
    operator looking for a fault that is not there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_BOLT_LOGGER = logging.getLogger("bot.slack.bolt")
_BOLT_LOGGER.addFilter(_TokenInTheClient())


def _new_app(services: Services) -> AsyncApp:
    settings = services.settings
    # Bolt would build an OAuth flow of its own from SLACK_CLIENT_ID and SLACK_CLIENT_SECRET in the
    # environment (dropping the bot token) unless it is given one: so it always is, when they are set.
    oauth = None
    authorize = None
    client = services.slack
    if services.installations is not None and services.install_states is not None:
        oauth = oauth_settings(settings, services.installations, services.install_states)
        authorize = InstalledBot(services.installations)
    elif settings.slack_client_id is not None and settings.slack_bot_token is not None:
        # They serve Sign in with Slack here; the one workspace's token stays the only one.
        token = settings.slack_bot_token.get_secret_value()
        one_workspace = OneWorkspace(services.slack, token)
        oauth = oauth_settings(settings, one_workspace, NoInstalls())
        authorize = InstalledBot(one_workspace)
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
        # Every request reaches Bolt through bot.web.slack_gate, which has checked the signature over the
        # raw body already (Socket Mode has none to check): Bolt need not compute the HMAC a second time.
        request_verification_enabled=False,
        oauth_settings=oauth,
        # An AsyncAuthorize is taken as it is (Bolt's own installation-store one is another); the annotation
        # names plain functions only.
        authorize=authorize,  # type: ignore[arg-type]
        # Listeners ack and hand slow work to services.work, so the HTTP answer goes out at once
        # instead of waiting on Bolt's 10 ms ack poll.
        process_before_response=True,
        logger=_BOLT_LOGGER,
    )
