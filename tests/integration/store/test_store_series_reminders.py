"""A series' reminder row on a real database: after each meeting is reminded it moves to the next one,
once however many processes send, follows an edit of the series, and goes with a cancel."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.clock import FakeClock
from bot.domain.meetings import Meeting
from bot.domain.recurrence import WEEKDAYS, Frequency, Recurrence
from bot.services.reminders import DueReminder, ReminderService
from bot.store.database import Database
from bot.store.operations import OperationStore
from bot.store.reminders import ReminderStore

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAY = Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS)


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


FRIDAY = berlin(2030, 5, 3, 9, 0)  # a Friday


def standup(rule: Recurrence | None = WEEKDAY, start: datetime = FRIDAY) -> Meeting:
    return Meeting("m1", "1", "Standup", start, 15, "Europe/Berlin", recurrence=rule)


class Sent:
    def __init__(self) -> None:
        self.starts: list[datetime] = []

    async def __call__(self, due: DueReminder) -> None:
        await asyncio.sleep(0)  # let a racing process run in between
        self.starts.append(due.stored.starts_at.astimezone(BERLIN))


async def test_the_hosts_reminder_of_a_series_is_sent_before_each_meeting_once_across_processes(
    database: Database,
) -> None:
    clock = FakeClock(FRIDAY - timedelta(hours=1))
    operations = OperationStore(database, clock)
    services = [ReminderService(ReminderStore(database, clock), clock) for _ in range(4)]
    reminder = services[0].host_reminder("T1", "U1", standup())
    assert reminder is not None
    await operations.begin("k1", "T1", "U1", "schedule")
    assert await operations.finish("k1", {"meeting_key": "m1"}, reminder=reminder)
    sent = Sent()
    for day in (berlin(2030, 5, 3, 8, 50), berlin(2030, 5, 6, 8, 50), berlin(2030, 5, 7, 8, 50)):
        clock.set(day - timedelta(minutes=1))
        assert sum(await asyncio.gather(*(s.send_due(sent) for s in services))) == 0  # not yet
        clock.set(day)
        assert sum(await asyncio.gather(*(s.send_due(sent) for s in services))) == 1
    # Friday, then Monday (not the weekend), then Tuesday: each once, each at 09:00 in Berlin.
    assert [d.strftime("%a %d %H:%M") for d in sent.starts] == [
        "Fri 03 09:00",
        "Mon 06 09:00",
        "Tue 07 09:00",
    ]
    [waiting] = await ReminderStore(database, clock).due(berlin(2030, 5, 8, 8, 50))
    assert waiting.starts_at == berlin(2030, 5, 8, 9, 0) and waiting.ends_at == berlin(2030, 5, 8, 9, 15)


async def test_advancing_a_claimed_reminder_happens_once_among_racing_senders(database: Database) -> None:
    clock = FakeClock(FRIDAY - timedelta(minutes=10))
    store = ReminderStore(database, clock)
    await ReminderService(store, clock).meeting_made("T1", "U1", standup())
    [due] = await store.due(clock.now())
    assert await store.claim(due)
    monday = berlin(2030, 5, 6, 9, 0)
    others = [ReminderStore(database, clock) for _ in range(6)]
    moved = await asyncio.gather(*(o.advance(due, monday, monday + timedelta(minutes=15)) for o in others))
    assert sum(moved) == 1
    [next_one] = await store.due(monday)
    assert next_one.starts_at == monday and next_one.due_at == monday - timedelta(minutes=10)
    assert not await store.advance(due, monday, monday)  # the row is no longer at Friday's meeting


async def test_a_meeting_missed_while_no_process_ran_is_dropped_and_the_row_moves_on(
    database: Database,
) -> None:
    clock = FakeClock(FRIDAY - timedelta(hours=1))
    store = ReminderStore(database, clock)
    service = ReminderService(store, clock)
    await service.meeting_made("T1", "U1", standup())
    clock.set(berlin(2030, 5, 3, 12, 0))  # Friday's meeting is over: nothing is sent for it
    sent = Sent()
    assert await service.send_due(sent) == 0
    clock.set(berlin(2030, 5, 6, 8, 50))
    assert await service.send_due(sent) == 1
    assert [d.strftime("%a %d") for d in sent.starts] == ["Mon 06"]


async def test_a_series_that_has_ended_is_left_sent(database: Database) -> None:
    clock = FakeClock(FRIDAY - timedelta(hours=1))
    store = ReminderStore(database, clock)
    service = ReminderService(store, clock)
    await service.meeting_made("T1", "U1", standup(Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS, count=2)))
    sent = Sent()
    for day in (3, 6, 7, 8):
        clock.set(berlin(2030, 5, day, 8, 50))
        await service.send_due(sent)
    assert [d.strftime("%a %d") for d in sent.starts] == ["Fri 03", "Mon 06"]
    assert await store.due(berlin(2031, 1, 1)) == []


async def test_an_edited_series_keeps_moving_by_its_new_rule_and_a_cancelled_one_has_no_reminder(
    database: Database,
) -> None:
    clock = FakeClock(FRIDAY - timedelta(hours=1))
    store = ReminderStore(database, clock)
    service = ReminderService(store, clock)
    await service.meeting_made("T1", "U1", standup())
    await service.meeting_shared("T1", "U1", standup(), "C1")
    sent = Sent()
    clock.set(berlin(2030, 5, 3, 8, 50))
    assert await service.send_due(sent) == 2  # the host and the channel
    # On Saturday the series moves to 10:00 on Tuesdays and Thursdays until 16 May.
    clock.set(berlin(2030, 5, 4, 12, 0))
    edited = Recurrence(Frequency.WEEKLY, weekdays=frozenset({1, 3}), until=date(2030, 5, 16))
    await service.meeting_changed("T1", "U1", standup(edited, berlin(2030, 5, 7, 10, 0)))
    rows = await store.due(berlin(2030, 5, 7, 9, 50))
    assert {(r.recipient, r.starts_at) for r in rows} == {
        ("U1", berlin(2030, 5, 7, 10, 0)),
        ("C1", berlin(2030, 5, 7, 10, 0)),
    }
    for day in (6, 7, 9, 14, 16, 21):
        clock.set(berlin(2030, 5, day, 9, 50))
        await service.send_due(sent)
    assert [d.strftime("%a %d %H:%M") for d in sent.starts[2::2]] == [
        "Tue 07 10:00",
        "Thu 09 10:00",
        "Tue 14 10:00",
        "Thu 16 10:00",
    ]
    await service.meeting_changed("T1", "U1", standup(WEEKDAY, berlin(2030, 5, 22, 9, 0)))
    assert len(await store.due(berlin(2030, 5, 22, 8, 50))) == 2
    await service.meeting_cancelled("T1", "m1")
    assert await store.due(berlin(2031, 1, 1)) == []


async def test_a_series_left_behind_is_moved_on_by_the_cleanup_not_forgotten(database: Database) -> None:
    clock = FakeClock(FRIDAY - timedelta(hours=1))
    store = ReminderStore(database, clock)
    service = ReminderService(store, clock)
    await store.choose("T1", "U_OFF", None)  # this host has reminders off: nothing falls due to move on
    await service.meeting_made("T1", "U_OFF", standup())
    await service.meeting_made("T1", "U1", standup())
    # U1's Friday reminder was claimed by a process that stopped before moving it on.
    clock.set(FRIDAY - timedelta(minutes=10))
    [claimed] = await store.due(clock.now())
    assert await store.claim(claimed)
    clock.set(berlin(2030, 5, 14, 12, 0))  # a week and a half later, the daily cleanup runs
    assert await service.purge(timedelta(days=1)) == 0
    await store.choose("T1", "U_OFF", 5)
    rows = await store.due(berlin(2030, 5, 15, 8, 55))
    assert {(r.host_user_id, r.starts_at, r.due_at) for r in rows} == {
        ("U1", berlin(2030, 5, 15, 9, 0), berlin(2030, 5, 15, 8, 50)),
        ("U_OFF", berlin(2030, 5, 15, 9, 0), berlin(2030, 5, 15, 8, 55)),
    }
    # A single meeting's reminder is still forgotten a day after it ended.
    one_off = Meeting("m2", "2", "One-off", berlin(2030, 5, 15, 15, 0), 30, "Europe/Berlin")
    await service.meeting_made("T1", "U1", one_off)
    clock.set(berlin(2030, 5, 17, 12, 0))
    assert await service.purge(timedelta(days=1)) == 1
