"""The REST meeting operations over the one meeting store the XML API also uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final

from bot.emulator.rest.details import OccurrenceChange, RestDetails
from bot.emulator.rest.errors import (
    ALREADY_DELETED,
    RestError,
    forbidden,
    invalid,
    malformed,
    not_found,
)
from bot.emulator.rest.recurrence import RecurrenceError, normalise
from bot.emulator.rest.times import parse_instant, schedule_start, to_minute, zone_or_error
from bot.emulator.rest.views import (
    BOOLEAN_OPTIONS,
    JOIN_SECURITY,
    NUMBER_OPTIONS,
    Occurrence,
    details,
    meeting_zone,
    occurrence_view,
    occurrences,
    series_view,
    site_url,
)
from bot.emulator.rest.zones import iana_for, zone_id_for
from bot.emulator.state import Attendee, EmulatorState, SiteState, StoredMeeting, User

READ_SCOPE: Final = "meeting:schedules_read"
WRITE_SCOPE: Final = "meeting:schedules_write"
ADMIN_WRITE_SCOPE: Final = "meeting:admin_schedule_write"
MAX_TITLE: Final = 128
MAX_AGENDA: Final = 1300
MAX_DISPLAY_NAME: Final = 128
MAX_INVITEES: Final = 1000
MAX_TAGS: Final = 3
MAX_TAG_LENGTH: Final = 64
MIN_DURATION: Final = timedelta(minutes=10)
MAX_DURATION: Final = timedelta(hours=23, minutes=59)
MAX_AHEAD: Final = timedelta(days=3652)
JOIN_BEFORE_HOST_MINUTES: Final = (0, 5, 10, 15)
PASSWORD_RULE: Final = (
    "Meeting password validation failed. A mix of uppercase and lowercase letters and numbers is required, "
    "8 to 16 characters long."
)
_OCCURRENCE_ID = re.compile(r"^([0-9a-f]{32})_(\d{8}T\d{6}Z)$")
_SERIES_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class RestCall:
    """Who is calling and what they may do: the REST counterpart of the XML API's securityContext."""

    state: EmulatorState
    now: datetime
    site: SiteState
    user: User
    scopes: frozenset[str]
    public_url: str  # may contain {site}
    zone: tzinfo | None = None  # the `timezone` request header: the zone of times in read answers

    @property
    def link_base(self) -> str:
        name = self.site.site.name
        return f"{self.public_url.format(site=name).rstrip('/')}/{name}"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise forbidden()

    def host_of(self, meeting: StoredMeeting) -> User | None:
        return self.state.find_user(meeting.site, meeting.host_webex_id)

    def hosts(self, meeting: StoredMeeting) -> bool:
        return meeting.host_webex_id.lower() == self.user.webex_id.lower()

    def sees(self, meeting: StoredMeeting) -> bool:
        """Hosts see their meetings, invitees the ones they are invited to."""
        email = self.user.email.lower()
        return self.hosts(meeting) or any(a.email.lower() == email for a in meeting.attendees)

    def is_cohost(self, meeting: StoredMeeting) -> bool:
        return self.user.email.lower() in details(meeting).cohosts


# reading bodies ------------------------------------------------------------------------------------


def _string(body: dict[str, Any], name: str, *, limit: int | None = None) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise malformed(f"Invalid value on '{name}' field: a string is required.")
    if limit is not None and len(value) > limit:
        raise invalid(f"{name} can be a maximum of {limit} characters long.")
    return value


def _options(body: dict[str, Any], existing: dict[str, object]) -> dict[str, object]:
    options = dict(existing)
    for name in BOOLEAN_OPTIONS:
        if name in body and body[name] is not None:
            if not isinstance(body[name], bool):
                raise malformed(f"Invalid value on '{name}' field: true or false is required.")
            options[name] = body[name]
    for name in NUMBER_OPTIONS:
        if name in body and body[name] is not None:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise malformed(f"Invalid value on '{name}' field: a number is required.")
            options[name] = int(value)
    if options.get("joinBeforeHostMinutes", 0) not in JOIN_BEFORE_HOST_MINUTES:
        raise invalid("joinBeforeHostMinutes must be 0, 5, 10 or 15 for a meeting.")
    security = body.get("unlockedMeetingJoinSecurity")
    if security is not None:
        if security not in JOIN_SECURITY:
            raise invalid(f"unlockedMeetingJoinSecurity must be one of {', '.join(JOIN_SECURITY)}.")
        options["unlockedMeetingJoinSecurity"] = security
    return options


def _password(body: dict[str, Any]) -> str | None:
    password = _string(body, "password")
    if password is None:
        return None
    strong = (
        8 <= len(password) <= 16
        and any(c.islower() for c in password)
        and any(c.isupper() for c in password)
        and any(c.isdigit() for c in password)
    )
    if not strong:
        raise invalid(PASSWORD_RULE)
    return password


def _invitees(body: dict[str, Any]) -> tuple[tuple[Attendee, ...], tuple[str, ...], tuple[str, ...]] | None:
    raw = body.get("invitees")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise malformed("Invalid value on 'invitees' field: a list is required.")
    if len(raw) > MAX_INVITEES:
        raise invalid(f"A meeting can have at most {MAX_INVITEES} invitees.")
    attendees: dict[str, Attendee] = {}
    cohosts: list[str] = []
    panelists: list[str] = []
    for item in raw:
        if not isinstance(item, dict):
            raise malformed("Invalid value on 'invitees' field: each invitee is an object with an email.")
        email = _string(item, "email")
        if not email or "@" not in email.strip("@"):
            raise invalid("Every invitee needs a valid email.")
        name = _string(item, "displayName", limit=MAX_DISPLAY_NAME) or ""
        key = email.strip().lower()
        attendees.setdefault(key, Attendee(email=email.strip(), name=name))
        if item.get("coHost") is True:
            cohosts.append(key)
        if item.get("panelist") is True:
            panelists.append(key)
    return tuple(attendees.values()), tuple(cohosts), tuple(panelists)


def _tags(body: dict[str, Any]) -> tuple[str, ...] | None:
    raw = body.get("integrationTags")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(tag, str) for tag in raw):
        raise malformed("Invalid value on 'integrationTags' field: a list of strings is required.")
    if len(raw) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in raw):
        raise invalid(f"At most {MAX_TAGS} integrationTags of at most {MAX_TAG_LENGTH} characters each.")
    return tuple(raw)


def _times(
    call: RestCall,
    body: dict[str, Any],
    zone_name: str,
    zone_given: bool,
    *,
    current: tuple[datetime, datetime],
    allow_past: bool = False,
) -> tuple[datetime, datetime]:
    """Start and end as Webex keeps them, checked: not in the past, 10 minutes to 23:59, within 10 years."""
    start = (
        parse_instant(body["start"], "start", zone_name, zone_given=zone_given)
        if body.get("start") is not None
        else current[0]
    )
    end = (
        parse_instant(body["end"], "end", zone_name, zone_given=zone_given)
        if body.get("end") is not None
        else current[1]
    )
    if body.get("start") is not None:
        if not allow_past and to_minute(start) < to_minute(call.now):
            raise invalid("start cannot be before the current date and time.")
        start = start if allow_past else schedule_start(start, call.now)
        start = to_minute(start)
    end = to_minute(end)
    if end <= start:
        raise invalid("end cannot be before start.")
    if not MIN_DURATION <= end - start <= MAX_DURATION:
        raise invalid("The duration between start and end must be 10 minutes to 23 hours 59 minutes.")
    if start >= call.now + MAX_AHEAD:
        raise invalid("start cannot be 10 years or more in the future.")
    return start, end


def _host(call: RestCall, body: dict[str, Any]) -> User:
    host_email = _string(body, "hostEmail")
    if not host_email or host_email.strip().lower() == call.user.email.lower():
        return call.user
    if not call.user.site_admin or ADMIN_WRITE_SCOPE not in call.scopes:
        raise forbidden()
    host = call.state.find_user(call.site.site.name, host_email)
    if host is None:
        raise invalid(f"hostEmail {host_email} is not a user of the site.")
    return host


def _meeting_number(state: EmulatorState) -> int:
    """A free meeting number of 9 or 10 digits, as REST meetings carry (the XML API allows up to 11)."""
    while True:
        number = int(state.new_digits(10))
        if number >= 100_000_000 and state.find_meeting(number) is None:
            return number


def _generated_password(state: EmulatorState) -> str:
    # Upper, lower and digits, like the passwords Webex generates (fYcTYPp5m90).
    return f"Wx{state.new_hex(6)}{state.new_digits(3)}"


# create ------------------------------------------------------------------------------------------


def create_meeting(call: RestCall, body: dict[str, Any], *, allow_past: bool = False) -> StoredMeeting:
    """POST /v1/meetings: a new series (a one-off meeting is a series with one occurrence)."""
    call.require(WRITE_SCOPE)
    title = _string(body, "title", limit=MAX_TITLE)
    if not title or not title.strip():
        raise invalid("title is required.")
    for name in ("start", "end"):
        if body.get(name) is None:
            raise invalid(f"{name} is required.")
    host = _host(call, body)
    requested_site = _string(body, "siteUrl")
    if requested_site and requested_site.strip().lower() != site_url(call.site.site.name):
        raise invalid(f"siteUrl {requested_site} is not a site of the user.")
    scheduled_type = _string(body, "scheduledType") or "meeting"
    if scheduled_type != "meeting":
        raise invalid("The emulator schedules meetings only (scheduledType 'meeting').")
    if body.get("adhoc") or body.get("roomId") or body.get("templateId"):
        raise invalid("Ad-hoc, space and template meetings are not available on this site.")
    zone_given = isinstance(body.get("timezone"), str)
    zone_name = _string(body, "timezone") or iana_for(host.time_zone_id)
    zone = zone_or_error(zone_name)
    start, end = _times(
        call, body, zone_name, zone_given, current=(call.now, call.now), allow_past=allow_past
    )
    agenda = _string(body, "agenda", limit=MAX_AGENDA) or ""
    password = _password(body) or _generated_password(call.state)
    recurrence = _recurrence(body, start, zone)
    invitees = _invitees(body) or ((), (), ())
    state = call.state
    key = _meeting_number(state)
    zone_id = zone_id_for(zone_name, start)
    options = _options(body, {})
    meeting = StoredMeeting(
        key=key,
        site=call.site.site.name,
        host_webex_id=host.webex_id,
        conf_name=title,
        start=start,
        duration_minutes=int((end - start).total_seconds() // 60),
        time_zone_id=zone_id,
        agenda=agenda,
        password=password,
        attendees=invitees[0],
        meeting_type=host.meeting_types[0],
        guest_token=state.new_hex(32),
        host_key=state.new_digits(6),
        event_id=int(state.new_digits(9)) + 100_000_000,
        uuid=state.new_hex(32),
        join_before_host=bool(options.get("enabledJoinBeforeHost", False)),
        created_at=call.now,
        updated_at=call.now,
        rest=RestDetails(
            timezone=zone_name,
            time_zone_id=zone_id,
            recurrence=recurrence or "",
            options=tuple(options.items()),
            cohosts=invitees[1],
            panelists=invitees[2],
            integration_tags=_tags(body) or (),
        ),
    )
    call.site.meetings[key] = meeting
    return meeting


def _recurrence(body: dict[str, Any], start: datetime, zone: tzinfo) -> str | None:
    text = body.get("recurrence")
    if text is None:
        return None
    if not isinstance(text, str):
        raise malformed("Invalid value on 'recurrence' field: an RRULE string is required.")
    if not text.strip():
        return ""
    try:
        from zoneinfo import ZoneInfo

        assert isinstance(zone, ZoneInfo)
        return normalise(text, start, zone)
    except RecurrenceError as error:
        raise invalid(str(error)) from None


# find --------------------------------------------------------------------------------------------


def find(
    call: RestCall, meeting_id: str, *, deleting: bool = False
) -> tuple[StoredMeeting, Occurrence | None]:
    """A series (and one of its occurrences for an occurrence id) the caller may see; 404 otherwise."""
    occurrence_match = _OCCURRENCE_ID.match(meeting_id)
    series_id = occurrence_match.group(1) if occurrence_match else meeting_id
    missing = RestError(404, ALREADY_DELETED) if deleting else not_found()
    if not _SERIES_ID.match(series_id):
        raise missing
    meeting = next((m for m in call.site.meetings.values() if m.uuid == series_id), None)
    if meeting is None or not call.sees(meeting):
        raise missing
    if occurrence_match is None:
        return meeting, None
    original = datetime.strptime(occurrence_match.group(2), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    found = next(
        occurrences(meeting, after=original - timedelta(seconds=1), before=original + timedelta(seconds=1)),
        None,
    )
    if found is None:
        raise missing
    return meeting, found


def get_meeting(call: RestCall, meeting_id: str, *, current: bool) -> dict[str, object]:
    call.require(READ_SCOPE)
    meeting, occurrence = find(call, meeting_id)
    host = call.host_of(meeting)
    if occurrence is not None:
        return occurrence_view(occurrence, host, call.link_base, call.now, zone=call.zone)
    return series_view(meeting, host, call.link_base, call.now, zone=call.zone, current=current)


def answer_view(
    call: RestCall, meeting: StoredMeeting, occurrence: Occurrence | None, *, updated: bool = False
) -> dict[str, object]:
    """What create and update answer: times in the meeting's own zone, as Cisco's examples show.

    An update answers the list item shape (with `meetingSeriesId`), as the description declares.
    """
    zone = zone_or_error(meeting_zone(meeting))
    host = call.host_of(meeting)
    if occurrence is not None:
        return occurrence_view(occurrence, host, call.link_base, call.now, zone=zone)
    return series_view(meeting, host, call.link_base, call.now, zone=zone, current=False, listed=updated)


# update ------------------------------------------------------------------------------------------


_UPDATABLE_ON_OCCURRENCE: Final = frozenset(
    {"title", "agenda", "start", "end", "sendEmail", "hostEmail", "timezone"}
)


def update_meeting(
    call: RestCall, meeting_id: str, body: dict[str, Any], *, replace_all: bool
) -> dict[str, object]:
    """PUT (`replace_all`: title, start and end required, unset options back to defaults) or PATCH."""
    call.require(WRITE_SCOPE)
    meeting, occurrence = find(call, meeting_id)
    if not call.hosts(meeting) and not call.is_cohost(meeting):
        raise forbidden()
    if replace_all:
        for name in ("title", "start", "end"):
            if body.get(name) is None:
                raise invalid(f"{name} is required.")
    if "title" in body:
        title = _string(body, "title", limit=MAX_TITLE)
        if not title or not title.strip():
            raise invalid("title cannot be empty.")
    info = details(meeting)
    zone_given = isinstance(body.get("timezone"), str)
    zone_name = _string(body, "timezone") or meeting_zone(meeting)
    zone = zone_or_error(zone_name)
    if occurrence is not None:
        return _update_occurrence(call, meeting, occurrence, body, zone_name, zone_given)
    current_end = meeting.start + timedelta(minutes=meeting.duration_minutes)
    start, end = _times(call, body, zone_name, zone_given, current=(meeting.start, current_end))
    changes: dict[str, Any] = {"start": start, "duration_minutes": int((end - start).total_seconds() // 60)}
    if body.get("title") is not None:
        changes["conf_name"] = body["title"]
    if "agenda" in body:
        changes["agenda"] = _string(body, "agenda", limit=MAX_AGENDA) or ""
    elif replace_all:
        changes["agenda"] = ""
    password = _password(body)
    if password is not None:
        changes["password"] = password
    recurrence = info.recurrence
    if "recurrence" in body:
        recurrence = _recurrence(body, start, zone) or ""
    elif replace_all:
        recurrence = ""
    zone_id = zone_id_for(zone_name, start) if zone_given else meeting.time_zone_id
    options = _options(body, {} if replace_all else dict(info.options))
    tags = _tags(body)
    rewritten = start != meeting.start or changes["duration_minutes"] != meeting.duration_minutes
    rewritten = rewritten or recurrence != info.recurrence
    changes["time_zone_id"] = zone_id
    changes["join_before_host"] = bool(options.get("enabledJoinBeforeHost", meeting.join_before_host))
    changes["rest"] = replace(
        info,
        timezone=zone_name,
        time_zone_id=zone_id,
        recurrence=recurrence,
        options=tuple(options.items()),
        integration_tags=tags if tags is not None else (() if replace_all else info.integration_tags),
        # Changing a series' times or rule cancels its exceptions, as Webex does.
        cancelled=() if rewritten else info.cancelled,
        changes=() if rewritten else info.changes,
    )
    updated = replace(meeting, updated_at=call.now, **changes)
    call.site.meetings[meeting.key] = updated
    return answer_view(call, updated, None, updated=True)


def _update_occurrence(
    call: RestCall,
    meeting: StoredMeeting,
    occurrence: Occurrence,
    body: dict[str, Any],
    zone_name: str,
    zone_given: bool,
) -> dict[str, object]:
    unsupported = sorted(name for name in body if name not in _UPDATABLE_ON_OCCURRENCE)
    if unsupported:
        raise invalid(
            f"Only title, agenda, start and end can change on one occurrence, not {', '.join(unsupported)}."
        )
    start, end = _times(call, body, zone_name, zone_given, current=(occurrence.start, occurrence.end))
    info = details(meeting)
    previous = occurrence.change or OccurrenceChange(original=occurrence.original)
    change = replace(
        previous,
        title=body["title"] if body.get("title") is not None else previous.title,
        agenda=(_string(body, "agenda", limit=MAX_AGENDA) or "") if "agenda" in body else previous.agenda,
        start=start,
        end=end,
    )
    kept = tuple(c for c in info.changes if c.original != occurrence.original)
    updated = replace(meeting, updated_at=call.now, rest=replace(info, changes=(*kept, change)))
    call.site.meetings[meeting.key] = updated
    moved = Occurrence(updated, occurrence.original, start, end, change)
    return answer_view(call, updated, moved, updated=True)


def delete_meeting(call: RestCall, meeting_id: str) -> None:
    """DELETE: a series id removes the series (for the XML API too), an occurrence id one occurrence."""
    call.require(WRITE_SCOPE)
    meeting, occurrence = find(call, meeting_id, deleting=True)
    if not call.hosts(meeting) and not call.is_cohost(meeting):
        raise forbidden()
    if occurrence is None:
        del call.site.meetings[meeting.key]
        return
    info = details(meeting)
    cancelled = (*info.cancelled, occurrence.original)
    call.site.meetings[meeting.key] = replace(
        meeting, updated_at=call.now, rest=replace(info, cancelled=cancelled)
    )
