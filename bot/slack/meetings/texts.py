"""What the bot says about meetings: acks, usage, confirmations and meeting-specific error messages."""

from __future__ import annotations

from bot.domain.meetings import Meeting
from bot.domain.timezones import zone_info
from bot.services.meetings import (
    ChangeInProgress,
    CreateOutcomeUnknown,
    MeetingNotCreated,
    MeetingRequestInvalid,
    ScheduleInProgress,
    SlowDown,
)
from bot.services.ports import (
    CredentialsRejected,
    MeetingNotFound,
    MeetingNotVisible,
    NotPermitted,
    PasswordRequired,
    RequestRejected,
)
from bot.slack.texts import INVITE_ME

SCHEDULING = "Scheduling…"
LOOKING = "Looking up your meetings…"
STARTING = "Starting a meeting…"
CANCELLING = "Looking up the meeting…"
JOINING = "Getting the join link…"

SCHEDULE_USAGE = "/webex schedule [topic] [when] [for <duration>] [with @people or emails]"
SCHEDULE_SUMMARY = (
    "Schedule a meeting: `/webex schedule Design review tomorrow 3pm for 45m with @ana`; "
    "a series: `/webex schedule Standup every weekday 9am until 31 March`. With no text, a form opens."
)
LIST_USAGE = "/webex list | today | week"
LIST_SUMMARY = "Your upcoming meetings (`today`, `week` for a shorter view), each with Join, Edit and Cancel."
CANCEL_USAGE = "/webex cancel <meeting number>"
CANCEL_SUMMARY = "Cancel a meeting: `/webex cancel 123456789` (asks before deleting)."
NOW_USAGE = "/webex now [topic]"
NOW_SUMMARY = "Start a meeting right now and post its Join button in this channel: `/webex now Quick sync`."
JOIN_USAGE = "/webex join <meeting number>"
JOIN_SUMMARY = "The join link of a meeting: `/webex join 123456789`."
EDIT_USAGE = "/webex edit <meeting number>"
EDIT_SUMMARY = "Change a meeting's topic, time, duration, invitees or agenda in a form."

CANCEL_NEEDS_NUMBER = (
    "Which meeting? Give its number: `/webex cancel 123456789`. `/webex list` shows your meetings "
    "with a Cancel button each."
)
JOIN_NEEDS_NUMBER = "Which meeting? Give its number: `/webex join 123456789`."
EDIT_GONE = (
    "Webex no longer has this meeting (it was cancelled or deleted on the Webex site), so there is"
    " nothing to edit. Its card now says so."
)
EDIT_NEEDS_NUMBER = (
    "Which meeting? Give its number: `/webex edit 123456789`, or press Edit on a meeting in `/webex list`."
)
KEPT = "Kept it: nothing was cancelled."
STILL_SCHEDULING = (
    "This meeting is still being scheduled. Check `/webex list` in a minute before trying again, "
    "so it is not made twice."
)
STILL_SAVING = (
    "This change is still being saved. Check the meeting with `/webex list` in a minute before saving "
    "it again."
)
NOTHING_CHANGED = "Nothing changed: the meeting already looks like that."
SCHEDULE_EXAMPLES = (
    "For example: `/webex schedule Design review tomorrow 3pm for 45m with @ana`, "
    '`/webex schedule "1:1" fri 09:30`, or `/webex schedule` alone for a form.'
)
FORM_OPEN_FAILED = "I could not open the form in time. Press the button to open it."
PASSWORD_REQUIRED_IN_FORM = (
    "Your Webex site requires a meeting password, so nothing was scheduled. Open the form and fill in "
    "*Meeting password*."
)
FORM_KEPT = "Nothing you typed is lost: *Open the form* brings the form back as you filled it in."
FORM_NOT_KEPT = (
    "I no longer have what you typed in that form (forms are kept for a week), so there is nothing to "
    "open again. Start over with `/webex schedule`, or press *Edit* on the meeting."
)
# After linking, the form asked for cannot open by itself: Slack opens one only right after a press or a
# command, and the one that asked for it is long gone. Nothing failed.
FORM_TO_OPEN = "Your form is ready: press the button to open it."
NO_CHANNEL_TO_SHARE = f"I cannot post in this conversation. Invite me to the channel ({INVITE_ME}) first."
NOT_IN_CHANNEL = (
    f"I could not post it in the channel: I am not a member there. Invite me with {INVITE_ME}, "
    "then press *Share in channel* below to post it there."
)
SHARE_FROM_A_DM = (
    "To share the meeting, paste its meeting number in the channel; `/webex join` and the number gives "
    "anyone there the Join link."
)
NO_SHARING_IN_DMS = (
    "I posted nothing: this card is in a direct message, where a shared copy would reach no one else. "
    + SHARE_FROM_A_DM
)
NOTHING_TO_SHARE_ENDED = (
    "I posted nothing: this meeting is over, so a shared copy would offer a Join button to nothing. "
    "Schedule a new one with `/webex schedule`."
)
CHANNEL_HIDDEN = (
    "I could not post it in that conversation: it is private, and I am not in it. "
    f"Invite me there with {INVITE_ME}; until then, share the meeting's Join link there yourself."
)


def number_then_words(command: str, number: str, words: str) -> str:
    """The answer to `/webex cancel 123456789 tomorrow`: the number alone is what it takes; nothing is
    done. `words` is shown as typed (escaped by the caller)."""
    answer = (
        f"I read the meeting number {number}, then “{words}”, which `{command}` does not take, so I did "
        f"nothing. Type `{command} {number}` alone."
    )
    if command in ("/webex cancel", "/webex edit"):
        answer += (
            " It acts on the whole meeting, and on a recurring one that is every meeting of the series; "
            "to cancel or move just one meeting of a series, do it in Webex."
        )
    return answer


def one_meeting_at_a_time(command: str, numbers: tuple[str, ...]) -> str:
    """The answer to `/webex cancel 123456789 987654321`: nothing is done, and what to type instead."""
    shown = ", then ".join(f"`{command} {number}`" for number in numbers[:2])
    more = ", and so on" if len(numbers) > 2 else ""
    return (
        f"One command takes one meeting, and I read {len(numbers)} meeting numbers there, so I did "
        f"nothing. Type them one at a time: {shown}{more}."
    )


def could_not_post(error: str) -> str:
    """Why the bot's own post in a channel failed (Slack's `error`), and what to do instead."""
    if error == "not_in_channel":
        return NOT_IN_CHANNEL
    if error in ("channel_not_found", "is_archived", "restricted_action"):
        return CHANNEL_HIDDEN
    return NO_CHANNEL_TO_SHARE


NOT_FOR_YOU = "Only the person who scheduled this meeting can change it from here."


def scheduled_note(repeated: bool, shared: bool, *, in_channel: bool = True) -> str:
    """The line above a new card; `in_channel` False for a card in a direct message, where *Share in
    channel* has no one to share it with."""
    if repeated:
        return ":white_check_mark: Already scheduled: this is the meeting your earlier request created."
    if shared:
        return ":white_check_mark: Scheduled, and posted in the channel."
    if not in_channel:
        return ":white_check_mark: Scheduled. " + SHARE_FROM_A_DM
    return ":white_check_mark: Scheduled. Only you see this card; *Share in channel* posts it for everyone."


def changed_note(changed: tuple[str, ...], *, series: bool = False, repeated: bool = False) -> str:
    if repeated:
        return ":white_check_mark: Already saved: this is the meeting as your earlier Save left it."
    if not changed:
        return NOTHING_CHANGED
    return ":pencil2: Updated the " + ", ".join(changed) + (" of the whole series." if series else ".")


def slow_down(error: SlowDown) -> str:
    seconds = f"{error.retry_after} second" + ("" if error.retry_after == 1 else "s")
    why = (
        "you already have several meetings being created"
        if error.limit == "in flight"
        else "you have created a lot of meetings in the last minute"
    )
    return f":hourglass: Slow down, try again in {seconds}: {why}. Nothing was created this time."


def explain_meeting_error(error: Exception) -> str | None:
    """Meeting wording for errors the general mapper would explain less precisely; None otherwise."""
    if isinstance(error, MeetingRequestInvalid):
        return f"{error.message}\n{SCHEDULE_EXAMPLES}" if error.field in ("start", "topic") else error.message
    if isinstance(error, ScheduleInProgress):
        return STILL_SCHEDULING
    if isinstance(error, ChangeInProgress):
        return STILL_SAVING
    if isinstance(error, SlowDown):
        return slow_down(error)
    if isinstance(error, MeetingNotCreated):
        return (
            "Webex did not give a usable answer, and the meeting has not appeared in your Webex list since. "
            "Check `/webex list` in a minute: if it is not there, schedule it again."
        )
    if isinstance(error, CreateOutcomeUnknown):
        what = "did not answer in time" if error.timed_out else "did not give a usable answer"
        return (
            f"Webex {what}, and I could not check whether the meeting was created. "
            "Check `/webex list` in a minute: if it is not there, schedule it again."
        )
    if isinstance(error, CredentialsRejected):
        return (
            "Webex refused your sign-in even after renewing it. Run `/webex connect` to link your account "
            "again, then repeat the command."
        )
    if isinstance(error, MeetingNotVisible):
        return (
            "Webex shows you no meeting with that number: the number may be mistyped or the meeting "
            "cancelled, or it is someone else's meeting that you are not invited to (Webex gives me the "
            "join link of those only with the meeting password). Open the link in the invitation "
            "instead, or ask the host to invite you."
        )
    if isinstance(error, MeetingNotFound):
        return (
            "Webex has no meeting with that number: it may have been cancelled, or the number is mistyped. "
            "`/webex list` shows your meetings and their numbers."
        )
    if isinstance(error, NotPermitted):
        return (
            "Webex says you may not do that: the meeting belongs to another host, or your link lacks the "
            "`meeting_modify` permission. Only the host can change or cancel a meeting; `/webex status` "
            "shows what your link allows."
        )
    if isinstance(error, PasswordRequired):
        return (
            "Your Webex site requires a meeting password. Run `/webex schedule` with no text and fill in "
            "*Meeting password* in the form. Nothing was scheduled."
        )
    if isinstance(error, RequestRejected) and error.field:
        what = error.field.replace("_", " ")
        return f"Webex refused the {what}: {(error.said or error.reason).rstrip('.')}. Nothing was changed."
    return None


# Exception type -> its explanation, for anyone who wants the list (the mapper calls the function).
MEETING_ERRORS = explain_meeting_error


def zone_notes(asked_tz: str, user_tz: str, meeting: Meeting) -> tuple[str, ...]:
    """What the card says when Webex shows the meeting in another zone than the one asked in, because
    it has none with that clock on that date (Kathmandu's +05:45)."""
    if not asked_tz or asked_tz == user_tz:
        return ()
    asked, shown = zone_info(asked_tz), zone_info(meeting.time_zone)
    if asked is None or shown is None:
        return ()
    if meeting.start.astimezone(asked).utcoffset() == meeting.start.astimezone(shown).utcoffset():
        return ()
    return (
        f"Webex has no time zone for {asked_tz} on that date, so Webex shows the meeting in its zone "
        f"{meeting.time_zone_label or meeting.time_zone}; it starts at the moment you asked for.",
    )
