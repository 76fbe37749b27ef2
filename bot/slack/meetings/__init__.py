"""Meetings from Slack: the schedule, list, cancel, now, join and edit commands, buttons and forms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot.slack.errors import add_explainer
from bot.slack.meetings import actions, commands, views
from bot.slack.meetings.home import home_section
from bot.slack.meetings.texts import explain_meeting_error
from bot.slack.router import CommandRouter

if TYPE_CHECKING:
    from bot.bootstrap import Services

__all__ = ["home_section", "register"]

# Once per process: the general mapper asks this first, however many apps tests build.
add_explainer(explain_meeting_error)


def register(app: AsyncApp, router: CommandRouter, services: Services) -> None:
    """Add the meeting subcommands, buttons, forms and the Home tab section."""
    for subcommand in commands.subcommands():
        router.add(subcommand)
    actions.register(app, router, services)
    views.register(app, router, services)
    router.home_sections.append(home_section)
