"""`POST /v1/meetings/join`: join and start links that open the emulator's own meeting page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlencode

from bot.emulator.rest.errors import invalid, malformed
from bot.emulator.rest.meetings import READ_SCOPE, RestCall, find
from bot.emulator.rest.times import render
from bot.emulator.state import StoredMeeting

DEFAULT_EXPIRATION_MINUTES: Final = (
    60  # the longest Webex allows; UNCONFIRMED default, the reference has none
)


def _meeting(call: RestCall, body: dict[str, Any]) -> StoredMeeting:
    given = [name for name in ("meetingId", "meetingNumber", "webLink") if body.get(name) is not None]
    if len(given) != 1:
        raise invalid("Exactly one of meetingId, meetingNumber and webLink is required.")
    value = body[given[0]]
    if not isinstance(value, str) or not value:
        raise malformed(f"Invalid value on '{given[0]}' field: a string is required.")
    if given[0] == "meetingId":
        if "_I_" in value:
            raise invalid("Join links are for meeting series and occurrences, not meeting instances.")
        meeting, _ = find(call, value)
        return meeting
    for meeting in call.site.meetings.values():
        if (given[0] == "meetingNumber" and str(meeting.key) == value) or (
            given[0] == "webLink" and value.endswith(f"MTID=m{meeting.uuid}")
        ):
            if _may_join(call, meeting, body.get("password")):
                return meeting
            break
    # Which status a missing or wrong password gets is not documented (UNCONFIRMED): 404, as a meeting
    # id the caller may not see gets, so the answer does not say whether the number exists.
    return find(call, "0" * 32)[0]  # answers 404 the same way as an unknown id


def _may_join(call: RestCall, meeting: StoredMeeting, password: object) -> bool:
    """By its number or link a meeting's links go to whoever asks (here: anyone on its site), but they
    skip the meeting password, so for a meeting that has one only to its host, co-hosts and invitees,
    or to whoever gives the password (`JoinMeetingObject.password`: "Required when the meeting is
    protected by a password and the current user is not privileged to view it if they are not a host,
    cohost, or invitee")."""
    return (
        not meeting.password or call.sees(meeting) or call.is_cohost(meeting) or password == meeting.password
    )


def join_links(call: RestCall, body: dict[str, Any]) -> tuple[dict[str, object], bool]:
    """The link answer and whether to redirect to the join link (`joinDirectly`, default true)."""
    call.require(READ_SCOPE)
    meeting = _meeting(call, body)
    directly = body.get("joinDirectly", True)
    if not isinstance(directly, bool):
        raise malformed("Invalid value on 'joinDirectly' field: true or false is required.")
    minutes = body.get("expirationMinutes", DEFAULT_EXPIRATION_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 1 <= minutes <= 60:
        raise invalid("expirationMinutes must be from 1 to 60.")
    display_name, email = body.get("displayName"), body.get("email")
    if display_name is not None and not email:
        raise invalid("displayName needs email.")
    if isinstance(display_name, str) and len(display_name) > 128:
        raise invalid("displayName can be a maximum of 128 characters long.")
    expiration = call.now + timedelta(minutes=float(minutes))
    ticket = call.state.new_hex(16)
    who = {"email": email, "name": display_name}
    extra = urlencode({k: v for k, v in who.items() if isinstance(v, str) and v})
    join = f"{call.link_base}/j.php?MTID=m{meeting.uuid}&ticket={ticket}" + (f"&{extra}" if extra else "")
    answer: dict[str, object] = {}
    if call.hosts(meeting) or call.is_cohost(meeting):
        answer["startLink"] = f"{call.link_base}/m.php?MTID=h{meeting.uuid}&ticket={ticket}"
    answer["joinLink"] = join
    answer["expiration"] = render(expiration, None)
    return answer, directly
