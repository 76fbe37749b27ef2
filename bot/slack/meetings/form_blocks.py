"""Block Kit for the two meeting forms (schedule and edit): their fields, prefill and hidden context."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.meeting_rules import (
    DEFAULT_DURATION_MINUTES,
    MAX_AGENDA_LENGTH,
    MAX_INVITEES,
    MAX_PASSWORD_LENGTH,
    MAX_TOPIC_LENGTH,
    duration_text,
    written_address,
)
from bot.domain.meetings import Meeting
from bot.domain.recurrence import Recurrence
from bot.domain.timezones import OFFERED_ZONES, zone_info
from bot.slack.formatting import escape, escape_clipped
from bot.slack.meetings import repeat_field
from bot.slack.meetings.blocks import (
    AGENDA,
    DATE,
    DURATION,
    DURATION_CHOICES,
    EDIT_VIEW,
    EMAILS,
    INVITEES,
    MODAL_TITLE_LIMIT,
    PASSWORD,
    POST,
    PRIVATE_METADATA_LIMIT,
    REPEAT_COUNT,
    REPEAT_UNTIL,
    REPEATS,
    SCHEDULE_VIEW,
    SECTION_TEXT_LIMIT,
    TIME,
    TIME_ZONE,
    TOPIC,
    VALUE,
    Block,
    can_post_in,
    mrkdwn,
    plain,
)


@dataclass(frozen=True)
class FormPrefill:
    """What a form starts with: from the command text, or from the meeting being edited.

    From text, `day`, `clock` and `time_zone` are what the text settled, each on its own: a field the
    text left open stays empty for the person to fill (`suggest_start` False), never a guess."""

    topic: str = ""
    start: datetime | None = None
    day: date | None = None  # used when there is no `start`: the day the text named
    clock: time | None = None  # likewise, the wall-clock time in `time_zone`
    time_zone: str = ""  # the zone the date and time are in; "" for the person's own
    suggest_start: bool = True  # with neither start nor day/time: offer the next half hour
    duration_minutes: int | None = (
        DEFAULT_DURATION_MINUTES  # None: the text gave a length that cannot be used; left to pick
    )
    invitee_user_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    agenda: str = ""
    post_in_channel: bool = False
    password: str = ""  # as typed, when the form opens again after a refusal
    problem: str = ""  # why the form opened instead of scheduling at once
    recurrence: Recurrence | None = None  # the series the text asked for


@dataclass(frozen=True)
class FormContext:
    """Carried in private_metadata: what the submission needs and cannot ask Slack for."""

    channel_id: str = ""
    user_tz: str = "UTC"
    meeting_id: str = ""  # the meeting being edited
    response_url: str = ""  # the message to update after an edit
    original_start: int = 0  # the edited meeting's start (Unix time): leaving it alone is always allowed
    from_home: bool = False  # opened from the Home tab, which is published again after a change

    def dumps(self) -> str:
        data: dict[str, str | int] = {
            "channel": self.channel_id,
            "tz": self.user_tz,
            "key": self.meeting_id,
            "response_url": self.response_url,
            "start": self.original_start,
            "home": 1 if self.from_home else 0,
        }
        text = json.dumps({k: v for k, v in data.items() if v}, separators=(",", ":"))
        if len(text) > PRIVATE_METADATA_LIMIT:
            raise ValueError("private_metadata is at most 3000 characters")
        return text

    @classmethod
    def loads(cls, text: str) -> FormContext:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(
            channel_id=str(data.get("channel", "")),
            user_tz=str(data.get("tz", "UTC")),
            meeting_id=str(data.get("key", "")),
            response_url=str(data.get("response_url", "")),
            original_start=int(data.get("start") or 0) if str(data.get("start") or "0").isdigit() else 0,
            from_home=bool(data.get("home")),
        )


def next_half_hour(now: datetime) -> datetime:
    base = now.replace(second=0, microsecond=0)
    return base + timedelta(minutes=30 - base.minute % 30)


def _duration_option(minutes: int) -> dict[str, Any]:
    return {"text": plain(duration_text(minutes), 75), "value": str(minutes)}


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {"action_id": VALUE, **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def zone_option(name: str, user_tz: str) -> dict[str, Any]:
    label = f"{name} (your time zone)" if name == user_tz else name
    return {"text": plain(label, 75), "value": name}


def zone_options(user_tz: str, chosen: str) -> list[dict[str, Any]]:
    """The zones the form offers: the person's own, the one the text named, then the offered ones."""
    names = [user_tz, chosen, "UTC", *OFFERED_ZONES]
    unique = [name for name in dict.fromkeys(names) if name and zone_info(name) is not None]
    return [zone_option(name, user_tz) for name in unique[:100]]


def _form_blocks(
    prefill: FormPrefill, user_tz: str, now: datetime, *, editing: bool, can_post: bool = False
) -> list[Block]:
    zone_name = next((z for z in (prefill.time_zone, user_tz) if zone_info(z) is not None), "UTC")
    zone = zone_info(zone_name) or ZoneInfo("UTC")
    day, clock = prefill.day, prefill.clock
    if prefill.start is not None or (day is None and clock is None and prefill.suggest_start):
        start = (prefill.start or next_half_hour(now)).astimezone(zone)
        day, clock = start.date(), start.time()
    asked = [] if prefill.duration_minutes is None else [prefill.duration_minutes]
    durations = sorted(set(DURATION_CHOICES) | set(asked))
    blocks: list[Block] = []
    if prefill.problem:
        blocks.append(
            {
                "type": "section",
                "block_id": "problem",
                "text": mrkdwn(f":warning: {escape_clipped(prefill.problem, SECTION_TEXT_LIMIT - 10)}"),
            }
        )
    topic_element: dict[str, Any] = {"type": "plain_text_input", "max_length": MAX_TOPIC_LENGTH}
    if prefill.topic:
        topic_element["initial_value"] = prefill.topic[:MAX_TOPIC_LENGTH]
    blocks.append(_input(TOPIC, "Topic", topic_element))
    date_element: dict[str, Any] = {"type": "datepicker"}
    if day is not None:
        date_element["initial_date"] = day.isoformat()
    blocks.append(_input(DATE, "Date", date_element))
    time_element: dict[str, Any] = {"type": "timepicker"}
    if clock is not None:
        time_element["initial_time"] = clock.strftime("%H:%M")
    if editing:
        blocks.append(_input(TIME, "Start time", time_element, hint=f"In your time zone, {user_tz}."))
    else:
        blocks.append(_input(TIME, "Start time", time_element, hint="In the time zone below."))
        options = zone_options(user_tz, zone_name)
        chosen = next(o for o in options if o["value"] == zone_name)
        zone_element = {"type": "static_select", "options": options, "initial_option": chosen}
        blocks.append(_input(TIME_ZONE, "Time zone", zone_element))
    duration: dict[str, Any] = {"type": "static_select", "options": [_duration_option(m) for m in durations]}
    if prefill.duration_minutes is None:
        duration["placeholder"] = plain("Pick a duration", 150)
    else:
        duration["initial_option"] = _duration_option(prefill.duration_minutes)
    blocks.append(_input(DURATION, "Duration", duration))
    if not editing:
        blocks.extend(_repeat_blocks(prefill.recurrence))
    users: dict[str, Any] = {
        "type": "multi_users_select",
        "placeholder": plain("Pick people", 150),
        "max_selected_items": MAX_INVITEES,
    }
    if prefill.invitee_user_ids:
        users["initial_users"] = list(prefill.invitee_user_ids)
    blocks.append(_input(INVITEES, "Invitees", users, optional=True))
    emails: dict[str, Any] = {
        "type": "plain_text_input",
        "placeholder": plain("ana@example.com, li@example.com", 150),
    }
    if prefill.emails:
        emails["initial_value"] = ", ".join(prefill.emails)
    blocks.append(
        _input(
            EMAILS,
            "Other invitees (email addresses)",
            emails,
            optional=True,
            hint="Separate them with commas.",
        )
    )
    agenda: dict[str, Any] = {"type": "plain_text_input", "multiline": True, "max_length": MAX_AGENDA_LENGTH}
    if prefill.agenda:
        agenda["initial_value"] = prefill.agenda[:MAX_AGENDA_LENGTH]
    blocks.append(_input(AGENDA, "Agenda", agenda, optional=True))
    if not editing:
        password: dict[str, Any] = {"type": "plain_text_input", "max_length": MAX_PASSWORD_LENGTH}
        if prefill.password:
            password["initial_value"] = prefill.password[:MAX_PASSWORD_LENGTH]
        blocks.append(
            _input(
                PASSWORD,
                "Meeting password",
                password,
                optional=True,
                hint="Only if your Webex site requires one. It is shown to you alone.",
            )
        )
    if can_post:
        option = {"text": plain("Post the meeting in this channel", 75), "value": "post"}
        post: dict[str, Any] = {"type": "checkboxes", "options": [option]}
        if prefill.post_in_channel:
            post["initial_options"] = [option]
        blocks.append(_input(POST, "Share", post, optional=True))
    return blocks


def _repeat_blocks(recurrence: Recurrence | None) -> list[Block]:
    """Repeats, then when the series ends: on a day, or after a number of meetings (neither: never)."""
    choices, chosen = repeat_field.options(recurrence)
    repeats = {"type": "static_select", "options": choices, "initial_option": chosen}
    until: dict[str, Any] = {"type": "datepicker"}
    if recurrence is not None and recurrence.until is not None:
        until["initial_date"] = recurrence.until.isoformat()
    count: dict[str, Any] = {"type": "number_input", "is_decimal_allowed": False, "min_value": "1"}
    if recurrence is not None and recurrence.count is not None:
        count["initial_value"] = str(recurrence.count)
    return [
        _input(REPEATS, "Repeats", repeats, hint="A series keeps its time of day across clock changes."),
        _input(REPEAT_UNTIL, "Repeats until", until, optional=True, hint="The last day of the series."),
        _input(
            REPEAT_COUNT,
            "Or ends after this many meetings",
            count,
            optional=True,
            hint="Leave both empty for a series with no end (Webex stops it after five years).",
        ),
    ]


def schedule_modal(prefill: FormPrefill, context: FormContext, now: datetime) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": SCHEDULE_VIEW,
        "title": plain("Schedule a meeting", MODAL_TITLE_LIMIT),
        "submit": plain("Schedule", MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "private_metadata": context.dumps(),
        # No channel to post in (a global shortcut, a direct message): no such choice is offered.
        "blocks": _form_blocks(
            prefill, context.user_tz, now, editing=False, can_post=can_post_in(context.channel_id)
        ),
    }


def edit_modal(meeting: Meeting, context: FormContext, now: datetime) -> dict[str, Any]:
    prefill = FormPrefill(
        topic=meeting.topic,
        start=meeting.start,
        duration_minutes=meeting.duration_minutes,
        # With their names, as the schedule form took them: a save sends the whole list again, and an
        # address alone would erase the name Webex shows.
        emails=tuple(written_address(i) for i in meeting.invitees),
        agenda=meeting.agenda,
    )
    form = _form_blocks(prefill, context.user_tz, now, editing=True)
    if meeting.recurrence is not None:
        first = meeting.start.astimezone(zone_info(meeting.time_zone) or ZoneInfo("UTC")).date()
        series = (
            f":repeat: This meeting repeats {escape(meeting.recurrence.describe(first))}. "
            "Changes apply to the whole series."
        )
        form.insert(0, {"type": "context", "block_id": "series", "elements": [mrkdwn(series)]})
    if meeting.host_key:
        # The schedule card is made from what was asked for; Webex's host key is shown here instead.
        host_key = f"*Host key* (only you see this): {escape(meeting.host_key)}"
        form.append({"type": "context", "block_id": "host_key", "elements": [mrkdwn(host_key)]})
    return _edit_view(form, context)


def edit_modal_as_typed(prefill: FormPrefill, context: FormContext, now: datetime) -> dict[str, Any]:
    """The edit form opened again after a refusal that came once it had closed: what was typed, with the
    refusal above it, saving to the same meeting and card."""
    return _edit_view(_form_blocks(prefill, context.user_tz, now, editing=True), context)


def _edit_view(form: list[Block], context: FormContext) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": EDIT_VIEW,
        "title": plain("Edit meeting", MODAL_TITLE_LIMIT),
        "submit": plain("Save", MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "private_metadata": context.dumps(),
        "blocks": form,
    }
