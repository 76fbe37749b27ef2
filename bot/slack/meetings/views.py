"""The schedule and edit forms: opening them, checking them in the ack, and carrying them out after it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.clock import Clock
from bot.domain.meetings import Invitee
from bot.services.meetings import (
    MeetingEdit,
    MeetingService,
    ScheduledMeeting,
    ScheduleInProgress,
    ScheduleRequest,
)
from bot.slack.after_ack import AfterAck, Answer, Recoverable
from bot.slack.dependencies import inject
from bot.slack.home import HomeTab
from bot.slack.meetings import blocks, form_blocks, texts
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.forms import FormInput, form_errors, read_form
from bot.slack.meetings.kept_forms import EDIT_FORM, SCHEDULE_FORM, offer_the_form
from bot.slack.replies import Replies, Reply
from bot.slack.router import CommandRouter
from bot.slack.workspaces import workspace_key

logger = logging.getLogger(__name__)

RESUME_SCHEDULE = "meeting.schedule_form"
# How long a form's submission waits for Slack to say whose email each picked person has, so that one
# without an address is refused beside the field; past it the form closes and the check comes after.
INVITEE_CHECK_SECONDS = 1.5


def _pending_schedule(
    form: FormInput, context: form_blocks.FormContext, key: str, view_id: str
) -> dict[str, Any]:
    """The submitted form as a Connect prompt resumes it, as another process runs it again, and as an
    "Open the form" button opens it again (by its view)."""
    return {
        "kind": RESUME_SCHEDULE,
        "channel_id": context.channel_id,
        "tz": context.user_tz,
        "key": key,
        "view": view_id,
        "form": form.to_record(),
    }


async def schedule_from_form(
    reply: Reply,
    *,
    team_id: str,
    user_id: str,
    form: FormInput,
    context: form_blocks.FormContext,
    key: str,
    meetings: MeetingService,
    answers: Answers,
) -> None:
    start = form.start(context.user_tz)
    if start is None:
        await reply.send("The form had no date or time. Run `/webex schedule` again.")
        return
    invitees: tuple[Invitee, ...] = await answers.invitees_for(team_id, form.user_ids, form.emails)
    request = ScheduleRequest(
        topic=form.topic,
        start=start,
        user_tz=context.user_tz,
        duration_minutes=form.duration_minutes,
        agenda=form.agenda,
        invitees=invitees,
        password=form.password,
        time_zone=form.zone(context.user_tz),
        recurrence=form.recurrence(),
    )
    try:
        scheduled = await meetings.schedule(team_id, user_id, request, request_key=key)
    except ScheduleInProgress:
        logger.info("form %s submitted again while it is being scheduled", key)
        await reply.send(texts.STILL_SCHEDULING)
        return
    await answers.send_scheduled(
        reply,
        scheduled,
        context.user_tz,
        team_id=team_id,
        user_id=user_id,
        channel_id=context.channel_id,
        share=form.post_in_channel,
        notes=texts.zone_notes(form.zone(context.user_tz), context.user_tz, scheduled.meeting),
    )


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return workspace_key(body), user.get("id") or ""


async def _refused(form: FormInput, errors: dict[str, str], team_id: str, answers: Answers) -> dict[str, str]:
    """The form's errors, and whether a picked person cannot be invited (no email in Slack), if Slack
    says so in time: refused beside the field, the form still open, rather than after it has closed."""
    if errors or not form.user_ids:
        return errors
    problem = await answers.invitee_problem(team_id, form.user_ids, within=INVITEE_CHECK_SECONDS)
    return {blocks.INVITEES: problem} if problem else {}


async def on_schedule_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    *,
    replies: Replies,
    after_ack: AfterAck,
    clock: Clock,
    meetings: MeetingService,
    answers: Answers,
) -> None:
    context = form_blocks.FormContext.loads(view.get("private_metadata") or "")
    form = read_form(view)
    team_id, user_id = _who(body)
    errors = form_errors(form, context.user_tz, clock.now(), limits=meetings.meeting_limits)
    if errors := await _refused(form, errors, team_id, answers):
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    view_id = str(view.get("id") or "")
    # The same view submitted twice (a double click, a retried delivery) is one request.
    key = f"schedule:{team_id}:{user_id}:view:{view_id}"
    # Run from the record of the form, as another process would run it if this one died: the same
    # idempotency key makes sure the meeting is made once either way.
    after_ack.start(
        SCHEDULE_FORM,
        _pending_schedule(form, context, key, view_id),
        team_id=team_id,
        user_id=user_id,
        reply=replies.direct(user_id, context.channel_id or None),
        answer=Answer(channel_id=context.channel_id or None),
        unique=str(view.get("id") or "") or None,
    )


async def on_edit_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    *,
    replies: Replies,
    after_ack: AfterAck,
    clock: Clock,
    meetings: MeetingService,
    answers: Answers,
) -> None:
    context = form_blocks.FormContext.loads(view.get("private_metadata") or "")
    form = read_form(view)
    team_id, user_id = _who(body)
    original = datetime.fromtimestamp(context.original_start, UTC) if context.original_start else None
    errors = form_errors(
        form, context.user_tz, clock.now(), original_start=original, limits=meetings.meeting_limits
    )
    if errors := await _refused(form, errors, team_id, answers):
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    view_id = str(view.get("id") or "")
    # The same view saved twice (a double click, a retried delivery) is one change, made once.
    key = f"edit:{team_id}:{user_id}:view:{view_id}"
    after_ack.start(
        EDIT_FORM,
        {"form": form.to_record(), "context": context.dumps(), "key": key, "view": view_id},
        team_id=team_id,
        user_id=user_id,
        reply=replies.to(context.response_url or None, user_id, context.channel_id or None),
        answer=Answer(context.response_url or None, context.channel_id or None),
        unique=str(view.get("id") or "") or None,
    )


async def save_edit(
    record: dict[str, Any],
    team_id: str,
    user_id: str,
    reply: Reply,
    *,
    meetings: MeetingService,
    answers: Answers,
    home: HomeTab,
) -> None:
    """Carry out a submitted edit form (from its record)."""
    context = form_blocks.FormContext.loads(str(record.get("context") or ""))
    form = FormInput.from_record(record.get("form") or {})
    invitees = await answers.invitees_for(team_id, form.user_ids, form.emails)
    edit = MeetingEdit(
        user_tz=context.user_tz,
        topic=form.topic,
        start=form.start(context.user_tz),
        duration_minutes=form.duration_minutes,
        agenda=form.agenda,
        invitees=invitees,
    )
    # A record journaled before edits had keys is saved under a key of its own.
    key = str(record.get("key") or f"edit:{team_id}:{user_id}:resumed:{secrets.token_hex(8)}")
    result = await meetings.change(team_id, user_id, context.meeting_id, edit, request_key=key)
    if result.changed and not result.repeated:
        await answers.update_channel_copies(team_id, user_id, ScheduledMeeting(meeting=result.meeting))
    text, card = answers.host_card(
        team_id,
        user_id,
        ScheduledMeeting(meeting=result.meeting),
        context.user_tz,
        texts.changed_note(
            result.changed, series=result.meeting.recurrence is not None, repeated=result.repeated
        ),
    )
    await reply.send(text, card, replace=bool(context.response_url))
    if context.from_home:
        await home.publish(team_id, user_id)


async def resume_schedule(
    pending: dict[str, Any],
    team_id: str,
    user_id: str,
    reply: Reply,
    *,
    meetings: MeetingService,
    answers: Answers,
) -> None:
    context = form_blocks.FormContext(
        channel_id=str(pending.get("channel_id") or ""), user_tz=str(pending.get("tz"))
    )
    await schedule_from_form(
        reply,
        team_id=team_id,
        user_id=user_id,
        form=FormInput.from_record(pending.get("form") or {}),
        context=context,
        key=str(pending.get("key") or f"schedule:{team_id}:{user_id}:resumed:{secrets.token_hex(8)}"),
        meetings=meetings,
        answers=answers,
    )


def register(app: AsyncApp, router: CommandRouter, dependencies: Mapping[str, object]) -> None:
    form_arguments = ("ack", "body", "view")  # what Bolt passes a view listener
    app.view(blocks.SCHEDULE_VIEW)(inject(on_schedule_submitted, dependencies, takes=form_arguments))
    app.view(blocks.EDIT_VIEW)(inject(on_edit_submitted, dependencies, takes=form_arguments))
    record_arguments = ("pending", "team_id", "user_id", "reply")
    after_ack = dependencies["after_ack"]
    assert isinstance(after_ack, AfterAck)
    answers = dependencies["answers"]
    assert isinstance(answers, Answers)
    # A refusal after the form closed is answered with a button that opens it again as typed, whether
    # the form ran at once or once its person had linked.
    offer_schedule = offer_the_form(SCHEDULE_FORM, answers=answers)
    schedule = inject(resume_schedule, dependencies, takes=record_arguments)
    router.resumer(RESUME_SCHEDULE, schedule, offer=offer_schedule)
    # A submitted form runs from its record, which is also what a Connect prompt resumes it with.
    after_ack.recoverable(
        Recoverable(
            SCHEDULE_FORM, "schedule form", schedule, pending=lambda record: record, offer=offer_schedule
        )
    )
    after_ack.recoverable(
        Recoverable(
            EDIT_FORM,
            "edit form",
            inject(save_edit, dependencies, takes=("record", *record_arguments[1:])),
            # The form is closed by then; the changes are not resumed, so they are made again from Edit.
            again="press *Edit* on the meeting again",
            offer=offer_the_form(EDIT_FORM, answers=answers),
        )
    )
