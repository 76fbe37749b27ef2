"""The meeting subcommands: schedule, list/today/week, cancel, now, join and edit."""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from bot.domain.clock import Clock
from bot.domain.meeting_rules import (
    DEFAULT_DURATION_MINUTES,
    MeetingRequestInvalid,
    SeveralMeetingNumbers,
    check_meeting_number,
)
from bot.domain.schedule_text import parse_schedule_text
from bot.services.linked_accounts import LinkedAccounts
from bot.services.meetings import ListWindow, MeetingService, ScheduleRequest
from bot.slack.dependencies import inject
from bot.slack.formatting import escape, escape_clipped, typed_links, typed_text
from bot.slack.meetings import blocks, form_blocks, texts
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.form_opener import FormOpener
from bot.slack.meetings.prefill import prefill_from_text
from bot.slack.replies import Reply
from bot.slack.router import Invocation, Subcommand

logger = logging.getLogger(__name__)

TAKES = ("invocation", "reply")  # what the router passes every subcommand


def request_key(invocation: Invocation) -> str:
    """One key per typed command: a repeated delivery of it never schedules twice."""
    unique = invocation.trigger_id or secrets.token_hex(8)
    return f"schedule:{invocation.team_id}:{invocation.user_id}:{unique}"


# ---- the form ----------------------------------------------------------------------------------


# ---- schedule ----------------------------------------------------------------------------------


async def schedule(
    invocation: Invocation,
    reply: Reply,
    *,
    meetings: MeetingService,
    answers: Answers,
    accounts: LinkedAccounts,
    forms: FormOpener,
    clock: Clock,
) -> None:
    team_id, user_id = invocation.team_id, invocation.user_id
    if not invocation.args.strip():
        # Ask for the link before the person fills in a form, not after (the command resumes once linked).
        await accounts.ensure_linked(team_id, user_id)
        await forms.open_schedule_form(
            reply,
            team_id=team_id,
            user_id=user_id,
            channel_id=invocation.channel_id,
            trigger_id=invocation.trigger_id,
            prefill=form_blocks.FormPrefill(),
        )
        return
    tz = await answers.user_tz(team_id, user_id)
    now = clock.now()
    parsed = parse_schedule_text(invocation.args, now=now, user_tz=tz)
    topic = (parsed.topic or "").strip()
    if not topic:
        name = await answers.display_name(team_id, user_id)
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
        await accounts.ensure_linked(team_id, user_id)
        await forms.open_schedule_form(reply, prefill=prefill, **form_args)
        return
    try:
        invitees = await answers.invitees_for(team_id, tuple(parsed.mention_user_ids), tuple(parsed.emails))
        request = ScheduleRequest(
            topic=topic,
            start=parsed.start,
            user_tz=tz,
            duration_minutes=duration,
            invitees=invitees,
            time_zone=parsed.time_zone,
            recurrence=parsed.recurrence,
        )
        meetings.draft_for(request)
    except MeetingRequestInvalid as invalid:
        await accounts.ensure_linked(team_id, user_id)
        await forms.open_schedule_form(reply, prefill=_with_problem(prefill, invalid.message), **form_args)
        return
    scheduled = await meetings.schedule(team_id, user_id, request, request_key=request_key(invocation))
    await answers.send_scheduled(
        reply,
        scheduled,
        tz,
        team_id=team_id,
        user_id=user_id,
        channel_id=invocation.channel_id,
        notes=(*parsed.notes, *texts.zone_notes(parsed.time_zone, tz, scheduled.meeting)),
    )


def _with_problem(prefill: form_blocks.FormPrefill, problem: str) -> form_blocks.FormPrefill:
    return dataclasses.replace(prefill, problem=problem)


# ---- list, cancel, join, now, edit -------------------------------------------------------------


def typed_number(invocation: Invocation) -> str:
    """The meeting number typed, or read from a pasted Webex link (raises MeetingRequestInvalid)."""
    return check_meeting_number(typed_links(invocation.args))


def needs_number(missing: str) -> Callable[[Invocation], tuple[str, None] | None]:
    """The usage error of a subcommand that takes a meeting number, when the number is missing or is
    not one: known without any I/O, so it is answered in the ack (None when the number looks right)."""

    def usage_error(invocation: Invocation) -> tuple[str, None] | None:
        if not invocation.args.strip():
            return missing, None
        try:
            typed_number(invocation)
        except SeveralMeetingNumbers as several:
            return texts.one_meeting_at_a_time(invocation.name, several.numbers), None
        except MeetingRequestInvalid as invalid:
            if trailing := number_and_words(invocation.args):
                number, words = trailing
                return texts.number_then_words(invocation.name, number, escape_clipped(words, 80)), None
            return escape(invalid.message), None  # it quotes what was typed, shown as typed
        return None

    return usage_error


_NUMBER_THEN_WORDS = re.compile(r"([\d\s-]+?)\s+(\D.*)", re.DOTALL)


def number_and_words(args: str) -> tuple[str, str] | None:
    """A meeting number followed by words (`123 456 789 tomorrow`): the number and the words as typed;
    None when the text does not start with a meeting number."""
    found = _NUMBER_THEN_WORDS.fullmatch(args.strip())
    if found is None:
        return None
    try:
        number = check_meeting_number(found[1])
    except MeetingRequestInvalid:
        return None
    return number, typed_text(found[2]).strip()


WINDOWS = {"list": ListWindow.UPCOMING, "today": ListWindow.TODAY, "week": ListWindow.WEEK}


async def list_meetings(invocation: Invocation, reply: Reply, *, answers: Answers) -> None:
    window = WINDOWS.get(invocation.subcommand, ListWindow.UPCOMING)
    arg = invocation.args.strip().lower()
    if arg in ("today", "week"):
        window = WINDOWS[arg]
    text, list_blocks, _ = await answers.list_message(invocation.team_id, invocation.user_id, window)
    await reply.send(text, list_blocks)


async def cancel(invocation: Invocation, reply: Reply, *, meetings: MeetingService, answers: Answers) -> None:
    if not invocation.args.strip():
        await reply.send(texts.CANCEL_NEEDS_NUMBER)
        return
    meeting_id = await meetings.meeting_id_for(
        invocation.team_id, invocation.user_id, typed_number(invocation)
    )
    meeting = await meetings.get(invocation.team_id, invocation.user_id, meeting_id)
    tz = await answers.user_tz(invocation.team_id, invocation.user_id)
    question = blocks.cancel_confirmation(meeting, tz)
    await reply.send(
        f"Cancel {meeting.topic}?", answers.seal(question, invocation.team_id, invocation.user_id)
    )


async def join(invocation: Invocation, reply: Reply, *, meetings: MeetingService, answers: Answers) -> None:
    if not invocation.args.strip():
        await reply.send(texts.JOIN_NEEDS_NUMBER)
        return
    key = typed_number(invocation)
    name = await answers.display_name(invocation.team_id, invocation.user_id)
    # By number, not through the person's own meetings: anyone's meeting Webex lets them join.
    url = await meetings.join_url_by_number(invocation.team_id, invocation.user_id, key, name=name or None)
    await reply.send(
        f"Join meeting {key}: {url}",
        [
            {"type": "section", "text": blocks.mrkdwn(f"Meeting *{key}* is ready to join.")},
            {
                "type": "actions",
                "block_id": f"meeting:{key}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": blocks.JOIN,
                        "text": blocks.plain("Join", blocks.BUTTON_TEXT_LIMIT),
                        "url": url,
                        "style": "primary",
                        "value": key,
                    }
                ],
            },
        ],
    )


async def start_now(
    invocation: Invocation, reply: Reply, *, meetings: MeetingService, answers: Answers
) -> None:
    team_id, user_id = invocation.team_id, invocation.user_id
    tz = await answers.user_tz(team_id, user_id)
    topic = typed_text(invocation.args).strip()
    if not topic:
        name = await answers.display_name(team_id, user_id)
        topic = f"{name}'s meeting" if name else "Webex meeting"
    scheduled = await meetings.start_now(
        team_id, user_id, topic, tz, request_key=request_key(invocation).replace("schedule:", "now:", 1)
    )
    note = ":arrow_forward: Started. Press *Start as host* to open it; the channel has the Join button."
    if not scheduled.repeated:
        # Posted by the bot and remembered, so an edit or a cancel updates the channel's copy.
        not_posted = await answers.post_in_channel(team_id, invocation.channel_id, scheduled, tz, user_id)
        if not_posted:
            note = ":arrow_forward: Started. " + not_posted
    host_text, host_blocks = answers.host_card(team_id, user_id, scheduled, tz, note)
    await reply.send(host_text, host_blocks)


async def edit(invocation: Invocation, reply: Reply, *, forms: FormOpener) -> None:
    if not invocation.args.strip():
        await reply.send(texts.EDIT_NEEDS_NUMBER)
        return
    await forms.open_edit_form(
        reply,
        team_id=invocation.team_id,
        user_id=invocation.user_id,
        number=typed_number(invocation),
        trigger_id=invocation.trigger_id,
        channel_id=invocation.channel_id,
        response_url=invocation.response_url or "",
    )


def subcommands(dependencies: Mapping[str, object]) -> list[Subcommand]:
    """The meeting subcommands, each given the dependencies it names."""
    return [
        Subcommand(
            names=("schedule", "new", "create"),
            run=inject(schedule, dependencies, takes=TAKES),
            usage=texts.SCHEDULE_USAGE,
            summary=texts.SCHEDULE_SUMMARY,
            ack_text=texts.SCHEDULING,
        ),
        Subcommand(
            names=("list", "today", "week", "upcoming"),
            run=inject(list_meetings, dependencies, takes=TAKES),
            usage=texts.LIST_USAGE,
            summary=texts.LIST_SUMMARY,
            ack_text=texts.LOOKING,
        ),
        Subcommand(
            names=("now", "instant"),
            run=inject(start_now, dependencies, takes=TAKES),
            usage=texts.NOW_USAGE,
            summary=texts.NOW_SUMMARY,
            ack_text=texts.STARTING,
        ),
        Subcommand(
            names=("join",),
            run=inject(join, dependencies, takes=TAKES),
            usage=texts.JOIN_USAGE,
            summary=texts.JOIN_SUMMARY,
            instant=needs_number(texts.JOIN_NEEDS_NUMBER),
            ack_text=texts.JOINING,
        ),
        Subcommand(
            names=("edit", "change", "reschedule"),
            run=inject(edit, dependencies, takes=TAKES),
            usage=texts.EDIT_USAGE,
            summary=texts.EDIT_SUMMARY,
            instant=needs_number(texts.EDIT_NEEDS_NUMBER),
            ack_text=None,
        ),
        Subcommand(
            names=("cancel", "delete"),
            run=inject(cancel, dependencies, takes=TAKES),
            usage=texts.CANCEL_USAGE,
            summary=texts.CANCEL_SUMMARY,
            instant=needs_number(texts.CANCEL_NEEDS_NUMBER),
            ack_text=texts.CANCELLING,
        ),
    ]
