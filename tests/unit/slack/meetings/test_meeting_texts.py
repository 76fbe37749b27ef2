"""Meeting wording: each error a person can meet says what happened and what to do next."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from bot.domain.clock import FakeClock
from bot.services.meetings import (
    CreateOutcomeUnknown,
    MeetingNotCreated,
    MeetingRequestInvalid,
    ScheduleInProgress,
    SlowDown,
)
from bot.slack.errors import explain
from bot.slack.meetings import blocks, form_blocks
from bot.slack.meetings.prefill import prefill_value, read_prefill_value
from bot.slack.meetings.texts import changed_note, explain_meeting_error
from bot.slack.sealed import SealedValues
from bot.webex.errors import (
    AccessDenied,
    AccessTokenInvalid,
    InvalidRequest,
    MeetingNotFound,
    PasswordRequired,
    WebexUnavailable,
)


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (MeetingRequestInvalid("start", "That time is in the past."), "/webex schedule"),
        (ScheduleInProgress("x"), "still being scheduled"),
        (MeetingNotCreated("x"), "/webex list"),
        (CreateOutcomeUnknown("x"), "could not check"),
        (AccessTokenInvalid("WebEx access token is invalid"), "/webex connect"),
        (MeetingNotFound("Corresponding Meeting not found", "060001"), "/webex list"),
        (AccessDenied("Access denied", "000001"), "another host"),
        (PasswordRequired("Meeting password must not be null", "060026"), "Meeting password"),
        (InvalidRequest("Topic is too long.", field="topic"), "Webex refused the topic: Topic is too long"),
    ],
)
def test_meeting_errors_say_what_to_do(error: Exception, says: str) -> None:
    assert says in (explain_meeting_error(error) or "")
    assert says in explain(error)  # the one mapper asks the meetings wording first


def test_other_errors_are_left_to_the_general_mapper() -> None:
    assert explain_meeting_error(WebexUnavailable("HTTP 503")) is None
    assert explain_meeting_error(ValueError("x")) is None


def test_changed_note_names_what_changed() -> None:
    assert changed_note(("time", "duration")) == ":pencil2: Updated the time, duration."
    assert "Nothing changed" in changed_note(())


def test_the_open_form_button_carries_the_prefill_within_slacks_limit() -> None:
    prefill = form_blocks.FormPrefill(
        topic="Планирование 🚀 " * 40,
        start=datetime(2027, 1, 5, 9, 30, tzinfo=UTC),
        duration_minutes=90,
        invitee_user_ids=tuple(f"U{i:08}" for i in range(40)),
        emails=tuple(f"person{i}@example.com" for i in range(40)),
        problem="I could not tell when.",
    )
    value = prefill_value(prefill, "C1")
    sealed = SealedValues([Fernet.generate_key().decode()], FakeClock())
    assert len(
        sealed.seal(value, team_id="T0123456789", user_id="U0123456789", used_by=blocks.OPEN_FORM)
    ) <= (blocks.BUTTON_VALUE_LIMIT)
    back, channel = read_prefill_value(value)
    assert channel == "C1" and back.start == prefill.start and back.duration_minutes == 90
    # What did not fit was cut from the end of the topic and the people, never the rest.
    assert back.topic and prefill.topic.startswith(back.topic) and back.problem == prefill.problem
    short = prefill_value(form_blocks.FormPrefill(topic="Sync", invitee_user_ids=("U1",)), "C1")
    assert read_prefill_value(short)[0].topic == "Sync" and read_prefill_value(short)[0].invitee_user_ids == (
        "U1",
    )
    assert read_prefill_value("garbage") == (form_blocks.FormPrefill(), "")


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (SlowDown(1, limit="per minute"), "Slow down, try again in 1 second: you have created a lot of"),
        (SlowDown(42, limit="per minute"), "Slow down, try again in 42 seconds: you have created a lot of"),
        (SlowDown(5, limit="in flight"), "Slow down, try again in 5 seconds: you already have several"),
    ],
)
def test_over_the_throttle_the_person_is_told_how_long_to_wait_and_that_nothing_was_made(
    error: SlowDown, says: str
) -> None:
    text = explain(error)
    assert says in text and "Nothing was created" in text
