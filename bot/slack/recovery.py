"""Commands, forms and button presses left by a dead process: found through their owner's missing
heartbeat, finished here, and answered with a word that they were delayed.

A slash command is run again from what was typed; a form or a button press from the record its work
runs from, by its kind (bot/slack/after_ack.py `Recoverable`).

Every process heartbeats the records it owns; one process at a time (the job lease) looks for accepted
commands whose owner has been silent for `silent_for`, takes each over with a compare-and-set (so two
processes never both run it) and runs it again. A meeting the dead process may have created is looked
for before one is created (bot.services.scheduling), so nothing is made twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain.clock import Clock
from bot.slack import texts
from bot.slack.replies import Blocks, Reply
from bot.slack.workspaces import speaking_for
from bot.store.operations import AcceptedCommand

logger = logging.getLogger(__name__)

RECOVERY_JOB = "command recovery"
# Slack accepts posts to a command's response_url for 30 minutes; after that the answer goes to a DM.
RESPONSE_URL_LIFETIME = timedelta(minutes=29)


class Journal(Protocol):
    """The accepted commands of every process (bot.store.operations.OperationStore)."""

    async def heartbeat(self) -> int: ...

    async def abandoned(self, silent_for: timedelta) -> Sequence[AcceptedCommand]: ...

    async def take_over(self, key: str, silent_for: timedelta) -> bool: ...


class Rerun(Protocol):
    """What runs a command again (bot.slack.router.CommandRouter)."""

    @property
    def accepting(self) -> bool: ...

    def recover(
        self, key: str, team_id: str, user_id: str, command: dict[str, Any], reply: Reply
    ) -> None: ...


class Answering(Protocol):
    """How to answer a person (bot.slack.replies.Replies)."""

    def to(self, response_url: str | None, user_id: str, channel_id: str | None) -> Reply: ...

    def direct(self, user_id: str, channel_id: str | None) -> Reply: ...


class Turns(Protocol):
    """The job lease: whether this process takes the next turn of a periodic job."""

    async def take_turn(self, name: str, every: timedelta) -> datetime | None: ...


class DelayedReply:
    """A reply whose first message says the answer comes late because the bot restarted."""

    def __init__(self, reply: Reply) -> None:
        self._reply = reply
        self._told = False

    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        if not self._told and not public:
            self._told = True
            note: Blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": texts.DELAYED}]}]
            blocks = note + (blocks or [{"type": "section", "text": {"type": "mrkdwn", "text": text}}])
            text = f"{texts.DELAYED}\n{text}"
        await self._reply.send(text, blocks, replace=replace, public=public)


class CommandRecovery:
    """Heartbeats this process's commands and finishes those of processes that stopped."""

    def __init__(
        self,
        journal: Journal,
        turns: Turns,
        router: Rerun,
        replies: Answering,
        clock: Clock,
        *,
        silent_for: timedelta,
    ) -> None:
        self._journal = journal
        self._turns = turns
        self._router = router
        self._replies = replies
        self._clock = clock
        self._silent_for = silent_for
        # Heartbeats come three times per `silent_for`, so a live process is never taken for dead.
        self.every = silent_for / 3

    async def run(self) -> None:
        """Forever: heartbeat, and when this process has the turn, finish abandoned commands."""
        while True:
            try:
                await self.beat_and_recover()
            except Exception:
                logger.warning("command recovery could not reach the database; will try again", exc_info=True)
            await asyncio.sleep(self.every.total_seconds())

    async def beat_and_recover(self) -> int:
        """One round; how many abandoned commands this process took over."""
        await self._journal.heartbeat()
        if not self._router.accepting:
            return 0
        if await self._turns.take_turn(RECOVERY_JOB, self.every) is None:
            return 0
        taken = 0
        for command in await self._journal.abandoned(self._silent_for):
            if await self._journal.take_over(command.key, self._silent_for):
                taken += 1
                self._finish(command)
        if taken:
            logger.warning("took over %s commands left unanswered by a process that stopped", taken)
        return taken

    def _finish(self, command: AcceptedCommand) -> None:
        response_url = command.command.get("response_url")
        if response_url and self._clock.now() - command.accepted_at < RESPONSE_URL_LIFETIME:
            reply = self._replies.to(response_url, command.user_id, command.command.get("channel_id"))
        else:
            # A DM, or the channel a form would have answered in (a form has no response_url).
            reply = self._replies.direct(command.user_id, command.command.get("reply_channel") or None)
        # Taken over by a background job, not in a Slack request: the work it starts speaks to Slack as
        # the bot of the command's workspace.
        with speaking_for(command.team_id):
            self._router.recover(
                command.key, command.team_id, command.user_id, command.command, DelayedReply(reply)
            )
