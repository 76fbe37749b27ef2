"""What every meeting surface shares: who the person is, their invitees, and sending cards and lists."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock
from bot.domain.meeting_rules import written_invitee
from bot.domain.meetings import Invitee, Meeting, shown_on_card
from bot.services.meeting_links import MeetingLinks
from bot.services.meetings import (
    ListWindow,
    MeetingRequestInvalid,
    MeetingService,
    ScheduledMeeting,
    UpcomingMeetings,
)
from bot.slack.meetings import blocks, texts
from bot.slack.meetings.channel_cards import ChannelCards
from bot.slack.profiles import ProfileNotFound, SlackProfiles
from bot.slack.replies import Reply
from bot.slack.sealed import SealedValues

logger = logging.getLogger(__name__)


class Answers:
    """How the bot answers about meetings: who the person is, cards with the bot's links, lists."""

    def __init__(
        self,
        *,
        profiles: SlackProfiles,
        meeting_links: MeetingLinks,
        slack: AsyncWebClient,
        clock: Clock,
        meetings: MeetingService,
        channel_cards: ChannelCards,
        sealed: SealedValues,
    ) -> None:
        self._sealed = sealed
        self._profiles = profiles
        self.channel_cards = channel_cards
        self._meeting_links = meeting_links
        self._slack = slack
        self._clock = clock
        self._meetings = meetings
        self._lookups: set[asyncio.Future[tuple[Invitee, ...]]] = set()  # running past a form's ack

    async def user_tz(self, team_id: str, user_id: str) -> str:
        """The person's Slack time zone; UTC when Slack will not say."""
        try:
            return (await self._profiles.get(team_id, user_id)).tz or "UTC"
        except (ProfileNotFound, SlackApiError):
            logger.warning("no Slack profile for team=%s user=%s; using UTC", team_id, user_id)
            return "UTC"

    async def display_name(self, team_id: str, user_id: str) -> str:
        try:
            return (await self._profiles.get(team_id, user_id)).display_name
        except (ProfileNotFound, SlackApiError):
            return ""

    async def invitees_for(
        self, team_id: str, user_ids: tuple[str, ...], emails: tuple[str, ...]
    ) -> tuple[Invitee, ...]:
        """Slack people become invitees through their profile email; typed addresses are read as written
        (`Ana Lima <ana@x.io>` invites ana@x.io under the name Ana Lima). A person who cannot be invited
        raises MeetingRequestInvalid naming them in words that read the same beside the form's field
        (plain text) and in a message."""

        async def one(user_id: str) -> Invitee:
            try:
                profile = await self._profiles.get(team_id, user_id)
            except ProfileNotFound:
                raise MeetingRequestInvalid(
                    "invitees",
                    "Slack does not know one of the people picked under Invitees. Pick them again, or "
                    "type their email address under Other invitees.",
                ) from None
            except SlackApiError as error:
                logger.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
                raise MeetingRequestInvalid(
                    "invitees",
                    "Slack did not give me the email address of someone picked under Invitees just now, "
                    "so nothing was sent to Webex. Try again in a moment, or type their email address "
                    "under Other invitees.",
                ) from None
            if not profile.email:
                raise MeetingRequestInvalid(
                    "invitees",
                    f"I cannot see {profile.display_name}'s email address in Slack, so Webex cannot invite "
                    "them. Remove them from Invitees and type their address under Other invitees.",
                )
            return Invitee(email=profile.email, name=profile.display_name)

        people = await asyncio.gather(*(one(user_id) for user_id in dict.fromkeys(user_ids)))
        return tuple(people) + tuple(written_invitee(email) for email in emails)

    async def invitee_problem(self, team_id: str, user_ids: tuple[str, ...], *, within: float) -> str | None:
        """Why a picked person cannot be invited, if Slack says within `within` seconds; None when all can
        be, or Slack is slower (the lookup goes on, and the work after the ack finds it done or joins it)."""
        lookup = asyncio.ensure_future(self.invitees_for(team_id, user_ids, ()))
        self._lookups.add(lookup)
        lookup.add_done_callback(_looked_up)
        lookup.add_done_callback(self._lookups.discard)
        done, _ = await asyncio.wait({lookup}, timeout=within)
        if not done or lookup.cancelled():
            return None
        problem = lookup.exception()
        return problem.message if isinstance(problem, MeetingRequestInvalid) else None

    def card_links(
        self, team_id: str, host_user_id: str, scheduled: ScheduledMeeting, *, for_host: bool
    ) -> blocks.CardLinks:
        """Join, Start as host and Add to calendar open the bot, which asks Webex at the click (the host's
        link signs the host in, so only the host's own card carries it). Every copy of the card, shared or
        edited, has the same buttons, since none depends on what Webex said when the meeting was made."""
        key, number = scheduled.meeting.meeting_id, scheduled.meeting.number
        return blocks.CardLinks(
            join_url=self._meeting_links.join(team_id, host_user_id, key, number),
            host_url=self._meeting_links.host(team_id, host_user_id, key, number) if for_host else "",
            calendar_url=self._meeting_links.calendar(team_id, host_user_id, key, number),
        )

    def host_card(
        self, team_id: str, user_id: str, scheduled: ScheduledMeeting, tz: str, note: str = ""
    ) -> tuple[str, list[dict[str, Any]]]:
        """The host's own card: `user_id` is the host."""
        links = self.card_links(team_id, user_id, scheduled, for_host=True)
        card = blocks.meeting_card(scheduled.meeting, links, tz, blocks.CardOptions(for_host=True, note=note))
        return blocks.card_fallback_text(scheduled.meeting, tz), self.seal(card, team_id, user_id)

    def shared_card(
        self, team_id: str, shared_by: str, scheduled: ScheduledMeeting, tz: str
    ) -> tuple[str, list[dict[str, Any]]]:
        """The channel's copy: no host link, host key or password, and no buttons only the host may use."""
        links = self.card_links(team_id, shared_by, scheduled, for_host=False)
        card = blocks.meeting_card(
            scheduled.meeting, links, tz, blocks.CardOptions(for_host=False, shared_by=shared_by)
        )
        return blocks.card_fallback_text(scheduled.meeting, tz), card

    async def post_in_channel(
        self, team_id: str, channel_id: str, scheduled: ScheduledMeeting, tz: str, user_id: str
    ) -> str | None:
        """Post the channel's copy with the bot token, remembered so edits and a cancel update it; None
        once posted, else why not and what to do."""
        if not channel_id:
            return texts.NO_CHANNEL_TO_SHARE
        card = self.shared_card(team_id, user_id, scheduled, tz)
        try:
            await self.channel_cards.post(
                team_id,
                channel_id,
                scheduled.meeting.meeting_id,
                card,
                shared_by=user_id,
                user_tz=tz,
                shown=shown_on_card(scheduled.meeting),
            )
        except SlackApiError as error:
            reason = str(error.response.get("error") or "")
            logger.info("could not post the meeting in %s: %s", channel_id, reason)
            return texts.could_not_post(reason)
        await self.remind_channel(team_id, user_id, scheduled, channel_id)
        return None

    async def remind_channel(
        self, team_id: str, user_id: str, scheduled: ScheduledMeeting, channel_id: str
    ) -> None:
        """A channel the meeting was posted in is reminded of it too (a failure here loses only that)."""
        reminders = self._meetings.reminders
        if reminders is None or not channel_id:
            return
        try:
            await reminders.meeting_shared(team_id, user_id, scheduled.meeting, channel_id)
        except Exception:
            logger.warning(
                "could not keep the channel's reminder of meeting %s", scheduled.meeting.meeting_id
            )

    async def update_channel_copies(self, team_id: str, host: str, scheduled: ScheduledMeeting) -> None:
        """After an edit: every channel copy shows the meeting as it is now. A copy Slack will not update
        is logged, never a failure of the edit itself (which Webex has already made)."""
        try:
            await self.channel_cards.changed(team_id, host, scheduled, self.shared_card)
        except Exception:
            meeting_id = scheduled.meeting.meeting_id
            logger.exception("could not update the channel copies of meeting %s", meeting_id)

    async def mark_channel_copies_cancelled(
        self, team_id: str, meeting_id: str, *, number: str, topic: str, host: str, already: bool = False
    ) -> None:
        """After a cancel: every channel copy says who cancelled it (or that Webex no longer has it) and
        loses Join."""
        try:
            await self.channel_cards.cancelled(
                team_id, meeting_id, number=number, topic=topic, host=host, already=already
            )
        except Exception:
            logger.exception("could not mark the channel copies of meeting %s cancelled", meeting_id)

    async def send_scheduled(
        self,
        reply: Reply,
        scheduled: ScheduledMeeting,
        tz: str,
        *,
        team_id: str,
        user_id: str,
        channel_id: str = "",
        share: bool = False,
        notes: tuple[str, ...] = (),
    ) -> None:
        """The host's card; `notes` say how the command text was read (e.g. a time zone it named)."""
        if scheduled.answered_elsewhere:
            return  # a double click: the delivery that made the meeting is showing its card
        not_posted: str | None = None
        if share and not scheduled.repeated:
            not_posted = await self.post_in_channel(team_id, channel_id, scheduled, tz, user_id)
        note = texts.scheduled_note(
            scheduled.repeated,
            share and not scheduled.repeated and not not_posted,
            in_channel=blocks.can_post_in(channel_id),
        )
        if not_posted:
            note += "\n" + not_posted
        for line in notes:
            note += f"\n_{blocks.escape(line)}_"
        text, card = self.host_card(team_id, user_id, scheduled, tz, note)
        await reply.send(text, card)

    def join_urls(self, team_id: str, user_id: str, meetings: tuple[Meeting, ...]) -> dict[str, str]:
        """The bot's Join links for the listed meetings that are not over (the list holds the user's own
        meetings); Webex's link is asked for only when someone clicks."""
        now = self._clock.now()
        return {
            m.meeting_id: self._meeting_links.join(team_id, user_id, m.meeting_id, m.number)
            for m in meetings
            if m.end > now
        }

    async def list_message(
        self,
        team_id: str,
        user_id: str,
        window: ListWindow,
        *,
        cursor: str | None = None,
        page_size: int = 10,
    ) -> tuple[str, list[dict[str, Any]], UpcomingMeetings]:
        tz = await self.user_tz(team_id, user_id)
        page = await self._meetings.list_upcoming(
            team_id, user_id, user_tz=tz, window=window, cursor=cursor, page_size=page_size
        )
        links = self.join_urls(team_id, user_id, page.meetings)
        now: datetime = self._clock.now()
        list_blocks = blocks.meeting_list(
            page.meetings,
            links,
            tz,
            now,
            window=window.value,
            next_cursor=page.next_cursor,
            continued=cursor is not None,
        )
        sealed = self.seal(list_blocks, team_id, user_id)
        return blocks.list_fallback_text(page.meetings, window.value, now, tz), sealed, page

    def seal(self, message: list[dict[str, Any]], team_id: str, user_id: str) -> list[dict[str, Any]]:
        """The message with every button value sealed for this person (bot/slack/sealed.py)."""
        return self._sealed.buttons(message, team_id=team_id, user_id=user_id)

    def seal_view(self, view: dict[str, Any], team_id: str, user_id: str) -> dict[str, Any]:
        """A form with its private_metadata sealed for this person."""
        return self._sealed.view(view, team_id=team_id, user_id=user_id)


def _looked_up(lookup: asyncio.Future[tuple[Invitee, ...]]) -> None:
    """Take a lookup's outcome, so one that ends after nobody waits for it is not reported unread."""
    if not lookup.cancelled():
        lookup.exception()
