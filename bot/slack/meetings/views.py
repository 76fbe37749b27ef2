"""The schedule and edit forms: opening them, checking them in the ack, and carrying them out after it."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from bot.domain.meeting_rules import DEFAULT_DURATION_MINUTES
from bot.domain.meetings import Invitee
from bot.services.meetings import MeetingEdit, ScheduledMeeting, ScheduleInProgress, ScheduleRequest
from bot.slack.errors import explain
from bot.slack.events import publish_home
from bot.slack.meetings import answers, blocks, texts
from bot.slack.meetings.forms import FormInput, form_errors, read_form
from bot.slack.replies import DirectReply, Reply, ResponseUrlReply
from bot.slack.router import CommandRouter

if TYPE_CHECKING:
    from bot.bootstrap import Services

logger = logging.getLogger(__name__)

RESUME_SCHEDULE = "meeting.schedule_form"


def _loading_view(title: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": blocks.plain(title, blocks.MODAL_TITLE_LIMIT),
        "close": blocks.plain("Close", blocks.MODAL_TITLE_LIMIT),
        "blocks": [
            {
                "type": "section",
                "text": blocks.mrkdwn(":hourglass_flowing_sand: Getting the meeting from Webex…"),
            }
        ],
    }


def _message_view(title: str, text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": blocks.plain(title, blocks.MODAL_TITLE_LIMIT),
        "close": blocks.plain("Close", blocks.MODAL_TITLE_LIMIT),
        "blocks": [{"type": "section", "text": blocks.mrkdwn(text)}],
    }


async def open_edit_form(
    services: Services,
    reply: Reply,
    *,
    team_id: str,
    user_id: str,
    meeting_id: str = "",
    number: str = "",
    trigger_id: str | None,
    channel_id: str,
    response_url: str,
    from_home: bool = False,
) -> None:
    """Open a waiting form at once (the trigger lasts 3 s), then fill it from the meeting as it is.

    A button gives the meeting's id; a typed command gives its `number`, looked up after the form opened."""
    if not trigger_id:
        await reply.send(texts.EDIT_NEEDS_NUMBER)
        return
    try:
        opened = await services.slack.views_open(trigger_id=trigger_id, view=_loading_view("Edit meeting"))
    except SlackApiError as error:
        logger.info("could not open the edit form: %s", error.response.get("error"))
        await reply.send("I could not open the form in time. Press Edit again.")
        return
    view_id = opened["view"]["id"]
    try:
        meeting_id = meeting_id or await services.meetings.meeting_id_for(team_id, user_id, number)
        meeting = await services.meetings.get(team_id, user_id, meeting_id)
    except Exception as error:
        await services.slack.views_update(view_id=view_id, view=_message_view("Edit meeting", explain(error)))
        raise
    tz = await answers.user_tz(services, team_id, user_id)
    context = blocks.FormContext(
        channel_id=channel_id,
        user_tz=tz,
        meeting_id=meeting.meeting_id,
        response_url=response_url,
        original_start=int(meeting.start.timestamp()),
        from_home=from_home,
    )
    await services.slack.views_update(
        view_id=view_id, view=blocks.edit_modal(meeting, context, services.clock.now())
    )


def _pending_schedule(form: FormInput, context: blocks.FormContext, key: str) -> dict[str, Any]:
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
    )


async def schedule_from_form(
    services: Services,
    reply: Reply,
    *,
    team_id: str,
    user_id: str,
    form: FormInput,
    context: blocks.FormContext,
    key: str,
) -> None:
    start = form.start(context.user_tz)
    if start is None:
        await reply.send("The form had no date or time. Run `/webex schedule` again.")
        return
    invitees: tuple[Invitee, ...] = await answers.invitees_for(services, team_id, form.user_ids, form.emails)
    request = ScheduleRequest(
        topic=form.topic,
        start=start,
        user_tz=context.user_tz,
        duration_minutes=form.duration_minutes,
        agenda=form.agenda,
        invitees=invitees,
        password=form.password,
        time_zone=form.zone(context.user_tz),
    )
    try:
        scheduled = await services.meetings.schedule(team_id, user_id, request, request_key=key)
    except ScheduleInProgress:
        logger.info("form %s submitted again while it is being scheduled", key)
        await reply.send(texts.STILL_SCHEDULING)
        return
    await answers.send_scheduled(
        services,
        reply,
        scheduled,
        context.user_tz,
        team_id=team_id,
        user_id=user_id,
        channel_id=context.channel_id,
        share=form.post_in_channel,
        notes=texts.zone_notes(form.zone(context.user_tz), context.user_tz, scheduled.meeting),
    )


def register(app: AsyncApp, router: CommandRouter, services: Services) -> None:
    def who(body: dict[str, Any]) -> tuple[str, str]:
        user = body.get("user") or {}
        return (body.get("team") or {}).get("id") or user.get("team_id") or "", user.get("id") or ""

    async def on_schedule_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        context = blocks.FormContext.loads(view.get("private_metadata") or "")
        form = read_form(view)
        errors = form_errors(form, context.user_tz, services.clock.now())
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        team_id, user_id = who(body)
        # The same view submitted twice (a double click, a retried delivery) is one request.
        key = f"schedule:{team_id}:{user_id}:view:{view.get('id', '')}"
        reply = DirectReply(services.slack, user_id=user_id, channel_id=context.channel_id or None)
        pending = _pending_schedule(form, context, key)
        services.work.spawn(
            router.guarded(
                lambda: schedule_from_form(
                    services, reply, team_id=team_id, user_id=user_id, form=form, context=context, key=key
                ),
                team_id=team_id,
                user_id=user_id,
                reply=reply,
                pending=pending,
                what="schedule form",
            ),
            name="schedule form",
        )

    async def on_edit_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        context = blocks.FormContext.loads(view.get("private_metadata") or "")
        form = read_form(view)
        original = datetime.fromtimestamp(context.original_start, UTC) if context.original_start else None
        errors = form_errors(form, context.user_tz, services.clock.now(), original_start=original)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        team_id, user_id = who(body)
        reply: Reply = (
            ResponseUrlReply(context.response_url, session=services.slack_session)
            if context.response_url
            else DirectReply(services.slack, user_id=user_id, channel_id=context.channel_id or None)
        )

        async def work() -> None:
            invitees = await answers.invitees_for(services, team_id, form.user_ids, form.emails)
            edit = MeetingEdit(
                user_tz=context.user_tz,
                topic=form.topic,
                start=form.start(context.user_tz),
                duration_minutes=form.duration_minutes,
                agenda=form.agenda,
                invitees=invitees,
            )
            result = await services.meetings.change(team_id, user_id, context.meeting_id, edit)
            text, card = answers.host_card(
                services,
                team_id,
                user_id,
                ScheduledMeeting(meeting=result.meeting),
                context.user_tz,
                texts.changed_note(result.changed),
            )
            await reply.send(text, card, replace=bool(context.response_url))
            if context.from_home:
                await publish_home(router, services, team_id, user_id)

        services.work.spawn(
            router.guarded(
                work, team_id=team_id, user_id=user_id, reply=reply, pending=None, what="edit form"
            ),
            name="edit form",
        )

    async def resume_schedule(
        pending: dict[str, Any], team_id: str, user_id: str, reply: Reply, services: Services
    ) -> None:
        context = blocks.FormContext(
            channel_id=str(pending.get("channel_id") or ""), user_tz=str(pending.get("tz"))
        )
        await schedule_from_form(
            services,
            reply,
            team_id=team_id,
            user_id=user_id,
            form=_form_from_pending(pending),
            context=context,
            key=str(pending.get("key") or f"schedule:{team_id}:{user_id}:resumed:{secrets.token_hex(8)}"),
        )

    app.view(blocks.SCHEDULE_VIEW)(on_schedule_submitted)
    app.view(blocks.EDIT_VIEW)(on_edit_submitted)
    router.resumer(RESUME_SCHEDULE, resume_schedule)
