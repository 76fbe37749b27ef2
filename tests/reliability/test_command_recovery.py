"""A process killed with commands acked but not answered: another process (or the same one restarted)
finishes every one of them, answers each person once with a word that it was late, and makes each
meeting at most once."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import pytest
from sqlalchemy import text

from bot.emulator import Emulator, Fault
from bot.sandbox.driver import Exchange
from bot.slack import texts
from bot.store.database import Database
from tests.e2e.meetings.conftest import shown_text
from tests.reliability.conftest import Launch, link
from tests.reliability.test_webex_faults import spent
from tests.support.emulator import ALICE
from tests.support.slack import DriverFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("database_backend", ["sqlite", "postgresql"], indirect=True),
]

IN_FLIGHT = 20
RECOVERY_SECONDS = 3


async def test_every_command_in_flight_when_the_process_is_killed_is_answered_once_and_made_once(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    # No per-user limits: twenty creations at once by one person is the point here.
    bot = await launch(
        command_recovery_seconds=RECOVERY_SECONDS, user_max_in_flight=0, user_rate_limit_per_minute=0
    )
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    await link(alice, ALICE)
    # Webex is slow: every create has reached it, none has been answered, when the process dies.
    slow = emulator.add_fault(Fault.latency(2.0, operation="CreateMeeting", count=IN_FLIGHT))
    exchanges = await asyncio.gather(
        *(alice.command(f"schedule Recovered {n} tomorrow 3pm") for n in range(IN_FLIGHT))
    )
    assert all(exchange.status == 200 for exchange in exchanges)
    await spent(emulator, slow, timeout=15)
    bot.signal(signal.SIGKILL)
    assert await bot.wait(10) == -signal.SIGKILL
    assert [alice.replies_so_far(exchange) for exchange in exchanges] == [[]] * IN_FLIGHT

    again = await launch(settings=bot.settings)
    answers = await asyncio.gather(*(alice.wait_replies(exchange, 1, timeout=30) for exchange in exchanges))
    for n, ((answer,), exchange) in enumerate(zip(answers, exchanges, strict=True)):
        shown = shown_text(answer)
        assert f"Recovered {n}" in shown and texts.DELAYED in shown, shown
        assert answer.method == "response_url"  # within its 30 minutes: in the conversation it came from
        assert answer.response_target is not None
        assert answer.response_target.url == exchange.request.response_url
    # A few more recovery rounds change nothing: each command was answered once, each meeting made once.
    await asyncio.sleep(RECOVERY_SECONDS * 2)
    assert [len(alice.replies_so_far(exchange)) for exchange in exchanges] == [1] * IN_FLIGHT
    made = Counter(meeting.conf_name for meeting in emulator.meetings())
    assert made == Counter(f"Recovered {n}" for n in range(IN_FLIGHT))
    assert again.process.returncode is None


async def nothing_accepted(database_url: str, timeout: float = 5.0) -> None:
    """Wait until no command is waiting for its answer to be recorded."""
    database = Database(database_url)
    try:
        for _ in range(int(timeout / 0.05)):
            async with database.engine.connect() as connection:
                waiting = await connection.scalar(
                    text("SELECT count(*) FROM operations WHERE status = 'accepted'")
                )
            if waiting == 0:
                return
            await asyncio.sleep(0.05)
    finally:
        await database.dispose()
    raise AssertionError(f"{waiting} commands still accepted after {timeout} s")


async def test_a_command_answered_before_the_kill_is_not_run_again(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator, database_url: str
) -> None:
    bot = await launch(command_recovery_seconds=RECOVERY_SECONDS)
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    await link(alice, ALICE)
    answered: Exchange = await alice.command("schedule Answered once tomorrow 4pm", replies=1)
    listed = await alice.command("list", replies=1)
    # An answer is recorded just after it is sent: a kill between the two would answer again (at most
    # one database write late; the meeting is still made once). Kill once both are recorded.
    await nothing_accepted(database_url)
    bot.signal(signal.SIGKILL)
    await bot.wait(10)

    again = await launch(settings=bot.settings)
    later = await slack_driver(again.events_url, user_id="U_ALICE").command("status", replies=1)
    await asyncio.sleep(RECOVERY_SECONDS * 2)
    assert len(alice.replies_so_far(answered)) == 1 and len(alice.replies_so_far(listed)) == 1
    assert texts.DELAYED not in "".join(shown_text(call) for call in alice.standin.calls if call.is_reply)
    assert [meeting.conf_name for meeting in emulator.meetings()] == ["Answered once"]
    assert later.replies
