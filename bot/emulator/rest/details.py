"""What a meeting carries beyond the XML API's fields once the REST API has touched it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OccurrenceChange:
    """One occurrence changed on its own (`isModified`); `original` is its UTC start by the rule."""

    original: datetime
    title: str | None = None
    agenda: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class RestDetails:
    """REST-only facts of a stored meeting; the XML API leaves them alone.

    `timezone` is the IANA zone a REST client asked for; it is shown while the meeting's Webex
    timeZoneID is still `time_zone_id` (an XML SetMeeting to another zone wins).
    """

    timezone: str
    time_zone_id: int
    recurrence: str = ""
    options: tuple[tuple[str, object], ...] = ()
    cohosts: tuple[str, ...] = ()  # lower-cased e-mails of invitees who are co-hosts
    panelists: tuple[str, ...] = ()
    integration_tags: tuple[str, ...] = ()
    cancelled: tuple[datetime, ...] = ()  # UTC starts of occurrences deleted one by one
    changes: tuple[OccurrenceChange, ...] = ()
    scheduled_type: str = "meeting"
