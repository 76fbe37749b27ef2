"""Meetings as the product sees them, whatever the backend: plain values, instants in UTC, no I/O.

The meeting backend port (bot.services.ports) takes and returns these; an adapter translates them to
its own wire shapes (the XML API's timeZoneIDs and 1-based pages stay inside bot/webex).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.recurrence import Recurrence


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str = ""


@dataclass(frozen=True)
class MeetingDraft:
    """A meeting to create, already checked against the product's rules (bot.domain.meeting_rules)."""

    topic: str
    start: datetime  # aware, UTC, whole seconds
    duration_minutes: int
    # The zone the meeting is shown in: IANA or a fixed offset (`UTC+05:45`); "" for UTC.
    time_zone: str
    agenda: str = ""
    invitees: tuple[Invitee, ...] = ()
    password: str | None = None  # None: the backend's site decides (it may generate one)
    # The person's own zone (IANA), for a backend with no zone of `time_zone`'s clock on that date:
    # it shows the meeting there instead ("" for UTC). The start instant is the same either way.
    home_time_zone: str = ""
    # A series: the start is its first meeting, the rule runs on `time_zone`'s wall clock.
    recurrence: Recurrence | None = None


@dataclass(frozen=True)
class MeetingChanges:
    """A partial change: None leaves a field as it is. A new start comes with the zone it is shown in."""

    topic: str | None = None
    start: datetime | None = None  # aware, UTC
    time_zone: str | None = None  # IANA; None with a new start keeps the meeting's own zone
    duration_minutes: int | None = None
    agenda: str | None = None
    invitees: tuple[Invitee, ...] | None = None  # the whole new list
    recurrence: Recurrence | None = None  # a new rule for the whole series

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


@dataclass(frozen=True)
class Meeting:
    """A meeting as the backend reports it.

    `meeting_id` is opaque: it is what get, change, cancel and the links take, and what buttons carry.
    `number` is the meeting number people see and type (digits); `MeetingBackend.meeting_id_for` turns
    a typed number into the id. The two are the same string for the XML API, not for REST.
    """

    meeting_id: str
    number: str
    topic: str
    start: datetime  # aware, UTC
    duration_minutes: int
    time_zone: str  # IANA zone the meeting is shown in
    time_zone_label: str = ""  # that zone as the backend names it to people ("" shows the IANA name)
    host_id: str = ""  # the host's id at the backend (Credentials.user_id of the host)
    agenda: str = ""
    in_progress: bool = False
    invitees: tuple[Invitee, ...] = ()
    password: str = ""
    host_key: str = ""
    # The series this meeting is, with `start` its next (or first) meeting; None for a single meeting.
    # Changing or cancelling the meeting acts on the whole series.
    recurrence: Recurrence | None = None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_minutes)


def shown_on_card(meeting: Meeting) -> str:
    """A short fingerprint of what a meeting's channel card shows that Webex can change behind the bot:
    its topic, its time and its length. Kept with each copy, so a copy already showing the meeting as
    it is costs no Slack call."""
    shown = f"{meeting.topic}\n{meeting.start.isoformat()}\n{meeting.duration_minutes}"
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


def first_meeting_after(meeting: Meeting, after: datetime) -> Meeting | None:
    """`meeting` when it starts after `after`; a series (its `start` one of its meetings) at its first
    meeting from `start` on that starts after `after`. None when there is none (the series has ended)."""
    if meeting.start > after:
        return meeting
    if meeting.recurrence is None:
        return None
    start = meeting.recurrence.next_start(meeting.start, meeting.time_zone, after)
    return None if start is None else replace(meeting, start=start, in_progress=False)


@dataclass(frozen=True)
class CreatedMeeting:
    """A meeting just created, as the backend accepted it, with its calendar link when there is one."""

    meeting: Meeting
    calendar_url: str = ""  # an .ics link for attendees; "" when the backend has none


@dataclass(frozen=True)
class MeetingPage:
    """One page of a list, in ascending start order.

    `next_cursor` is opaque: pass it back to `list_meetings` for the next page; None at the end.
    `total` is how many meetings the whole list holds when the backend says, else None.
    """

    meetings: tuple[Meeting, ...]
    next_cursor: str | None = None
    total: int | None = None


@dataclass(frozen=True)
class BackendUser:
    """Who a token belongs to."""

    user_id: str
    email: str
    display_name: str = ""
    time_zone: str | None = None  # IANA, when the backend knows it


@dataclass(frozen=True)
class Recording:
    """A recording of one of the person's meetings, as a list shows it and a channel post links it."""

    recording_id: str
    name: str
    created: datetime  # aware, UTC
    duration_seconds: int
    playback_url: str  # where anyone allowed opens it in a browser
    meeting_id: str = ""  # the meeting it was recorded in, when the backend says
