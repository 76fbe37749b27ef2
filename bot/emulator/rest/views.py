"""How stored meetings, people and recordings look through the REST API (JSON objects)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Final

from bot.emulator.rest.details import OccurrenceChange, RestDetails
from bot.emulator.rest.recurrence import starts
from bot.emulator.rest.times import render
from bot.emulator.rest.zones import iana_for, zone_info
from bot.emulator.state import Recording, StoredMeeting, User

_NAMESPACE: Final = uuid.UUID("8f1c2b52-5e0c-4a38-9f0e-3c4d9a1e7b10")
BOOLEAN_OPTIONS: Final = (
    "enabledAutoRecordMeeting",
    "allowAnyUserToBeCoHost",
    "enabledJoinBeforeHost",
    "enableConnectAudioBeforeHost",
    "excludePassword",
    "publicMeeting",
    "enableAutomaticLock",
    "allowFirstUserToBeCoHost",
    "allowAuthenticatedDevices",
)
NUMBER_OPTIONS: Final = ("joinBeforeHostMinutes", "reminderTime", "automaticLockMinutes")
JOIN_SECURITY: Final = ("allowJoin", "allowJoinWithLobby", "blockFromJoin")
READY_BEFORE: Final = timedelta(minutes=15)  # an occurrence is joinable (state "ready") this long before it


def _spark_id(kind: str, value: str) -> str:
    """Webex's ids: base64 of `ciscospark://us/<KIND>/<uuid>`, without padding."""
    raw = f"ciscospark://us/{kind}/{uuid.uuid5(_NAMESPACE, value)}".encode()
    return base64.b64encode(raw).decode().rstrip("=")


def person_id(user: User) -> str:
    return _spark_id("PEOPLE", f"{user.site.lower()}/{user.user_id}")


def org_id(site: str) -> str:
    return _spark_id("ORGANIZATION", site.lower())


def site_url(site: str) -> str:
    return f"{site.lower()}.webex.com"


def meeting_zone(meeting: StoredMeeting) -> str:
    """The IANA zone shown for a meeting: what a REST client chose, unless the XML API moved it since."""
    if meeting.rest is not None and meeting.rest.time_zone_id == meeting.time_zone_id:
        return meeting.rest.timezone
    return iana_for(meeting.time_zone_id)


def details(meeting: StoredMeeting) -> RestDetails:
    return meeting.rest or RestDetails(timezone=meeting_zone(meeting), time_zone_id=meeting.time_zone_id)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a series: where the rule put it (`original`) and where it is now."""

    meeting: StoredMeeting
    original: datetime
    start: datetime
    end: datetime
    change: OccurrenceChange | None

    @property
    def id(self) -> str:
        return f"{self.meeting.uuid}_{self.original.strftime('%Y%m%dT%H%M%SZ')}"


def occurrences(
    meeting: StoredMeeting, *, after: datetime | None = None, before: datetime | None = None
) -> Iterator[Occurrence]:
    """Occurrences whose rule start is strictly between `after` and `before`, cancelled ones left out."""
    info = details(meeting)
    length = timedelta(minutes=meeting.duration_minutes)
    changes = {change.original: change for change in info.changes}
    cancelled = set(info.cancelled)
    for start in starts(
        info.recurrence, meeting.start, zone_info(meeting_zone(meeting)), after=after, before=before
    ):
        if start in cancelled:
            continue
        change = changes.get(start)
        moved = change.start if change is not None and change.start is not None else start
        ends = change.end if change is not None and change.end is not None else moved + length
        yield Occurrence(meeting, start, moved, ends, change)


def overlapping(meeting: StoredMeeting, low: datetime, high: datetime) -> list[Occurrence]:
    """Occurrences that overlap `[low, high)`."""
    length = timedelta(minutes=meeting.duration_minutes)
    return [
        o for o in occurrences(meeting, after=low - length, before=high) if o.start < high and o.end > low
    ]


def upcoming(meeting: StoredMeeting, now: datetime) -> Occurrence | None:
    """The occurrence that is ready or next (not yet ended)."""
    length = timedelta(minutes=meeting.duration_minutes)
    for occurrence in occurrences(meeting, after=now - length - timedelta(days=1)):
        if occurrence.end > now:
            return occurrence
    return None


def first(meeting: StoredMeeting) -> Occurrence | None:
    length = timedelta(minutes=meeting.duration_minutes)
    return next(occurrences(meeting, after=meeting.start - length - timedelta(seconds=1)), None)


def occurrence_state(occurrence: Occurrence, now: datetime) -> str:
    if occurrence.end <= now:
        return "missed"  # the emulator runs no meetings, so a past occurrence never happened
    if occurrence.start - READY_BEFORE <= now:
        return "ready"
    return "scheduled"


def _common(
    meeting: StoredMeeting, host: User | None, link_base: str, zone: tzinfo | None, shown: Occurrence | None
) -> dict[str, object]:
    info = details(meeting)
    options = dict(info.options)
    start = shown.start if shown is not None else meeting.start
    end = shown.end if shown is not None else meeting.start + timedelta(minutes=meeting.duration_minutes)
    title = shown.change.title if shown and shown.change and shown.change.title is not None else None
    agenda = shown.change.agenda if shown and shown.change and shown.change.agenda is not None else None
    body: dict[str, object] = {
        "id": meeting.uuid,
        "meetingNumber": str(meeting.key),
        "title": title if title is not None else meeting.conf_name,
        "agenda": agenda if agenda is not None else meeting.agenda,
        "password": meeting.password,
        "phoneAndVideoSystemPassword": f"{(meeting.key * 7919) % 10**8:08d}",
        "meetingType": "meetingSeries",
        "state": "active",
        "timezone": meeting_zone(meeting),
        "start": render(start, zone),
        "end": render(end, zone),
    }
    if info.recurrence:
        body["recurrence"] = info.recurrence
    body.update(
        {
            "hostUserId": person_id(host) if host else "",
            "hostDisplayName": host.display_name if host else meeting.host_webex_id,
            "hostEmail": host.email if host else meeting.host_webex_id,
            "hostKey": meeting.host_key,
            "siteUrl": site_url(meeting.site),
            "webLink": f"{link_base}/j.php?MTID=m{meeting.uuid}",
            "sipAddress": f"{meeting.key}@{site_url(meeting.site)}",
            "dialInIpAddress": "192.0.2.10",
        }
    )
    for name in BOOLEAN_OPTIONS:
        default = meeting.join_before_host if name == "enabledJoinBeforeHost" else False
        body[name] = bool(options.get(name, default))
    body["joinBeforeHostMinutes"] = options.get("joinBeforeHostMinutes", 0)
    body["reminderTime"] = options.get("reminderTime", 10)
    if "automaticLockMinutes" in options:
        body["automaticLockMinutes"] = options["automaticLockMinutes"]
    body["unlockedMeetingJoinSecurity"] = options.get("unlockedMeetingJoinSecurity", "allowJoin")
    body["sessionTypeId"] = meeting.meeting_type
    body["scheduledType"] = info.scheduled_type
    body["telephony"] = {
        "accessCode": str(meeting.key),
        "callInNumbers": [
            {"label": "Emulator call-in (toll)", "callInNumber": "+1-555-0100", "tollType": "toll"}
        ],
        "links": [
            {
                "rel": "globalCallinNumbers",
                "href": f"/v1/meetings/{meeting.uuid}/globalCallinNumbers",
                "method": "GET",
            }
        ],
    }
    if info.integration_tags:
        body["integrationTags"] = list(info.integration_tags)
    body["enabledBreakoutSessions"] = False
    return body


def series_view(
    meeting: StoredMeeting,
    host: User | None,
    link_base: str,
    now: datetime,
    *,
    zone: tzinfo | None,
    current: bool,
    listed: bool = False,
) -> dict[str, object]:
    """A `meetingSeries` object; `current` shows the ready or next occurrence's times, else the first's."""
    next_one = upcoming(meeting, now)
    shown = next_one if current and next_one is not None else first(meeting)
    body = _common(meeting, host, link_base, zone, None)
    if shown is not None:
        length = timedelta(minutes=meeting.duration_minutes)
        body["start"] = render(shown.original, zone)
        body["end"] = render(shown.original + length, zone)
    body["state"] = "active" if next_one is not None else "expired"
    if listed:
        body = {
            "id": body["id"],
            "meetingSeriesId": meeting.uuid,
            **{k: v for k, v in body.items() if k != "id"},
        }
    return body


def occurrence_view(
    occurrence: Occurrence, host: User | None, link_base: str, now: datetime, *, zone: tzinfo | None
) -> dict[str, object]:
    """A `scheduledMeeting` object: one occurrence, with its own id, times and state."""
    body = _common(occurrence.meeting, host, link_base, zone, occurrence)
    body["id"] = occurrence.id
    body["meetingType"] = "scheduledMeeting"
    body["state"] = occurrence_state(occurrence, now)
    ordered = {"id": body.pop("id"), "meetingSeriesId": occurrence.meeting.uuid}
    ordered.update(body)
    ordered["isModified"] = occurrence.change is not None
    ordered.pop("recurrence", None)
    return ordered


def person_view(user: User, created: datetime | None) -> dict[str, object]:
    """`GET /v1/people/me` for a site user (`timezone` as the reference spells it)."""
    body: dict[str, object] = {
        "id": person_id(user),
        "emails": [user.email],
        "phoneNumbers": [],
        "displayName": user.display_name,
        "nickName": user.first_name or user.display_name,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "orgId": org_id(user.site),
        "roles": [],
        "licenses": [],
        "timezone": iana_for(user.time_zone_id),
        "siteUrls": [f"{site_url(user.site)}#attendee"],
        "status": "active",
        "type": "person",
    }
    if created is not None:
        body["created"] = render(created, None)
    return body


def recording_id(recording: Recording) -> str:
    return uuid.uuid5(_NAMESPACE, f"recording/{recording.site.lower()}/{recording.recording_id}").hex


def recording_view(
    recording: Recording,
    meeting: StoredMeeting | None,
    host: User | None,
    link_base: str,
    *,
    zone: tzinfo | None,
) -> dict[str, object]:
    rid = recording_id(recording)
    body: dict[str, object] = {"id": rid}
    if meeting is not None:
        body["meetingId"] = f"{meeting.uuid}_I_{recording.recording_id}"
        body["scheduledMeetingId"] = f"{meeting.uuid}_{meeting.start.strftime('%Y%m%dT%H%M%SZ')}"
        body["meetingSeriesId"] = meeting.uuid
    else:
        body["meetingId"] = f"{rid}_I_{recording.recording_id}"
    body.update(
        {
            "topic": recording.name,
            "createTime": render(recording.created, zone),
            "timeRecorded": render(recording.created, zone),
            "hostEmail": host.email if host else recording.host_webex_id,
            "siteUrl": site_url(recording.site),
            "downloadUrl": f"{link_base}/lsr.php?RCID={rid}",
            "playbackUrl": f"{link_base}/ldr.php?RCID={rid}",
            "password": "",
            "format": recording.format if recording.format in ("MP4", "ARF", "UPLOADED") else "MP4",
            "serviceType": "MeetingCenter",
            "durationSeconds": recording.duration_seconds,
            "sizeBytes": int(recording.size_mb * 1024 * 1024),
            "shareToMe": False,
            "status": "available",
        }
    )
    return body
