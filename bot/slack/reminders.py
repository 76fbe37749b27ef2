"""Reminders in Slack: `/webex remind`, the Home tab's choice, and the reminder messages themselves."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.meeting_links import MeetingLinks
from bot.services.reminders import (
    DEFAULT_LEAD_MINUTES,
    LEAD_TIMES,
    DueReminder,
    ReminderChoiceInvalid,
    ReminderService,
    ReminderUndeliverable,
    read_choice,
)
from bot.slack.after_ack import AfterAck, Answer, Recoverable
from bot.slack.dependencies import inject
from bot.slack.formatting import escape_clipped, slack_date
from bot.slack.home import HomeTab
from bot.slack.meetings import blocks
from bot.slack.profiles import ProfileNotFound, SlackProfiles
from bot.slack.replies import Replies, Reply
from bot.slack.router import CommandRouter, Invocation, Subcommand
from bot.slack.workspaces import speaking_for, workspace_key

logger = logging.getLogger(__name__)

CHOOSE_ACTION = "reminders.choose"
CHOOSE_KIND = f"menu:{CHOOSE_ACTION}"
# Slack's answers that will not change by trying again on the next turn.
NEVER_DELIVERABLE = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "user_not_found",
        "account_inactive",
        "user_disabled",
    }
)
OFF = "off"
TOPIC_LIMIT = 200


def describe_choice(minutes: int | None) -> str:
    if minutes is None:
        return "Reminders are *off*: the bot does not remind you of your meetings."
    return f"You get a reminder *{minutes} minutes* before each meeting you host."


async def remind(invocation: Invocation, reply: Reply, *, reminders: ReminderService) -> None:
    """`/webex remind` says the current choice; `/webex remind 5|10|15|off|on` changes it."""
    team_id, user_id = invocation.team_id, invocation.user_id
    if not invocation.args.strip():
        current = await reminders.choice(team_id, user_id)
        await reply.send(f"{describe_choice(current)} Change it with `/webex remind 5|10|15|off|on`.")
        return
    try:
        # `on` is the workspace's default lead time, or the product's when the workspace's is off.
        minutes = read_choice(invocation.args, on=reminders.default_minutes or DEFAULT_LEAD_MINUTES)
    except ReminderChoiceInvalid as invalid:
        await reply.send(f":warning: {invalid}")
        return
    await reminders.choose(team_id, user_id, minutes)
    await reply.send(f":white_check_mark: {describe_choice(minutes)}")


def _option(minutes: int | None) -> dict[str, Any]:
    label = "Off" if minutes is None else f"{minutes} minutes before"
    return {"text": blocks.plain(label), "value": OFF if minutes is None else str(minutes)}


async def home_section(team_id: str, user_id: str, *, reminders: ReminderService) -> list[dict[str, Any]]:
    """The Home tab's reminder choice: a menu that takes effect when picked."""
    current = await reminders.choice(team_id, user_id)
    options = [_option(m) for m in LEAD_TIMES] + [_option(None)]
    return [
        {"type": "divider"},
        {
            "type": "section",
            "block_id": "home_reminders",
            "text": blocks.mrkdwn(f"*Reminders*\n{describe_choice(current)}"),
            "accessory": {
                "type": "static_select",
                "action_id": CHOOSE_ACTION,
                "options": options,
                "initial_option": _option(current),
            },
        },
    ]


async def on_choose(ack: AsyncAck, body: dict[str, Any], *, after_ack: AfterAck, replies: Replies) -> None:
    await ack()
    user = body.get("user") or {}
    team_id = workspace_key(body)
    user_id = user.get("id") or ""
    action = (body.get("actions") or [{}])[0]
    value = str((action.get("selected_option") or {}).get("value") or "")
    try:
        minutes = read_choice(value)
    except ReminderChoiceInvalid:
        logger.warning("a reminder menu sent %r, which is not a choice", value)
        return
    # Journaled as the choice it was read as (never the raw menu value), so another process can make it
    # if this one dies; the Home tab, published again, is the answer.
    after_ack.start(
        CHOOSE_KIND,
        {"minutes": minutes},
        team_id=team_id,
        user_id=user_id,
        reply=replies.direct(user_id, None),
        answer=Answer(),
        unique=body.get("trigger_id"),
    )


async def choose(
    record: dict[str, Any],
    team_id: str,
    user_id: str,
    reply: Reply,
    *,
    reminders: ReminderService,
    home: HomeTab,
) -> None:
    minutes = record.get("minutes")
    await reminders.choose(team_id, user_id, int(minutes) if minutes is not None else None)
    await home.publish(team_id, user_id)


def _link_button(label: str, action_id: str, url: str, due: DueReminder) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": blocks.plain(label),
        "url": url,
        "value": due.meeting_id,
    }


class ReminderPoster:
    """Posts a due reminder: the host's DM with Join and Start as host, or the channel's with Join."""

    def __init__(self, slack: AsyncWebClient, meeting_links: MeetingLinks, profiles: SlackProfiles) -> None:
        self._slack = slack
        self._links = meeting_links
        self._profiles = profiles

    async def _host_zone(self, team_id: str, user_id: str) -> ZoneInfo:
        """The host's Slack time zone, for the time's fallback text (Slack shows each reader their own)."""
        try:
            return ZoneInfo((await self._profiles.get(team_id, user_id)).tz or "UTC")
        except (ProfileNotFound, SlackApiError, ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def message(
        self, due: DueReminder, starts_at: datetime, zone: ZoneInfo | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        topic = escape_clipped(due.topic or "Webex meeting", TOPIC_LIMIT)
        local = starts_at.astimezone(zone or ZoneInfo("UTC"))
        when = slack_date(starts_at, f"{local:%H:%M %Z}", "{time}")
        minutes = due.starts_at_minutes
        if minutes > 0:
            lead = f"starts in {minutes} minute{'s' if minutes != 1 else ''} ({when})"
        elif minutes == 0:
            lead = f"starts now ({when})"
        else:
            lead = f"started {-minutes} minute{'s' if minutes != -1 else ''} ago ({when})"
        text = f":alarm_clock: *{topic}* {lead}."
        host = due.host_user_id
        buttons = [
            _link_button("Join", blocks.JOIN, self._links.join(due.team_id, host, due.meeting_id), due)
        ]
        buttons[0]["style"] = "primary"
        if due.to_host:
            # Its press is what lets the host link open (MeetingLinks), as on the host's card.
            url = self._links.host(due.team_id, host, due.meeting_id)
            buttons.append(_link_button("Start as host", blocks.START, url, due))
        card: list[dict[str, Any]] = [
            {"type": "section", "block_id": "reminder", "text": blocks.mrkdwn(text)},
            {"type": "actions", "block_id": "reminder_actions", "elements": buttons},
        ]
        return text, card

    async def __call__(self, due: DueReminder) -> None:
        zone = await self._host_zone(due.team_id, due.host_user_id)
        text, card = self.message(due, due.stored.starts_at, zone)
        try:
            # Sent by a background job, not in a Slack request: as the bot of the meeting's workspace.
            with speaking_for(due.team_id):
                await self._slack.chat_postMessage(channel=due.recipient, text=text, blocks=card)
        except SlackApiError as error:
            reason = str(error.response.get("error") or "")
            if reason in NEVER_DELIVERABLE:
                raise ReminderUndeliverable(f"Slack says {reason} for {due.recipient}") from error
            raise


def register(app: AsyncApp, router: CommandRouter, home: HomeTab, dependencies: Mapping[str, object]) -> None:
    router.add(
        Subcommand(
            names=("remind", "reminders", "reminder"),
            run=inject(remind, dependencies, takes=("invocation", "reply")),
            usage="/webex remind 5|10|15|off|on",
            summary="How long before each meeting you host I remind you, or `off`: `/webex remind 15`.",
        )
    )
    home.sections.append(inject(home_section, dependencies, takes=("team_id", "user_id")))
    app.action(CHOOSE_ACTION)(inject(on_choose, dependencies, takes=("ack", "body")))
    router.after_ack.recoverable(
        Recoverable(
            CHOOSE_KIND,
            "choose reminders",
            inject(choose, dependencies, takes=("record", "team_id", "user_id", "reply")),
        )
    )
