"""The Join, Start as host and Add to calendar buttons: signed links to the bot, answered when clicked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.domain.clock import Clock
from bot.domain.meetings import Meeting
from bot.services.calendar_file import CalendarFile, meeting_calendar_file
from bot.services.errors import NeedsConnect, TokenRefreshUnavailable
from bot.services.ports import BackendError, BackendUnavailable, MeetingNotFound
from bot.services.signed_tokens import SignedTokens, TokenExpired, TokenInvalid

log = logging.getLogger(__name__)
T = TypeVar("T")

# A Join button works as long as a meeting card is worth keeping. A Start as host button signs the host
# in to Webex, so its link alone opens nothing: each press of the button in Slack (which Slack reports,
# signed, as the host) lets the link through once, for a couple of minutes (bot.store.host_presses).
# The button itself is kept to a working day (Slack drops ephemeral cards sooner anyway).
JOIN_LINK_LIFETIME = timedelta(days=30)
HOST_LINK_LIFETIME = timedelta(hours=12)
# Slack's report of the press and the browser's request leave together; either may arrive first.
PRESS_WAITS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.8)
PATH = "/webex/meetings/"


class Role(StrEnum):
    JOIN = "join"
    HOST = "host"
    CALENDAR = "calendar"


class MeetingLinkProblem(Exception):
    """Why a meeting button cannot open the meeting, in words for the person in the browser."""

    def __init__(self, title: str, detail: str, *, next_step: str, status_code: int) -> None:
        super().__init__(title)
        self.title = title
        self.detail = detail
        self.next_step = next_step
        self.status_code = status_code


class MeetingUrls(Protocol):
    """The meeting service's link look-ups (bot.services.meetings.MeetingService)."""

    async def join_url(self, team_id: str, user_id: str, meeting_key: str) -> str: ...

    async def host_url(self, team_id: str, user_id: str, meeting_key: str) -> str: ...

    async def get(self, team_id: str, user_id: str, meeting_key: str) -> Meeting: ...


class HostPresses(Protocol):
    """Presses of Start as host in Slack (bot.store.host_presses.HostPressStore), each opens the link once."""

    async def record(self, team_id: str, user_id: str, meeting_key: str) -> None: ...

    async def use(self, team_id: str, user_id: str, meeting_key: str) -> bool: ...


class MeetingLinks:
    """Issues the bot's links for a meeting card, and opens them: Webex is asked only at the click.

    A link names the workspace, the host (whose Webex account is asked), the meeting and the role,
    signed and dated; its holder learns none of them from the link itself.
    """

    def __init__(
        self,
        keys: Sequence[str],
        meetings: MeetingUrls,
        clock: Clock,
        base_url: str,
        *,
        presses: HostPresses,
        press_waits: Sequence[float] = PRESS_WAITS,
    ) -> None:
        self._presses = presses
        self._press_waits = tuple(press_waits) or (0.0,)
        self._tokens = {
            Role.JOIN: SignedTokens(keys, purpose="meeting join link", ttl=JOIN_LINK_LIFETIME, clock=clock),
            Role.HOST: SignedTokens(keys, purpose="meeting host link", ttl=HOST_LINK_LIFETIME, clock=clock),
            Role.CALENDAR: SignedTokens(
                keys, purpose="meeting calendar link", ttl=JOIN_LINK_LIFETIME, clock=clock
            ),
        }
        self._clock = clock
        self._meetings = meetings
        self._base_url = base_url.rstrip("/")

    # `number` is the meeting number people see, when it is not the id itself (the REST API): the
    # pages a link opens name the meeting by it.
    def join(self, team_id: str, host_user_id: str, meeting_key: str, number: str = "") -> str:
        return self._url(Role.JOIN, team_id, host_user_id, meeting_key, number)

    def host(self, team_id: str, host_user_id: str, meeting_key: str, number: str = "") -> str:
        return self._url(Role.HOST, team_id, host_user_id, meeting_key, number)

    def calendar(self, team_id: str, host_user_id: str, meeting_key: str, number: str = "") -> str:
        """Add to calendar: a file made at the click, with the meeting as it is then (edits included)."""
        return self._url(Role.CALENDAR, team_id, host_user_id, meeting_key, number)

    def _url(self, role: Role, team_id: str, host_user_id: str, meeting_key: str, number: str) -> str:
        payload = {"t": team_id, "u": host_user_id, "k": meeting_key}
        if number and number != meeting_key:
            payload["n"] = number
        token = self._tokens[role].issue(payload)
        return f"{self._base_url}{PATH}{token}"

    async def host_pressed(self, team_id: str, user_id: str, meeting_key: str) -> None:
        """Slack says this person pressed Start as host for this meeting: their link may open once."""
        await self._presses.record(team_id, user_id, meeting_key)

    async def open(self, token: str) -> str | CalendarFile:
        """What the button that made `token` opens: Webex's own link, or the meeting's calendar file
        (raises MeetingLinkProblem)."""
        role, team_id, user_id, key, number = self._read(token)
        if role is Role.CALENDAR:
            meeting = await self._ask(role, number, lambda: self._meetings.get(team_id, user_id, key))
            join_url = self.join(team_id, user_id, key, number)
            return meeting_calendar_file(meeting, join_url, now=self._clock.now())
        if role is Role.HOST:
            await self._spend_press(team_id, user_id, key)
            url = await self._ask(role, number, lambda: self._meetings.host_url(team_id, user_id, key))
        else:
            url = await self._ask(role, number, lambda: self._meetings.join_url(team_id, user_id, key))
        if not url.startswith(("https://", "http://")):
            log.warning("Webex gave a %s link for meeting %s that is not a web address", role.value, number)
            raise MeetingLinkProblem(
                "Webex did not give a usable link",
                f"Webex answered for meeting {number}, but not with a web address.",
                next_step=f"Open Webex and join with the meeting number {number}.",
                status_code=502,
            )
        return url

    async def webex_url(self, token: str) -> str:
        """Webex's own link for the Join or Start as host button that made `token`."""
        opened = await self.open(token)
        if isinstance(opened, CalendarFile):
            raise MeetingLinkProblem(
                "This is an Add to calendar link",
                "It opens a calendar file, not the meeting.",
                next_step="Press Join on the meeting card in Slack.",
                status_code=400,
            )
        return opened

    async def _ask(self, role: Role, key: str, call: Callable[[], Awaitable[T]]) -> T:
        """Ask Webex on the host's behalf; what goes wrong becomes words for the person in the browser."""
        try:
            return await call()
        except MeetingNotFound:
            raise MeetingLinkProblem(
                "This meeting is no longer on Webex",
                f"Webex has no meeting {key}: it was cancelled, or it ended and was removed.",
                next_step="Run /webex list in Slack to see the meetings still planned, or ask the host.",
                status_code=404,
            ) from None
        except NeedsConnect:
            raise _link_gone(role, key) from None
        except (BackendUnavailable, TokenRefreshUnavailable) as error:
            log.warning("no %s link for meeting %s: %s", role.value, key, error)
            raise MeetingLinkProblem(
                "Webex is not answering right now",
                f"The link to meeting {key} could not be fetched from Webex.",
                next_step="Wait a minute, then press the button in Slack again.",
                status_code=503,
            ) from None
        except BackendError as error:
            log.warning("Webex refused the %s link for meeting %s: %s", role.value, key, error)
            raise MeetingLinkProblem(
                "Webex would not give the link",
                f"Webex refused to give the link to meeting {key}"
                + (f" ({error.reason.rstrip('.')})." if getattr(error, "reason", "") else "."),
                next_step=f"Open Webex and join with the meeting number {key}, or ask the host.",
                status_code=502,
            ) from None

    async def _spend_press(self, team_id: str, user_id: str, key: str) -> None:
        for pause in self._press_waits:
            await asyncio.sleep(pause)
            if await self._presses.use(team_id, user_id, key):
                return
        raise MeetingLinkProblem(
            "Press Start as host in Slack to open this link",
            "A Start as host link signs you in to Webex as the host, so it opens only right after you "
            "press its button in Slack, once per press. Opened again, or by anyone else (from a browser "
            "history, a screenshot or a log), it signs nobody in.",
            next_step="Go back to Slack and press Start as host on the meeting card.",
            status_code=403,
        )

    def _read(self, token: str) -> tuple[Role, str, str, str, str]:
        """The role, workspace, host, meeting id and the meeting number people see."""
        expired: tuple[Role, dict[str, object]] | None = None
        for role, tokens in self._tokens.items():
            try:
                payload = tokens.read(token)
            except TokenExpired as too_old:
                expired = (role, dict(too_old.payload))
                continue
            except TokenInvalid:
                continue
            team_id, user_id, key = payload.get("t"), payload.get("u"), payload.get("k")
            if isinstance(team_id, str) and isinstance(user_id, str) and isinstance(key, str) and key:
                number = payload.get("n")
                return role, team_id, user_id, key, number if isinstance(number, str) and number else key
        if expired is not None:
            role, payload = expired
            raise _expired(role, str(payload.get("n") or payload.get("k") or ""))
        raise MeetingLinkProblem(
            "This meeting link is not valid",
            "It may have been cut short or changed when it was copied.",
            next_step="Go back to Slack and press the button on the meeting card again.",
            status_code=400,
        )


def _expired(role: Role, key: str) -> MeetingLinkProblem:
    if role is Role.HOST:
        return MeetingLinkProblem(
            "This Start as host link has expired",
            "A Start as host button signs you in to Webex as the host, so it works for "
            f"{int(HOST_LINK_LIFETIME.total_seconds() // 3600)} hours after the card was made.",
            next_step=f"Run /webex join {key} in Slack, then sign in to Webex as the host to start it.",
            status_code=410,
        )
    if role is Role.CALENDAR:
        return MeetingLinkProblem(
            "This Add to calendar link has expired",
            f"Add to calendar buttons work for {JOIN_LINK_LIFETIME.days} days after the card was made.",
            next_step=f"Run /webex join {key} in Slack for the meeting's link, or ask the host.",
            status_code=410,
        )
    return MeetingLinkProblem(
        "This Join link has expired",
        f"Join buttons work for {JOIN_LINK_LIFETIME.days} days after the card was made.",
        next_step=f"Run /webex join {key} in Slack for a fresh link, or ask the host for one.",
        status_code=410,
    )


def _link_gone(role: Role, key: str) -> MeetingLinkProblem:
    if role is Role.HOST:
        return MeetingLinkProblem(
            "Your Webex account needs to be connected again",
            f"webex-bot can no longer ask Webex for your link to meeting {key}.",
            next_step="Run /webex connect in Slack, then press Start as host again.",
            status_code=409,
        )
    return MeetingLinkProblem(
        "The host's Webex account is no longer connected",
        f"webex-bot can no longer ask Webex for the link to meeting {key} on the host's behalf.",
        next_step=f"Open Webex and join with the meeting number {key}, or ask the host to reconnect.",
        status_code=409,
    )
