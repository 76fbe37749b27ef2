"""Block Kit for meetings: the meeting card, the list, the cancel confirmation and the two forms."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.meeting_rules import duration_text
from bot.domain.meetings import Meeting
from bot.services.meeting_reading import ListWindow, user_zone, window_end

# `escape` stays importable from here too (blocks.escape), as cards and their callers share it.
from bot.slack.formatting import clip_mrkdwn, escape_clipped, slack_date
from bot.slack.formatting import escape as escape
from bot.slack.meetings.series import (
    cancel_dialog_rest,
    cancel_question,
    cancelled_copy_text,
    cancelled_text,
    repeats_text,
)

Block = dict[str, Any]

# Slack's limits (Block Kit reference): texts are cut to these, never sent too long.
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
MODAL_TITLE_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
CONFIRM_TEXT_LIMIT = 300  # a confirmation dialog's text

# Action ids: what each button does, in the user's words.
SHARE = "meeting.share"
EDIT = "meeting.edit"
CANCEL = "meeting.cancel"
KEEP = "meeting.keep"
JOIN = "meeting.join"
START = "meeting.start"
CALENDAR = "meeting.calendar"
MORE = "meetings.more"
OPEN_FORM = "meeting.open_form"
REOPEN_FORM = "meeting.reopen_form"  # a form refused after it closed, opened again as it was typed
URL_BUTTONS = (JOIN, START, CALENDAR)

# Modal callback ids and the block ids of their inputs (validation errors are keyed by block id).
SCHEDULE_VIEW = "meeting.schedule"
EDIT_VIEW = "meeting.edit"
TOPIC = "topic"
DATE = "date"
TIME = "time"
DURATION = "duration"
INVITEES = "invitees"
EMAILS = "emails"
AGENDA = "agenda"
POST = "post"
PASSWORD = "password"
REPEATS = "repeats"
REPEAT_UNTIL = "repeat_until"
REPEAT_COUNT = "repeat_count"
TIME_ZONE = "time_zone"
VALUE = "value"  # the action id of the single element in each input block

DURATION_CHOICES = (15, 30, 45, 60, 90, 120, 180, 240)

# Buttons of a list row sit in a block whose id starts so: a click there updates the list, not a card.
LIST_ROW = "list:"


def can_post_in(channel_id: str) -> bool:
    """Whether a meeting can be posted for others where a command, form or card came from: a channel. Not
    a direct message (the bot's own has no one else to show it to, and Slack lets it post in no other
    DM), nor nowhere (a global shortcut)."""
    return bool(channel_id) and not channel_id.startswith("D")


def clip(text: str, limit: int) -> str:
    """Cut plain text to a Slack limit, saying so with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip_mrkdwn(text, limit)}


def local_time_text(instant: datetime, user_tz: str) -> str:
    """A time as the person who asked reads it: `Tue 3 Mar 2026, 15:00 CET`."""
    try:
        zone = ZoneInfo(user_tz) if user_tz else ZoneInfo("UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = instant.astimezone(zone)
    # strftime's %a and %b in the C locale (the process never sets another), without a strftime call each.
    day, month = _DAY_NAMES[local.weekday()], _MONTH_NAMES[local.month - 1]
    clock = f"{local.hour:02d}:{local.minute:02d}"
    return f"{day} {local.day} {month} {local.year}, {clock} {local.tzname() or user_tz}"


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when_text(meeting: Meeting, user_tz: str) -> str:
    start = slack_date(meeting.start, local_time_text(meeting.start, user_tz))
    end = slack_date(meeting.end, local_time_text(meeting.end, user_tz).split(", ")[-1], "{time}")
    return f"{start} – {end}"


def _button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text, BUTTON_TEXT_LIMIT),
    }
    if value is not None:
        if len(value) > BUTTON_VALUE_LIMIT:
            raise ValueError(f"a button value is at most {BUTTON_VALUE_LIMIT} characters")
        button["value"] = value
    if url:
        button["url"] = url
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def cancel_button(meeting: Meeting, user_tz: str, *, with_dialog: bool = True) -> dict[str, Any]:
    # The date must survive Slack's limit on dialog text, so a long topic is what gets shortened.
    series = meeting.recurrence is not None
    rest = cancel_dialog_rest(meeting, slack_date(meeting.start, local_time_text(meeting.start, user_tz)))
    topic = escape_clipped(meeting.topic, CONFIRM_TEXT_LIMIT - len(rest) - 1)
    dialog = {
        "title": plain("Cancel the whole series?" if series else "Cancel this meeting?", 100),
        "text": mrkdwn(f"*{topic}{rest}", CONFIRM_TEXT_LIMIT),
        "confirm": plain("Cancel the series" if series else "Cancel meeting", 30),
        "deny": plain("Keep it", 30),
        "style": "danger",
    }
    return _button(
        "Cancel", CANCEL, value=meeting.meeting_id, style="danger", confirm=dialog if with_dialog else None
    )


# ---- the meeting card --------------------------------------------------------------------------


@dataclass(frozen=True)
class CardLinks:
    join_url: str = ""
    host_url: str = ""
    calendar_url: str = ""


@dataclass(frozen=True)
class CardOptions:
    """Who sees the card: the host's own copy carries the host link, host key and the edit buttons."""

    for_host: bool = True
    note: str = ""  # one line above the card: "Scheduled.", "Updated the time.", ...
    shared_by: str = ""  # Slack user id of who shared it in the channel
    extra: tuple[Block, ...] = field(default_factory=tuple)


def card_fallback_text(meeting: Meeting, user_tz: str) -> str:
    """The notification text (and what screen readers read) for a meeting card."""
    # Slack reads this text as mrkdwn too: a topic such as "<!here>" must not notify anyone.
    repeats = f" · repeats {repeats_text(meeting)}" if meeting.recurrence is not None else ""
    rest = (
        f" · {escape(local_time_text(meeting.start, user_tz))}{repeats} · "
        f"{duration_text(meeting.duration_minutes)} · meeting {meeting.number}"
    )
    return escape_clipped(meeting.topic, SECTION_TEXT_LIMIT - len(rest)) + rest


def meeting_card(
    meeting: Meeting, links: CardLinks, user_tz: str, options: CardOptions | None = None
) -> list[Block]:
    opts = options or CardOptions()
    blocks: list[Block] = []
    if opts.note:
        blocks.append({"type": "section", "block_id": "note", "text": mrkdwn(opts.note)})
    if opts.shared_by:
        blocks.append(
            {"type": "context", "elements": [mrkdwn(f"<@{opts.shared_by}> shared a Webex meeting")]}
        )
    blocks.append({"type": "header", "block_id": "topic", "text": plain(meeting.topic, HEADER_LIMIT)})
    fields = [
        mrkdwn(f"*When*\n{when_text(meeting, user_tz)}", FIELD_TEXT_LIMIT),
        mrkdwn(f"*Duration*\n{duration_text(meeting.duration_minutes)}", FIELD_TEXT_LIMIT),
        mrkdwn(f"*Meeting number*\n{meeting.number}", FIELD_TEXT_LIMIT),
    ]
    if meeting.password and opts.for_host:
        fields.append(mrkdwn(f"*Password*\n{escape(meeting.password)}", FIELD_TEXT_LIMIT))
    if meeting.host_key and opts.for_host:
        fields.append(mrkdwn(f"*Host key* (only you see this)\n{escape(meeting.host_key)}", FIELD_TEXT_LIMIT))
    blocks.append({"type": "section", "block_id": "details", "fields": fields})
    if meeting.recurrence is not None:
        repeats = f":repeat: Repeats {repeats_text(meeting)}."
        blocks.append({"type": "section", "block_id": "repeats", "text": mrkdwn(repeats)})
    if meeting.invitees:
        heading = "*Invitees*\n"
        names = escape_clipped(
            ", ".join(i.name or i.email for i in meeting.invitees), SECTION_TEXT_LIMIT - len(heading)
        )
        blocks.append({"type": "section", "block_id": "invitees", "text": mrkdwn(heading + names)})
    if meeting.agenda:
        heading = "*Agenda*\n"
        agenda = escape_clipped(meeting.agenda, SECTION_TEXT_LIMIT - len(heading))
        blocks.append({"type": "section", "block_id": "agenda", "text": mrkdwn(heading + agenda)})
    zone = meeting.time_zone_label
    scheduled_for = escape(local_time_text(meeting.start, user_tz))
    context = f"Times show in each reader's own time zone. Scheduled for {scheduled_for}"
    if zone:
        context += f" (Webex zone {escape(zone)})"
    blocks.append({"type": "context", "block_id": "zone", "elements": [mrkdwn(context + ".")]})
    actions: list[dict[str, Any]] = []
    if links.join_url:
        actions.append(_button("Join", JOIN, url=links.join_url, style="primary", value=meeting.meeting_id))
    if opts.for_host and links.host_url:
        actions.append(_button("Start as host", START, url=links.host_url, value=meeting.meeting_id))
    if links.calendar_url:
        actions.append(_button("Add to calendar", CALENDAR, url=links.calendar_url, value=meeting.meeting_id))
    if opts.for_host:
        actions.append(_button("Share in channel", SHARE, value=meeting.meeting_id))
        actions.append(_button("Edit", EDIT, value=meeting.meeting_id))
        actions.append(cancel_button(meeting, user_tz))
    if actions:
        blocks.append({"type": "actions", "block_id": f"meeting:{meeting.meeting_id}", "elements": actions})
    blocks.extend(opts.extra)
    return blocks


def cancelled_card(number: str, topic: str, *, already: bool = False, series: bool = False) -> list[Block]:
    """What the card becomes once the meeting is gone: no buttons left to press."""
    text = cancelled_text(number, topic, already=already, series=series)
    return [{"type": "section", "block_id": "cancelled", "text": mrkdwn(text)}]


def cancelled_channel_card(
    number: str, topic: str, host_user_id: str, *, already: bool = False
) -> list[Block]:
    """A channel's copy once the meeting is gone: nothing to join, and who cancelled it. `already`: the
    host found it deleted in Webex, so the bot cannot say who cancelled it."""
    text = cancelled_copy_text(number, topic)
    by = "Webex no longer has this meeting." if already else f"Cancelled by <@{host_user_id}>"
    return [
        {"type": "section", "block_id": "cancelled", "text": mrkdwn(text)},
        {"type": "context", "elements": [mrkdwn(by)]},
    ]


def cancel_confirmation(meeting: Meeting, user_tz: str) -> list[Block]:
    """The question `/webex cancel <number>` asks before deleting anything."""
    text = cancel_question(meeting, when_text(meeting, user_tz))
    return [
        {"type": "section", "block_id": "confirm", "text": mrkdwn(text)},
        {
            "type": "actions",
            "block_id": f"meeting:{meeting.meeting_id}",
            "elements": [
                cancel_button(meeting, user_tz, with_dialog=False) | {"text": plain("Cancel meeting", 75)},
                _button("Keep it", KEEP, value=meeting.meeting_id),
            ],
        },
    ]


# ---- the list ----------------------------------------------------------------------------------

LIST_TITLES = {
    "upcoming": "Your upcoming meetings",
    "today": "Your meetings today",
    "week": "Your meetings, today to {last_day}",
}
EMPTY_LIST = {
    "upcoming": "You have no upcoming Webex meetings. Schedule one with `/webex schedule`.",
    "today": "You have no Webex meetings today. Schedule one with `/webex schedule`.",
    "week": (
        "You have no Webex meetings from now to the end of {last_day}. Schedule one with `/webex schedule`."
    ),
}


def week_last_day(now: datetime, user_tz: str) -> str:
    """The last day `/webex week` covers, in the person's own calendar: `Mon 14 Dec`."""
    end = window_end(ListWindow.WEEK, now, user_tz)
    last = ((end or now) - timedelta(seconds=1)).astimezone(user_zone(user_tz))
    return f"{last:%a} {last.day} {last:%b}"


def list_title(window: str, now: datetime, user_tz: str) -> str:
    """A list's heading, naming the days it covers."""
    title = LIST_TITLES.get(window, LIST_TITLES["upcoming"])
    return title.format(last_day=week_last_day(now, user_tz)) if window == "week" else title


def empty_list_text(window: str, now: datetime, user_tz: str) -> str:
    text = EMPTY_LIST.get(window, EMPTY_LIST["upcoming"])
    return text.format(last_day=week_last_day(now, user_tz)) if window == "week" else text


def more_value(window: str, cursor: str) -> str:
    return json.dumps({"window": window, "cursor": cursor}, separators=(",", ":"))


def read_more_value(value: str) -> tuple[str, str | None]:
    """The window and where the list goes on (the backend's cursor); older buttons carry `start_from`."""
    data = json.loads(value)
    window = str(data.get("window", "upcoming"))
    cursor = data.get("cursor", data.get("start_from"))
    return (window if window in LIST_TITLES else "upcoming"), (str(cursor) if cursor is not None else None)


def meeting_row(meeting: Meeting, join_url: str, user_tz: str, now: datetime) -> list[Block]:
    """One meeting in a list: when, what, and its buttons."""
    state = ""
    if meeting.start <= now < meeting.end:
        state = " · :large_green_circle: in progress"
    elif meeting.end <= now:
        state = " · over"
    text = (
        f"*{when_text(meeting, user_tz)}*{state}\n{escape(meeting.topic)}\n"
        f"{duration_text(meeting.duration_minutes)} · meeting {meeting.number}"
    )
    if meeting.recurrence is not None:
        text += f"\n:repeat: Repeats {escape(repeats_text(meeting))}"
    buttons: list[dict[str, Any]] = []
    if join_url and meeting.end > now:
        buttons.append(_button("Join", JOIN, url=join_url, style="primary", value=meeting.meeting_id))
    buttons.append(_button("Edit", EDIT, value=meeting.meeting_id))
    buttons.append(cancel_button(meeting, user_tz))
    return [
        {"type": "section", "block_id": f"row:{meeting.meeting_id}", "text": mrkdwn(text)},
        {"type": "actions", "block_id": f"{LIST_ROW}{meeting.meeting_id}", "elements": buttons},
    ]


def meeting_list(
    meetings: tuple[Meeting, ...],
    join_urls: dict[str, str],
    user_tz: str,
    now: datetime,
    *,
    window: str = "upcoming",
    next_cursor: str | None = None,
    continued: bool = False,
) -> list[Block]:
    title = list_title(window, now, user_tz) + (" (continued)" if continued else "")
    blocks: list[Block] = [
        {"type": "header", "block_id": f"heading:{window}", "text": plain(title, HEADER_LIMIT)}
    ]
    if not meetings:
        blocks.append(
            {"type": "section", "block_id": "empty", "text": mrkdwn(empty_list_text(window, now, user_tz))}
        )
        return blocks
    # Room for the header, the dividers and the More button within Slack's 50 blocks.
    for meeting in meetings[:15]:
        blocks.extend(meeting_row(meeting, join_urls.get(meeting.meeting_id, ""), user_tz, now))
        blocks.append({"type": "divider"})
    if next_cursor is not None:
        blocks.append(
            {
                "type": "actions",
                "block_id": "more",
                "elements": [_button("More", MORE, value=more_value(window, next_cursor))],
            }
        )
    return blocks[:MESSAGE_BLOCK_LIMIT]


def list_fallback_text(meetings: tuple[Meeting, ...], window: str, now: datetime, user_tz: str) -> str:
    if not meetings:
        return empty_list_text(window, now, user_tz)
    return f"{list_title(window, now, user_tz)}: {len(meetings)} shown"


def notice(text: str) -> list[Block]:
    """A one-section message (errors, confirmations) that still reads well in a notification."""
    return [{"type": "section", "text": mrkdwn(text)}]
