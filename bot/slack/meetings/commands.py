"""The meeting subcommands: schedule, list/today/week, cancel, now, join and edit."""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk.errors import SlackApiError

from bot.domain.meeting_rules import (
    DEFAULT_DURATION_MINUTES,
    MeetingRequestInvalid,
    check_meeting_number,
    duration_allowed,
)
from bot.domain.schedule_text import ScheduleParse, parse_schedule_text
from bot.services.errors import LinkExpired, NotLinked
from bot.services.meetings import ListWindow, ScheduleRequest
from bot.slack.formatting import escape_clipped, typed_text
from bot.slack.meetings import answers, blocks, texts
from bot.slack.meetings.views import open_edit_form
from bot.slack.replies import Reply
from bot.slack.router import Invocation, Subcommand

if TYPE_CHECKING:
    from bot.bootstrap import Services

logger = logging.getLogger(__name__)

_Value = TypeVar("_Value")


def request_key(invocation: Invocation) -> str:
    """One key per typed command: a repeated delivery of it never schedules twice."""
    unique = invocation.trigger_id or secrets.token_hex(8)
    return f"schedule:{invocation.team_id}:{invocation.user_id}:{unique}"


# ---- the form ----------------------------------------------------------------------------------


def prefill_value(prefill: blocks.FormPrefill, channel_id: str) -> str:
    """A form's prefill packed into the "Open the form" button (at most 2000 characters)."""
    data: dict[str, Any] = {
        "topic": prefill.topic[:300],
        "start": int(prefill.start.timestamp()) if prefill.start else None,
        "day": prefill.day.isoformat() if prefill.day else None,
        "time": prefill.clock.strftime("%H:%M") if prefill.clock else None,
        "tz": prefill.time_zone[:64],
        "suggest": prefill.suggest_start,
        "duration": prefill.duration_minutes,
        "users": list(prefill.invitee_user_ids)[:20],
        "emails": list(prefill.emails)[:20],
        "channel": channel_id,
        "problem": prefill.problem[:300],
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= blocks.BUTTON_VALUE_LIMIT else json.dumps({"channel": channel_id})


def read_prefill_value(value: str) -> tuple[blocks.FormPrefill, str]:
    try:
        data = json.loads(value or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    start = data.get("start")
    prefill = blocks.FormPrefill(
        topic=str(data.get("topic") or ""),
        start=datetime.fromtimestamp(int(start), UTC) if isinstance(start, int) else None,
        day=_read(date.fromisoformat, data.get("day")),
        clock=_read(time.fromisoformat, data.get("time")),
        time_zone=str(data.get("tz") or ""),
        suggest_start=data.get("suggest") is not False,
        duration_minutes=_read_duration(data),
        invitee_user_ids=tuple(str(u) for u in data.get("users") or ()),
        emails=tuple(str(e) for e in data.get("emails") or ()),
        problem=str(data.get("problem") or ""),
    )
    return prefill, str(data.get("channel") or "")


def _read_duration(data: dict[str, Any]) -> int | None:
    """The button's duration: None where the form left it to pick, the default where it is unreadable."""
    value = data.get("duration", DEFAULT_DURATION_MINUTES)
    if value is None:
        return None
    return value if isinstance(value, int) and duration_allowed(value) else DEFAULT_DURATION_MINUTES


def _read(parse: Callable[[str], _Value], value: object) -> _Value | None:
    """A value from a button the client sent back: None when it is missing or not what we wrote."""
    if not isinstance(value, str):
        return None
    try:
        return parse(value)
    except ValueError:
        return None


async def open_schedule_form(
    services: Services,
    reply: Reply,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    trigger_id: str | None,
    prefill: blocks.FormPrefill,
) -> None:
    """Open the schedule form; when the trigger is gone, answer with a button that opens it."""
    tz = await answers.user_tz(services, team_id, user_id)
    if trigger_id:
        context = blocks.FormContext(channel_id=channel_id, user_tz=tz)
        view = blocks.schedule_modal(prefill, context, services.clock.now())
        try:
            await services.slack.views_open(trigger_id=trigger_id, view=view)
            return
        except SlackApiError as error:
            logger.info("could not open the schedule form: %s", error.response.get("error"))
    text = prefill.problem or texts.FORM_OPEN_FAILED
    button = {
        "type": "button",
        "action_id": blocks.OPEN_FORM,
        "text": blocks.plain("Open the form", blocks.BUTTON_TEXT_LIMIT),
        "value": prefill_value(prefill, channel_id),
        "style": "primary",
    }
    body = (
        escape_clipped(prefill.problem, blocks.SECTION_TEXT_LIMIT)
        if prefill.problem
        else texts.FORM_OPEN_FAILED
    )
    await reply.send(
        text,
        [
            {"type": "section", "text": blocks.mrkdwn(body)},
            {"type": "actions", "block_id": "open_form", "elements": [button]},
            {"type": "context", "elements": [blocks.mrkdwn(texts.SCHEDULE_EXAMPLES)]},
        ],
    )


# ---- schedule ----------------------------------------------------------------------------------


def prefill_from_text(parsed: ScheduleParse, topic: str, problem: str) -> blocks.FormPrefill:
    """The form for text that cannot be scheduled as is: every field the text settled, each on its own,
    so the form agrees with the text and with the warning above it; what the text left open stays empty."""
    unusable_length = parsed.duration_given and parsed.duration_minutes is None  # "for 25h": left to pick
    return blocks.FormPrefill(
        topic=topic,
        day=parsed.day,
        clock=parsed.clock,
        time_zone=parsed.time_zone,
        suggest_start=False,
        duration_minutes=None if unusable_length else parsed.duration_minutes or DEFAULT_DURATION_MINUTES,
        invitee_user_ids=tuple(parsed.mention_user_ids),
        emails=tuple(parsed.emails),
        problem=problem,
    )


async def ensure_linked(services: Services, team_id: str, user_id: str) -> None:
    """Ask for the link before the person fills in a form, not after (the command resumes once linked)."""
    link = await services.links.get(team_id, user_id)
    if link is None:
        raise NotLinked(f"{team_id}/{user_id} has no Webex link")
    if link.expired:
        raise LinkExpired(f"{team_id}/{user_id} must reconnect")


async def schedule(invocation: Invocation, reply: Reply, services: Services) -> None:
    team_id, user_id = invocation.team_id, invocation.user_id
    if not invocation.args.strip():
        await ensure_linked(services, team_id, user_id)
        await open_schedule_form(
            services,
            reply,
            team_id=team_id,
            user_id=user_id,
            channel_id=invocation.channel_id,
            trigger_id=invocation.trigger_id,
            prefill=blocks.FormPrefill(),
        )
        return
    tz = await answers.user_tz(services, team_id, user_id)
    now = services.clock.now()
    parsed = parse_schedule_text(invocation.args, now=now, user_tz=tz)
    topic = (parsed.topic or "").strip()
    if not topic:
        name = await answers.display_name(services, team_id, user_id)
        topic = f"{name}'s Webex meeting" if name else "Webex meeting"
    duration = parsed.duration_minutes or DEFAULT_DURATION_MINUTES
    problems = [*parsed.problems, *parsed.ambiguities]
    if parsed.unresolved_mentions:
        names = ", ".join(parsed.unresolved_mentions)
        problems.append(f"I could not tell who {names} is in Slack; pick them under Invitees.")
    if parsed.start is None and not problems:
        problems.append("I could not tell when the meeting should be. Pick the date and time here.")
    prefill = prefill_from_text(parsed, topic, "\n".join(problems))
    form_args: dict[str, Any] = {
        "team_id": team_id,
        "user_id": user_id,
        "channel_id": invocation.channel_id,
        "trigger_id": invocation.trigger_id,
    }
    if problems or parsed.start is None:
        # Never guess: show what was understood and let the person fix it.
        await ensure_linked(services, team_id, user_id)
        await open_schedule_form(services, reply, prefill=prefill, **form_args)
        return
    try:
        invitees = await answers.invitees_for(
            services, team_id, tuple(parsed.mention_user_ids), tuple(parsed.emails)
        )
        request = ScheduleRequest(
            topic=topic,
            start=parsed.start,
            user_tz=tz,
            duration_minutes=duration,
            invitees=invitees,
            time_zone=parsed.time_zone,
        )
        services.meetings.draft_for(request)
    except MeetingRequestInvalid as invalid:
        await ensure_linked(services, team_id, user_id)
        await open_schedule_form(
            services, reply, prefill=_with_problem(prefill, invalid.message), **form_args
        )
        return
    scheduled = await services.meetings.schedule(
        team_id, user_id, request, request_key=request_key(invocation)
    )
    await answers.send_scheduled(
        services,
        reply,
        scheduled,
        tz,
        team_id=team_id,
        user_id=user_id,
        channel_id=invocation.channel_id,
        notes=(*parsed.notes, *texts.zone_notes(parsed.time_zone, tz, scheduled.meeting)),
    )


def _with_problem(prefill: blocks.FormPrefill, problem: str) -> blocks.FormPrefill:
    return dataclasses.replace(prefill, problem=problem)


# ---- list, cancel, join, now, edit -------------------------------------------------------------

WINDOWS = {"list": ListWindow.UPCOMING, "today": ListWindow.TODAY, "week": ListWindow.WEEK}


async def list_meetings(invocation: Invocation, reply: Reply, services: Services) -> None:
    window = WINDOWS.get(invocation.subcommand, ListWindow.UPCOMING)
    arg = invocation.args.strip().lower()
    if arg in ("today", "week"):
        window = WINDOWS[arg]
    text, list_blocks, _ = await answers.list_message(
        services, invocation.team_id, invocation.user_id, window
    )
    await reply.send(text, list_blocks)


async def cancel(invocation: Invocation, reply: Reply, services: Services) -> None:
    if not invocation.args.strip():
        await reply.send(texts.CANCEL_NEEDS_NUMBER)
        return
    meeting_id = await services.meetings.meeting_id_for(
        invocation.team_id, invocation.user_id, invocation.args
    )
    meeting = await services.meetings.get(invocation.team_id, invocation.user_id, meeting_id)
    tz = await answers.user_tz(services, invocation.team_id, invocation.user_id)
    await reply.send(f"Cancel {meeting.topic}?", blocks.cancel_confirmation(meeting, tz))


async def join(invocation: Invocation, reply: Reply, services: Services) -> None:
    if not invocation.args.strip():
        await reply.send(texts.JOIN_NEEDS_NUMBER)
        return
    key = check_meeting_number(invocation.args)
    meeting_id = await services.meetings.meeting_id_for(invocation.team_id, invocation.user_id, key)
    name = await answers.display_name(services, invocation.team_id, invocation.user_id)
    url = await services.meetings.join_url(
        invocation.team_id, invocation.user_id, meeting_id, name=name or None
    )
    await reply.send(
        f"Join meeting {key}: {url}",
        [
            {"type": "section", "text": blocks.mrkdwn(f"Meeting *{key}* is ready to join.")},
            {
                "type": "actions",
                "block_id": f"meeting:{meeting_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": blocks.JOIN,
                        "text": blocks.plain("Join", blocks.BUTTON_TEXT_LIMIT),
                        "url": url,
                        "style": "primary",
                        "value": meeting_id,
                    }
                ],
            },
        ],
    )


async def start_now(invocation: Invocation, reply: Reply, services: Services) -> None:
    team_id, user_id = invocation.team_id, invocation.user_id
    tz = await answers.user_tz(services, team_id, user_id)
    topic = typed_text(invocation.args).strip()
    if not topic:
        name = await answers.display_name(services, team_id, user_id)
        topic = f"{name}'s meeting" if name else "Webex meeting"
    scheduled = await services.meetings.start_now(
        team_id, user_id, topic, tz, request_key=request_key(invocation).replace("schedule:", "now:", 1)
    )
    text, card = answers.shared_card(services, team_id, user_id, scheduled, tz)
    note = ":arrow_forward: Started. Press *Start as host* to open it; the channel has the Join button."
    if not scheduled.repeated:
        try:
            await reply.send(text, card, public=True)
        except SlackApiError as error:
            # Resumed after connecting, the post goes through the bot, which may not be in the channel.
            reason = str(error.response.get("error") or "")
            logger.info("could not post the meeting in the channel: %s", reason)
            note = ":arrow_forward: Started. " + texts.could_not_post(reason)
    host_text, host_blocks = answers.host_card(services, team_id, user_id, scheduled, tz, note)
    await reply.send(host_text, host_blocks)


async def edit(invocation: Invocation, reply: Reply, services: Services) -> None:
    if not invocation.args.strip():
        await reply.send(texts.EDIT_NEEDS_NUMBER)
        return
    await open_edit_form(
        services,
        reply,
        team_id=invocation.team_id,
        user_id=invocation.user_id,
        number=check_meeting_number(invocation.args),
        trigger_id=invocation.trigger_id,
        channel_id=invocation.channel_id,
        response_url=invocation.response_url or "",
    )


def subcommands() -> list[Subcommand]:
    return [
        Subcommand(
            names=("schedule", "new", "create"),
            run=schedule,
            usage=texts.SCHEDULE_USAGE,
            summary=texts.SCHEDULE_SUMMARY,
            ack_text=texts.SCHEDULING,
        ),
        Subcommand(
            names=("list", "today", "week", "upcoming"),
            run=list_meetings,
            usage=texts.LIST_USAGE,
            summary=texts.LIST_SUMMARY,
            ack_text=texts.LOOKING,
        ),
        Subcommand(
            names=("now", "instant"),
            run=start_now,
            usage=texts.NOW_USAGE,
            summary=texts.NOW_SUMMARY,
            ack_text=texts.STARTING,
        ),
        Subcommand(
            names=("join",),
            run=join,
            usage=texts.JOIN_USAGE,
            summary=texts.JOIN_SUMMARY,
            ack_text=texts.JOINING,
        ),
        Subcommand(
            names=("edit", "change", "reschedule"),
            run=edit,
            usage=texts.EDIT_USAGE,
            summary=texts.EDIT_SUMMARY,
            ack_text=None,
        ),
        Subcommand(
            names=("cancel", "delete"),
            run=cancel,
            usage=texts.CANCEL_USAGE,
            summary=texts.CANCEL_SUMMARY,
            ack_text=texts.CANCELLING,
        ),
    ]
