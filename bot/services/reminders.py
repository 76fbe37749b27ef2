"""Reminders before meetings the bot made: each user's lead time, the rows that follow edits and
cancellations, and sending the due ones exactly once however many processes run.

Only meetings made through the bot have reminders (it writes a row when it schedules one); a meeting made
in Webex itself is not known to the bot and gets none. A series is reminded before each of its meetings:
its row is at its next meeting, and moves on once that one is reminded.

A meeting can also be moved or deleted in Webex itself, where the bot does not see it: before a reminder
goes out, Webex is asked for the meeting as it is then, as its host. A deleted one is not reminded, a
moved one is reminded before its new time; when Webex cannot say, the reminder goes as it was written.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.clock import Clock
from bot.domain.meetings import Meeting
from bot.domain.reminders import HostReminder, Occurrence, upcoming
from bot.services.errors import NeedsConnect, TokenRefreshUnavailable
from bot.services.ports import BackendError, BackendUnavailable, MeetingNotFound
from bot.store.reminders import CHANNEL, HOST, ReminderStore, StoredReminder

logger = logging.getLogger(__name__)

LEAD_TIMES = (5, 10, 15)  # the minutes a person can choose
DEFAULT_LEAD_MINUTES = 10
DUE_BATCH = 100


class ReminderUndeliverable(Exception):
    """The recipient can never receive it (the bot left the channel, the channel is archived): trying
    again on the next turn would fail the same way, so it is dropped."""


class ReminderChoiceInvalid(ValueError):
    """What the person typed is not a lead time; the message says what is."""


def read_choice(text: str, *, on: int = DEFAULT_LEAD_MINUTES) -> int | None:
    """`5`, `10`, `15` (optionally `10m`, `10 min`), `off`, or `on` (the lead time `on`, the workspace's
    default); raises ReminderChoiceInvalid otherwise."""
    word = text.strip().lower()
    if word in ("off", "none", "no", "never", "0"):
        return None
    if word in ("on", "yes", "back on"):
        return on
    for suffix in ("minutes", "minute", "mins", "min", "m"):
        if word.endswith(suffix):
            word = word[: -len(suffix)].strip()
            break
    if word.isdigit() and int(word) in LEAD_TIMES:
        return int(word)
    raise ReminderChoiceInvalid(
        f"Reminders come {', '.join(str(m) for m in LEAD_TIMES[:-1])} or {LEAD_TIMES[-1]} minutes before "
        "a meeting, or not at all: try `/webex remind 10` or `/webex remind off`."
    )


@dataclass(frozen=True)
class DueReminder:
    """A reminder to send now: to the host (`kind` "host") or to a channel."""

    team_id: str
    meeting_id: str
    recipient: str
    kind: str
    host_user_id: str
    topic: str
    starts_at_minutes: int  # minutes from now to the start; negative once it has started
    stored: StoredReminder

    @property
    def to_host(self) -> bool:
        return self.kind == HOST


SendReminder = Callable[[DueReminder], Awaitable[None]]
# The meeting as Webex has it now, asked as its host: (team_id, host_user_id, meeting_id) -> Meeting; raises
# MeetingNotFound once it was deleted (bot.services.meetings.MeetingService.get).
LookUpMeeting = Callable[[str, str, str], Awaitable[Meeting]]


class _Gone:
    """Webex has no such meeting any more."""


GONE = _Gone()


class WebexCheck:
    """What Webex says of each meeting a turn reminds of, asked once per meeting. Once Webex fails to
    answer, the turn's other reminders go as written rather than each waiting for Webex in turn."""

    def __init__(self, look_up: LookUpMeeting | None) -> None:
        self._look_up = look_up
        self._answers: dict[tuple[str, str], Meeting | _Gone | None] = {}
        self._webex_down = False

    async def meeting(self, stored: StoredReminder) -> Meeting | _Gone | None:
        """The meeting as Webex has it, GONE when Webex no longer has it, None when it could not say."""
        key = (stored.team_id, stored.meeting_id)
        if key not in self._answers:
            self._answers[key] = await self._ask(stored)
        return self._answers[key]

    async def _ask(self, stored: StoredReminder) -> Meeting | _Gone | None:
        if self._look_up is None or self._webex_down:
            return None
        try:
            return await self._look_up(stored.team_id, stored.host_user_id, stored.meeting_id)
        except MeetingNotFound:
            return GONE
        except (BackendUnavailable, TokenRefreshUnavailable) as error:
            self._webex_down = True
            logger.info("reminders go as written this turn: Webex did not answer (%s)", error)
        except (NeedsConnect, BackendError) as error:
            # The host's link lapsed, or Webex refused to show the meeting: the reminder still goes.
            logger.info("meeting %s not checked (%r); reminded as written", stored.meeting_id, error)
        except Exception:
            # A reminder is never lost to the check itself: it goes as written, and this is looked into.
            logger.warning(
                "checking meeting %s with Webex failed; reminded as written", stored.meeting_id, exc_info=True
            )
        return None


class ReminderService:
    """Keeps a reminder row beside each meeting the bot made, and sends the due ones."""

    def __init__(
        self, store: ReminderStore, clock: Clock, default_minutes: int | None = DEFAULT_LEAD_MINUTES
    ) -> None:
        self._store = store
        self._clock = clock
        self.default_minutes = default_minutes

    async def choice(self, team_id: str, user_id: str) -> int | None:
        """Minutes before each meeting, or None when the person turned reminders off."""
        return await self._store.choice(team_id, user_id, self.default_minutes)

    async def choose(self, team_id: str, user_id: str, minutes: int | None) -> None:
        if minutes is not None and minutes not in LEAD_TIMES:
            raise ReminderChoiceInvalid(f"{minutes} minutes is not one of {LEAD_TIMES}")
        await self._store.choose(team_id, user_id, minutes)

    async def meeting_made(self, team_id: str, host_user_id: str, meeting: Meeting) -> None:
        """The host's own reminder of a meeting the bot just made."""
        await self._put(team_id, host_user_id, meeting, recipient=host_user_id, kind=HOST)

    def host_reminder(self, team_id: str, host_user_id: str, meeting: Meeting) -> HostReminder | None:
        """The host's reminder of a meeting the bot just made, to write with its record (None for a
        meeting already over, a series already ended); the host's own lead time is read as it is written."""
        occurrence = upcoming(meeting, self._clock.now())
        if occurrence is None:
            return None
        return HostReminder(
            team_id=team_id,
            host_user_id=host_user_id,
            meeting_id=meeting.meeting_id,
            topic=meeting.topic,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            default_minutes=self.default_minutes,
            series=occurrence.series,
        )

    async def meeting_shared(
        self, team_id: str, host_user_id: str, meeting: Meeting, channel_id: str
    ) -> None:
        """The meeting's card was posted in a channel: the channel is reminded too."""
        await self._put(team_id, host_user_id, meeting, recipient=channel_id, kind=CHANNEL)

    async def meeting_changed(self, team_id: str, host_user_id: str, meeting: Meeting) -> None:
        """An edit: the reminders move with the meeting's time (a moved meeting is reminded anew); a
        series' go to its next meeting and keep following its rule."""
        occurrence = upcoming(meeting, self._clock.now()) or Occurrence(meeting.start, meeting.end)
        minutes = await self.choice(team_id, host_user_id)
        await self._store.move(
            team_id,
            meeting.meeting_id,
            topic=meeting.topic,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            minutes=minutes,
            series=occurrence.series,
        )

    async def meeting_cancelled(self, team_id: str, meeting_id: str) -> None:
        await self._store.drop_meeting(team_id, meeting_id)

    async def _put(
        self, team_id: str, host_user_id: str, meeting: Meeting, *, recipient: str, kind: str
    ) -> None:
        occurrence = upcoming(meeting, self._clock.now())
        if occurrence is None:
            return
        await self._store.put(
            team_id,
            meeting.meeting_id,
            recipient=recipient,
            kind=kind,
            host_user_id=host_user_id,
            topic=meeting.topic,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            minutes=await self.choice(team_id, host_user_id),
            series=occurrence.series,
        )

    async def send_due(self, send: SendReminder, look_up: LookUpMeeting | None = None) -> int:
        """Send every reminder whose time has come, each once across processes; how many were sent.

        One that fell due while no process ran is sent late, saying how long ago the meeting started,
        up to the meeting's end; after that it is dropped. A series' reminder then moves to its next
        meeting, by the process that sent (or dropped) it. With `look_up`, each is first checked with
        Webex (see the module's doc)."""
        check = WebexCheck(look_up)
        sent = 0
        tried: set[tuple[str, str, str]] = set()
        while True:
            # In batches, so a burst (many meetings at 9:00) is all sent this turn, not one batch a turn;
            # one that failed and was put back waits for the next turn.
            batch = [
                stored
                for stored in await self._store.due(self._clock.now(), DUE_BATCH)
                if (stored.team_id, stored.meeting_id, stored.recipient) not in tried
            ]
            if not batch:
                return sent
            for stored in batch:
                tried.add((stored.team_id, stored.meeting_id, stored.recipient))
                sent += await self._send_one(stored, send, check)

    async def _send_one(self, stored: StoredReminder, send: SendReminder, check: WebexCheck) -> int:
        """1 if this process sent it; 0 if another did, or it was dropped or moved, or Slack failed (put
        back)."""
        if not await self._store.claim(stored):
            return 0  # another process has it, or the meeting moved since it was read
        now = self._clock.now()
        if stored.ends_at <= now:
            logger.info("reminder of meeting %s dropped: the meeting is over", stored.meeting_id)
            await self._advance(stored)
            return 0
        topic = stored.topic
        in_webex = await check.meeting(stored)
        if isinstance(in_webex, _Gone):
            logger.info("reminders of meeting %s dropped: Webex no longer has it", stored.meeting_id)
            await self._store.drop_meeting(stored.team_id, stored.meeting_id)
            return 0
        if in_webex is not None:
            occurrence = upcoming(in_webex, now)
            if occurrence is None:
                logger.info("reminder of meeting %s dropped: in Webex it is over", stored.meeting_id)
                return 0
            if occurrence.starts_at != stored.starts_at:
                # Moved in Webex itself: the reminders follow, and this one comes before the new time.
                logger.info("meeting %s was moved in Webex; its reminders follow it", stored.meeting_id)
                await self.meeting_changed(stored.team_id, stored.host_user_id, in_webex)
                return 0
            topic = in_webex.topic
        due = DueReminder(
            team_id=stored.team_id,
            meeting_id=stored.meeting_id,
            recipient=stored.recipient,
            kind=stored.kind,
            host_user_id=stored.host_user_id,
            topic=topic,
            starts_at_minutes=_whole_minutes(stored.starts_at - now),
            stored=stored,
        )
        try:
            await send(due)
        except ReminderUndeliverable as reason:
            logger.info("reminder of meeting %s dropped: %s", stored.meeting_id, reason)
            return 0
        except Exception:
            logger.warning(
                "could not send the reminder of meeting %s; will try again",
                stored.meeting_id,
                exc_info=True,
            )
            await self._store.unclaim(stored)
            return 0
        await self._advance(stored)
        return 1

    async def _advance(self, stored: StoredReminder) -> None:
        """A series' reminder moves to its next meeting not over yet (a series that has ended stays sent)."""
        following = Occurrence(stored.starts_at, stored.ends_at, stored.series).following(self._clock.now())
        if following is not None:
            await self._store.advance(stored, following.starts_at, following.ends_at)

    async def purge(self, older_than: timedelta) -> int:
        """Forget reminders of meetings that ended more than `older_than` ago; one of a series still going
        on moves to its next meeting instead (its host had reminders off, or its sender stopped)."""
        now = self._clock.now()
        for stored in await self._store.series_behind(now - older_than):
            following = Occurrence(stored.starts_at, stored.ends_at, stored.series).following(now)
            if following is not None:
                await self._store.advance(stored, following.starts_at, following.ends_at, claimed=False)
        return await self._store.purge(now - older_than)


def _whole_minutes(delta: timedelta) -> int:
    """Minutes, rounded to the nearest (a reminder read a few seconds late still says "10 minutes")."""
    seconds = delta.total_seconds()
    return int(round(seconds / 60))
