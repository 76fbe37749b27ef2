"""The Webex XML API's own meeting shapes (timeZoneIDs, meeting keys, 1-based pages), inside the adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.meeting_rules import DEFAULT_DURATION_MINUTES
from bot.domain.meetings import Invitee
from bot.domain.recurrence import Recurrence
from bot.webex.timezones import GMT_ZONE_ID

__all__ = [
    "CreatedMeeting",
    "Invitee",
    "Meeting",
    "MeetingChanges",
    "MeetingDraft",
    "MeetingPage",
    "Recording",
    "WebexUser",
]


@dataclass(frozen=True)
class MeetingDraft:
    """What to create: everything CreateMeeting needs, already validated."""

    topic: str
    start: datetime  # aware, UTC
    duration_minutes: int = DEFAULT_DURATION_MINUTES
    time_zone_id: int = GMT_ZONE_ID  # the Webex zone the meeting is shown in
    agenda: str = ""
    invitees: tuple[Invitee, ...] = ()
    password: str | None = None
    recurrence: Recurrence | None = None  # the `repeat` element; the rule runs in `time_zone_id`


@dataclass(frozen=True)
class MeetingChanges:
    """A partial update for SetMeeting: None means unchanged."""

    topic: str | None = None
    start: datetime | None = None
    duration_minutes: int | None = None
    time_zone_id: int | None = None
    agenda: str | None = None
    invitees: tuple[Invitee, ...] | None = None
    recurrence: Recurrence | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


@dataclass(frozen=True)
class CreatedMeeting:
    meeting_key: str
    host_calendar_url: str = ""
    attendee_calendar_url: str = ""
    guest_token: str = ""
    password: str = ""


@dataclass(frozen=True)
class Meeting:
    """A meeting as Webex reports it (GetMeeting or a LstsummaryMeeting row)."""

    meeting_key: str
    topic: str
    start: datetime  # aware, UTC
    duration_minutes: int
    time_zone_id: int
    host_webex_id: str = ""
    agenda: str = ""
    status: str = "NOT_INPROGRESS"
    invitees: tuple[Invitee, ...] = ()
    password: str = ""
    host_key: str = ""
    recurrence: Recurrence | None = None  # GetMeeting's `repeat`; a list row never carries it

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class MeetingPage:
    meetings: tuple[Meeting, ...]
    total: int
    start_from: int  # 1-based, as Webex counts

    @property
    def has_more(self) -> bool:
        return self.start_from - 1 + len(self.meetings) < self.total


@dataclass(frozen=True)
class Recording:
    recording_id: str
    name: str
    created: datetime  # aware, UTC
    duration_seconds: int
    stream_url: str = ""
    file_url: str = ""
    meeting_key: str = ""


@dataclass(frozen=True)
class WebexUser:
    webex_id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    time_zone_id: int | None = None
    meeting_types: tuple[int, ...] = field(default_factory=tuple)

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.webex_id
