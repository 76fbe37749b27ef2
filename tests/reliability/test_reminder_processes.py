"""Two `webex-bot serve` processes on one PostgreSQL, each running the timed jobs every second: a meeting
made through either is reminded once, by whichever process takes the turn."""

from __future__ import annotations

import asyncio

import pytest

from bot.sandbox import SlackDriver
from bot.sandbox.workspace import RecordedCall
from tests.e2e.meetings.conftest import shown_text
from tests.reliability.conftest import Launch, link
from tests.reliability.support import free_port
from tests.support.emulator import ALICE
from tests.support.slack import DriverFactory

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)]

# Turns that both processes get to take after the reminder went out (each looks every second).
TURNS_AFTER = 4


def is_reminder(call: RecordedCall, user_id: str, topic: str) -> bool:
    text = call.text or ""
    return (
        call.method == "chat.postMessage"
        and call.body.get("channel") == user_id
        and ":alarm_clock:" in text
        and topic in text
    )


def reminders(driver: SlackDriver, topic: str) -> list[RecordedCall]:
    return [c for c in driver.standin.calls_to("chat.postMessage") if is_reminder(c, driver.user_id, topic)]


async def test_each_reminder_is_sent_once_by_two_processes(
    launch: Launch, slack_driver: DriverFactory
) -> None:
    first = await launch(reminder_check_seconds=1)
    second = await launch(settings=first.settings, port=free_port())
    on_first = slack_driver(first.events_url, user_id="U_ALICE")
    on_second = slack_driver(second.events_url, user_id="U_ALICE")
    await link(on_first, ALICE)
    # Three minutes ahead: within the default 10, so the reminder is due at once, on real time.
    for driver, topic in ((on_first, "Made on one"), (on_second, "Made on two")):
        card = await driver.command(f"schedule {topic} in 3 minutes", replies=1)
        assert "Scheduled" in shown_text(card.replies[0])
        dm = await driver.standin.wait_for(lambda c, t=topic: is_reminder(c, "U_ALICE", t), timeout=15)
        assert "starts in" in shown_text(dm)
    await asyncio.sleep(TURNS_AFTER)  # let both processes take more turns: nothing is sent again
    assert len(reminders(on_first, "Made on one")) == 1
    assert len(reminders(on_first, "Made on two")) == 1
