"""How a failed command is logged (by the guard every command runs under): a mistake or a Webex refusal
in one line, a bug with its traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import bot.slack.meetings  # noqa: F401  (registers the meeting wording, as the app does)
from bot.observability import Metrics, Tracing
from bot.services.errors import TokenRefreshUnavailable
from bot.services.meetings import MeetingNotCreated, MeetingRequestInvalid, ScheduleInProgress
from bot.slack import texts
from bot.slack.guard import Guard
from bot.store.database import DatabaseUnavailable
from bot.webex.errors import (
    AccessDenied,
    InvalidRequest,
    MeetingNotFound,
    PasswordRequired,
    WebexRateLimited,
    WebexTimeout,
    WebexUnavailable,
)


class Replies:
    """What the person was told."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send(
        self,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        replace: bool = False,
        public: bool = False,
    ) -> None:
        self.texts.append(text)


def failing(error: Exception) -> Callable[[], Awaitable[None]]:
    async def work() -> None:
        raise error

    return work


async def run(error: Exception) -> Replies:
    # Only what every command uses (traces and metrics, both inert here); a missing link would need more.
    guard = Guard(lambda team_id, user_id, pending: "", Metrics(process=False), Tracing())
    replies = Replies()
    await guard.run(
        failing(error), team_id="T1", user_id="U1", reply=replies, pending=None, what="/webex cancel"
    )
    return replies


def router_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The router's report of the failure (not the one `finished` line every command ends with)."""
    return [r for r in caplog.records if r.name == "bot.slack.router" and not hasattr(r, "outcome")]


@pytest.mark.parametrize(
    ("error", "level"),
    [
        (MeetingRequestInvalid("meeting", "“abc” is not a meeting number."), logging.INFO),
        (ScheduleInProgress("still running"), logging.INFO),
        (MeetingNotFound("Corresponding Meeting not found", "060001"), logging.INFO),
        (AccessDenied("Access denied", "000001"), logging.INFO),
        (PasswordRequired("Meeting password is required", "060026"), logging.INFO),
        (InvalidRequest("Invalid start date", "060016", field="start"), logging.INFO),
        (
            WebexUnavailable("Webex is unavailable (HTTP 503) for GetMeeting.", status_code=503),
            logging.WARNING,
        ),
        (WebexTimeout("Webex did not answer GetMeeting in time."), logging.WARNING),
        (WebexRateLimited("Webex is rate limiting GetMeeting (HTTP 429)."), logging.WARNING),
        (MeetingNotCreated("Webex gave no usable answer and the meeting did not appear"), logging.WARNING),
        (TokenRefreshUnavailable("token endpoint down"), logging.WARNING),
        (DatabaseUnavailable("database down"), logging.WARNING),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else logging.getLevelName(value),
)
async def test_ordinary_failures_are_one_line_without_a_traceback(
    caplog: pytest.LogCaptureFixture, error: Exception, level: int
) -> None:
    caplog.set_level(logging.DEBUG)
    replies = await run(error)
    [record] = router_records(caplog)
    assert (record.levelno, record.exc_info) == (level, None)
    message = record.getMessage()
    assert "\n" not in message and "/webex cancel" in message and "team=T1 user=U1" in message
    assert type(error).__name__ in message  # what it was, for whoever reads the log
    assert len(replies.texts) == 1 and replies.texts[0] != texts.SOMETHING_WENT_WRONG


async def test_a_bug_is_logged_at_error_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    replies = await run(KeyError("meeting_key"))
    [record] = router_records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert record.exc_info[0] is KeyError
    assert "Traceback" in caplog.text and "/webex cancel" in record.getMessage()
    assert replies.texts == [texts.SOMETHING_WENT_WRONG]
