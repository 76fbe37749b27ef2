"""The per-user throttle on meeting creation, through the real server, emulator and Slack stand-in: over it
the person is told to slow down and for how long, nothing reaches Webex, other people are not held up, and
the limits hold across processes sharing PostgreSQL, a killed process's place included."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from typing import Any

import pytest

from bot.emulator import Emulator, Fault
from bot.sandbox import SlackDriver
from tests.e2e.meetings.conftest import Stage, shown_text
from tests.reliability.conftest import Launch, link, linked_message, make_stage
from tests.reliability.support import BotProcess, free_port
from tests.support.emulator import ALICE, BOB
from tests.support.servers import BotFactory
from tests.support.slack import DriverFactory

SLOW_DOWN = re.compile(r"Slow down, try again in (\d+) seconds?")


async def linked_stage(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, **settings: Any
) -> Stage:
    stage = await make_stage(bot_factory, slack_driver, emulator_server, **settings)
    for person in (stage.alice, stage.bob):
        await stage.link(person)
        await linked_message(person.driver)
    return stage


async def two_processes(launch: Launch, **settings: Any) -> tuple[BotProcess, BotProcess]:
    """Two processes sharing the database and the keys, with these settings."""
    settings.setdefault("webex_timeout_seconds", 5)
    first = await launch(**settings)
    second = await launch(settings=first.settings, port=free_port())
    return first, second


async def schedule(driver: SlackDriver, topic: str) -> str:
    exchange = await driver.command(f"schedule {topic} tomorrow 3pm", replies=1, timeout=20)
    return shown_text(exchange.replies[0])


def told_to_slow_down(answer: str) -> int:
    """The seconds the person is told to wait; fails unless the answer is the slow-down message."""
    found = SLOW_DOWN.search(answer)
    assert found, answer
    assert "Nothing was created" in answer and "Scheduled" not in answer
    return int(found.group(1))


def topics(emulator: Emulator) -> list[str]:
    return sorted(meeting.conf_name for meeting in emulator.meetings())


async def test_over_the_minute_limit_nothing_is_created_and_others_carry_on(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    stage = await linked_stage(bot_factory, slack_driver, emulator_server, user_rate_limit_per_minute=2)
    assert "Scheduled" in await schedule(stage.alice.driver, "First")
    assert "Scheduled" in await schedule(stage.alice.driver, "Second")
    creates = len(stage.emulator.xml_requests("CreateMeeting"))
    wait = told_to_slow_down(await schedule(stage.alice.driver, "Third"))
    assert 1 <= wait <= 60
    now = await stage.alice.driver.command("now Right now", replies=1)
    told_to_slow_down(shown_text(now.replies[0]))
    assert len(stage.emulator.xml_requests("CreateMeeting")) == creates  # Webex was never asked
    assert topics(stage.emulator) == ["First", "Second"]
    # Bob is not held up by Alice's pace.
    assert "Scheduled" in await schedule(stage.bob.driver, "Bob's")
    assert topics(stage.emulator) == ["Bob's", "First", "Second"]


async def test_a_creation_that_fails_gives_its_place_back(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    stage = await linked_stage(
        bot_factory, slack_driver, emulator_server, user_max_in_flight=1, user_rate_limit_per_minute=0
    )
    stage.emulator.add_fault(Fault.failure("000001", "Access denied", operation="CreateMeeting", count=1))
    failed = await schedule(stage.alice.driver, "Refused by Webex")
    assert "Scheduled" not in failed and not SLOW_DOWN.search(failed), failed
    assert "Scheduled" in await schedule(stage.alice.driver, "Straight after")


async def test_zero_turns_both_limits_off(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    stage = await linked_stage(
        bot_factory, slack_driver, emulator_server, user_rate_limit_per_minute=0, user_max_in_flight=0
    )
    answers = await asyncio.gather(*(schedule(stage.alice.driver, f"Many {i}") for i in range(8)))
    assert all("Scheduled" in answer for answer in answers), answers
    assert len(stage.emulator.meetings()) == 8


@pytest.mark.slow
@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_the_minute_limit_holds_across_two_processes(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    first, second = await two_processes(launch, user_rate_limit_per_minute=3, user_max_in_flight=0)
    alice = [slack_driver(p.events_url, user_id="U_ALICE") for p in (first, second)]
    bob = slack_driver(second.events_url, user_id="U_BOB")
    await link(alice[0], ALICE)
    await link(bob, BOB)
    answers = await asyncio.gather(*(schedule(alice[i % 2], f"Alice {i}") for i in range(8)))
    assert sum("Scheduled" in answer for answer in answers) == 3, answers
    for answer in answers:
        if "Scheduled" not in answer:
            told_to_slow_down(answer)
    assert len([t for t in topics(emulator) if t.startswith("Alice")]) == 3
    assert "Scheduled" in await schedule(bob, "Bob on the busy process")


@pytest.mark.slow
@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_a_creation_in_flight_on_a_killed_process_holds_its_place_only_until_it_lapses(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    # With a 1 s Webex timeout a live creation is over within 13 s, so a dead one's place lapses then.
    first, second = await two_processes(
        launch, user_rate_limit_per_minute=0, user_max_in_flight=1, webex_timeout_seconds=1
    )
    alice_first = slack_driver(first.events_url, user_id="U_ALICE")
    alice_second = slack_driver(second.events_url, user_id="U_ALICE")
    await link(alice_first, ALICE)
    slow = Fault.latency(3, operation="CreateMeeting", count=1)
    emulator.add_fault(slow)
    admitted_at = time.monotonic()
    await alice_first.command("schedule Dies in flight tomorrow 3pm")
    while slow in emulator.faults.active():
        await asyncio.sleep(0.02)
    # In flight on the first process: the second one refuses Alice a second creation.
    told_to_slow_down(await schedule(alice_second, "Second at once"))
    first.signal(signal.SIGKILL)
    await first.wait(10)
    told_to_slow_down(await schedule(alice_second, "While the place is held"))
    await asyncio.sleep(max(0.0, admitted_at + 14 - time.monotonic()))
    assert "Scheduled" in await schedule(alice_second, "After it lapsed")
    assert "Second at once" not in topics(emulator) and "While the place is held" not in topics(emulator)
