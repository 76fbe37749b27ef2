"""The emulator's --help format: each option's default beside it, unless the default would mislead.

The emulator is a separate implementation of Webex and shares no code with the bot, so it keeps this
small formatter of its own rather than borrowing the bot's.
"""

from __future__ import annotations

import argparse


class HelpWithDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's defaults formatter, quiet where a default would mislead: a default of None, False or
    empty shows nothing, and help that already names its default in words keeps its own."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        empty = action.default is None or action.default is False or action.default in ([], ())
        if empty or "default" in text:
            return action.help
        return super()._get_help_string(action)
