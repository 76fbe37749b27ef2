"""A process killed with forms submitted and buttons pressed but not answered: another process carries
each one out from its journaled record, answers the person once where the first answer would have gone,
with a word that it was late, and makes each meeting once."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import pytest

from bot.emulator import Emulator, Fault
from bot.sandbox import SlackDriver
from bot.sandbox.workspace import RecordedCall
from bot.slack import texts
from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import shown_text
from tests.reliability.conftest import Launch, link
from tests.reliability.support import BotProcess
from tests.reliability.test_webex_faults import spent
from tests.support.emulator import ALICE
from tests.support.slack import DriverFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("database_backend", ["sqlite", "postgresql"], indirect=True),
]

FORMS = 10
BUTTONS = 3
RECOVERY_SECONDS = 3


def topic(n: int) -> str:
    return f"Submitted form {n:02d}"


def answers_about(calls: list[RecordedCall], words: str, *, after: int) -> list[RecordedCall]:
    return [call for call in calls if call.seq >= after and call.is_reply and words in shown_text(call)]


async def alice_on_a_bot(launch: Launch, slack_driver: DriverFactory) -> tuple[BotProcess, SlackDriver]:
    """A served bot that recovers quickly and sets no per-user limits (many at once is the point), and
    Alice linked to it."""
    bot = await launch(
        command_recovery_seconds=RECOVERY_SECONDS, user_max_in_flight=0, user_rate_limit_per_minute=0
    )
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    await link(alice, ALICE)
    return bot, alice


async def test_every_form_submitted_when_the_process_is_killed_is_answered_once_and_made_once(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    bot, alice = await alice_on_a_bot(launch, slack_driver)
    # One after the other: each form is the one its own command opened.
    forms = [(await alice.command("schedule", replies=1)).replies[0] for _ in range(FORMS)]
    assert all(form.method == "views.open" for form in forms)
    # Webex is slow: every create has reached it, none has been answered, when the process dies.
    slow = emulator.add_fault(Fault.latency(2.0, operation="CreateMeeting", count=FORMS))
    first_seq = alice.standin.next_seq()
    submitted = await asyncio.gather(
        *(
            alice.submit(form, {blocks.TOPIC: topic(n), blocks.DATE: "2027-02-02", blocks.TIME: "10:00"})
            for n, form in enumerate(forms)
        )
    )
    assert all(exchange.status == 200 and not exchange.body.strip(b"{} ") for exchange in submitted)
    await spent(emulator, slow, timeout=15)
    bot.signal(signal.SIGKILL)
    assert await bot.wait(10) == -signal.SIGKILL
    assert answers_about(alice.standin.calls, "Submitted form", after=first_seq) == []

    again = await launch(settings=bot.settings)
    for n in range(FORMS):
        await alice.standin.wait_for(
            lambda call, n=n: call.seq >= first_seq and call.is_reply and topic(n) in shown_text(call),
            timeout=30,
        )
    # A few more recovery rounds change nothing: each form was answered once, each meeting made once.
    await asyncio.sleep(RECOVERY_SECONDS * 2)
    for n in range(FORMS):
        [answer] = answers_about(alice.standin.calls, topic(n), after=first_seq)
        assert texts.DELAYED in shown_text(answer), shown_text(answer)
        # Where the form would have answered: an ephemeral message in the channel it was opened from.
        assert answer.method == "chat.postEphemeral" and answer.channel == alice.channel_id
    made = Counter(meeting.conf_name for meeting in emulator.meetings())
    assert made == Counter(topic(n) for n in range(FORMS))
    assert again.process.returncode is None


async def test_every_cancel_pressed_when_the_process_is_killed_is_done_and_answered_once(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    bot, alice = await alice_on_a_bot(launch, slack_driver)
    cards = [
        (await alice.command(f"schedule Doomed {n} tomorrow {n + 1}pm", replies=1)).replies[0]
        for n in range(BUTTONS)
    ]
    numbers = {meeting.conf_name: str(meeting.key) for meeting in emulator.meetings()}
    assert len(numbers) == BUTTONS
    slow = emulator.add_fault(Fault.latency(2.0, operation="DelMeeting", count=BUTTONS))
    clicks = await asyncio.gather(*(alice.click(card, blocks.CANCEL) for card in cards))
    assert all(click.status == 200 for click in clicks)
    await spent(emulator, slow, timeout=15)
    bot.signal(signal.SIGKILL)
    assert await bot.wait(10) == -signal.SIGKILL
    assert [alice.replies_so_far(click) for click in clicks] == [[]] * BUTTONS

    await launch(settings=bot.settings)
    answers = await asyncio.gather(*(alice.wait_replies(click, 1, timeout=30) for click in clicks))
    await asyncio.sleep(RECOVERY_SECONDS * 2)
    assert [len(alice.replies_so_far(click)) for click in clicks] == [1] * BUTTONS
    for n, ((answer,), click) in enumerate(zip(answers, clicks, strict=True)):
        shown = shown_text(answer)
        # Webex went on with the dead process's delete, so the press taken over finds it done already.
        assert numbers[f"Doomed {n}"] in shown and "cancelled" in shown and texts.DELAYED in shown, shown
        # Through the button's response_url, still valid: the card that was pressed is replaced.
        assert answer.method == "response_url" and answer.response_target is not None
        assert answer.response_target.url == click.request.response_url
        assert answer.body.get("replace_original") is True
    assert emulator.meetings() == []


async def test_every_edit_saved_when_the_process_is_killed_is_made_and_answered_once_on_its_card(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    bot, alice = await alice_on_a_bot(launch, slack_driver)
    edits = []
    for n in range(BUTTONS):
        card = (await alice.command(f"schedule Draft {n} tomorrow {n + 1}pm", replies=1)).replies[0]
        pressed = await alice.click(card, blocks.EDIT, replies=2)
        assert [call.method for call in pressed.replies] == ["views.open", "views.update"]
        edits.append((pressed, pressed.replies[1]))
    slow = emulator.add_fault(Fault.latency(2.0, operation="SetMeeting", count=BUTTONS))
    first_seq = alice.standin.next_seq()
    saved = await asyncio.gather(
        *(alice.submit(form, {blocks.TOPIC: f"Final {n}"}) for n, (_, form) in enumerate(edits))
    )
    assert all(exchange.status == 200 for exchange in saved)
    await spent(emulator, slow, timeout=15)
    bot.signal(signal.SIGKILL)
    assert await bot.wait(10) == -signal.SIGKILL
    assert answers_about(alice.standin.calls, "Final", after=first_seq) == []

    await launch(settings=bot.settings)
    for n in range(BUTTONS):
        await alice.standin.wait_for(
            lambda call, n=n: call.seq >= first_seq and call.is_reply and f"Final {n}" in shown_text(call),
            timeout=30,
        )
    await asyncio.sleep(RECOVERY_SECONDS * 2)
    for n, (pressed, _) in enumerate(edits):
        [answer] = answers_about(alice.standin.calls, f"Final {n}", after=first_seq)
        assert texts.DELAYED in shown_text(answer), shown_text(answer)
        # The card whose Edit was pressed is replaced, through that press's response_url.
        assert answer.method == "response_url" and answer.response_target is not None
        assert answer.response_target.url == pressed.request.response_url
        assert answer.body.get("replace_original") is True
    assert sorted(meeting.conf_name for meeting in emulator.meetings()) == [
        f"Final {n}" for n in range(BUTTONS)
    ]
