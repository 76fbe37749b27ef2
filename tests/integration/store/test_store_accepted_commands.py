"""Accepted commands on a real database: recorded sealed, heartbeated by their owner, taken over once by
another process when the owner falls silent, and answered late through the response_url or a DM."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.domain.clock import FakeClock
from bot.slack import texts
from bot.slack.recovery import CommandRecovery
from bot.slack.replies import Blocks, Reply
from bot.store import Database, OperationStore, TokenCipher
from bot.store.leases import JobLeases

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SILENT = timedelta(seconds=30)
COMMAND = {
    "text": "schedule Standup tomorrow 9am with ana@example.com",
    "channel_id": "C1",
    "response_url": "https://hooks.slack.com/commands/T1/1/secret",
    "trigger_id": "trigger-1",
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher([Fernet.generate_key().decode()])


def process(database: Database, clock: FakeClock, cipher: TokenCipher, name: str) -> OperationStore:
    return OperationStore(database, clock, owner=name, cipher=cipher)


async def test_a_command_is_sealed_and_answered_once_by_its_owner(
    database: Database, clock: FakeClock, cipher: TokenCipher
) -> None:
    first = process(database, clock, cipher, "host:1:a")
    assert await first.accept("command:T1:U1:trigger-1", "T1", "U1", COMMAND)
    assert not await first.accept("command:T1:U1:trigger-1", "T1", "U1", COMMAND)  # delivered again
    async with database.engine.connect() as connection:
        stored = str(await connection.scalar(text("SELECT request FROM operations")))
    # What the person typed and the response_url (which can post to their channel) are not readable.
    assert "ana@example.com" not in stored and "hooks.slack.com" not in stored
    assert await first.answered("command:T1:U1:trigger-1", "ok")
    assert not await first.answered("command:T1:U1:trigger-1", "ok")
    clock.advance(SILENT * 2)
    assert await first.abandoned(SILENT) == []


async def test_a_command_is_kept_for_its_person_after_it_is_answered_until_purged(
    database: Database, clock: FakeClock, cipher: TokenCipher
) -> None:
    first = process(database, clock, cipher, "host:1:a")
    other = process(database, clock, cipher, "host:2:b")  # any process reads it, as a button press may land
    await first.accept("form:T1:U1:V1", "T1", "U1", COMMAND)
    await first.answered("form:T1:U1:V1", "failed")
    assert await other.kept("form:T1:U1:V1", "T1", "U1") == COMMAND
    assert await other.kept("form:T1:U1:V1", "T1", "U2") is None  # someone else's
    assert await other.kept("form:T1:U1:V1", "T2", "U1") is None
    assert await other.kept("form:T1:U1:V9", "T1", "U1") is None
    stranger = OperationStore(
        database, clock, owner="host:3:c", cipher=TokenCipher([Fernet.generate_key().decode()])
    )
    assert await stranger.kept("form:T1:U1:V1", "T1", "U1") is None  # sealed under a key since dropped
    clock.advance(timedelta(days=8))
    await other.purge(older_than=timedelta(days=7))
    assert await other.kept("form:T1:U1:V1", "T1", "U1") is None


async def test_a_silent_owners_commands_go_to_exactly_one_other_process(
    database: Database, clock: FakeClock, cipher: TokenCipher
) -> None:
    dead = process(database, clock, cipher, "host:1:dead")
    alive = process(database, clock, cipher, "host:2:alive")
    await dead.accept("command:T1:U1:t1", "T1", "U1", COMMAND)
    creating = await dead.begin("schedule:T1:U1:t1", "T1", "U1", "schedule", {"topic": "Standup"})
    await alive.accept("command:T1:U2:t2", "T1", "U2", COMMAND)
    clock.advance(SILENT - timedelta(seconds=1))
    assert await alive.heartbeat() == 1  # its own, alive command only
    assert await alive.abandoned(SILENT) == []  # nobody silent long enough yet
    clock.advance(timedelta(seconds=2))

    [found] = await alive.abandoned(SILENT)
    assert (found.key, found.user_id, found.command) == ("command:T1:U1:t1", "U1", COMMAND)
    # The dead owner's create is closed, so the retry looks for its meeting before making one.
    closed = await alive.get(creating.key)
    assert closed is not None and closed.status == "failed"
    others = [process(database, clock, cipher, f"host:{n}:racer") for n in range(3, 8)]
    taken = await asyncio.gather(*(store.take_over(found.key, SILENT) for store in [alive, *others]))
    assert sorted(taken) == [False] * 5 + [True]
    assert await alive.abandoned(SILENT) == []  # the new owner's heartbeat is fresh


class Rerun:
    def __init__(self) -> None:
        self.accepting = True
        self.runs: list[tuple[str, dict[str, Any], Reply]] = []

    def recover(self, key: str, team_id: str, user_id: str, command: dict[str, Any], reply: Reply) -> None:
        self.runs.append((key, command, reply))


class Sent:
    def __init__(self, how: str) -> None:
        self.how = how
        self.messages: list[tuple[str, Blocks | None]] = []

    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        self.messages.append((text, blocks))


class Replies:
    def __init__(self) -> None:
        self.made: list[Sent] = []

    def to(self, response_url: str | None, user_id: str, channel_id: str | None) -> Sent:
        self.made.append(Sent(f"response_url {response_url}"))
        return self.made[-1]

    def direct(self, user_id: str, channel_id: str | None) -> Sent:
        self.made.append(Sent(f"DM {user_id}" if channel_id is None else f"ephemeral {channel_id}"))
        return self.made[-1]


async def test_recovery_answers_through_the_response_url_while_valid_then_by_dm(
    database: Database, clock: FakeClock, cipher: TokenCipher
) -> None:
    dead = process(database, clock, cipher, "host:1:dead")
    await dead.accept("command:T1:U1:old", "T1", "U1", {**COMMAND, "trigger_id": "old"})
    clock.advance(timedelta(minutes=31))
    await dead.accept("command:T1:U1:recent", "T1", "U1", COMMAND)
    clock.advance(SILENT + timedelta(seconds=1))
    alive = process(database, clock, cipher, "host:2:alive")
    rerun, replies = Rerun(), Replies()
    recovery = CommandRecovery(
        alive,
        JobLeases(database, clock, alive.owner),
        rerun,
        replies,
        clock,
        silent_for=SILENT,
    )
    assert await recovery.beat_and_recover() == 2
    assert [key for key, _, _ in rerun.runs] == ["command:T1:U1:old", "command:T1:U1:recent"]
    # Accepted 31 minutes ago: its response_url has expired, so the answer goes to a DM.
    assert [sent.how for sent in replies.made] == ["DM U1", f"response_url {COMMAND['response_url']}"]
    assert await recovery.beat_and_recover() == 0  # taken: not run twice

    reply = rerun.runs[0][2]
    await reply.send(
        "Standup · Tue 2 Dec, 09:00", [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]
    )
    await reply.send("second message")
    [(first_text, first_blocks), (second_text, _)] = replies.made[0].messages
    assert first_text.startswith(texts.DELAYED) and first_blocks is not None
    assert first_blocks[0]["elements"][0]["text"] == texts.DELAYED and len(first_blocks) == 2
    assert second_text == "second message"  # said once, not on every message


async def test_a_stopping_process_takes_over_nothing(
    database: Database, clock: FakeClock, cipher: TokenCipher
) -> None:
    dead = process(database, clock, cipher, "host:1:dead")
    await dead.accept("command:T1:U1:t1", "T1", "U1", COMMAND)
    clock.advance(SILENT * 2)
    alive = process(database, clock, cipher, "host:2:alive")
    rerun = Rerun()
    rerun.accepting = False
    recovery = CommandRecovery(
        alive,
        JobLeases(database, clock, alive.owner),
        rerun,
        Replies(),
        clock,
        silent_for=SILENT,
    )
    assert await recovery.beat_and_recover() == 0 and rerun.runs == []


async def test_a_form_taken_over_answers_in_the_channel_it_was_opened_from(
    database: Database, clock: FakeClock, cipher: TokenCipher
) -> None:
    dead = process(database, clock, cipher, "host:1:dead")
    form = {
        "kind": "form:meeting.schedule",
        "record": {"key": "k"},
        "response_url": None,
        "reply_channel": "C9",
    }
    await dead.accept("form:meeting.schedule:T1:U1:V1", "T1", "U1", form)
    clock.advance(SILENT + timedelta(seconds=1))
    alive = process(database, clock, cipher, "host:2:alive")
    rerun, replies = Rerun(), Replies()
    recovery = CommandRecovery(
        alive, JobLeases(database, clock, alive.owner), rerun, replies, clock, silent_for=SILENT
    )
    assert await recovery.beat_and_recover() == 1
    assert [(key, command) for key, command, _ in rerun.runs] == [("form:meeting.schedule:T1:U1:V1", form)]
    # A form has no response_url: the ephemeral message it would have answered with, in its channel.
    assert [sent.how for sent in replies.made] == ["ephemeral C9"]


async def test_a_record_sealed_with_a_key_no_longer_held_is_skipped_with_a_warning(
    database: Database, clock: FakeClock, cipher: TokenCipher, caplog: pytest.LogCaptureFixture
) -> None:
    retired = TokenCipher([Fernet.generate_key().decode()])
    await process(database, clock, retired, "host:1:dead").accept("command:T1:U1:old", "T1", "U1", COMMAND)
    await process(database, clock, cipher, "host:2:dead").accept("command:T1:U2:new", "T1", "U2", COMMAND)
    clock.advance(SILENT + timedelta(seconds=1))
    alive = process(database, clock, cipher, "host:3:alive")
    rerun = Rerun()
    recovery = CommandRecovery(
        alive, JobLeases(database, clock, alive.owner), rerun, Replies(), clock, silent_for=SILENT
    )
    with caplog.at_level("WARNING"):
        assert await recovery.beat_and_recover() == 1
    # The readable one is run again; the other cannot be, and says so instead of failing the round.
    assert [key for key, _, _ in rerun.runs] == ["command:T1:U2:new"]
    assert any(
        "command:T1:U1:old" in r.getMessage() and "cannot be read" in r.getMessage() for r in caplog.records
    )
    # Closed for good: the next round neither finds it nor warns about it again.
    caplog.clear()
    clock.advance(SILENT + timedelta(seconds=1))
    with caplog.at_level("WARNING"):
        await recovery.beat_and_recover()
    assert not any("cannot be read" in r.getMessage() for r in caplog.records)
    assert (await alive.get("command:T1:U1:old")).status == "failed"  # type: ignore[union-attr]
