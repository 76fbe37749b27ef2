"""A form refused once it had closed: the answer carries an "Open the form" button that brings the form
back filled in with everything that was typed, so nothing is lost.

Most refusals come beside the field, before the form closes (bot/slack/meetings/forms.py). What can only
be known later (Webex refusing a value, Slack slow to say whose email a picked person has) is answered
after the ack, when the form is gone. What was typed is still in the journal the work ran from
(bot/slack/after_ack.py, sealed at rest and kept for a week), so the button carries only which form it
was; pressed, it opens that form again as it was filled in, with the reason above it.
"""

from __future__ import annotations

import json
from typing import Any

from bot.domain.clock import Clock
from bot.domain.meeting_rules import MeetingRequestInvalid
from bot.services.meetings import CreateOutcomeUnknown, MeetingNotCreated, SlowDown
from bot.services.ports import BackendUnavailable, PasswordRequired, RequestRejected
from bot.slack.after_ack import AfterAck, RecordOffer
from bot.slack.meetings import blocks, form_blocks, texts
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.form_opener import FormOpener
from bot.slack.meetings.forms import FormInput
from bot.slack.meetings.prefill import button_data
from bot.slack.replies import Reply
from bot.slack.sealed import fits_in_a_button

# Kinds of work a submitted form runs as (bot/slack/after_ack.py `Recoverable`): what the journal keeps.
SCHEDULE_FORM = "form:meeting.schedule"
EDIT_FORM = "form:meeting.edit"
KEPT_KINDS = (SCHEDULE_FORM, EDIT_FORM)
# The reason shown above the form opened again, cut to what a button's value can carry.
_PROBLEM_LENGTHS = (500, 200, 0)


def keeps_the_form(error: Exception) -> bool:
    """Whether the person will want the form back to fix it and send it again: what they typed was
    refused, or nothing was done at all (Webex briefly unusable, the per-person limit). Not when Webex may
    have acted on it (a create whose outcome is unknown): the form sent again could make a second meeting."""
    if isinstance(error, MeetingRequestInvalid | PasswordRequired | RequestRejected | SlowDown):
        return True
    if isinstance(error, CreateOutcomeUnknown | MeetingNotCreated):
        return False
    return isinstance(error, BackendUnavailable) and not error.outcome_unknown


def offer_the_form(kind: str, *, answers: Answers) -> RecordOffer:
    """What a form of `kind` refused after it closed is answered with: the reason, and the button that
    opens it again as typed (the record names the view it came from, which keys its journal entry)."""

    def offer(
        record: dict[str, Any], team_id: str, user_id: str, error: Exception, text: str
    ) -> list[dict[str, Any]] | None:
        view = str(record.get("view") or "")
        if not view or not keeps_the_form(error):
            return None
        # The usual word on a missing password sends the person to a new form: this one has the button.
        reason = texts.PASSWORD_REQUIRED_IN_FORM if isinstance(error, PasswordRequired) else text
        return answers.seal(_kept_message(reason, _button_value(kind, view, reason)), team_id, user_id)

    return offer


async def reopen(
    reply: Reply,
    value: str,
    *,
    team_id: str,
    user_id: str,
    trigger_id: str | None,
    after_ack: AfterAck,
    forms: FormOpener,
    answers: Answers,
    clock: Clock,
) -> None:
    """The "Open the form" press: the form as it was filled in, the reason above it; when the journal no
    longer has it, say so; when Slack's 3 seconds to open a form ran out, the button again."""
    kind, view_id, problem = _read_button_value(value)
    record = await after_ack.kept(kind, team_id, user_id, view_id) if kind in KEPT_KINDS else None
    if record is None:
        await reply.send(texts.FORM_NOT_KEPT)
        return
    prefill = FormInput.from_record(record.get("form") or {}).prefill(problem)
    if kind == EDIT_FORM:
        context = form_blocks.FormContext.loads(str(record.get("context") or ""))
        view = form_blocks.edit_modal_as_typed(prefill, context, clock.now())
    else:
        context = form_blocks.FormContext(
            channel_id=str(record.get("channel_id") or ""), user_tz=str(record.get("tz") or "UTC")
        )
        view = form_blocks.schedule_modal(prefill, context, clock.now())
    if not await forms.open_view(view, team_id=team_id, user_id=user_id, trigger_id=trigger_id):
        text = texts.FORM_OPEN_FAILED
        await reply.send(text, answers.seal(_kept_message(text, value), team_id, user_id))


def _kept_message(text: str, value: str) -> list[dict[str, Any]]:
    button = {
        "type": "button",
        "action_id": blocks.REOPEN_FORM,
        "text": blocks.plain("Open the form", blocks.BUTTON_TEXT_LIMIT),
        "value": value,
        "style": "primary",
    }
    return [
        {"type": "section", "text": blocks.mrkdwn(text)},
        {"type": "actions", "block_id": "reopen_form", "elements": [button]},
        {"type": "context", "elements": [blocks.mrkdwn(texts.FORM_KEPT)]},
    ]


def _button_value(kind: str, view_id: str, problem: str) -> str:
    for length in _PROBLEM_LENGTHS:
        data = {"kind": kind, "view": view_id, "problem": blocks.clip(problem, length) if length else ""}
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if fits_in_a_button(text):
            return text
    raise ValueError("a view id does not fit in a button")


def _read_button_value(value: str) -> tuple[str, str, str]:
    """(kind, view id, reason) as the bot wrote them (the value comes back sealed, bot/slack/sealed.py)."""
    data = button_data(value)
    return str(data.get("kind") or ""), str(data.get("view") or ""), str(data.get("problem") or "")
