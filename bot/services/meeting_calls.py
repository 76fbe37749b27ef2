"""How every meeting use case calls the backend: as the linked person, refreshing a refused token once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.domain.accounts import Link
from bot.domain.meetings import Meeting, MeetingDraft
from bot.services.ports import BackendError, Credentials, CredentialsRejected, MeetingBackend

log = logging.getLogger(__name__)

T = TypeVar("T")


class Tokens(Protocol):
    """The token service: a link with an access token the backend should accept."""

    async def link_with_fresh_token(self, team_id: str, user_id: str) -> Link: ...

    async def refresh_after_rejection(
        self, team_id: str, user_id: str, rejected_access_token: str
    ) -> Link: ...


@dataclass
class HeldLink:
    """The link one request works with, so its calls do not each look it up again."""

    link: Link | None = None


@dataclass(frozen=True)
class ScheduledMeeting:
    """A meeting for its card; the card's Join and Start links are asked for only when clicked."""

    meeting: Meeting
    calendar_url: str = ""
    repeated: bool = False  # this request had already created it (double click, retried delivery)
    answered_elsewhere: bool = False  # another delivery of the request made it and is showing it
    reminder_kept: bool = False  # the host's reminder was written with the meeting's record


class BackendCalls:
    """The backend, called for one person with their own linked account."""

    def __init__(self, tokens: Tokens, backend: MeetingBackend) -> None:
        self.tokens = tokens
        self.backend = backend

    async def call(
        self,
        team_id: str,
        user_id: str,
        call: Callable[[Credentials], Awaitable[T]],
        held: HeldLink | None = None,
    ) -> T:
        """A fresh token, and one refresh and one retry when the backend refuses it.

        `held`, when given, is the link shared by the calls made for one request: looked up once,
        and replaced there when it had to be refreshed."""
        if held is not None and held.link is not None:
            link = held.link
        else:
            link = await self.tokens.link_with_fresh_token(team_id, user_id)
        try:
            result = await call(credentials(link))
        except CredentialsRejected:
            log.info(
                "webex rejected the access token; refreshing once", extra={"team": team_id, "user": user_id}
            )
            link = await self.tokens.refresh_after_rejection(team_id, user_id, link.access_token)
            result = await call(credentials(link))
        if held is not None:
            held.link = link
        return result

    async def held_link(self, team_id: str, user_id: str) -> HeldLink:
        return HeldLink(await self.tokens.link_with_fresh_token(team_id, user_id))

    async def meeting_id_for(self, team_id: str, user_id: str, number: str) -> str:
        """The id of the meeting people know by this (checked) number."""
        return await self.call(team_id, user_id, lambda creds: self.backend.meeting_id_for(creds, number))

    async def describe(
        self,
        team_id: str,
        user_id: str,
        meeting_id: str,
        *,
        calendar_url: str = "",
        number: str = "",
        repeated: bool,
        draft: MeetingDraft | None = None,
        held: HeldLink | None = None,
    ) -> ScheduledMeeting:
        """A meeting as the backend has it now, for its card. With the `draft` it was made from, a
        meeting that exists is never reported as a failure: if the backend will not describe it right
        now, the card is filled in from the draft."""
        try:
            meeting = await self.call(
                team_id, user_id, lambda creds: self.backend.meeting(creds, meeting_id), held
            )
        except BackendError as error:
            if draft is None:
                raise
            log.warning("meeting %s exists but Webex did not describe it: %s", meeting_id, error)
            meeting = from_draft(meeting_id, draft, number=number)
        return ScheduledMeeting(meeting=meeting, calendar_url=calendar_url, repeated=repeated)


def credentials(link: Link) -> Credentials:
    return Credentials(site=link.site, user_id=link.webex_id, access_token=link.access_token)


def from_draft(meeting_id: str, draft: MeetingDraft, *, number: str = "") -> Meeting:
    """The meeting as it was asked for, when the backend cannot describe it."""
    return Meeting(
        meeting_id=meeting_id,
        number=number or meeting_id,
        topic=draft.topic,
        start=draft.start,
        duration_minutes=draft.duration_minutes,
        time_zone=draft.time_zone or draft.home_time_zone or "UTC",
        agenda=draft.agenda,
        invitees=draft.invitees,
        password=draft.password or "",
        recurrence=draft.recurrence,
    )
