"""The bot's timed jobs, reminders, link keep-alive and the channel cards' check: each takes its turn
through the job lease, so it runs in one process however many serve; a reminder is also claimed row by
row, so it is sent once even when two processes run the job at the same moment (the sandbox's `:wait`, a
lease that outlived)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Protocol

from bot.services.card_check import CardCheck, CardCheckRun, CopyWriter
from bot.services.keep_alive import KeepAliveRun, LinkKeeper, TellRefused
from bot.services.reminders import LookUpMeeting, ReminderService, SendReminder

logger = logging.getLogger(__name__)

REMINDERS_JOB = "reminders"
KEEP_ALIVE_JOB = "link_keep_alive"
CARD_CHECK_JOB = "channel_card_check"
KEEP_ALIVE_EVERY = timedelta(days=1)
# Reminders of meetings that ended this long ago are forgotten by the daily run.
FORGET_REMINDERS_AFTER = timedelta(days=1)


class Turns(Protocol):
    """The job lease (bot.store.leases.JobLeases)."""

    async def take_turn(self, name: str, every: timedelta) -> datetime | None: ...


class TimedJobs:
    """Sends due reminders every few seconds, keeps links alive daily and checks channel cards against
    Webex every few minutes (`card_check_every`, None: never), each in one process at a time."""

    def __init__(
        self,
        *,
        reminders: ReminderService,
        send_reminder: SendReminder,
        keeper: LinkKeeper,
        tell_refused: TellRefused,
        leases: Turns,
        reminder_every: timedelta,
        card_check: CardCheck | None = None,
        card_writer: CopyWriter | None = None,
        card_check_every: timedelta | None = None,
        look_up_meeting: LookUpMeeting | None = None,
    ) -> None:
        self._reminders = reminders
        self._look_up_meeting = look_up_meeting
        self._send_reminder = send_reminder
        self._keeper = keeper
        self._tell_refused = tell_refused
        self._leases = leases
        self._reminder_every = reminder_every
        self._card_check = card_check
        self._card_writer = card_writer
        self._card_check_every = card_check_every

    async def send_reminders(self) -> int:
        """Every reminder that is due now, each sent once (checked with Webex first); how many this
        process sent."""
        return await self._reminders.send_due(self._send_reminder, self._look_up_meeting)

    async def keep_links_alive(self) -> KeepAliveRun:
        run = await self._keeper.renew_lapsing(self._tell_refused)
        await self._reminders.purge(FORGET_REMINDERS_AFTER)
        return run

    async def check_channel_cards(self) -> CardCheckRun:
        """Every channel card of a meeting changed or deleted on Webex itself shows it as it is now."""
        if self._card_check is None or self._card_writer is None:
            return CardCheckRun()
        return await self._card_check.check(self._card_writer)

    async def take_turns(self) -> None:
        """Run each job whose turn has come and that no other process took."""
        if await self._leases.take_turn(REMINDERS_JOB, self._reminder_every) is not None:
            await self.send_reminders()
        if await self._leases.take_turn(KEEP_ALIVE_JOB, KEEP_ALIVE_EVERY) is not None:
            await self.keep_links_alive()
        every = self._card_check_every
        if every is not None and await self._leases.take_turn(CARD_CHECK_JOB, every) is not None:
            await self.check_channel_cards()

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self._reminder_every.total_seconds())
            try:
                await self.take_turns()
            except Exception:
                logger.warning("timed jobs could not run; will try again", exc_info=True)
