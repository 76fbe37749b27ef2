"""`GET /v1/meetings` and `GET /v1/recordings`: filters, default windows, and `Link: rel="next"` paging."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final
from urllib.parse import urlencode

from bot.emulator.rest.errors import forbidden, invalid, malformed
from bot.emulator.rest.meetings import READ_SCOPE, RestCall
from bot.emulator.rest.times import parse_window_bound
from bot.emulator.rest.views import (
    Occurrence,
    details,
    occurrence_view,
    overlapping,
    recording_view,
    series_view,
    site_url,
)
from bot.emulator.state import StoredMeeting

RECORDINGS_SCOPE: Final = "meeting:recordings_read"
DEFAULT_MAX: Final = 10
MAX_MAX: Final = 100
WINDOW: Final = timedelta(days=7)
MEETING_TYPES: Final = ("meetingSeries", "scheduledMeeting", "meeting")
STATES: Final = ("active", "scheduled", "ready", "lobby", "inProgress", "ended", "missed", "expired")
_OFFSET: Final = "offset"  # the emulator's own paging cursor, carried only in the next link


@dataclass(frozen=True)
class Page:
    items: list[dict[str, object]]
    next_url: str | None


def _boolean(query: Mapping[str, str], name: str, default: bool) -> bool:
    value = query.get(name)
    if value is None or value == "":
        return default
    if value.lower() not in ("true", "false"):
        raise malformed(f"Invalid value on '{name}' field: true or false is required.")
    return value.lower() == "true"


def _maximum(query: Mapping[str, str]) -> int:
    text = query.get("max")
    if text is None or text == "":
        return DEFAULT_MAX
    if not text.isdigit() or not 1 <= int(text) <= MAX_MAX:
        raise invalid(f"max must be a number from 1 to {MAX_MAX}.")
    return int(text)


def _offset(query: Mapping[str, str]) -> int:
    text = query.get(_OFFSET, "0")
    if not text.isdigit():
        raise malformed(f"Invalid value on '{_OFFSET}' field.")
    return int(text)


def _window(call: RestCall, query: Mapping[str, str], *, past: bool) -> tuple[datetime, datetime]:
    """`[from, to)`: seven days from now (back from now for ended meetings), or ±7 days from one side."""
    zone = call.zone or UTC
    low = parse_window_bound(query["from"], "from", zone) if query.get("from") else None
    high = parse_window_bound(query["to"], "to", zone) if query.get("to") else None
    if low is None and high is None:
        low, high = (call.now - WINDOW, call.now) if past else (call.now, call.now + WINDOW)
    elif low is None:
        assert high is not None
        low = high - WINDOW
    elif high is None:
        high = low + WINDOW
    if low > high:
        raise invalid("from cannot be after to.")
    return low, high


def _next_url(base_url: str, query: Mapping[str, str], resolved: dict[str, str], offset: int) -> str:
    """The next page's absolute URL: every filter of this request, the window pinned, and the cursor."""
    params = {name: value for name, value in query.items() if name != _OFFSET}
    params.update(resolved)
    params[_OFFSET] = str(offset)
    return f"{base_url}?{urlencode(params)}"


def page(
    items: Sequence[dict[str, object] | Callable[[], dict[str, object]]],
    query: Mapping[str, str],
    base_url: str,
    resolved: dict[str, str],
) -> Page:
    """One page of `items`; an item may be a function that renders it, so only the page is rendered."""
    maximum, offset = _maximum(query), _offset(query)
    chosen = [item if isinstance(item, dict) else item() for item in items[offset : offset + maximum]]
    more = offset + maximum < len(items)
    return Page(chosen, _next_url(base_url, query, resolved, offset + maximum) if more else None)


def _host_filter(call: RestCall, query: Mapping[str, str]) -> str | None:
    host_email = query.get("hostEmail")
    if not host_email or host_email.lower() == call.user.email.lower():
        return None
    if not call.user.site_admin or "meeting:admin_schedule_read" not in call.scopes:
        raise forbidden()
    return host_email.lower()


def list_meetings(call: RestCall, query: Mapping[str, str], base_url: str) -> Page:
    call.require(READ_SCOPE)
    kind = query.get("meetingType") or "meetingSeries"
    if kind not in MEETING_TYPES:
        raise invalid(f"meetingType must be one of {', '.join(MEETING_TYPES)}.")
    state = query.get("state")
    if state and state not in STATES:
        raise invalid(f"state must be one of {', '.join(STATES)}.")
    _maximum(query)
    current = _boolean(query, "current", True)
    modified_only = _boolean(query, "isModified", False) if query.get("isModified") else None
    host_email = _host_filter(call, query)
    site = query.get("siteUrl")
    if site and site.lower() != site_url(call.site.site.name):
        raise invalid(f"siteUrl {site} is not a site of the user.")
    number, web_link, series_id = (
        query.get("meetingNumber"),
        query.get("webLink"),
        query.get("meetingSeriesId"),
    )
    if sum(1 for value in (number, web_link, query.get("roomId")) if value) > 1:
        raise invalid("meetingNumber, webLink and roomId cannot be used together.")
    if query.get("roomId"):
        return Page([], None)  # no meeting on this site belongs to a Webex space
    if kind == "meeting":
        _window(call, query, past=True)
        return Page([], None)  # the emulator runs no meetings, so there are no in-progress or ended instances

    visible = [m for m in call.site.meetings.values() if _visible(call, m, host_email)]
    if number or web_link:
        # A meeting number or link finds its series whatever the window, type or state.
        found = [
            m
            for m in visible
            if (number and str(m.key) == number) or (web_link and web_link.endswith(m.uuid))
        ]
        matches = [
            series_view(
                m, call.host_of(m), call.link_base, call.now, zone=call.zone, current=current, listed=True
            )
            for m in found
        ]
        return page(matches, query, base_url, {})
    low, high = _window(call, query, past=False)
    resolved = {"from": _iso(low), "to": _iso(high)}
    tag = query.get("integrationTag")
    candidates = [
        m
        for m in visible
        if (not series_id or m.uuid == series_id) and (not tag or tag in details(m).integration_tags)
    ]
    if series_id and not query.get("meetingType"):
        kind = "scheduledMeeting"  # instances do not exist here, so "both" is the occurrences
    if kind == "scheduledMeeting":
        occurrences: list[Occurrence] = [o for m in candidates for o in overlapping(m, low, high)]
        if modified_only is not None:
            occurrences = [o for o in occurrences if (o.change is not None) == modified_only]
        occurrences.sort(key=lambda o: (o.start, o.meeting.uuid))
        items: list[Callable[[], dict[str, object]]] = [
            partial(occurrence_view, o, call.host_of(o.meeting), call.link_base, call.now, zone=call.zone)
            for o in occurrences
        ]
    else:
        series: list[tuple[datetime, StoredMeeting]] = []
        for meeting in candidates:
            hits = overlapping(meeting, low, high)
            if hits:
                series.append((hits[0].start, meeting))
        series.sort(key=lambda pair: (pair[0], pair[1].uuid))
        items = [
            partial(
                series_view,
                m,
                call.host_of(m),
                call.link_base,
                call.now,
                zone=call.zone,
                current=current,
                listed=True,
            )
            for _, m in series
        ]
    if state:
        rendered = [render() for render in items]
        return page([item for item in rendered if item.get("state") == state], query, base_url, resolved)
    return page(items, query, base_url, resolved)


def _visible(call: RestCall, meeting: StoredMeeting, host_email: str | None) -> bool:
    if host_email is not None:
        host = call.host_of(meeting)
        return host is not None and host.email.lower() == host_email
    return call.sees(meeting)


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_recordings(call: RestCall, query: Mapping[str, str], base_url: str) -> Page:
    """Recordings hosted by the caller (a site admin may name `hostEmail`), newest first."""
    call.require(RECORDINGS_SCOPE)
    _maximum(query)
    host_email = _host_filter(call, query)
    low, high = _window(call, query, past=True)
    status = query.get("status") or "available"
    if status not in ("available", "deleted", "purged"):
        raise invalid("status must be available, deleted or purged.")
    wanted_format = query.get("format")
    if wanted_format and wanted_format not in ("MP4", "ARF"):
        raise invalid("format must be MP4 or ARF.")
    meeting_filter = query.get("meetingId", "")
    topic = query.get("topic")
    by_key = {m.key: m for m in call.site.meetings.values()}
    chosen = []
    for recording in call.site.recordings.values():
        host = call.state.find_user(recording.site, recording.host_webex_id)
        owner = host.email.lower() if host else recording.host_webex_id.lower()
        if owner != (host_email or call.user.email.lower()):
            continue
        if status != "available" or not low <= recording.created < high:
            continue
        if wanted_format and recording.format != wanted_format:
            continue
        if topic and topic.lower() not in recording.name.lower():
            continue
        meeting = by_key.get(recording.meeting_key) if recording.meeting_key is not None else None
        if meeting_filter and (meeting is None or not meeting_filter.startswith(meeting.uuid)):
            continue
        chosen.append((recording, meeting, host))
    chosen.sort(key=lambda row: (row[0].created, row[0].recording_id), reverse=True)
    items = [recording_view(r, m, h, call.link_base, zone=call.zone) for r, m, h in chosen]
    return page(items, query, base_url, {"from": _iso(low), "to": _iso(high)})
