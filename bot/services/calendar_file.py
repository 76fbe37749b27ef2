"""The .ics file behind a card's Add to calendar button: one event, the meeting as Webex has it now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event

from bot.domain.meetings import Meeting

PRODUCT_ID = "-//webex-bot//Webex meeting//EN"


@dataclass(frozen=True)
class CalendarFile:
    """A calendar file to download: its name and its iCalendar (RFC 5545) bytes."""

    filename: str
    content: bytes

    media_type = "text/calendar; charset=utf-8"


def meeting_calendar_file(meeting: Meeting, join_url: str, *, now: datetime) -> CalendarFile:
    """The meeting as one event: topic, time, agenda and how to join. Nothing only the host may see
    (password, host key) goes in, since anyone the card was shared with can download it."""
    event = Event()
    # One UID per meeting: adding the file again after an edit updates the event instead of doubling it.
    event.add("uid", f"webex-meeting-{meeting.number}@webex-bot")
    event.add("dtstamp", now)
    event.add("dtstart", meeting.start)
    event.add("dtend", meeting.end)
    event.add("summary", meeting.topic)
    event.add("location", f"Webex meeting {meeting.number}")
    event.add("url", join_url)
    details = [meeting.agenda.strip()] if meeting.agenda.strip() else []
    details.append(f"Join the Webex meeting: {join_url}\nMeeting number: {meeting.number}")
    event.add("description", "\n\n".join(details))
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return CalendarFile(f"webex-meeting-{meeting.number}.ics", calendar.to_ical())
