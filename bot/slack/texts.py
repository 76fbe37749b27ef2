"""Words the bot says that are shared across features."""

from __future__ import annotations

# The bot's name in Slack, as manifest.yml sets it (`bot_user.display_name`): what `/invite @...` takes.
BOT_HANDLE = "webex"
INVITE_ME = f"`/invite @{BOT_HANDLE}`"

SHUTTING_DOWN = "webex-bot is restarting right now. Please try again in a few seconds."
WORKING = "Working on it…"
SOMETHING_WENT_WRONG = (
    "Something went wrong on our side and nothing was changed. Please try again; "
    "if it keeps happening, tell the person who runs webex-bot."
)
DELAYED = (
    ":hourglass: Sorry for the wait: webex-bot restarted while working on this, so the answer comes late."
)
CUT_SHORT = (
    "webex-bot was restarted before it could finish this, so it may or may not have happened. "
    "Check with `/webex list` before trying again."
)
