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
from bot.slack.after_ack import AfterAck
from bot.slack.dependencies import inject
from bot.slack.home import HomeTab
from bot.slack.meetings import blocks, form_blocks, texts
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.forms import FormInput, form_errors, read_form
from bot.slack.replies import Replies, Reply
from bot.slack.router import CommandRouter

logger = logging.getLogger(__name__)

RESUME_SCHEDULE = "meeting.schedule_form"


def _pending_schedule(form: FormInput, context: form_blocks.FormContext, key: str) -> dict[str, Any]:
    return {
        "kind": RESUME_SCHEDULE,
        "channel_id": context.channel_id,
        "tz": context.user_tz,
        "key": key,
        "form": {
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
        },
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
    return (body.get("team") or {}).get("id") or user.get("team_id") or "", user.get("id") or ""


async def on_schedule_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    *,
    meetings: MeetingService,
    answers: Answers,
    replies: Replies,
    after_ack: AfterAck,
    clock: Clock,
) -> None:
    context = form_blocks.FormContext.loads(view.get("private_metadata") or "")
    form = read_form(view)
    errors = form_errors(form, context.user_tz, clock.now())
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    team_id, user_id = _who(body)
    # The same view submitted twice (a double click, a retried delivery) is one request.
    key = f"schedule:{team_id}:{user_id}:view:{view.get('id', '')}"
    reply = replies.direct(user_id, context.channel_id or None)
    after_ack.run(
        lambda: schedule_from_form(
            reply,
            team_id=team_id,
            user_id=user_id,
            form=form,
            context=context,
            key=key,
            meetings=meetings,
            answers=answers,
        ),
        team_id=team_id,
        user_id=user_id,
        reply=reply,
        pending=_pending_schedule(form, context, key),
        what="schedule form",
    )


async def on_edit_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    *,
    meetings: MeetingService,
    answers: Answers,
    replies: Replies,
    after_ack: AfterAck,
    clock: Clock,
    home: HomeTab,
) -> None:
    context = form_blocks.FormContext.loads(view.get("private_metadata") or "")
    form = read_form(view)
    original = datetime.fromtimestamp(context.original_start, UTC) if context.original_start else None
    errors = form_errors(form, context.user_tz, clock.now(), original_start=original)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    team_id, user_id = _who(body)
    reply = replies.to(context.response_url or None, user_id, context.channel_id or None)

    async def work() -> None:
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

    after_ack.run(work, team_id=team_id, user_id=user_id, reply=reply, what="edit form")


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
    router.resumer(
        RESUME_SCHEDULE,
        inject(resume_schedule, dependencies, takes=("pending", "team_id", "user_id", "reply")),
    )
