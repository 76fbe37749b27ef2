"""The XML API operations: each reads a bodyContent, changes the state and writes its response."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlencode

from lxml import etree

from bot.emulator.errors import (
    HOST_NOT_FOUND_EXCEPTION_ID,
    INCORRECT_PASSWORD_EXCEPTION_ID,
    MAY_NOT_SCHEDULE_FOR_HOST_EXCEPTION_ID,
    PASSWORD_REQUIRED_EXCEPTION_ID,
    PASSWORD_REQUIRED_REASON,
    USER_NOT_FOUND_EXCEPTION_ID,
    XmlFailure,
    access_denied,
    invalid_request,
    meeting_not_found,
    no_records,
)
from bot.emulator.repeat import rule_from_repeat, write_repeat
from bot.emulator.rest.recurrence import HORIZON, RecurrenceError, normalise
from bot.emulator.rest.views import details, meeting_zone, occurrences
from bot.emulator.rest.zones import iana_for, zone_info
from bot.emulator.state import Attendee, EmulatorState, SiteState, StoredMeeting, User
from bot.emulator.timezones import (
    GMT_ZONE_ID,
    SiteTimeZone,
    UnknownTimeZone,
    from_webex_local,
    to_webex_local,
    zone_by_id,
    zone_by_name,
)
from bot.emulator.wire import (
    ATT,
    COM,
    EP,
    MEET,
    SERV,
    USE,
    add,
    child,
    children,
    local_name,
    parse_boolean,
    parse_integer,
    text_of,
)

READ_SCOPE: Final = "all_read"
WRITE_SCOPE: Final = "meeting_modify"
RECORDING_SCOPE: Final = "recording_modify"
API_VERSION: Final = "WebEx XML API V10.0.0"
API_RELEASE: Final = "Emulator"
MAX_PASSWORD_LENGTH: Final = 16
MAX_AGENDA_LENGTH: Final = 2500
DEFAULT_DURATION_MINUTES: Final = 60
DEFAULT_PAGE_SIZE: Final = 10


@dataclass(frozen=True)
class Call:
    """Everything an operation may use: the authenticated caller, the state, the time, the site's links."""

    state: EmulatorState
    now: datetime
    site: SiteState
    caller: User | None
    scopes: frozenset[str]
    public_url: str  # may contain {site}

    @property
    def site_url(self) -> str:
        name = self.site.site.name
        return f"{self.public_url.format(site=name).rstrip('/')}/{name}"

    def require_caller(self) -> User:
        if self.caller is None:
            raise XmlFailure(INCORRECT_PASSWORD_EXCEPTION_ID, "Incorrect user or password")
        return self.caller

    def may_manage(self, meeting: StoredMeeting) -> bool:
        caller = self.require_caller()
        return caller.site_admin or meeting.host_webex_id.lower() == caller.webex_id.lower()


@dataclass(frozen=True)
class Operation:
    package: str
    response_type: str
    scope: str | None  # None: no authentication needed
    run: Callable[[Call, etree._Element, etree._Element], None]


# reading requests ---------------------------------------------------------------------------------


def _zone(section: etree._Element | None, default: int) -> SiteTimeZone:
    zone_id = text_of(section, "timeZoneID")
    if zone_id:
        number = parse_integer(zone_id, "timeZoneID")
        if number == -1:
            return zone_by_id(default)
        try:
            return zone_by_id(number)
        except UnknownTimeZone as error:
            raise invalid_request(str(error)) from None
    zone_name = text_of(section, "timeZone")
    if zone_name:
        try:
            return zone_by_name(zone_name)
        except UnknownTimeZone as error:
            raise invalid_request(str(error)) from None
    return zone_by_id(default)


def _instant(text: str, zone: SiteTimeZone, name: str) -> datetime:
    try:
        return from_webex_local(text, zone.id)
    except ValueError:
        raise invalid_request(f"{name} {text!r} is not a date in MM/DD/YYYY HH:MM:SS") from None


def _meeting_key(body: etree._Element, *names: str) -> int:
    text = text_of(body, *names)
    if not text:
        raise invalid_request(f"{names[0]} is required")
    return parse_integer(text, names[0])


def _attendees(participants: etree._Element | None) -> tuple[Attendee, ...] | None:
    attendees = child(participants, "attendees")
    if attendees is None:
        return None
    found: list[Attendee] = []
    for attendee in children(attendees):
        person = child(attendee, "person")
        email = text_of(person, "email")
        if not email:
            raise invalid_request("every attendee needs person/email")
        found.append(Attendee(email=email, name=text_of(person, "name") or ""))
    return tuple(found)


def _password(access: etree._Element | None) -> str | None:
    password = text_of(access, "meetingPassword")
    if password is not None and len(password) > MAX_PASSWORD_LENGTH:
        raise invalid_request(f"meetingPassword is longer than {MAX_PASSWORD_LENGTH} characters")
    return password


def _agenda(meta: etree._Element | None) -> str | None:
    agenda = text_of(meta, "agenda")
    if agenda is not None and len(agenda) > MAX_AGENDA_LENGTH:
        raise invalid_request(f"agenda is longer than {MAX_AGENDA_LENGTH} characters")
    return agenda


def _duration(schedule: etree._Element | None) -> int | None:
    text = text_of(schedule, "duration")
    if not text:
        return None
    minutes = parse_integer(text, "duration")
    if minutes <= 0:
        raise invalid_request("duration must be a positive number of minutes")
    return minutes


def _managed_meeting(call: Call, key: int) -> StoredMeeting:
    meeting = call.site.meetings.get(key)
    if meeting is None:
        raise meeting_not_found()
    if not call.may_manage(meeting):
        raise access_denied()
    return meeting


# writing responses --------------------------------------------------------------------------------


def _calendar_urls(call: Call, parent: etree._Element, meeting: StoredMeeting, cancel: bool = False) -> None:
    urls = add(parent, MEET, "iCalendarURL")
    if cancel:
        query = f"ED={meeting.key}&UID={meeting.event_id}&TD={meeting.time_zone_id}"
        add(urls, SERV, "host", f"{call.site_url}/j.php?{query}&ICS=CMC")
        add(urls, SERV, "attendee", f"{call.site_url}/j.php?{query}&ICS=MC")
    else:
        add(urls, SERV, "host", f"{call.site_url}/j.php?MTID=h{meeting.uuid}")
        add(urls, SERV, "attendee", f"{call.site_url}/j.php?MTID=m{meeting.uuid}")


_ENABLE_OPTIONS: Final = (
    ("chat", True), ("poll", True), ("audioVideo", True), ("attendeeList", False), ("fileShare", False),
    ("presentation", True), ("applicationShare", True), ("desktopShare", True), ("webTour", True),
    ("meetingRecord", False), ("annotation", False), ("importDocument", False), ("saveDocument", False),
    ("printDocument", False), ("pointer", False), ("switchPage", False), ("fullScreen", False),
    ("thumbnail", False), ("zoom", False), ("copyPage", False), ("rcAppShare", True),
    ("rcDesktopShare", True), ("rcWebTour", False), ("javaClient", False), ("nativeClient", False),
    ("attendeeRecordMeeting", False), ("voip", False), ("faxIntoMeeting", False), ("enableReg", False),
    ("supportQandA", True), ("supportFeedback", True), ("supportBreakoutSessions", False),
    ("supportPanelists", False), ("supportRemoteComputer", False), ("supportShareWebContent", True),
    ("supportUCFWebPages", False), ("supportUCFRichMedia", False), ("autoDeleteAfterMeetingEnd", False),
    ("viewAnyDoc", False), ("viewAnyPage", False), ("allowContactPrivate", False), ("chatHost", False),
    ("chatPresenter", False), ("chatAllAttendees", False), ("multiVideo", False), ("notes", True),
    ("closedCaptions", False), ("singleNote", False), ("sendFeedback", False),
    ("displayQuickStartHost", False), ("displayQuickStartAttendees", False), ("supportE2E", False),
    ("supportPKI", False),
)  # fmt: skip


def _with_rule(meeting: StoredMeeting, rule: str | None) -> StoredMeeting:
    """The meeting with its series rule, kept where the REST API keeps it (one store for both APIs).

    A new rule or a moved series forgets occurrences changed or deleted one by one, as Webex does."""
    if rule is None or (not rule and meeting.rest is None):
        return meeting
    info = details(meeting)
    return replace(
        meeting,
        rest=replace(
            info,
            timezone=meeting_zone(meeting),
            time_zone_id=meeting.time_zone_id,
            recurrence=rule,
            cancelled=(),
            changes=(),
        ),
    )


def _write_meeting(content: etree._Element, meeting: StoredMeeting) -> None:
    """GetMeeting's body in the captured order, limited to what the official schema knows."""
    access = add(content, MEET, "accessControl")
    add(access, MEET, "listToPublic", meeting.list_status == "PUBLIC")
    add(access, MEET, "isPublic", False)
    if meeting.password:
        add(access, MEET, "meetingPassword", meeting.password)
    meta = add(content, MEET, "metaData")
    add(meta, MEET, "confName", meeting.conf_name)
    add(meta, MEET, "meetingType", meeting.meeting_type)
    add(meta, MEET, "agenda", meeting.agenda)
    add(meta, MEET, "invitation", "")
    add(meta, MEET, "isInternal", False)
    participants = add(content, MEET, "participants")
    add(participants, MEET, "maxUserNumber", max(4, len(meeting.attendees) + 1))
    attendees = add(participants, MEET, "attendees")
    for attendee in meeting.attendees:
        entry = add(attendees, MEET, "attendee")
        person = add(entry, ATT, "person")
        if attendee.name:
            add(person, COM, "name", attendee.name)
        add(person, COM, "email", attendee.email)
        add(person, COM, "type", "VISITOR")
        add(entry, ATT, "joinStatus", "INVITE")
        add(entry, ATT, "role", "ATTENDEE")
    options = add(content, MEET, "enableOptions")
    for name, value in _ENABLE_OPTIONS:
        add(options, MEET, name, value)
    schedule = add(content, MEET, "schedule")
    add(schedule, MEET, "startDate", to_webex_local(meeting.start, meeting.time_zone_id))
    add(schedule, MEET, "timeZoneID", meeting.time_zone_id)
    add(schedule, MEET, "timeZone", meeting.time_zone_name)
    add(schedule, MEET, "duration", meeting.duration_minutes)
    add(schedule, MEET, "openTime", meeting.open_time)
    add(schedule, MEET, "hostWebExID", meeting.host_webex_id)
    add(schedule, MEET, "showFileStartMode", False)
    add(schedule, MEET, "showFileContPlayFlag", False)
    add(schedule, MEET, "showFileInterVal", 0)
    add(schedule, MEET, "entryExitTone", 0)
    add(schedule, MEET, "extNotifyTime", 0)
    add(schedule, MEET, "joinTeleconfBeforeHost", meeting.join_before_host)
    telephony = add(content, MEET, "telephony")
    add(telephony, MEET, "telephonySupport", "CALLIN")
    add(telephony, MEET, "numPhoneLines", 50)
    add(telephony, MEET, "enableTSP", False)
    add(telephony, MEET, "intlLocalCallIn", False)
    add(telephony, MEET, "isMPAudio", True)
    add(content, MEET, "tracking")
    write_repeat(content, details(meeting).recurrence, zone_info(meeting_zone(meeting)))
    add(content, MEET, "remind")
    attendee_options = add(content, MEET, "attendeeOptions")
    for name in ("request", "registration", "auto"):
        add(attendee_options, MEET, name, False)
    add(attendee_options, MEET, "participantLimit", 0)
    add(attendee_options, MEET, "excludePassword", False)
    add(attendee_options, MEET, "joinRequiresAccount", False)
    add(content, MEET, "meetingkey", meeting.key)
    add(content, MEET, "status", "NOT_INPROGRESS")
    add(content, MEET, "hostJoined", False)
    add(content, MEET, "participantsJoined", False)
    add(content, MEET, "hostKey", meeting.host_key)
    add(content, MEET, "eventID", meeting.event_id)
    add(content, MEET, "guestToken", meeting.guest_token)
    add(content, MEET, "hostType", "1019001")


# operations ---------------------------------------------------------------------------------------


def create_meeting(call: Call, body: etree._Element, content: etree._Element) -> None:
    caller = call.require_caller()
    meta, schedule, access = child(body, "metaData"), child(body, "schedule"), child(body, "accessControl")
    conf_name = text_of(meta, "confName")
    if not conf_name:
        raise invalid_request("metaData/confName is required")
    host = caller
    host_id = text_of(schedule, "hostWebExID")
    if host_id and not caller.matches(host_id):
        other = call.state.find_user(call.site.site.name, host_id)
        if other is None:
            raise XmlFailure(HOST_NOT_FOUND_EXCEPTION_ID, f"The host WebEx ID {host_id} does not exist")
        if not caller.site_admin:
            raise XmlFailure(
                MAY_NOT_SCHEDULE_FOR_HOST_EXCEPTION_ID, f"You cannot schedule meetings for {host_id}"
            )
        host = other
    zone = _zone(schedule, host.time_zone_id)
    start_text = text_of(schedule, "startDate")
    start = _instant(start_text, zone, "startDate") if start_text else call.now.replace(microsecond=0)
    password = _password(access) or ""
    if call.site.site.require_meeting_password and not password:
        raise XmlFailure(PASSWORD_REQUIRED_EXCEPTION_ID, PASSWORD_REQUIRED_REASON)
    meeting_type_text = text_of(meta, "meetingType")
    meeting_type = parse_integer(meeting_type_text, "meetingType") if meeting_type_text else -1
    state = call.state
    key = state.new_meeting_key()
    join_before = text_of(schedule, "joinTeleconfBeforeHost")
    meeting = StoredMeeting(
        key=key,
        site=call.site.site.name,
        host_webex_id=host.webex_id,
        conf_name=conf_name,
        start=start,
        duration_minutes=_duration(schedule) or DEFAULT_DURATION_MINUTES,
        time_zone_id=zone.id,
        agenda=_agenda(meta) or "",
        password=password,
        attendees=_attendees(child(body, "participants")) or (),
        meeting_type=meeting_type if meeting_type > 0 else host.meeting_types[0],
        guest_token=state.new_hex(32),
        host_key=state.new_digits(6),
        event_id=int(state.new_digits(9)) + 100_000_000,
        uuid=state.new_hex(32),
        join_before_host=parse_boolean(join_before) if join_before else False,
        created_at=call.now,
        updated_at=call.now,
    )
    rule = rule_from_repeat(child(body, "repeat"), start, zone_info(iana_for(zone.id)))
    meeting = _with_rule(meeting, rule)
    call.site.meetings[key] = meeting
    add(content, MEET, "meetingkey", key)
    _calendar_urls(call, content, meeting)
    add(content, MEET, "guestToken", meeting.guest_token)


def set_meeting(call: Call, body: etree._Element, content: etree._Element) -> None:
    meeting = _managed_meeting(call, _meeting_key(body, "meetingkey", "meetingKey"))
    meta, schedule, access = child(body, "metaData"), child(body, "schedule"), child(body, "accessControl")
    changes: dict[str, object] = {}
    conf_name = text_of(meta, "confName")
    if conf_name is not None:
        if not conf_name:
            raise invalid_request("metaData/confName must not be empty")
        changes["conf_name"] = conf_name
    agenda = _agenda(meta)
    if agenda is not None:
        changes["agenda"] = agenda
    password = _password(access)
    if password is not None:
        changes["password"] = password
    if schedule is not None:
        zone = _zone(schedule, meeting.time_zone_id)
        changes["time_zone_id"] = zone.id
        start_text = text_of(schedule, "startDate")
        if start_text:
            changes["start"] = _instant(start_text, zone, "startDate")
        duration = _duration(schedule)
        if duration is not None:
            changes["duration_minutes"] = duration
    attendees = _attendees(child(body, "participants"))
    if attendees is not None:
        changes["attendees"] = attendees
    updated = replace(meeting, updated_at=call.now, **changes)  # type: ignore[arg-type]
    repeat = child(body, "repeat")
    if repeat is not None or "start" in changes or updated.time_zone_id != meeting.time_zone_id:
        # A new rule, or the old one checked again from the series' new first meeting.
        rule_zone = zone_info(iana_for(updated.time_zone_id))
        rule = rule_from_repeat(repeat, updated.start, rule_zone)
        if rule is None and details(meeting).recurrence:
            try:
                rule = normalise(details(meeting).recurrence, updated.start, rule_zone)
            except RecurrenceError as error:
                raise invalid_request(f"repeat: {error}") from None
        updated = _with_rule(updated, rule)
    call.site.meetings[meeting.key] = updated
    _calendar_urls(call, content, updated)


def get_meeting(call: Call, body: etree._Element, content: etree._Element) -> None:
    meeting = _managed_meeting(call, _meeting_key(body, "meetingKey", "meetingkey"))
    _write_meeting(content, meeting)


def del_meeting(call: Call, body: etree._Element, content: etree._Element) -> None:
    meeting = _managed_meeting(call, _meeting_key(body, "meetingKey", "meetingkey"))
    del call.site.meetings[meeting.key]
    _calendar_urls(call, content, meeting, cancel=True)


_ORDER_KEYS: Final[dict[str, Callable[[StoredMeeting], Any]]] = {
    "STARTTIME": lambda meeting: meeting.start,
    "CONFNAME": lambda meeting: meeting.conf_name.lower(),
    "HOSTWEBEXID": lambda meeting: meeting.host_webex_id.lower(),
}


def _paging(list_control: etree._Element | None) -> tuple[int, int]:
    start_text = text_of(list_control, "startFrom")
    maximum_text = text_of(list_control, "maximumNum")
    start_from = max(1, parse_integer(start_text, "startFrom")) if start_text else 1
    maximum = parse_integer(maximum_text, "maximumNum") if maximum_text else DEFAULT_PAGE_SIZE
    if maximum < 1:
        raise invalid_request("maximumNum must be at least 1")
    return start_from, maximum


def _in_scope(instant: datetime, low: datetime | None, high: datetime | None) -> bool:
    return (low is None or instant >= low) and (high is None or instant <= high)


def _sort(meetings: list[StoredMeeting], order: etree._Element | None) -> None:
    """Sort in place by up to three orderBy/orderAD pairs (stable sorts, last first); default STARTTIME."""
    fields = [(item.text or "").strip().upper() for item in children(order) if local_name(item) == "orderBy"]
    directions = [
        (item.text or "").strip().upper() for item in children(order) if local_name(item) == "orderAD"
    ]
    meetings.sort(key=lambda meeting: meeting.key)
    for index in reversed(range(len(fields) or 1)):
        key_of = _ORDER_KEYS.get(fields[index] if fields else "STARTTIME")
        if key_of is not None:
            descending = index < len(directions) and directions[index] == "DESC"
            meetings.sort(key=key_of, reverse=descending)


def _visible(call: Call, meeting: StoredMeeting, host_id: str) -> bool:
    """Without hostWebExID: a host sees what they host or are invited to, a site admin sees everything."""
    caller = call.require_caller()
    if host_id:
        return meeting.host_webex_id.lower() == host_id
    if caller.site_admin or meeting.host_webex_id.lower() == caller.webex_id.lower():
        return True
    return any(attendee.email.lower() == caller.email.lower() for attendee in meeting.attendees)


def _occurrences(meeting: StoredMeeting, low: datetime | None, high: datetime | None) -> list[StoredMeeting]:
    """A series as one row per occurrence starting in [low, high] (its own start each), as Webex lists
    them; a single meeting as itself. Occurrences deleted one by one are left out, moved ones moved."""
    if not details(meeting).recurrence:
        return [meeting]
    tick = timedelta(microseconds=1)
    # A series with no end is listed up to five years on, where Webex stops one.
    horizon = meeting.start + HORIZON
    high = horizon if high is None else min(high, horizon)
    return [
        replace(meeting, start=o.start, duration_minutes=max(1, int((o.end - o.start).total_seconds() // 60)))
        for o in occurrences(
            meeting,
            after=low - tick if low is not None else meeting.start - tick,
            before=high + tick,
        )
    ]


def lstsummary_meeting(call: Call, body: etree._Element, content: etree._Element) -> None:
    caller = call.require_caller()
    start_from, maximum = _paging(child(body, "listControl"))
    host_filter = text_of(body, "hostWebExID") or ""
    if host_filter and not caller.matches(host_filter) and not caller.site_admin:
        raise access_denied()
    host_user = call.state.find_user(call.site.site.name, host_filter) if host_filter else None
    host_id = (host_user.webex_id if host_user else host_filter).lower()
    scope = child(body, "dateScope")
    zone = _zone(scope, GMT_ZONE_ID)
    bounds: dict[str, datetime | None] = {}
    for name in ("startDateStart", "startDateEnd", "endDateStart", "endDateEnd"):
        value = text_of(scope, name)
        bounds[name] = _instant(value, zone, name) if value else None
    key_text = text_of(body, "meetingKey")
    key_filter = parse_integer(key_text, "meetingKey") if key_text else None
    selected = [
        meeting
        for stored in call.site.meetings.values()
        if _visible(call, stored, host_id) and (key_filter is None or stored.key == key_filter)
        for meeting in _occurrences(stored, bounds["startDateStart"], bounds["startDateEnd"])
        if _in_scope(meeting.start, bounds["startDateStart"], bounds["startDateEnd"])
        and _in_scope(
            meeting.start + timedelta(minutes=meeting.duration_minutes),
            bounds["endDateStart"],
            bounds["endDateEnd"],
        )
    ]
    _sort(selected, child(body, "order"))
    page = selected[start_from - 1 : start_from - 1 + maximum]
    if not page:
        raise no_records()
    for meeting in page:
        row = add(content, MEET, "meeting")
        add(row, MEET, "meetingKey", meeting.key)
        add(row, MEET, "confName", meeting.conf_name)
        add(row, MEET, "meetingType", meeting.meeting_type)
        add(row, MEET, "hostWebExID", meeting.host_webex_id)
        add(row, MEET, "otherHostWebExID", meeting.host_webex_id)
        add(row, MEET, "timeZoneID", meeting.time_zone_id)
        add(row, MEET, "timeZone", meeting.time_zone_name)
        add(row, MEET, "status", "NOT_INPROGRESS")
        add(row, MEET, "startDate", to_webex_local(meeting.start, meeting.time_zone_id))
        add(row, MEET, "duration", meeting.duration_minutes)
        add(row, MEET, "listStatus", meeting.list_status)
        add(row, MEET, "hostJoined", False)
        add(row, MEET, "participantsJoined", False)
    records = add(content, MEET, "matchingRecords")
    add(records, SERV, "total", len(selected))
    add(records, SERV, "returned", len(page))
    add(records, SERV, "startFrom", start_from)


def getjoinurl_meeting(call: Call, body: etree._Element, content: etree._Element) -> None:
    key = _meeting_key(body, "sessionKey", "meetingKey")
    meeting = call.site.meetings.get(key)
    if meeting is None:
        raise meeting_not_found()
    params = {"AT": "SI", "MK": str(key)}
    name, email = text_of(body, "attendeeName"), text_of(body, "attendeeEmail")
    if name:
        params["AN"] = name
    if email:
        params["AE"] = email
    add(content, MEET, "joinMeetingURL", f"{call.site_url}/e.php?{urlencode(params)}")
    add(content, MEET, "inviteMeetingURL", f"{call.site_url}/j.php?MTID=m{meeting.uuid}")


def gethosturl_meeting(call: Call, body: etree._Element, content: etree._Element) -> None:
    meeting = _managed_meeting(call, _meeting_key(body, "sessionKey", "meetingKey"))
    target = quote(f"{call.site_url}/m.php?AT=HM&MK={meeting.key}", safe="")
    token = call.state.new_hex(24)
    add(content, MEET, "hostMeetingURL", f"{call.site_url}/p.php?AT=LI&TK={token}&MU={target}")


def _with_dst(zone: SiteTimeZone, now: datetime) -> str:
    local = now.astimezone(zone.tzinfo)
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    city = zone.name.rpartition("(")[2].rstrip(")")
    return f"{city} ({local.tzname()}, GMT{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d})"


def get_user(call: Call, body: etree._Element, content: etree._Element) -> None:
    call.require_caller()
    wanted = text_of(body, "webExId", "webExID")
    if not wanted:
        raise invalid_request("webExId is required")
    user = call.state.find_user(call.site.site.name, wanted)
    if user is None:
        raise XmlFailure(USER_NOT_FOUND_EXCEPTION_ID, f"User {wanted} not found")
    zone = zone_by_id(user.time_zone_id)
    if user.first_name:
        add(content, USE, "firstName", user.first_name)
    if user.last_name:
        add(content, USE, "lastName", user.last_name)
    add(content, USE, "webExId", user.webex_id)
    add(content, USE, "email", user.email)
    add(content, USE, "password", "******")
    add(content, USE, "expirationDate", "none")
    types = add(content, USE, "meetingTypes")
    for meeting_type in user.meeting_types:
        add(types, USE, "meetingType", meeting_type)
    add(content, USE, "timeZoneID", zone.id)
    add(content, USE, "timeZone", zone.name)
    add(content, USE, "timeZoneWithDST", _with_dst(zone, call.now))
    add(content, USE, "tracking")
    privilege = add(content, USE, "privilege")
    add(privilege, USE, "host", True)
    add(privilege, USE, "siteAdmin", user.site_admin)
    add(content, USE, "language", "ENGLISH")
    add(content, USE, "locale", "U.S.")
    add(content, USE, "active", "ACTIVATED")
    add(content, USE, "registrationDate", "01/01/2024 00:00:01")
    add(content, USE, "visitCount", 0)
    add(content, USE, "userId", user.user_id)
    add(content, USE, "passwordExpires", False)
    add(content, USE, "passwordDaysLeft", 0)


def lst_recording(call: Call, body: etree._Element, content: etree._Element) -> None:
    caller = call.require_caller()
    start_from, maximum = _paging(child(body, "listControl"))
    host_filter = text_of(body, "hostWebExID") or ("" if caller.site_admin else caller.webex_id)
    if host_filter and not caller.matches(host_filter) and not caller.site_admin:
        raise access_denied()
    scope = child(body, "createTimeScope")
    zone = _zone(scope, GMT_ZONE_ID)
    low_text, high_text = text_of(scope, "createTimeStart"), text_of(scope, "createTimeEnd")
    low = _instant(low_text, zone, "createTimeStart") if low_text else None
    high = _instant(high_text, zone, "createTimeEnd") if high_text else None
    key_text = text_of(body, "sessionKey")
    key_filter = parse_integer(key_text, "sessionKey") if key_text else None
    name_filter = (text_of(body, "recordName") or "").lower()
    selected = sorted(
        (
            recording
            for recording in call.site.recordings.values()
            if (not host_filter or recording.host_webex_id.lower() == host_filter.lower())
            and (key_filter is None or recording.meeting_key == key_filter)
            and (not name_filter or name_filter in recording.name.lower())
            and _in_scope(recording.created, low, high)
        ),
        key=lambda recording: (recording.created, recording.recording_id),
    )
    page = selected[start_from - 1 : start_from - 1 + maximum]
    if not page:
        raise no_records()
    records = add(content, EP, "matchingRecords")
    add(records, SERV, "total", len(selected))
    add(records, SERV, "returned", len(page))
    add(records, SERV, "startFrom", start_from)
    for recording in page:
        number = recording.recording_id
        row = add(content, EP, "recording")
        add(row, EP, "recordingID", recording.recording_id)
        add(row, EP, "hostWebExID", recording.host_webex_id)
        add(row, EP, "name", recording.name)
        add(row, EP, "description", recording.description)
        add(row, EP, "createTime", to_webex_local(recording.created, recording.time_zone_id))
        add(row, EP, "timeZoneID", recording.time_zone_id)
        add(row, EP, "size", f"{recording.size_mb:.1f}")
        add(
            row,
            EP,
            "streamURL",
            recording.stream_url or f"{call.site_url}/ldr.php?RCID={number}",
        )
        add(row, EP, "fileURL", recording.file_url or f"{call.site_url}/lsr.php?RCID={number}")
        if recording.meeting_key is not None:
            add(row, EP, "sessionKey", recording.meeting_key)
        add(row, EP, "recordingType", 0)
        add(row, EP, "duration", recording.duration_seconds)
        add(row, EP, "listing", "PUBLIC")
        add(row, EP, "format", recording.format)
        add(row, EP, "serviceType", "MeetingCenter")
        add(row, EP, "passwordReq", False)
        add(row, EP, "registerReq", False)


def set_recording_info(call: Call, body: etree._Element, content: etree._Element) -> None:
    """SetRecordingInfo: the host (or a site admin) changes a recording's name (basic/topic) and
    description; a recording of this site that is not the caller's, or none at all, is not found."""
    caller = call.require_caller()
    section = child(body, "recording")
    number = parse_integer(text_of(section, "recordingID") or "", "recordingID")
    recording = call.site.recordings.get(number)
    if recording is None or not (
        caller.site_admin or recording.host_webex_id.lower() == caller.webex_id.lower()
    ):
        raise no_records()
    changed = recording
    topic = text_of(child(body, "basic"), "topic")
    if topic is not None:
        if not topic.strip():
            raise invalid_request("A recording's topic cannot be empty.")
        changed = replace(changed, name=topic)
    description = text_of(section, "description")
    if description is not None:
        changed = replace(changed, description=description)
    call.site.recordings[number] = changed
    add(content, EP, "recordingID", number)


def get_api_version(call: Call, body: etree._Element, content: etree._Element) -> None:
    add(content, EP, "apiVersion", API_VERSION)
    add(content, EP, "release", API_RELEASE)
    wants_train = text_of(body, "returnTrainReleaseVersion")
    if wants_train and parse_boolean(wants_train):
        add(content, EP, "trainReleaseVersion", "T33L")


OPERATIONS: Final[dict[str, Operation]] = {
    "CreateMeeting": Operation("meeting", "createMeetingResponse", WRITE_SCOPE, create_meeting),
    "SetMeeting": Operation("meeting", "setMeetingResponse", WRITE_SCOPE, set_meeting),
    "GetMeeting": Operation("meeting", "getMeetingResponse", READ_SCOPE, get_meeting),
    "DelMeeting": Operation("meeting", "delMeetingResponse", WRITE_SCOPE, del_meeting),
    "LstsummaryMeeting": Operation("meeting", "lstsummaryMeetingResponse", READ_SCOPE, lstsummary_meeting),
    "GetjoinurlMeeting": Operation("meeting", "getjoinurlMeetingResponse", READ_SCOPE, getjoinurl_meeting),
    "GethosturlMeeting": Operation("meeting", "gethosturlMeetingResponse", READ_SCOPE, gethosturl_meeting),
    "GetUser": Operation("user", "getUserResponse", READ_SCOPE, get_user),
    "LstRecording": Operation("ep", "lstRecordingResponse", READ_SCOPE, lst_recording),
    "SetRecordingInfo": Operation("ep", "setRecordingInfoResponse", RECORDING_SCOPE, set_recording_info),
    "GetAPIVersion": Operation("ep", "getAPIVersionResponse", None, get_api_version),
}
