"""How a recurring series is worded on its card, in the list and when it is cancelled (pure text)."""

from __future__ import annotations

from datetime import UTC

from bot.domain.meetings import Meeting
from bot.domain.timezones import zone_info
from bot.slack.formatting import escape


def repeats_text(meeting: Meeting) -> str:
    """ "every weekday until Tue 31 Mar" for a series (its rule on the meeting's own clock); "" otherwise."""
    if meeting.recurrence is None:
        return ""
    first = meeting.start.astimezone(zone_info(meeting.time_zone) or UTC).date()
    return meeting.recurrence.describe(first)


def cancel_dialog_rest(meeting: Meeting, when: str) -> str:
    """The cancel dialog's words after the topic."""
    if meeting.recurrence is None:
        return f"* on {when} will be deleted from Webex. This cannot be undone."
    return f"* repeats {repeats_text(meeting)}: the whole series will be deleted from Webex, not only {when}."


def cancel_question(meeting: Meeting, when: str) -> str:
    """What `/webex cancel <number>` asks; `when` is the (next) meeting's time as Slack shows it."""
    if meeting.recurrence is None:
        return (
            f"Cancel *{escape(meeting.topic)}* on {when} (meeting {meeting.number})?\n"
            "It will be deleted from Webex. This cannot be undone."
        )
    return (
        f"Cancel the whole series *{escape(meeting.topic)}* (meeting {meeting.number}), "
        f"repeating {escape(repeats_text(meeting))}; the next is {when}?\n"
        "Every meeting of the series will be deleted from Webex. This cannot be undone."
    )


def cancelled_name(number: str, topic: str) -> str:
    """How a gone meeting is named: its topic, else its number; "This meeting" when Webex said neither
    (the backend's own id is never shown: on the REST API it is no number anyone has seen)."""
    if topic:
        return f"*{escape(topic)}*"
    return f"Meeting {number}" if number else "This meeting"


def cancelled_text(number: str, topic: str, *, already: bool, series: bool) -> str:
    """What a card says once the meeting (or the whole series) is gone."""
    name = cancelled_name(number, topic)
    if already:
        return f":wastebasket: {name} was already cancelled; Webex no longer has it. Nothing else to do."
    if series:
        return (
            f":wastebasket: {name} (meeting {number}) is cancelled: the whole series, "
            "every meeting of it, is deleted from Webex."
        )
    return f":wastebasket: {name} (meeting {number}) is cancelled and deleted from Webex."


def cancelled_copy_text(number: str, topic: str) -> str:
    """What a channel's copy says once the meeting is gone."""
    which = f" (meeting {number})" if topic and number else ""
    return f":wastebasket: {cancelled_name(number, topic)}{which} was cancelled."
