"""Opening the schedule and edit forms: at once, within the 3 seconds a trigger lasts."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock
from bot.services.meetings import MeetingService
from bot.services.ports import MeetingNotFound
from bot.slack.errors import explain
from bot.slack.formatting import escape_clipped
from bot.slack.meetings import blocks, form_blocks, texts
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.prefill import prefill_value
from bot.slack.replies import Reply

logger = logging.getLogger("bot.slack.meetings.views")


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


class FormOpener:
    """Opens the forms a person fills in; without a usable trigger, answers with what to do instead."""

    def __init__(
        self, *, slack: AsyncWebClient, clock: Clock, answers: Answers, meetings: MeetingService
    ) -> None:
        self._slack = slack
        self._clock = clock
        self._answers = answers
        self._meetings = meetings

    async def open_schedule_form(
        self,
        reply: Reply,
        *,
        team_id: str,
        user_id: str,
        channel_id: str,
        trigger_id: str | None,
        prefill: form_blocks.FormPrefill,
    ) -> None:
        """Open the schedule form; when the trigger is gone, answer with a button that opens it."""
        tz = await self._answers.user_tz(team_id, user_id)
        context = form_blocks.FormContext(channel_id=channel_id, user_tz=tz)
        view = form_blocks.schedule_modal(prefill, context, self._clock.now())
        if await self.open_view(view, team_id=team_id, user_id=user_id, trigger_id=trigger_id):
            return
        not_opened = texts.FORM_OPEN_FAILED if trigger_id else texts.FORM_TO_OPEN
        text = prefill.problem or not_opened
        button = {
            "type": "button",
            "action_id": blocks.OPEN_FORM,
            "text": blocks.plain("Open the form", blocks.BUTTON_TEXT_LIMIT),
            "value": prefill_value(prefill, channel_id),
            "style": "primary",
        }
        body = escape_clipped(prefill.problem, blocks.SECTION_TEXT_LIMIT) if prefill.problem else not_opened
        message: list[dict[str, Any]] = [
            {"type": "section", "text": blocks.mrkdwn(body)},
            {"type": "actions", "block_id": "open_form", "elements": [button]},
            {"type": "context", "elements": [blocks.mrkdwn(texts.SCHEDULE_EXAMPLES)]},
        ]
        await reply.send(text, self._answers.seal(message, team_id, user_id))

    async def open_view(
        self, view: dict[str, Any], *, team_id: str, user_id: str, trigger_id: str | None
    ) -> bool:
        """Open a form, sealed for this person; False when Slack would not (the trigger is gone)."""
        if not trigger_id:
            return False
        try:
            await self._slack.views_open(
                trigger_id=trigger_id, view=self._answers.seal_view(view, team_id, user_id)
            )
        except SlackApiError as error:
            logger.info("could not open %s: %s", view.get("callback_id"), error.response.get("error"))
            return False
        return True

    async def open_edit_form(
        self,
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
    ) -> bool:
        """Open a waiting form at once (the trigger lasts 3 s), then fill it from the meeting as it is.

        A button gives the meeting's id; a typed command gives its `number`, looked up once the form
        is open. False when the button's meeting is gone from Webex: the form says so, and the caller
        turns the card it was pressed on into a cancelled one."""
        if not trigger_id:
            await reply.send(texts.EDIT_NEEDS_NUMBER)
            return True
        try:
            opened = await self._slack.views_open(trigger_id=trigger_id, view=_loading_view("Edit meeting"))
        except SlackApiError as error:
            logger.info("could not open the edit form: %s", error.response.get("error"))
            await reply.send("I could not open the form in time. Press Edit again.")
            return True
        view_id = opened["view"]["id"]
        from_button = bool(meeting_id)
        try:
            meeting_id = meeting_id or await self._meetings.meeting_id_for(team_id, user_id, number)
            meeting = await self._meetings.get(team_id, user_id, meeting_id)
        except MeetingNotFound as error:
            # Pressed on a card whose meeting was deleted on the Webex site: "no meeting with that
            # number" would puzzle someone who typed no number, and the card would keep its buttons.
            text = texts.EDIT_GONE if from_button else explain(error)
            await self._slack.views_update(view_id=view_id, view=_message_view("Edit meeting", text))
            if from_button:
                return False
            raise
        except Exception as error:
            await self._slack.views_update(
                view_id=view_id, view=_message_view("Edit meeting", explain(error))
            )
            raise
        tz = await self._answers.user_tz(team_id, user_id)
        context = form_blocks.FormContext(
            channel_id=channel_id,
            user_tz=tz,
            meeting_id=meeting.meeting_id,
            response_url=response_url,
            original_start=int(meeting.start.timestamp()),
            from_home=from_home,
        )
        await self._slack.views_update(
            view_id=view_id,
            view=self._answers.seal_view(
                form_blocks.edit_modal(meeting, context, self._clock.now()), team_id, user_id
            ),
        )
        return True
