"""The help format every `webex-bot` command shares: each option's default is shown beside it."""

from __future__ import annotations

import argparse

__all__ = ["HelpWithDefaults"]


class HelpWithDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's defaults formatter, quiet where a default would mislead.

    An option whose default is None, False or empty (a flag that is off, a value worked out at run time,
    a list to repeat into) shows none, and help that already names its default in words ("default: any
    free port") keeps its own.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        empty = action.default is None or action.default is False or action.default in ([], ())
        if empty or "default" in text:
            return action.help
        return super()._get_help_string(action)
