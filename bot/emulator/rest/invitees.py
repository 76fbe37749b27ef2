"""`/v1/meetingInvitees`: who a meeting invites (the XML API's attendees), listed, added, read or removed
one by one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from bot.emulator.rest.errors import RestError, forbidden, invalid, malformed, not_found
from bot.emulator.rest.listing import Page, page
from bot.emulator.rest.meetings import MAX_DISPLAY_NAME, MAX_INVITEES, READ_SCOPE, WRITE_SCOPE, RestCall, find
from bot.emulator.rest.views import details
from bot.emulator.state import Attendee, StoredMeeting

ALREADY_INVITED: Final = "User is already a meeting invitee"


def _invitee_id(meeting: StoredMeeting, attendee: Attendee) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{meeting.uuid}/{attendee.email.lower()}").hex


def _invitee_view(meeting: StoredMeeting, meeting_id: str, attendee: Attendee) -> dict[str, object]:
    info = details(meeting)
    key = attendee.email.lower()
    return {
        "id": _invitee_id(meeting, attendee),
        "email": attendee.email,
        "displayName": attendee.name or attendee.email,
        "coHost": key in info.cohosts,
        "meetingId": meeting_id,
        "panelist": key in info.panelists,
    }


def list_invitees(call: RestCall, query: Mapping[str, str], base_url: str) -> Page:
    call.require(READ_SCOPE)
    meeting_id = query.get("meetingId", "")
    if not meeting_id or "_I_" in meeting_id:
        raise malformed("Invalid value on 'meetingId' field.")
    meeting, _ = find(call, meeting_id)
    info = details(meeting)
    panelists_only = query.get("panelist", "").lower() == "true"
    items = [
        _invitee_view(meeting, meeting_id, attendee)
        for attendee in meeting.attendees
        if not panelists_only or attendee.email.lower() in info.panelists
    ]
    return page(items, query, base_url, {})


def add_invitee(call: RestCall, body: dict[str, Any]) -> dict[str, object]:
    """POST: invite one more person; 409 when they already are, as Webex answered."""
    call.require(WRITE_SCOPE)
    meeting_id, email = body.get("meetingId"), body.get("email")
    if not isinstance(meeting_id, str) or not meeting_id:
        raise malformed("Invalid value on 'meetingId' field.")
    if not isinstance(email, str) or "@" not in email.strip("@"):
        raise invalid("email must be an e-mail address.")
    name = body.get("displayName") or ""
    if not isinstance(name, str) or len(name) > MAX_DISPLAY_NAME:
        raise invalid(f"displayName can be a maximum of {MAX_DISPLAY_NAME} characters long.")
    meeting, occurrence = find(call, meeting_id)
    if occurrence is not None:
        raise invalid("Invitees belong to the meeting series; use the series id.")
    if not call.hosts(meeting) and not call.is_cohost(meeting):
        raise forbidden()
    key = email.strip().lower()
    if any(attendee.email.lower() == key for attendee in meeting.attendees):
        raise RestError(409, ALREADY_INVITED)
    if len(meeting.attendees) >= MAX_INVITEES:
        raise invalid(f"A meeting can have at most {MAX_INVITEES} invitees.")
    attendee = Attendee(email=email.strip(), name=name)
    info = details(meeting)
    rest = replace(
        info,
        cohosts=(*info.cohosts, key) if body.get("coHost") is True else info.cohosts,
        panelists=(*info.panelists, key) if body.get("panelist") is True else info.panelists,
    )
    updated = replace(meeting, attendees=(*meeting.attendees, attendee), updated_at=call.now, rest=rest)
    call.site.meetings[meeting.key] = updated
    return _invitee_view(updated, meeting_id, attendee)


def _find_invitee(call: RestCall, invitee_id: str) -> tuple[StoredMeeting, Attendee]:
    """The invitee with this id on a meeting the caller sees; 404 for any other id."""
    for meeting in call.site.meetings.values():
        if not call.sees(meeting):
            continue
        for attendee in meeting.attendees:
            if _invitee_id(meeting, attendee) == invitee_id:
                return meeting, attendee
    raise not_found()


def get_invitee(call: RestCall, invitee_id: str) -> dict[str, object]:
    call.require(READ_SCOPE)
    meeting, attendee = _find_invitee(call, invitee_id)
    return _invitee_view(meeting, meeting.uuid, attendee)


def remove_invitee(call: RestCall, invitee_id: str) -> None:
    """DELETE: the person is no longer invited (hosts and cohosts only); 404 for an unknown id."""
    call.require(WRITE_SCOPE)
    meeting, attendee = _find_invitee(call, invitee_id)
    if not call.hosts(meeting) and not call.is_cohost(meeting):
        raise forbidden()
    key = attendee.email.lower()
    info = details(meeting)
    rest = replace(
        info,
        cohosts=tuple(c for c in info.cohosts if c != key),
        panelists=tuple(p for p in info.panelists if p != key),
    )
    kept = tuple(a for a in meeting.attendees if a.email.lower() != key)
    call.site.meetings[meeting.key] = replace(meeting, attendees=kept, updated_at=call.now, rest=rest)
