"""The buttons on meeting cards and lists: Share in channel, Edit, Cancel, Keep it, More, Open the form."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.services.meetings import ListWindow
from bot.slack.events import publish_home
from bot.slack.meetings import answers, blocks, texts
from bot.slack.meetings.commands import open_schedule_form, read_prefill_value
from bot.slack.meetings.views import open_edit_form
from bot.slack.replies import Reply
from bot.slack.router import CommandRouter

if TYPE_CHECKING:
    from bot.bootstrap import Services

logger = logging.getLogger(__name__)


class Click:
    """One button press: who pressed it, where, and how to answer."""

    def __init__(self, body: dict[str, Any], router: CommandRouter) -> None:
        user = body.get("user") or {}
        self.team_id: str = (body.get("team") or {}).get("id") or user.get("team_id") or ""
        self.user_id: str = user.get("id") or ""
        self.channel_id: str = (body.get("channel") or {}).get("id") or ""
        self.response_url: str = body.get("response_url") or ""
        self.trigger_id: str | None = body.get("trigger_id")
        self.from_home = (body.get("view") or {}).get("type") == "home"
        action = (body.get("actions") or [{}])[0]
        self.value: str = action.get("value") or ""
        self.from_list = str(action.get("block_id") or "").startswith(blocks.LIST_ROW)
        self.reply: Reply = router.reply_for(self.response_url or None, self.user_id, self.channel_id or None)


def register(app: AsyncApp, router: CommandRouter, services: Services) -> None:
    def on_click(what: str, work: Callable[[Click], Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            click = Click(body, router)
            services.work.spawn(
                router.guarded(
                    lambda: work(click),
                    team_id=click.team_id,
                    user_id=click.user_id,
                    reply=click.reply,
                    pending=None,
                    what=what,
                ),
                name=what,
            )

        return listener

    async def refresh_home(click: Click) -> None:
        if click.from_home:
            await publish_home(router, services, click.team_id, click.user_id)

    async def share(click: Click) -> None:
        scheduled = await services.meetings.details(click.team_id, click.user_id, click.value)
        tz = await answers.user_tz(services, click.team_id, click.user_id)
        text, card = answers.shared_card(services, click.team_id, click.user_id, scheduled, tz)
        if click.response_url:
            await click.reply.send(text, card, public=True)
        elif not_posted := await answers.post_in_channel(
            services, click.team_id, click.channel_id, scheduled, tz, click.user_id
        ):
            await click.reply.send(not_posted)

    async def cancel(click: Click) -> None:
        result = await services.meetings.cancel(click.team_id, click.user_id, click.value)
        card = blocks.cancelled_card(
            result.number or result.meeting_id, result.topic, already=result.already_cancelled
        )
        text = card[0]["text"]["text"]
        if click.from_list and click.response_url and not click.from_home:
            # A list stays a list: shown again without the cancelled meeting, the outcome on top.
            _, list_blocks, _ = await answers.list_message(
                services, click.team_id, click.user_id, ListWindow.UPCOMING
            )
            await click.reply.send(text, card + list_blocks, replace=True)
            return
        await click.reply.send(text, card, replace=bool(click.response_url))
        await refresh_home(click)

    async def keep(click: Click) -> None:
        await click.reply.send(texts.KEPT, blocks.notice(texts.KEPT), replace=bool(click.response_url))

    async def more(click: Click) -> None:
        window, cursor = blocks.read_more_value(click.value)
        text, list_blocks, _ = await answers.list_message(
            services, click.team_id, click.user_id, ListWindow(window), cursor=cursor
        )
        await click.reply.send(text, list_blocks, replace=bool(click.response_url))

    async def edit(click: Click) -> None:
        await open_edit_form(
            services,
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

    async def open_form(click: Click) -> None:
        prefill, channel_id = read_prefill_value(click.value)
        await open_schedule_form(
            services,
            click.reply,
            team_id=click.team_id,
            user_id=click.user_id,
            channel_id=channel_id or click.channel_id,
            trigger_id=click.trigger_id,
            prefill=prefill,
        )

    async def ack_only(ack: AsyncAck) -> None:
        await ack()  # link buttons open in the browser; Slack still tells us about the click

    async def start_as_host(ack: AsyncAck, body: dict[str, Any]) -> None:
        # The browser is opening the Start as host link now; Slack's signed word that this person
        # pressed the button is what lets that link through, once (a copy of the link alone does not).
        await ack()
        click = Click(body, router)
        if not (click.team_id and click.user_id and click.value):
            return
        try:
            await services.meeting_links.host_pressed(click.team_id, click.user_id, click.value)
        except Exception:
            logger.warning("could not record a Start as host press", exc_info=True)

    app.action(blocks.SHARE)(on_click("share meeting", share))
    app.action(blocks.CANCEL)(on_click("cancel meeting", cancel))
    app.action(blocks.KEEP)(on_click("keep meeting", keep))
    app.action(blocks.MORE)(on_click("more meetings", more))
    app.action(blocks.EDIT)(on_click("edit meeting", edit))
    app.action(blocks.OPEN_FORM)(on_click("open schedule form", open_form))
    app.action(blocks.START)(start_as_host)
    for action_id in blocks.URL_BUTTONS:
        if action_id != blocks.START:
            app.action(action_id)(ack_only)
