"""Meetings from Slack: the schedule, list, cancel, now, join and edit commands, buttons, forms, shortcuts."""

from __future__ import annotations

from collections.abc import Mapping

from slack_bolt.async_app import AsyncApp

from bot.slack.dependencies import inject
from bot.slack.errors import add_explainer
from bot.slack.home import HomeTab
from bot.slack.meetings import actions, blocks, commands, shortcuts, views
from bot.slack.meetings.home import home_section
from bot.slack.meetings.texts import explain_meeting_error
from bot.slack.router import CommandRouter

__all__ = ["SEALED_ACTIONS", "SEALED_VIEWS", "home_section", "register"]

# The buttons and forms whose value or private_metadata the listeners read back: sealed when they go out
# (Answers.seal), opened before a listener runs (bot/slack/sealed.py).
SEALED_ACTIONS = frozenset(
    {blocks.SHARE, blocks.EDIT, blocks.CANCEL, blocks.KEEP, blocks.MORE, blocks.OPEN_FORM, blocks.REOPEN_FORM}
)
SEALED_VIEWS = frozenset({blocks.SCHEDULE_VIEW, blocks.EDIT_VIEW})

# Once per process: the general mapper asks this first, however many apps tests build.
add_explainer(explain_meeting_error)


def register(app: AsyncApp, router: CommandRouter, home: HomeTab, dependencies: Mapping[str, object]) -> None:
    """Add the meeting subcommands, buttons, forms and the Home tab section."""
    for subcommand in commands.subcommands(dependencies):
        router.add(subcommand)
    actions.register(app, dependencies)
    views.register(app, router, dependencies)
    shortcuts.register(app, router, dependencies)
    home.sections.append(inject(home_section, dependencies, takes=("team_id", "user_id")))
