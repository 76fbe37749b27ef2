"""`GET /v1/meetingInvitees`: who a meeting invites, the REST view of the XML API's attendees."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from bot.emulator.rest.errors import malformed
from bot.emulator.rest.listing import Page, page
from bot.emulator.rest.meetings import READ_SCOPE, RestCall, find
from bot.emulator.rest.views import details


def list_invitees(call: RestCall, query: Mapping[str, str], base_url: str) -> Page:
    call.require(READ_SCOPE)
    meeting_id = query.get("meetingId", "")
    if not meeting_id or "_I_" in meeting_id:
        raise malformed("Invalid value on 'meetingId' field.")
    meeting, _ = find(call, meeting_id)
    info = details(meeting)
    panelists_only = query.get("panelist", "").lower() == "true"
    items: list[dict[str, object]] = []
    for attendee in meeting.attendees:
        key = attendee.email.lower()
        if panelists_only and key not in info.panelists:
            continue
        items.append(
            {
                "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{meeting.uuid}/{key}").hex,
                "email": attendee.email,
                "displayName": attendee.name or attendee.email,
                "coHost": key in info.cohosts,
                "meetingId": meeting_id,
                "panelist": key in info.panelists,
            }
        )
    return page(items, query, base_url, {})
