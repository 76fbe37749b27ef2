"""The sandbox moves time: `:wait` moves the bot's and the emulator's clocks together and runs what fell
due, so a reminder (and a link renewal) can be seen without waiting."""

from __future__ import annotations

import pytest

from bot.sandbox.console import HELP, Console, StepFailed
from bot.sandbox.stack import SandboxStack


async def test_wait_shows_the_reminder_with_its_buttons_and_renews_a_lapsing_link() -> None:
    transcript: list[str] = []
    stack = SandboxStack()
    await stack.start()
    try:
        console = Console(stack, transcript.append, reply_timeout=10)
        await console.step("/webex connect")
        await console.step(":approve")
        await console.step("/webex schedule Standup in 20 minutes")
        transcript.clear()
        await console.step(":wait 5m")
        assert any("0 reminders sent" in line for line in transcript), transcript
        transcript.clear()
        await console.step(":wait 6m")
        shown = "\n".join(transcript)
        assert "1 reminder sent" in shown and "Standup" in shown and "starts in" in shown, shown
        assert "Join ↗" in shown and "Start as host ↗" in shown, shown
        await console.step(":expect Standup")
        transcript.clear()
        await console.step(":wait 55d")
        assert any("1 link renewed" in line for line in transcript), transcript
        with pytest.raises(StepFailed, match=":wait needs how long"):
            await console.step(":wait soon")
    finally:
        await stack.close()
    assert ":wait 50m" in HELP
