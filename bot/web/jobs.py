"""The bot's timed jobs, reminders and link keep-alive: each takes its turn through the job lease, so it
runs in one process however many serve; a reminder is also claimed row by row, so it is sent once even
when two processes run the job at the same moment (the sandbox's `:wait`, a lease that outlived)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Protocol

from bot.services.keep_alive import KeepAliveRun, LinkKeeper, TellRefused
from bot.services.reminders import LookUpMeeting, ReminderService, SendReminder

logger = logging.getLogger(__name__)

REMINDERS_JOB = "reminders"
KEEP_ALIVE_JOB = "link_keep_alive"
KEEP_ALIVE_EVERY = timedelta(days=1)
# Reminders of meetings that ended this long ago are forgotten by the daily run.
FORGET_REMINDERS_AFTER = timedelta(days=1)


class Turns(Protocol):
    """The job lease (bot.store.leases.JobLeases)."""

    async def take_turn(self, name: str, every: timedelta) -> datetime | None: ...


class TimedJobs:
    """Sends due reminders every few seconds and keeps links alive daily, each in one process at a time."""

    def __init__(
        self,
        *,
        reminders: ReminderService,
        send_reminder: SendReminder,
        keeper: LinkKeeper,
        tell_refused: TellRefused,
        leases: Turns,
        reminder_every: timedelta,
        look_up_meeting: LookUpMeeting | None = None,
    ) -> None:
        self._reminders = reminders
        self._look_up_meeting = look_up_meeting
        self._send_reminder = send_reminder
        self._keeper = keeper
        self._tell_refused = tell_refused
        self._leases = leases
        self._reminder_every = reminder_every

    async def send_reminders(self) -> int:
        """Every reminder that is due now, each sent once (checked with Webex first); how many this
        process sent."""
        return await self._reminders.send_due(self._send_reminder, self._look_up_meeting)

    async def keep_links_alive(self) -> KeepAliveRun:
        run = await self._keeper.renew_lapsing(self._tell_refused)
        await self._reminders.purge(FORGET_REMINDERS_AFTER)
        return run

    async def take_turns(self) -> None:
        """Run each job whose turn has come and that no other process took."""
        if await self._leases.take_turn(REMINDERS_JOB, self._reminder_every) is not None:
            await self.send_reminders()
        if await self._leases.take_turn(KEEP_ALIVE_JOB, KEEP_ALIVE_EVERY) is not None:
            await self.keep_links_alive()

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self._reminder_every.total_seconds())
            try:
                await self.take_turns()
            except Exception:
                logger.warning("timed jobs could not run; will try again", exc_info=True)
