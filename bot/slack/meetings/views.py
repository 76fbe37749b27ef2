"""The schedule and edit forms: opening them, checking them in the ack, and carrying them out after it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.clock import Clock
from bot.domain.meeting_rules import DEFAULT_DURATION_MINUTES
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
from bot.slack.replies import Replies, Reply
from bot.slack.router import CommandRouter
from bot.slack.workspaces import workspace_key

logger = logging.getLogger(__name__)

RESUME_SCHEDULE = "meeting.schedule_form"
# Kinds of work a process that dies leaves to another (bot/slack/after_ack.py `Recoverable`).
SCHEDULE_FORM = "form:meeting.schedule"
EDIT_FORM = "form:meeting.edit"


def _form_record(form: FormInput) -> dict[str, Any]:
    return {
        "topic": form.topic,
        "day": form.day,
        "time": form.clock_time,
        "duration": form.duration_minutes,
        "users": list(form.user_ids),
        "emails": list(form.emails),
        "agenda": form.agenda,
        "post": form.post_in_channel,
        "password": form.password,
        "zone": form.time_zone,
        "repeats": form.repeats,
        "repeat_until": form.repeat_until,
        "repeat_count": form.repeat_count,
    }


def _pending_schedule(form: FormInput, context: form_blocks.FormContext, key: str) -> dict[str, Any]:
    """The submitted form as a Connect prompt resumes it, and as another process runs it again."""
    return {
        "kind": RESUME_SCHEDULE,
        "channel_id": context.channel_id,
        "tz": context.user_tz,
        "key": key,
        "form": _form_record(form),
    }


def _form_from_pending(pending: dict[str, Any]) -> FormInput:
    data = pending.get("form") or {}
    return FormInput(
        topic=str(data.get("topic") or ""),
        day=str(data.get("day") or ""),
        clock_time=str(data.get("time") or ""),
        duration_minutes=int(data.get("duration") or DEFAULT_DURATION_MINUTES),
        user_ids=tuple(str(u) for u in data.get("users") or ()),
        emails=tuple(str(e) for e in data.get("emails") or ()),
        agenda=str(data.get("agenda") or ""),
        post_in_channel=bool(data.get("post")),
        password=str(data.get("password") or ""),
        time_zone=str(data.get("zone") or ""),
        repeats=str(data.get("repeats") or ""),
        repeat_until=str(data.get("repeat_until") or ""),
        repeat_count=str(data.get("repeat_count") or ""),
    )


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


async def on_schedule_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    *,
    replies: Replies,
    after_ack: AfterAck,
    clock: Clock,
    meetings: MeetingService,
) -> None:
    context = form_blocks.FormContext.loads(view.get("private_metadata") or "")
    form = read_form(view)
    errors = form_errors(form, context.user_tz, clock.now(), limits=meetings.meeting_limits)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    team_id, user_id = _who(body)
    # The same view submitted twice (a double click, a retried delivery) is one request.
    key = f"schedule:{team_id}:{user_id}:view:{view.get('id', '')}"
    # Run from the record of the form, as another process would run it if this one died: the same
    # idempotency key makes sure the meeting is made once either way.
    after_ack.start(
        SCHEDULE_FORM,
        _pending_schedule(form, context, key),
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
) -> None:
    context = form_blocks.FormContext.loads(view.get("private_metadata") or "")
    form = read_form(view)
    original = datetime.fromtimestamp(context.original_start, UTC) if context.original_start else None
    errors = form_errors(
        form, context.user_tz, clock.now(), original_start=original, limits=meetings.meeting_limits
    )
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    team_id, user_id = _who(body)
    after_ack.start(
        EDIT_FORM,
        {"form": _form_record(form), "context": context.dumps()},
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
    form = _form_from_pending(record)
    invitees = await answers.invitees_for(team_id, form.user_ids, form.emails)
    edit = MeetingEdit(
        user_tz=context.user_tz,
        topic=form.topic,
        start=form.start(context.user_tz),
        duration_minutes=form.duration_minutes,
        agenda=form.agenda,
        invitees=invitees,
    )
    result = await meetings.change(team_id, user_id, context.meeting_id, edit)
    if result.changed:
        await answers.update_channel_copies(team_id, user_id, ScheduledMeeting(meeting=result.meeting))
    text, card = answers.host_card(
        team_id,
        user_id,
        ScheduledMeeting(meeting=result.meeting),
        context.user_tz,
        texts.changed_note(result.changed, series=result.meeting.recurrence is not None),
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
        form=_form_from_pending(pending),
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
    schedule = inject(resume_schedule, dependencies, takes=record_arguments)
    router.resumer(RESUME_SCHEDULE, schedule)
    after_ack = dependencies["after_ack"]
    assert isinstance(after_ack, AfterAck)
    # A submitted form runs from its record, which is also what a Connect prompt resumes it with.
    after_ack.recoverable(
        Recoverable(SCHEDULE_FORM, "schedule form", schedule, pending=lambda record: record)
    )
    after_ack.recoverable(
        Recoverable(
            EDIT_FORM,
            "edit form",
            inject(save_edit, dependencies, takes=("record", *record_arguments[1:])),
            # The form is closed by then; the changes are not resumed, so they are made again from Edit.
            again="press *Edit* on the meeting again",
        )
    )
