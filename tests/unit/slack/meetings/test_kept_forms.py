"""A form refused after it closed comes back as it was typed; which failures offer it back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.meeting_rules import MeetingRequestInvalid
from bot.domain.recurrence import Frequency, Recurrence
from bot.sandbox.signing import view_state
from bot.services.meetings import CreateOutcomeUnknown, MeetingNotCreated, SlowDown
from bot.services.ports import (
    BackendUnavailable,
    MeetingNotFound,
    NotPermitted,
    PasswordRequired,
    RateLimited,
    RequestRejected,
    TimedOut,
)
from bot.slack.meetings import blocks, form_blocks
from bot.slack.meetings.forms import read_form
from bot.slack.meetings.kept_forms import keeps_the_form
from bot.slack.meetings.repeat_field import rule_value

NOW = datetime(2026, 12, 6, 18, 7, tzinfo=UTC)
CONTEXT = form_blocks.FormContext(channel_id="C1", user_tz="America/New_York")
WEEKLY = rule_value(Recurrence(Frequency.WEEKLY))

TYPED: list[dict[str, Any]] = [
    {
        blocks.TOPIC: "Quarterly planning",
        blocks.DATE: "2027-02-02",
        blocks.TIME: "10:30",
        blocks.TIME_ZONE: "Europe/Berlin",
        blocks.DURATION: "90",
        blocks.REPEATS: WEEKLY,
        blocks.REPEAT_COUNT: "6",
        blocks.INVITEES: ["U_BOB", "U_CAROL"],
        blocks.EMAILS: '"Lima, Ana" <ana@x.io>, li@y.io',
        blocks.AGENDA: "1. Where we are\n2. What is next\n" + "x" * 2000,
        blocks.PASSWORD: "Plan4Friday",
        blocks.POST: ["post"],
    },
    {
        blocks.TOPIC: "Retro",
        blocks.DATE: "2027-03-01",
        blocks.TIME: "16:00",
        blocks.DURATION: "45",
        blocks.REPEATS: WEEKLY,
        blocks.REPEAT_UNTIL: "2027-06-30",
    },
]


def submitted(view: dict[str, Any], values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The view as Slack sends it on submit: every input, untouched ones with their initial values."""
    return {**view, "state": {"values": view_state(view["blocks"], values or {})}}


@pytest.mark.parametrize("values", TYPED)
def test_a_schedule_form_comes_back_with_everything_typed(values: dict[str, Any]) -> None:
    blank = form_blocks.schedule_modal(form_blocks.FormPrefill(), CONTEXT, NOW)
    form = read_form(submitted(blank, values))
    record = form.to_record()
    again = form_blocks.schedule_modal(type(form).from_record(record).prefill("Webex said no."), CONTEXT, NOW)
    # Pressed Schedule again without touching anything: the same form, to the last character.
    assert read_form(submitted(again)) == form
    problem = next(b for b in again["blocks"] if b.get("block_id") == "problem")
    assert "Webex said no." in problem["text"]["text"]


def test_an_edit_form_comes_back_with_everything_typed() -> None:
    values = {
        blocks.TOPIC: "Planning v2",
        blocks.DATE: "2027-02-02",
        blocks.TIME: "09:00",
        blocks.DURATION: "60",
        blocks.INVITEES: ["U_CAROL"],
        blocks.EMAILS: "ops@example.com",
        blocks.AGENDA: "New",
    }
    context = form_blocks.FormContext(
        user_tz="America/New_York",
        meeting_id="123",
        response_url="https://hooks.slack.com/x",
        original_start=1,
    )
    blank = form_blocks.edit_modal_as_typed(form_blocks.FormPrefill(), context, NOW)
    form = read_form(submitted(blank, values))
    again = form_blocks.edit_modal_as_typed(type(form).from_record(form.to_record()).prefill(), context, NOW)
    assert read_form(submitted(again)) == form
    assert again["callback_id"] == blocks.EDIT_VIEW
    assert form_blocks.FormContext.loads(again["private_metadata"]) == context  # saves to the same card


@pytest.mark.parametrize(
    ("error", "kept"),
    [
        (MeetingRequestInvalid("invitees", "no email"), True),
        (PasswordRequired("Meeting password must not be null"), True),
        (RequestRejected("weak", field="password"), True),
        (SlowDown(5, limit="per minute"), True),
        (RateLimited("slow down"), True),
        (BackendUnavailable("HTTP 503"), True),
        # Webex may have acted: the form sent again could make the meeting twice.
        (BackendUnavailable("reset", outcome_unknown=True), False),
        (TimedOut("no answer"), False),
        (CreateOutcomeUnknown("?"), False),
        (MeetingNotCreated("?"), False),
        # Nothing to fix in the form.
        (NotPermitted("another host's"), False),
        (MeetingNotFound("gone"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_the_form_comes_back_when_there_is_something_to_fix_or_nothing_was_done(
    error: Exception, kept: bool
) -> None:
    assert keeps_the_form(error) is kept
