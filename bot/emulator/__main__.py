"""`python -m bot.emulator`: the same as `webex-bot emulator`."""

import sys

from bot.emulator.cli import run

raise SystemExit(run(sys.argv[1:]))
