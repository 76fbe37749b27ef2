"""The buttons on meeting cards and lists: Share in channel, Edit, Cancel, Keep it, More, Open the form
(a new form, or one refused after it closed, as it was typed)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.clock import Clock
from bot.domain.reminders import upcoming
from bot.services.meeting_links import MeetingLinks
from bot.services.meetings import CancelResult, ListWindow, MeetingService
from bot.services.ports import MeetingNotFound
from bot.slack.after_ack import AfterAck, Answer, Recoverable
from bot.slack.dependencies import inject
from bot.slack.home import HomeTab
from bot.slack.meetings import blocks, kept_forms, texts
from bot.slack.meetings.answers import Answers
from bot.slack.meetings.form_opener import FormOpener
from bot.slack.meetings.prefill import read_prefill_value
from bot.slack.replies import Replies, Reply
from bot.slack.workspaces import workspace_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Click:
    """One button press: who pressed it, where, and how to answer."""

    team_id: str
    user_id: str
    channel_id: str
    response_url: str
    trigger_id: str | None
    from_home: bool
    value: str  # the button's value, as the bot wrote it (opened by bot/slack/sealed.py)
    from_list: bool
    reply: Reply

    @classmethod
    def of(cls, body: dict[str, Any], replies: Replies) -> Click:
        user = body.get("user") or {}
        channel_id = (body.get("channel") or {}).get("id") or ""
        response_url = body.get("response_url") or ""
        user_id = user.get("id") or ""
        action = (body.get("actions") or [{}])[0]
        return cls(
            team_id=workspace_key(body),
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url,
            trigger_id=body.get("trigger_id"),
            from_home=(body.get("view") or {}).get("type") == "home",
            value=action.get("value") or "",
            from_list=str(action.get("block_id") or "").startswith(blocks.LIST_ROW),
            reply=replies.to(response_url or None, user_id, channel_id or None),
        )

    def to_record(self) -> dict[str, Any]:
        """What another process needs to carry out the press again."""
        return {
            "value": self.value,
            "channel_id": self.channel_id,
            "response_url": self.response_url,
            "trigger_id": self.trigger_id,
            "home": self.from_home,
            "list": self.from_list,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], team_id: str, user_id: str, reply: Reply) -> Click:
        return cls(
            team_id=team_id,
            user_id=user_id,
            channel_id=str(record.get("channel_id") or ""),
            response_url=str(record.get("response_url") or ""),
            trigger_id=record.get("trigger_id") or None,
            from_home=bool(record.get("home")),
            value=str(record.get("value") or ""),
            from_list=bool(record.get("list")),
            reply=reply,
        )

    @property
    def answer(self) -> Answer:
        """Where a late answer goes: the response_url while valid; else where this one would have gone."""
        if self.response_url:
            return Answer(self.response_url)
        return Answer(channel_id=self.channel_id or None)


async def share(
    click: Click, *, meetings: MeetingService, answers: Answers, home: HomeTab, clock: Clock
) -> None:
    if not blocks.can_post_in(click.channel_id):
        # The bot's own DM (a shortcut's card) has no one else to show it to, and would get a second
        # reminder as if it were a channel; Slack lets the bot post in no other DM.
        await click.reply.send(texts.NO_SHARING_IN_DMS)
        return
    try:
        scheduled = await meetings.details(click.team_id, click.user_id, click.value)
    except MeetingNotFound:
        # Deleted on the Webex site: the card, and every copy of it, must stop offering to join it.
        gone = await meetings.found_gone(click.team_id, click.value)
        await _show_cancelled(click, gone, answers=answers, home=home)
        return
    if upcoming(scheduled.meeting, clock.now()) is None:
        # A card from a meeting already over (a series: its last meeting): the channel would get a
        # Join button that leads nowhere, unlike the list, which hides Join once a meeting ends.
        await click.reply.send(texts.NOTHING_TO_SHARE_ENDED)
        return
    tz = await answers.user_tz(click.team_id, click.user_id)
    # Posted by the bot (not through the response_url) so the copy can be updated after an edit or a cancel.
    if not_posted := await answers.post_in_channel(
        click.team_id, click.channel_id, scheduled, tz, click.user_id
    ):
        await click.reply.send(not_posted)


async def cancel(click: Click, *, meetings: MeetingService, answers: Answers, home: HomeTab) -> None:
    result = await meetings.cancel(click.team_id, click.user_id, click.value)
    await _show_cancelled(click, result, answers=answers, home=home)


async def _show_cancelled(click: Click, result: CancelResult, *, answers: Answers, home: HomeTab) -> None:
    """The pressed card (or list) and every channel copy say the meeting is gone, with nothing to press."""
    card = blocks.cancelled_card(
        result.number, result.topic, already=result.already_cancelled, series=result.series
    )
    text = card[0]["text"]["text"]
    # A meeting deleted in Webex itself is gone too: its channel copies must not keep a Join button.
    await answers.mark_channel_copies_cancelled(
        click.team_id,
        result.meeting_id,
        number=result.number,
        topic=result.topic,
        host=click.user_id,
        already=result.already_cancelled,
    )
    if click.from_list and click.response_url and not click.from_home:
        # A list stays a list: shown again without the cancelled meeting, the outcome on top.
        _, list_blocks, _ = await answers.list_message(click.team_id, click.user_id, ListWindow.UPCOMING)
        await click.reply.send(text, card + list_blocks, replace=True)
        return
    await click.reply.send(text, card, replace=bool(click.response_url))
    if click.from_home:
        await home.publish(click.team_id, click.user_id)


async def keep(click: Click) -> None:
    await click.reply.send(texts.KEPT, blocks.notice(texts.KEPT), replace=bool(click.response_url))


async def more(click: Click, *, answers: Answers) -> None:
    window, cursor = blocks.read_more_value(click.value)
    text, list_blocks, _ = await answers.list_message(
        click.team_id, click.user_id, ListWindow(window), cursor=cursor
    )
    await click.reply.send(text, list_blocks, replace=bool(click.response_url))


async def edit(
    click: Click, *, forms: FormOpener, meetings: MeetingService, answers: Answers, home: HomeTab
) -> None:
    if not click.trigger_id:  # carried out late, by another process: Slack's 3-second trigger is gone
        await click.reply.send("I could not open the form in time. Press Edit again.")
        return
    found = await forms.open_edit_form(
        click.reply,
        team_id=click.team_id,
        user_id=click.user_id,
        meeting_id=click.value,
        trigger_id=click.trigger_id,
        channel_id=click.channel_id,
        # Saving an edit replaces the card it came from; from a list it answers with a new card.
        response_url="" if click.from_list else click.response_url,
        from_home=click.from_home,
    )
    if not found:
        # Deleted on the Webex site: as Share and Cancel do, the card and every copy say it is gone.
        gone = await meetings.found_gone(click.team_id, click.value)
        await _show_cancelled(click, gone, answers=answers, home=home)


async def open_form(click: Click, *, forms: FormOpener) -> None:
    prefill, channel_id = read_prefill_value(click.value)
    await forms.open_schedule_form(
        click.reply,
        team_id=click.team_id,
        user_id=click.user_id,
        channel_id=channel_id or click.channel_id,
        trigger_id=click.trigger_id,
        prefill=prefill,
    )


async def reopen_form(
    click: Click, *, after_ack: AfterAck, forms: FormOpener, answers: Answers, clock: Clock
) -> None:
    await kept_forms.reopen(
        click.reply,
        click.value,
        team_id=click.team_id,
        user_id=click.user_id,
        trigger_id=click.trigger_id,
        after_ack=after_ack,
        forms=forms,
        answers=answers,
        clock=clock,
    )


async def ack_only(ack: AsyncAck) -> None:
    await ack()  # link buttons open in the browser; Slack still tells us about the click


async def start_as_host(
    ack: AsyncAck, body: dict[str, Any], *, meeting_links: MeetingLinks, replies: Replies
) -> None:
    # The browser is opening the Start as host link now; Slack's signed word that this person
    # pressed the button is what lets that link through, once (a copy of the link alone does not).
    await ack()
    click = Click.of(body, replies)
    if not (click.team_id and click.user_id and click.value):
        return
    try:
        await meeting_links.host_pressed(click.team_id, click.user_id, click.value)
    except Exception:
        logger.warning("could not record a Start as host press", exc_info=True)


def on_click(
    action_id: str,
    what: str,
    work: Callable[[Click], Awaitable[None]],
    label: str,
    *,
    after_ack: AfterAck,
    replies: Replies,
) -> Callable[[AsyncAck, dict[str, Any]], Awaitable[None]]:
    """A button's listener: ack, then the work after the ack, under the guard, journaled so another
    process carries the press out if this one dies (the button's kind is registered here). `label` is
    the button's text: a press is not resumed after linking, as a command is, so a Connect prompt
    says to press it again."""
    kind = f"button:{action_id}"

    async def rerun(record: dict[str, Any], team_id: str, user_id: str, reply: Reply) -> None:
        await work(Click.from_record(record, team_id, user_id, reply))

    after_ack.recoverable(Recoverable(kind, what, rerun, again=f"press *{label}* again"))

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        click = Click.of(body, replies)
        after_ack.start(
            kind,
            click.to_record(),
            team_id=click.team_id,
            user_id=click.user_id,
            reply=click.reply,
            answer=click.answer,
            unique=click.trigger_id,
        )

    return listener


# (action_id, what for logs, the work, the button's text as the person saw it)
BUTTONS: tuple[tuple[str, str, Callable[..., Awaitable[None]], str], ...] = (
    (blocks.SHARE, "share meeting", share, "Share in channel"),
    (blocks.CANCEL, "cancel meeting", cancel, "Cancel"),
    (blocks.KEEP, "keep meeting", keep, "Keep it"),
    (blocks.MORE, "more meetings", more, "More"),
    (blocks.EDIT, "edit meeting", edit, "Edit"),
    (blocks.OPEN_FORM, "open schedule form", open_form, "Open the form"),
    (blocks.REOPEN_FORM, "reopen refused form", reopen_form, "Open the form"),
)


def register(app: AsyncApp, dependencies: Mapping[str, object]) -> None:
    listen = inject(on_click, dependencies, takes=("action_id", "what", "work", "label"))
    for action_id, what, work, label in BUTTONS:
        app.action(action_id)(listen(action_id, what, inject(work, dependencies, takes=("click",)), label))
    app.action(blocks.START)(inject(start_as_host, dependencies, takes=("ack", "body")))
    for action_id in blocks.URL_BUTTONS:
        if action_id != blocks.START:
            app.action(action_id)(ack_only)
