"""Reminder rows on a real database: claimed by exactly one of many racing processes, moved by an edit,
gone after a cancel, and the due time following the host's choice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.domain.clock import FakeClock
from bot.domain.reminders import HostReminder
from bot.services.reminders import DUE_BATCH, DueReminder, ReminderService
from bot.store.database import Database
from bot.store.operations import OperationStore
from bot.store.reminders import HOST, ReminderStore

START = datetime(2030, 5, 6, 15, 0, tzinfo=UTC)


async def put(store: ReminderStore, meeting_id: str = "m1", minutes: int | None = 10) -> None:
    await store.put(
        "T1",
        meeting_id,
        recipient="U1",
        kind=HOST,
        host_user_id="U1",
        topic="Planning",
        starts_at=START,
        ends_at=START + timedelta(minutes=30),
        minutes=minutes,
    )


async def test_many_processes_claiming_one_reminder_give_it_to_exactly_one(database: Database) -> None:
    clock = FakeClock(START - timedelta(minutes=10))
    store = ReminderStore(database, clock)
    await put(store)
    [due] = await store.due(clock.now())
    others = [ReminderStore(database, clock) for _ in range(8)]
    claims = await asyncio.gather(*(other.claim(due) for other in others))
    assert sum(claims) == 1
    assert await store.due(clock.now()) == []


async def test_an_edit_moves_the_due_time_and_a_cancel_removes_it(database: Database) -> None:
    clock = FakeClock(START - timedelta(minutes=10))
    store = ReminderStore(database, clock)
    await put(store)
    [due] = await store.due(clock.now())
    later = START + timedelta(hours=1)
    await store.move(
        "T1", "m1", topic="Planning", starts_at=later, ends_at=later + timedelta(minutes=30), minutes=10
    )
    assert not await store.claim(due)  # read before the edit: the old time no longer holds
    assert await store.due(clock.now()) == []
    [moved] = await store.due(later - timedelta(minutes=10))
    assert moved.starts_at == later
    assert await store.drop_meeting("T1", "m1") == 1
    assert await store.due(later) == []


async def test_a_choice_moves_reminders_not_yet_sent_and_off_stops_them(database: Database) -> None:
    clock = FakeClock(START - timedelta(hours=1))
    store = ReminderStore(database, clock)
    assert await store.choice("T1", "U1", 10) == 10
    await put(store)
    await store.choose("T1", "U1", 15)
    assert await store.choice("T1", "U1", 10) == 15
    assert [r.due_at for r in await store.due(START)] == [START - timedelta(minutes=15)]
    await store.choose("T1", "U1", None)
    assert await store.choice("T1", "U1", 10) is None
    assert await store.due(START) == []


async def test_a_burst_larger_than_a_batch_is_all_sent_in_one_turn_and_a_failure_waits(
    database: Database,
) -> None:
    clock = FakeClock(START - timedelta(hours=1))
    store = ReminderStore(database, clock)
    for n in range(DUE_BATCH + 30):
        await put(store, f"m{n}")
    clock.set(START - timedelta(minutes=10))
    sent: list[str] = []

    async def send(due: DueReminder) -> None:
        if due.meeting_id == "m7":
            raise ConnectionError("Slack did not answer")
        sent.append(due.meeting_id)

    service = ReminderService(store, clock)
    assert await service.send_due(send) == DUE_BATCH + 29
    assert len(set(sent)) == len(sent) == DUE_BATCH + 29
    # The one Slack failed is put back and goes out on the next turn.
    assert [r.meeting_id for r in await store.due(clock.now())] == ["m7"]

    async def send_again(due: DueReminder) -> None:
        sent.append(due.meeting_id)

    assert await service.send_due(send_again) == 1 and sent[-1] == "m7"


def host_reminder(meeting_id: str, host: str = "U1", default_minutes: int | None = 10) -> HostReminder:
    return HostReminder(
        team_id="T1",
        host_user_id=host,
        meeting_id=meeting_id,
        topic="Planning",
        starts_at=START,
        ends_at=START + timedelta(minutes=30),
        default_minutes=default_minutes,
    )


async def test_the_hosts_reminder_is_written_with_the_meetings_record_at_the_lead_time_they_chose(
    database: Database,
) -> None:
    clock = FakeClock(START - timedelta(hours=1))
    store, operations = ReminderStore(database, clock), OperationStore(database, clock)
    await store.choose("T1", "U_FIFTEEN", 15)
    await store.choose("T1", "U_OFF", None)
    for key, host in (("k1", "U_NEVER_CHOSE"), ("k2", "U_FIFTEEN"), ("k3", "U_OFF")):
        await operations.begin(key, "T1", host, "schedule")
        assert await operations.finish(key, {"meeting_key": key}, reminder=host_reminder(key, host))
    due = {r.meeting_id: r.due_at for r in await store.due(START)}
    assert due == {"k1": START - timedelta(minutes=10), "k2": START - timedelta(minutes=15)}  # k3: off
    record = await operations.get("k2")
    assert record is not None and record.status == "done" and record.result == {"meeting_key": "k2"}


async def test_a_record_no_longer_started_writes_no_reminder_and_one_already_there_is_kept(
    database: Database,
) -> None:
    clock = FakeClock(START - timedelta(minutes=10))
    store, operations = ReminderStore(database, clock), OperationStore(database, clock)
    await operations.begin("taken-over", "T1", "U1", "schedule")
    await operations.fail("taken-over", "OwnerStopped")
    assert not await operations.finish("taken-over", {"meeting_key": "m0"}, reminder=host_reminder("m0"))
    assert await store.due(START) == []
    await put(store, "m1")
    [sent] = await store.due(clock.now())
    assert await store.claim(sent)
    await operations.begin("again", "T1", "U1", "schedule")
    assert await operations.finish("again", {"meeting_key": "m1"}, reminder=host_reminder("m1"))
    assert await store.due(START) == []  # still sent: not sent twice
