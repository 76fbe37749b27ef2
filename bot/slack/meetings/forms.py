"""Reading the schedule and edit forms and checking them before the ack (pure: no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.meeting_rules import (
    DEFAULT_DURATION_MINUTES,
    MAX_INVITEES,
    PRODUCT_LIMITS,
    MeetingLimits,
    MeetingRequestInvalid,
    check_duration,
    check_password,
    check_recurrence,
    check_start,
    clean_agenda,
    clean_topic,
    written_address,
    written_invitee,
)
from bot.domain.recurrence import Recurrence
from bot.domain.timezones import zone_info
from bot.slack.meetings import blocks
from bot.slack.meetings.form_blocks import FormPrefill
from bot.slack.meetings.prefill import read_or_none
from bot.slack.meetings.repeat_field import recurrence_from_form

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
# One address in the email field: as mail clients copy it (`Ana Lima <ana@x.io>`, `"Lima, Ana"
# <ana@x.io>`, the name quoted when it holds a comma), or anything up to a space, comma or semicolon.
# A name holds no "@", so `li@y.io Ana <ana@x.io>` is two addresses.
_WRITTEN_ADDRESS = re.compile(r'(?:"[^"]*"|[^"<>,;@\s][^"<>,;@]*?)?\s*<[^<>]*>|[^\s,;]+')


# Which input block shows an error about each field of a request.
FIELD_BLOCKS = {
    "topic": blocks.TOPIC,
    "start": blocks.TIME,
    "duration": blocks.DURATION,
    "agenda": blocks.AGENDA,
    "invitees": blocks.INVITEES,
    "emails": blocks.EMAILS,
    "password": blocks.PASSWORD,
    "repeats": blocks.REPEATS,
    "repeat_until": blocks.REPEAT_UNTIL,
    "repeat_count": blocks.REPEAT_COUNT,
}


@dataclass(frozen=True)
class FormInput:
    """What the person entered in a schedule or edit form, as typed."""

    topic: str
    day: str  # YYYY-MM-DD or ""
    clock_time: str  # HH:MM or ""
    duration_minutes: int
    user_ids: tuple[str, ...]
    emails: tuple[str, ...]  # as written: "ana@x.io", or "Ana Lima <ana@x.io>" (bot.domain.meeting_rules)
    agenda: str
    post_in_channel: bool
    password: str = ""
    time_zone: str = ""  # the zone picked in the form; "" (an edit form, an older form) for the user's
    repeats: str = ""  # the Repeats choice's value; "" in a form without the field
    repeat_until: str = ""  # YYYY-MM-DD or ""
    repeat_count: str = ""

    def recurrence(self) -> Recurrence | None:
        """The series picked (raises MeetingRequestInvalid naming the field at fault)."""
        return recurrence_from_form(self.repeats, self.repeat_until, self.repeat_count)

    def zone(self, user_tz: str) -> str:
        """The zone the date and time are in: the one picked, else the person's own, else UTC."""
        return next((z for z in (self.time_zone, user_tz) if zone_info(z) is not None), "UTC")

    def start(self, user_tz: str) -> datetime | None:
        if not self.day or not self.clock_time:
            return None
        zone = zone_info(self.zone(user_tz)) or ZoneInfo("UTC")
        local = datetime.combine(date.fromisoformat(self.day), time.fromisoformat(self.clock_time))
        # fold=0: a time that occurs twice when clocks go back is read as its first occurrence.
        return local.replace(tzinfo=zone)

    def to_record(self) -> dict[str, Any]:
        """The form as journaled: what the work after the ack runs from, and what reopens the form."""
        return {
            "topic": self.topic,
            "day": self.day,
            "time": self.clock_time,
            "duration": self.duration_minutes,
            "users": list(self.user_ids),
            "emails": list(self.emails),
            "agenda": self.agenda,
            "post": self.post_in_channel,
            "password": self.password,
            "zone": self.time_zone,
            "repeats": self.repeats,
            "repeat_until": self.repeat_until,
            "repeat_count": self.repeat_count,
        }

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> FormInput:
        return cls(
            topic=str(data.get("topic") or ""),
            day=str(data.get("day") or ""),
            clock_time=str(data.get("time") or ""),
            duration_minutes=int(data.get("duration") or DEFAULT_DURATION_MINUTES),
            user_ids=tuple(str(u) for u in data.get("users") or ()),
            emails=tuple(str(e) for e in data.get("emails") or ()),
            agenda=str(data.get("agenda") or ""),
            post_in_channel=bool(data.get("post")),
            password=str(data.get("password") or ""),
            time_zone=str(data.get("zone") or ""),
            repeats=str(data.get("repeats") or ""),
            repeat_until=str(data.get("repeat_until") or ""),
            repeat_count=str(data.get("repeat_count") or ""),
        )

    def prefill(self, problem: str = "") -> FormPrefill:
        """The form filled in again with everything as typed, `problem` above it."""
        try:
            recurrence = self.recurrence()
        except MeetingRequestInvalid:
            recurrence = None
        return FormPrefill(
            topic=self.topic,
            day=read_or_none(date.fromisoformat, self.day),
            clock=read_or_none(time.fromisoformat, self.clock_time),
            time_zone=self.time_zone,
            suggest_start=False,
            duration_minutes=self.duration_minutes or None,
            invitee_user_ids=self.user_ids,
            emails=self.emails,
            agenda=self.agenda,
            post_in_channel=self.post_in_channel,
            password=self.password,
            problem=problem,
            recurrence=recurrence,
        )


def _element(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    element = (values.get(block_id) or {}).get(blocks.VALUE) or {}
    return element if isinstance(element, dict) else {}


def _addresses(text: str) -> tuple[str, ...]:
    """The email field's addresses, each as `written_invitee` reads it (`mailto:` dropped)."""
    invitees = (written_invitee(m.group()) for m in _WRITTEN_ADDRESS.finditer(text))
    return tuple(written_address(i) for i in invitees if i.email or i.name)


def read_form(view: dict[str, Any]) -> FormInput:
    values = (view.get("state") or {}).get("values") or {}
    duration_option = _element(values, blocks.DURATION).get("selected_option") or {}
    # No choice in a form that has the field is no duration (refused beside it); a form without it is 30.
    default = "0" if blocks.DURATION in values else "30"
    try:
        duration = int(duration_option.get("value") or default)
    except ValueError:
        duration = 0
    emails_text = _element(values, blocks.EMAILS).get("value") or ""
    return FormInput(
        topic=_element(values, blocks.TOPIC).get("value") or "",
        day=_element(values, blocks.DATE).get("selected_date") or "",
        clock_time=_element(values, blocks.TIME).get("selected_time") or "",
        duration_minutes=duration,
        user_ids=tuple(_element(values, blocks.INVITEES).get("selected_users") or ()),
        emails=_addresses(emails_text),
        agenda=_element(values, blocks.AGENDA).get("value") or "",
        post_in_channel=bool(_element(values, blocks.POST).get("selected_options")),
        password=_element(values, blocks.PASSWORD).get("value") or "",
        time_zone=str((_element(values, blocks.TIME_ZONE).get("selected_option") or {}).get("value") or ""),
        repeats=str((_element(values, blocks.REPEATS).get("selected_option") or {}).get("value") or ""),
        repeat_until=str(_element(values, blocks.REPEAT_UNTIL).get("selected_date") or ""),
        repeat_count=str(_element(values, blocks.REPEAT_COUNT).get("value") or ""),
    )


def form_errors(
    form: FormInput,
    user_tz: str,
    now: datetime,
    *,
    original_start: datetime | None = None,
    limits: MeetingLimits = PRODUCT_LIMITS,
) -> dict[str, str]:
    """Errors keyed by input block id, for `response_action: errors`; empty when the form is usable.

    `original_start` is the edited meeting's start: a meeting under way may keep it although it is past.
    `limits` are the backend's: a topic Webex would refuse is refused here, while the form is open."""
    errors: dict[str, str] = {}

    def check(field: str, run: Any) -> None:
        try:
            run()
        except MeetingRequestInvalid as problem:
            errors.setdefault(FIELD_BLOCKS.get(field, blocks.TOPIC), problem.message)

    check("topic", lambda: clean_topic(form.topic, limits.topic))
    check("agenda", lambda: clean_agenda(form.agenda, limits.agenda))
    check("duration", lambda: check_duration(form.duration_minutes, limits))
    check("password", lambda: check_password(form.password, limits))
    if not form.day:
        errors[blocks.DATE] = "Pick a date."
    elif not form.clock_time:
        errors[blocks.TIME] = "Pick a start time."
    else:
        start = form.start(user_tz)
        if start is not None and start != original_start:
            check("start", lambda: check_start(start, now))
        if start is not None and start.astimezone(UTC).astimezone(start.tzinfo).time() != start.time():
            moved = start.astimezone(UTC).astimezone(start.tzinfo)
            errors.setdefault(
                blocks.TIME,
                f"{form.clock_time} does not exist on {start:%a} {start.day} {start:%b} in "
                f"{form.zone(user_tz)} (clocks go forward). Pick another time, e.g. {moved:%H:%M}.",
            )
    start = form.start(user_tz) if form.day and form.clock_time else None
    if start is not None:
        first_day = start.date()  # in the form's zone: the day the person picked
        try:
            check_recurrence(form.recurrence(), first_day)
        except MeetingRequestInvalid as problem:
            errors.setdefault(FIELD_BLOCKS.get(problem.field, blocks.REPEATS), problem.message)
    if form.time_zone and zone_info(form.time_zone) is None:
        errors[blocks.TIME_ZONE] = "Pick a time zone from the list."
    bad = [written for written in form.emails if not _EMAIL.match(written_invitee(written).email)]
    if bad:
        errors[blocks.EMAILS] = (
            f"“{bad[0]}” is not an email address. Type addresses such as ana@example.com or "
            "Ana Lima <ana@example.com>, separated by commas."
        )
    # Checked again once picked people are resolved to addresses, but by then the form has closed:
    # counted here (a person both picked and typed counts twice) so the form stays open to fix it.
    invited = len(set(form.user_ids)) + len({written_invitee(w).email.lower() for w in form.emails})
    if invited > MAX_INVITEES:
        errors.setdefault(
            blocks.EMAILS if form.emails else blocks.INVITEES,
            f"That is {invited} invitees; Webex takes at most {MAX_INVITEES} at once. "
            f"Remove {invited - MAX_INVITEES} of them.",
        )
    return errors
