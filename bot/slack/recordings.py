"""`/webex recordings`: the person's recent recordings, a Share button that posts the playback link in the
channel, and Rename, which asks Webex for permission to change recordings the first time it is used."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.meeting_rules import MeetingRequestInvalid, duration_text
from bot.domain.meetings import Recording
from bot.services.ports import RecordingNotFound
from bot.services.recordings import MAX_NAME_LENGTH, RecordingService, clean_recording_name
from bot.slack.after_ack import AfterAck, Answer, Recoverable
from bot.slack.dependencies import inject
from bot.slack.errors import add_explainer
from bot.slack.formatting import escape, escape_clipped
from bot.slack.meetings import blocks
from bot.slack.meetings import texts as meeting_texts
from bot.slack.meetings.actions import Click, on_click
from bot.slack.meetings.answers import Answers
from bot.slack.replies import Replies, Reply
from bot.slack.router import CommandRouter, Invocation, Subcommand
from bot.slack.workspaces import workspace_key

logger = logging.getLogger(__name__)

SHARE_RECORDING = "recording.share"
RENAME_RECORDING = "recording.rename"
RENAME_VIEW = "recording.rename"
NAME = "name"
RESUME_RENAME = "recording.rename"
RENAME_FORM = "form:recording.rename"

SEALED_ACTIONS = frozenset({SHARE_RECORDING, RENAME_RECORDING})
SEALED_VIEWS = frozenset({RENAME_VIEW})

USAGE = "/webex recordings"
SUMMARY = "Your recordings of the last 30 days: share a playback link in the channel, or rename one."
LOOKING = "Looking up your recordings…"
NONE_RECENT = "You have no recordings from the last 30 days. Record a meeting in Webex and it shows up here."
NOT_FOUND = (
    "I could not find that recording among yours: it may have been deleted, or be over a year old. "
    "Run `/webex recordings` to see what is there."
)


def explain_recording_error(error: Exception) -> str | None:
    if isinstance(error, RecordingNotFound):
        return NOT_FOUND
    return None


add_explainer(explain_recording_error)


def length_text(seconds: int) -> str:
    """A recording's length in the person's words: "under a minute", "45 min", "1 h 5 min"."""
    if seconds < 60:
        return "under a minute"
    return duration_text(round(seconds / 60))


def recording_list(
    recordings: tuple[Recording, ...], tz: str, *, can_rename: bool = True
) -> list[dict[str, Any]]:
    if not recordings:
        return [{"type": "section", "text": blocks.mrkdwn(NONE_RECENT)}]
    out: list[dict[str, Any]] = [
        {"type": "header", "text": blocks.plain("Your recordings, last 30 days", blocks.HEADER_LIMIT)}
    ]
    for recording in recordings:
        heading = escape_clipped(recording.name or "Untitled recording", 200)
        when = escape(blocks.local_time_text(recording.created, tz))
        out.append(
            {
                "type": "section",
                "block_id": f"recording:{recording.recording_id}",
                "text": blocks.mrkdwn(f"*{heading}*\n{when} · {length_text(recording.duration_seconds)}"),
            }
        )
        elements: list[dict[str, Any]] = [
            {
                "type": "button",
                "action_id": SHARE_RECORDING,
                "text": blocks.plain("Share in channel", blocks.BUTTON_TEXT_LIMIT),
                "value": recording.recording_id,
            }
        ]
        if can_rename:
            rename_value = json.dumps(
                {"id": recording.recording_id, "name": recording.name[:MAX_NAME_LENGTH]}
            )
            elements.append(
                {
                    "type": "button",
                    "action_id": RENAME_RECORDING,
                    "text": blocks.plain("Rename", blocks.BUTTON_TEXT_LIMIT),
                    "value": rename_value,
                }
            )
        out.append(
            {
                "type": "actions",
                "block_id": f"recording_actions:{recording.recording_id}",
                "elements": elements,
            }
        )
    return out[: blocks.MESSAGE_BLOCK_LIMIT]


def shared_post(recording: Recording, tz: str, shared_by: str) -> tuple[str, list[dict[str, Any]]]:
    """The channel's post: who shared it, the name, date and length, and a Play button to the link."""
    name = recording.name or "Untitled recording"
    when = escape(blocks.local_time_text(recording.created, tz))
    text = f"<@{shared_by}> shared a Webex recording: {escape(name)} {recording.playback_url}"
    return text, [
        {"type": "context", "elements": [blocks.mrkdwn(f"<@{shared_by}> shared a Webex recording")]},
        {
            "type": "section",
            "text": blocks.mrkdwn(
                f"*{escape_clipped(name, 200)}*\n{when} · {length_text(recording.duration_seconds)}"
            ),
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "recording.play",
                    "text": blocks.plain("Play", blocks.BUTTON_TEXT_LIMIT),
                    "url": recording.playback_url,
                    "style": "primary",
                }
            ],
        },
    ]


def rename_modal(recording_id: str, name: str, channel_id: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": RENAME_VIEW,
        "title": blocks.plain("Rename recording", blocks.MODAL_TITLE_LIMIT),
        "submit": blocks.plain("Rename", blocks.MODAL_TITLE_LIMIT),
        "close": blocks.plain("Cancel", blocks.MODAL_TITLE_LIMIT),
        "private_metadata": json.dumps({"id": recording_id, "channel": channel_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": NAME,
                "label": blocks.plain("New name", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": blocks.VALUE,
                    "initial_value": name,
                    "max_length": MAX_NAME_LENGTH,
                },
            }
        ],
    }


# ---- listeners ---------------------------------------------------------------------------------


async def list_recordings(
    invocation: Invocation, reply: Reply, *, recordings: RecordingService, answers: Answers
) -> None:
    team_id, user_id = invocation.team_id, invocation.user_id
    found = await recordings.recent(team_id, user_id)
    tz = await answers.user_tz(team_id, user_id)
    text = f"{len(found)} recordings from the last 30 days" if found else NONE_RECENT
    listed = recording_list(found, tz, can_rename=recordings.can_rename)
    await reply.send(text, answers.seal(listed, team_id, user_id))


async def share(
    click: Click, *, recordings: RecordingService, answers: Answers, slack: AsyncWebClient
) -> None:
    if not click.channel_id:
        await click.reply.send(meeting_texts.NO_CHANNEL_TO_SHARE)
        return
    recording = await recordings.find(click.team_id, click.user_id, click.value)
    tz = await answers.user_tz(click.team_id, click.user_id)
    text, post = shared_post(recording, tz, click.user_id)
    try:
        await slack.chat_postMessage(channel=click.channel_id, text=text, blocks=post)
    except SlackApiError as error:
        reason = str(error.response.get("error") or "")
        logger.info("could not post the recording in %s: %s", click.channel_id, reason)
        await click.reply.send(meeting_texts.could_not_post(reason))


async def open_rename(click: Click, *, answers: Answers, slack: AsyncWebClient) -> None:
    try:
        data = json.loads(click.value)
        recording_id, name = str(data["id"]), str(data.get("name") or "")
    except (ValueError, KeyError, TypeError):
        await click.reply.send(NOT_FOUND)
        return
    if not click.trigger_id:
        await click.reply.send("I could not open the form in time. Press Rename again.")
        return
    view = answers.seal_view(rename_modal(recording_id, name, click.channel_id), click.team_id, click.user_id)
    try:
        await slack.views_open(trigger_id=click.trigger_id, view=view)
    except SlackApiError as error:
        logger.info("could not open the rename form: %s", error.response.get("error"))
        await click.reply.send("I could not open the form in time. Press Rename again.")


async def rename(
    reply: Reply, team_id: str, user_id: str, recording_id: str, name: str, *, recordings: RecordingService
) -> None:
    stored = await recordings.rename(team_id, user_id, recording_id, name)
    await reply.send(f":pencil2: Renamed the recording to *{escape(stored)}*.")


async def on_rename_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    *,
    recordings: RecordingService,
    replies: Replies,
    after_ack: AfterAck,
) -> None:
    typed = str(
        ((view.get("state") or {}).get("values") or {}).get(NAME, {}).get(blocks.VALUE, {}).get("value") or ""
    )
    try:
        name = clean_recording_name(typed)
    except MeetingRequestInvalid as invalid:
        await ack(response_action="errors", errors={NAME: str(invalid)})
        return
    await ack()
    metadata = json.loads(view.get("private_metadata") or "{}")
    recording_id, channel_id = str(metadata.get("id") or ""), str(metadata.get("channel") or "")
    user = body.get("user") or {}
    team_id = workspace_key(body)
    user_id = user.get("id") or ""
    # Run from its record, which is what a Connect prompt resumes it with once the person has approved
    # the permission to change recordings, and what another process runs again if this one dies.
    after_ack.start(
        RENAME_FORM,
        {"kind": RESUME_RENAME, "id": recording_id, "name": name, "channel_id": channel_id},
        team_id=team_id,
        user_id=user_id,
        reply=replies.direct(user_id, channel_id or None),
        answer=Answer(channel_id=channel_id or None),
        unique=str(view.get("id") or "") or None,
    )


async def resume_rename(
    pending: dict[str, Any], team_id: str, user_id: str, reply: Reply, *, recordings: RecordingService
) -> None:
    await rename(
        reply,
        team_id,
        user_id,
        str(pending.get("id") or ""),
        str(pending.get("name") or ""),
        recordings=recordings,
    )


def register(app: AsyncApp, router: CommandRouter, dependencies: Mapping[str, object]) -> None:
    router.add(
        Subcommand(
            names=("recordings", "recording"),
            run=inject(list_recordings, dependencies, takes=("invocation", "reply")),
            usage=USAGE,
            summary=SUMMARY,
            ack_text=LOOKING,
        )
    )
    listen = inject(on_click, dependencies, takes=("action_id", "what", "work", "label"))
    app.action(SHARE_RECORDING)(
        listen(
            SHARE_RECORDING,
            "share recording",
            inject(share, dependencies, takes=("click",)),
            "Share in channel",
        )
    )
    app.action(RENAME_RECORDING)(
        listen(
            RENAME_RECORDING,
            "rename recording",
            inject(open_rename, dependencies, takes=("click",)),
            "Rename",
        )
    )
    app.action("recording.play")(_ack_only)
    app.view(RENAME_VIEW)(inject(on_rename_submitted, dependencies, takes=("ack", "body", "view")))
    rename_again = inject(resume_rename, dependencies, takes=("pending", "team_id", "user_id", "reply"))
    router.resumer(RESUME_RENAME, rename_again)
    router.after_ack.recoverable(
        Recoverable(RENAME_FORM, "rename recording", rename_again, pending=lambda record: record)
    )


async def _ack_only(ack: AsyncAck) -> None:
    await ack()  # the Play link opens in the browser; Slack still tells us about the click
