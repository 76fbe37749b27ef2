"""Meetings from Slack: the schedule, list, cancel, now, join and edit commands, buttons and forms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack.errors import add_explainer
from bot.slack.meetings import actions, blocks, commands, views
from bot.slack.meetings.home import home_section
from bot.slack.meetings.texts import explain_meeting_error
from bot.slack.router import CommandRouter

if TYPE_CHECKING:
    from bot.bootstrap import Services

__all__ = ["SEALED_ACTIONS", "SEALED_VIEWS", "home_section", "register"]

# The buttons and forms whose value or private_metadata the listeners read back: sealed when they go out
# (services.sealed), opened before a listener runs (bot/slack/sealed.py).
SEALED_ACTIONS = frozenset(
    {blocks.SHARE, blocks.EDIT, blocks.CANCEL, blocks.KEEP, blocks.MORE, blocks.OPEN_FORM}
)
SEALED_VIEWS = frozenset({blocks.SCHEDULE_VIEW, blocks.EDIT_VIEW})

# Once per process: the general mapper asks this first, however many apps tests build.
add_explainer(explain_meeting_error)


def register(app: AsyncApp, router: CommandRouter, services: Services) -> None:
    """Add the meeting subcommands, buttons, forms and the Home tab section."""
    for subcommand in commands.subcommands():
        router.add(subcommand)
    actions.register(app, router, services)
    views.register(app, router, services)
    router.home_sections.append(home_section)
