"""The shortcuts: "Schedule a Webex meeting" (global) and "Schedule a meeting about this" (on a message).

Both open the schedule form at once (a trigger lasts 3 seconds); the message shortcut fills it with the
message's first line as the topic and its author and the people it mentions as invitees.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.meeting_rules import MAX_TOPIC_LENGTH
from bot.services.linked_accounts import LinkedAccounts
from bot.slack.after_ack import AfterAck
from bot.slack.dependencies import inject
from bot.slack.formatting import typed_text
from bot.slack.meetings import form_blocks
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.form_opener import FormOpener
from bot.slack.meetings.prefill import prefill_value, read_prefill_value
from bot.slack.replies import Replies, Reply
from bot.slack.router import CommandRouter

SCHEDULE_SHORTCUT = "meeting.schedule_shortcut"
MESSAGE_SHORTCUT = "meeting.schedule_about_message"
# Once linked, the form cannot open by itself (its trigger is long gone): an "Open the form" button does.
RESUME_FORM = "meeting.open_form"

_MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")
_BARE_MENTION = re.compile(r"<@([UW][A-Z0-9_]+)>")
_MAX_INVITEES = 20


def _who(body: Mapping[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    return (body.get("team") or {}).get("id") or user.get("team_id") or "", user.get("id") or ""


def people_of(message: Mapping[str, Any], shortcut_user: str) -> tuple[str, ...]:
    """The message's author (unless a bot or the person asking) and everyone it mentions, once each."""
    author = "" if message.get("bot_id") else str(message.get("user") or "")
    mentioned = _MENTION.findall(str(message.get("text") or ""))
    people = dict.fromkeys(u for u in (author, *mentioned) if u and u != shortcut_user)
    return tuple(people)[:_MAX_INVITEES]


async def topic_of(message: Mapping[str, Any], team_id: str, answers: Answers) -> str:
    """The message's first line that has words, as a person reads it (a bare mention shows as a name)."""
    text = str(message.get("text") or "")
    first = next((line for line in text.splitlines() if line.strip()), "")
    ids = tuple(dict.fromkeys(_BARE_MENTION.findall(first)))
    names = await asyncio.gather(*(answers.display_name(team_id, user_id) for user_id in ids))
    for user_id, name in zip(ids, names, strict=True):
        first = first.replace(f"<@{user_id}>", f"<@{user_id}|{name or user_id}>")
    return " ".join(typed_text(first).split())[:MAX_TOPIC_LENGTH]


async def _open(
    prefill: form_blocks.FormPrefill,
    reply: Reply,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    trigger_id: str | None,
    accounts: LinkedAccounts,
    forms: FormOpener,
) -> None:
    # Ask for the link before the person fills in a form, not after.
    await accounts.ensure_linked(team_id, user_id)
    await forms.open_schedule_form(
        reply, team_id=team_id, user_id=user_id, channel_id=channel_id, trigger_id=trigger_id, prefill=prefill
    )


async def on_schedule_shortcut(
    ack: AsyncAck,
    body: dict[str, Any],
    *,
    accounts: LinkedAccounts,
    forms: FormOpener,
    replies: Replies,
    after_ack: AfterAck,
) -> None:
    await ack()
    team_id, user_id = _who(body)
    reply = replies.direct(user_id, None)  # a global shortcut has no channel: answers come as a DM
    prefill = form_blocks.FormPrefill()
    after_ack.run(
        lambda: _open(
            prefill,
            reply,
            team_id=team_id,
            user_id=user_id,
            channel_id="",
            trigger_id=body.get("trigger_id"),
            accounts=accounts,
            forms=forms,
        ),
        team_id=team_id,
        user_id=user_id,
        reply=reply,
        pending={"kind": RESUME_FORM, "value": prefill_value(prefill, "")},
        what="schedule shortcut",
    )


async def on_message_shortcut(
    ack: AsyncAck,
    body: dict[str, Any],
    *,
    accounts: LinkedAccounts,
    forms: FormOpener,
    answers: Answers,
    replies: Replies,
    after_ack: AfterAck,
) -> None:
    await ack()
    team_id, user_id = _who(body)
    channel_id = str((body.get("channel") or {}).get("id") or "")
    message = body.get("message") or {}
    reply = replies.to(body.get("response_url"), user_id, channel_id or None)
    invitees = people_of(message, user_id)

    async def work() -> None:
        prefill = form_blocks.FormPrefill(
            topic=await topic_of(message, team_id, answers), invitee_user_ids=invitees
        )
        await _open(
            prefill,
            reply,
            team_id=team_id,
            user_id=user_id,
            channel_id=channel_id,
            trigger_id=body.get("trigger_id"),
            accounts=accounts,
            forms=forms,
        )

    # The prefill a Connect prompt resumes with: the topic as typed (mentions show as Slack ids).
    first_line = next((line for line in str(message.get("text") or "").splitlines() if line.strip()), "")
    resumed = form_blocks.FormPrefill(topic=typed_text(first_line).strip(), invitee_user_ids=invitees)
    after_ack.run(
        work,
        team_id=team_id,
        user_id=user_id,
        reply=reply,
        pending={"kind": RESUME_FORM, "value": prefill_value(resumed, channel_id), "channel_id": channel_id},
        what="message shortcut",
    )


async def resume_form(
    pending: dict[str, Any], team_id: str, user_id: str, reply: Reply, *, forms: FormOpener
) -> None:
    """Linked now: the form is offered with an "Open the form" button carrying what it was filled with."""
    prefill, channel_id = read_prefill_value(str(pending.get("value") or ""))
    await forms.open_schedule_form(
        reply, team_id=team_id, user_id=user_id, channel_id=channel_id, trigger_id=None, prefill=prefill
    )


def register(app: AsyncApp, router: CommandRouter, dependencies: Mapping[str, object]) -> None:
    app.shortcut(SCHEDULE_SHORTCUT)(inject(on_schedule_shortcut, dependencies, takes=("ack", "body")))
    app.shortcut(MESSAGE_SHORTCUT)(inject(on_message_shortcut, dependencies, takes=("ack", "body")))
    router.resumer(
        RESUME_FORM, inject(resume_form, dependencies, takes=("pending", "team_id", "user_id", "reply"))
    )
