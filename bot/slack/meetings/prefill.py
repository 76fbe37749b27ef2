"""A schedule form's prefill: read from the command text, and packed into an "Open the form" button."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from bot.domain.meeting_rules import DEFAULT_DURATION_MINUTES, MeetingRequestInvalid, duration_allowed
from bot.domain.recurrence import Recurrence
from bot.domain.schedule_text import ScheduleParse
from bot.slack.meetings import form_blocks, repeat_field
from bot.slack.sealed import fits_in_a_button

_Value = TypeVar("_Value")


def prefill_value(prefill: form_blocks.FormPrefill, channel_id: str) -> str:
    """A form's prefill packed into the "Open the form" button: cut down (topic, then people) until it
    still fits once sealed; the day, time, zone, duration and channel always survive."""
    for topic_length, people in ((300, 20), (100, 5), (40, 0)):
        data: dict[str, Any] = {
            "topic": prefill.topic[:topic_length],
            "start": int(prefill.start.timestamp()) if prefill.start else None,
            "day": prefill.day.isoformat() if prefill.day else None,
            "time": prefill.clock.strftime("%H:%M") if prefill.clock else None,
            "tz": prefill.time_zone[:64],
            "suggest": prefill.suggest_start,
            "duration": prefill.duration_minutes,
            "users": list(prefill.invitee_user_ids)[:people],
            "emails": list(prefill.emails)[:people],
            "channel": channel_id,
            "problem": prefill.problem[:200],
            "repeat": repeat_field.rule_value(prefill.recurrence) if prefill.recurrence else None,
            "until": prefill.recurrence.until.isoformat()
            if prefill.recurrence and prefill.recurrence.until
            else None,
            "count": prefill.recurrence.count if prefill.recurrence else None,
        }
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if fits_in_a_button(text):
            return text
    return json.dumps({"channel": channel_id})


def button_data(value: str) -> dict[str, Any]:
    """What a button's JSON value holds, as the bot wrote it; {} for anything else."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def read_prefill_value(value: str) -> tuple[form_blocks.FormPrefill, str]:
    data = button_data(value)
    start = data.get("start")
    prefill = form_blocks.FormPrefill(
        topic=str(data.get("topic") or ""),
        start=datetime.fromtimestamp(int(start), UTC) if isinstance(start, int) else None,
        day=read_or_none(date.fromisoformat, data.get("day")),
        clock=read_or_none(time.fromisoformat, data.get("time")),
        time_zone=str(data.get("tz") or ""),
        suggest_start=data.get("suggest") is not False,
        duration_minutes=_read_duration(data),
        invitee_user_ids=tuple(str(u) for u in data.get("users") or ()),
        emails=tuple(str(e) for e in data.get("emails") or ()),
        problem=str(data.get("problem") or ""),
        recurrence=_read_recurrence(data),
    )
    return prefill, str(data.get("channel") or "")


def _read_recurrence(data: dict[str, Any]) -> Recurrence | None:
    """The series a button carries; None when it carries none or one not made here."""
    until, count = data.get("until"), data.get("count")
    try:
        return repeat_field.recurrence_from_form(
            str(data.get("repeat") or ""),
            str(until) if isinstance(until, str) else "",
            str(count) if isinstance(count, int) else "",
        )
    except MeetingRequestInvalid:
        return None


def _read_duration(data: dict[str, Any]) -> int | None:
    """The button's duration: None where the form left it to pick, the default where it is unreadable."""
    value = data.get("duration", DEFAULT_DURATION_MINUTES)
    if value is None:
        return None
    return value if isinstance(value, int) and duration_allowed(value) else DEFAULT_DURATION_MINUTES


def read_or_none(parse: Callable[[str], _Value], value: object) -> _Value | None:
    """A value read back (from a button, a form): None when it is missing or not what we wrote."""
    if not isinstance(value, str):
        return None
    try:
        return parse(value)
    except ValueError:
        return None


def prefill_from_text(parsed: ScheduleParse, topic: str, problem: str) -> form_blocks.FormPrefill:
    """The form for text that cannot be scheduled as is: every field the text settled, each on its own,
    so the form agrees with the text and with the warning above it; what the text left open stays empty."""
    unusable_length = parsed.duration_given and parsed.duration_minutes is None  # "for 25h": left to pick
    return form_blocks.FormPrefill(
        topic=topic,
        day=parsed.day,
        clock=parsed.clock,
        time_zone=parsed.time_zone,
        suggest_start=False,
        duration_minutes=None if unusable_length else parsed.duration_minutes or DEFAULT_DURATION_MINUTES,
        invitee_user_ids=tuple(parsed.mention_user_ids),
        emails=tuple(parsed.emails),
        problem=problem,
        recurrence=parsed.recurrence,
    )
