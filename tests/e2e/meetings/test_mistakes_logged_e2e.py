"""What the logs say when a person makes a mistake or Webex refuses: one line at INFO or WARNING, never
ERROR with a traceback (that is for bugs). The served bot, the emulator over HTTP, the Slack stand-in."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot.emulator import (
    ACCESS_DENIED_EXCEPTION_ID,
    INVALID_REQUEST_EXCEPTION_ID,
    PASSWORD_REQUIRED_EXCEPTION_ID,
    Fault,
)
from tests.e2e.meetings.conftest import Stage, shown_text

BOT_LOGGERS = "bot."  # the bot's own records; the emulator (bot.emulator) logs its side of each call


def bot_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name.startswith(BOT_LOGGERS) and not r.name.startswith("bot.emulator")
    ]


def assert_logged_as_ordinary(caplog: pytest.LogCaptureFixture, level: int, *, handled: bool = False) -> None:
    """No ERROR and no traceback; the failure logged once per command in one line at `level`, unless
    the command `handled` the mistake itself (it answers without failing)."""
    records = bot_records(caplog)
    bad = [f"{r.levelname} {r.getMessage()}" for r in records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], bad
    assert not any("Traceback" in r.getMessage() for r in records)
    # The router's report of the failure; every command also ends with one `finished` line (outcome).
    failures = [r for r in records if r.name == "bot.slack.router" and not hasattr(r, "outcome")]
    assert failures or handled, "the failure was not logged at all"
    for record in failures:
        assert record.levelno == level, f"{record.levelname} {record.getMessage()}"
        assert "\n" not in record.getMessage()  # one line
        assert "team=T_SANDBOX user=U_" in record.getMessage()  # says whose command it was


@pytest.mark.parametrize(
    ("command", "expected", "in_the_ack"),
    [
        ("cancel 123456789", "no meeting with that number", False),
        ("cancel abc", "is not a meeting number", True),
        ("cancel 12", "is not a meeting number", True),
        ("join 123456789", "no meeting with that number", False),
        ("join abc", "is not a meeting number", True),
        ("edit abc", "is not a meeting number", True),
    ],
)
async def test_a_persons_mistake_is_one_line_at_info(
    linked: Stage, caplog: pytest.LogCaptureFixture, command: str, expected: str, in_the_ack: bool
) -> None:
    caplog.set_level(logging.INFO)
    # A malformed number is known without asking Webex: answered in the ack itself, nothing fails.
    exchange = await linked.alice.driver.command(command, replies=0 if in_the_ack else 1)
    answer = exchange.ack_text if in_the_ack else shown_text(exchange.replies[0])
    assert expected in answer, answer
    assert_logged_as_ordinary(caplog, logging.INFO, handled=in_the_ack)


async def test_a_time_in_the_past_is_answered_without_an_error_in_the_log(
    linked: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    exchange = await linked.alice.driver.command("schedule Retro yesterday 9am", replies=1)
    assert "in the past" in shown_text(exchange.replies[0]) and linked.emulator.meetings() == []
    assert_logged_as_ordinary(caplog, logging.INFO, handled=True)


async def test_cancelling_someone_elses_meeting_is_a_refusal_at_info(
    linked: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    card = (await linked.alice.driver.command("schedule Alices tomorrow 5pm", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    assert str(meeting.key) in shown_text(card)
    caplog.clear()
    caplog.set_level(logging.INFO)
    exchange = await linked.bob.driver.command(f"cancel {meeting.key}", replies=1)
    assert "another host" in shown_text(exchange.replies[0]) or "no meeting" in shown_text(
        exchange.replies[0]
    )
    assert [m.key for m in linked.emulator.meetings()] == [meeting.key]
    assert_logged_as_ordinary(caplog, logging.INFO)


CREATE = "POST /v1/meetings"


@pytest.mark.parametrize(
    "faults",
    [
        (
            Fault.failure(ACCESS_DENIED_EXCEPTION_ID, operation="CreateMeeting"),
            Fault.http_error(403, operation=CREATE),
        ),
        (
            Fault.failure(PASSWORD_REQUIRED_EXCEPTION_ID, operation="CreateMeeting"),
            Fault.failure("", "Meeting password validation failed.", operation=CREATE),
        ),
        (
            Fault.failure(INVALID_REQUEST_EXCEPTION_ID, "Invalid start date", operation="CreateMeeting"),
            Fault.failure("", "Invalid start date", operation=CREATE),
        ),
    ],
    ids=["access-denied", "password-required", "invalid-request"],
)
async def test_a_webex_refusal_is_one_line_at_info(
    linked: Stage, caplog: pytest.LogCaptureFixture, faults: tuple[Fault, Fault]
) -> None:
    caplog.set_level(logging.INFO)
    linked.emulator.add_fault(linked.pick(*faults))
    await linked.alice.driver.command("schedule Refused tomorrow 5pm", replies=1)
    assert linked.emulator.meetings() == []
    assert_logged_as_ordinary(caplog, logging.INFO)


@pytest.mark.parametrize(
    ("command", "call", "fault"),
    [
        ("list", "list", Fault.http_error(502)),
        ("list", "list", Fault.rate_limited(retry_after=60)),
        ("list", "list", Fault.malformed()),
        ("join 123456789", "join", Fault.http_error(503)),  # on REST too: POST /v1/meetings/join by number
        ("schedule Unlucky tomorrow 5pm", "create", Fault.http_error(503)),
    ],
    ids=["list-502", "list-429", "list-bad-answer", "join-503", "schedule-503"],
)
async def test_webex_being_unavailable_is_one_line_at_warning(
    linked: Stage, caplog: pytest.LogCaptureFixture, command: str, call: str, fault: Fault
) -> None:
    caplog.set_level(logging.INFO)
    linked.emulator.add_fault(replace(fault, operation=linked.operation(call)))
    exchange = await linked.alice.driver.command(command, replies=1)
    assert "try again" in shown_text(exchange.replies[0]) or "slow down" in shown_text(exchange.replies[0])
    assert_logged_as_ordinary(caplog, logging.WARNING)
