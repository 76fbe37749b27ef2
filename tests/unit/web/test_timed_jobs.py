"""The timed jobs take their turns through the job lease: of two processes, one runs each turn."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.keep_alive import KeepAliveRun
from bot.web.jobs import KEEP_ALIVE_JOB, REMINDERS_JOB, TimedJobs


class Lease:
    """One lease row per job shared by the processes: the first to ask in a turn gets it."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    async def take_turn(self, name: str, every: timedelta) -> datetime | None:
        if name in self.taken:
            return None
        self.taken.add(name)
        return datetime(2030, 1, 1)


class Counting:
    def __init__(self) -> None:
        self.reminder_runs = 0
        self.keep_alive_runs = 0

    async def send_due(self, send: object, look_up: object = None) -> int:
        self.reminder_runs += 1
        return 0

    async def renew_lapsing(self, tell: object) -> KeepAliveRun:
        self.keep_alive_runs += 1
        return KeepAliveRun()

    async def purge(self, older_than: timedelta) -> int:
        return 0


async def nothing(*args: object) -> None:
    return None


async def test_of_two_processes_only_the_one_holding_the_turn_runs_each_job() -> None:
    lease, work = Lease(), Counting()
    processes = [
        TimedJobs(
            reminders=work,  # type: ignore[arg-type]
            send_reminder=nothing,
            keeper=work,  # type: ignore[arg-type]
            tell_refused=nothing,
            leases=lease,
            reminder_every=timedelta(seconds=30),
        )
        for _ in range(2)
    ]
    for process in processes:
        await process.take_turns()
    assert (work.reminder_runs, work.keep_alive_runs) == (1, 1)
    assert lease.taken == {REMINDERS_JOB, KEEP_ALIVE_JOB}
