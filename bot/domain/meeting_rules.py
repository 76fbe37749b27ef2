"""The product's rules for a meeting (topic, agenda, password, duration, start, invitees, number): one owner.

Every other module imports its limits from here. A backend may have narrower rules of its own (the
XML schema's lengths, the characters XML can carry); those live in its adapter, which refuses what
it cannot send with a `RequestRejected` naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from bot.domain.meetings import Invitee
from bot.domain.recurrence import MAX_YEARS, Recurrence

DEFAULT_DURATION_MINUTES = 30
MIN_DURATION_MINUTES = 1
MAX_DURATION_MINUTES = 24 * 60
MAX_TOPIC_LENGTH = 512
MAX_AGENDA_LENGTH = 2500
MAX_PASSWORD_LENGTH = 16
MAX_INVITEES = 100
# A meeting number has 8 to 11 digits: the XML API's meeting keys run from 8 (`48591508`) to 11
# (`17260117096`), the REST API's meetingNumber has 9 or 10 (shared/reference, webex-xml-api.md and
# webex-rest-api.md). People type it with spaces and dashes; Webex shows it in groups of at most 4
# digits ("2345 678 901"), so a group of 8 or more is a whole number.
MIN_MEETING_NUMBER_DIGITS = 8
MAX_MEETING_NUMBER_DIGITS = 11
# A meeting may start a little in the past (the form was open for a while); Webex accepts that.
PAST_START_TOLERANCE = timedelta(minutes=5)


# Control characters but the tab (and line breaks, in text of several lines), DEL, lone surrogates and
# the two non-characters U+FFFE and U+FFFF.
_FORBIDDEN_IN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_FORBIDDEN_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class MeetingLimits:
    """The longest topic and agenda, the range of durations and the kind of password a meeting backend
    takes: the product's own unless the backend takes less (the REST API: 128 and 1300 characters,
    10 minutes to 23 h 59 min, a strong password), so a request is refused with what to change before it
    is sent, not by Webex after."""

    topic: int = MAX_TOPIC_LENGTH
    agenda: int = MAX_AGENDA_LENGTH
    shortest_minutes: int = MIN_DURATION_MINUTES
    longest_minutes: int = MAX_DURATION_MINUTES
    # A meeting password must be strong (STRONG_PASSWORD_WORDS): the REST API's sites refuse any other.
    # A site may have rules of its own on top, which only Webex can apply.
    strong_password: bool = False


PRODUCT_LIMITS = MeetingLimits()


class MeetingRequestInvalid(ValueError):
    """The person's request cannot be used as is; `field` names the form field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SeveralMeetingNumbers(MeetingRequestInvalid):
    """The text holds more than one meeting number (`numbers`, as digits); a command takes one."""

    def __init__(self, numbers: tuple[str, ...]) -> None:
        super().__init__(
            "meeting",
            f"That is {len(numbers)} meeting numbers ({', '.join(numbers)}); give one meeting at a time.",
        )
        self.numbers = numbers


def forbidden_character(text: str, *, allow_newlines: bool) -> str | None:
    """The first control character or non-character in `text` (no meeting service stores those),
    or a line break where a one-line field must not hold one."""
    found = (_FORBIDDEN_IN_TEXT if allow_newlines else _FORBIDDEN_IN_LINE).search(text)
    return None if found is None else found.group()


def character_name(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def clean_topic(topic: str, limit: int = MAX_TOPIC_LENGTH) -> str:
    """The topic as it will be stored: one line, trimmed; refused when empty, too long or unprintable."""
    one_line = topic.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").strip()
    bad = forbidden_character(one_line, allow_newlines=False)
    if bad is not None:
        raise MeetingRequestInvalid(
            "topic",
            f"The topic contains a character Webex cannot store ({character_name(bad)}). "
            "Remove it and try again.",
        )
    if not one_line:
        raise MeetingRequestInvalid("topic", "Give the meeting a topic, e.g. “Design review”.")
    if len(one_line) > limit:
        raise MeetingRequestInvalid(
            "topic", f"The topic is {len(one_line)} characters long; Webex takes at most {limit}."
        )
    return one_line


def clean_agenda(agenda: str, limit: int = MAX_AGENDA_LENGTH) -> str:
    """The agenda as it will be stored; refused when unprintable or too long."""
    bad = forbidden_character(agenda, allow_newlines=True)
    if bad is not None:
        raise MeetingRequestInvalid(
            "agenda",
            f"The agenda contains a character Webex cannot store ({character_name(bad)}). "
            "Remove it and try again.",
        )
    text = agenda.strip()
    if len(text) > limit:
        raise MeetingRequestInvalid(
            "agenda", f"The agenda is {len(text)} characters long; Webex takes at most {limit}."
        )
    return text


STRONG_PASSWORD_LENGTH = 8
STRONG_PASSWORD_WORDS = (
    f"{STRONG_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters mixing uppercase and lowercase letters "
    "and digits"
)


def check_password(password: str, limits: MeetingLimits = PRODUCT_LIMITS) -> str | None:
    """A meeting password, or None when none was given (the site then decides)."""
    text = password.strip()
    if not text:
        return None
    if len(text) > MAX_PASSWORD_LENGTH or forbidden_character(text, allow_newlines=False) or " " in text:
        raise MeetingRequestInvalid(
            "password", f"A meeting password is 1 to {MAX_PASSWORD_LENGTH} characters without spaces."
        )
    if limits.strong_password and not _strong(text):
        raise MeetingRequestInvalid(
            "password",
            f"Webex takes a meeting password of {STRONG_PASSWORD_WORDS}, such as Plan4Friday. "
            "Leave it empty and Webex makes one up.",
        )
    return text


def _strong(password: str) -> bool:
    """Webex's rule for a meeting password (its refusal: "A mix of uppercase and lowercase letters and
    numbers is required, 8 to 16 characters long")."""
    return (
        len(password) >= STRONG_PASSWORD_LENGTH
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
    )


def duration_allowed(minutes: int) -> bool:
    return MIN_DURATION_MINUTES <= minutes <= MAX_DURATION_MINUTES


def check_duration(minutes: int, limits: MeetingLimits = PRODUCT_LIMITS) -> int:
    if not limits.shortest_minutes <= minutes <= limits.longest_minutes:
        raise MeetingRequestInvalid(
            "duration",
            f"A meeting lasts between {duration_text(limits.shortest_minutes)} and "
            f"{duration_text(limits.longest_minutes)}; pick a duration in that range.",
        )
    return minutes


def duration_text(minutes: int) -> str:
    """A meeting's length as cards and messages write it: "45 min", "2 h", "23 h 59 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    if not rest:
        return f"{hours} h"
    return f"{hours} h {rest} min"


def check_start(start: datetime, now: datetime) -> datetime:
    """The start as an aware UTC instant in whole seconds; refused when it is in the past."""
    if start.tzinfo is None:
        raise ValueError("a meeting start must be an aware datetime")
    start = start.astimezone(UTC).replace(microsecond=0)
    if start < now - PAST_START_TOLERANCE:
        raise MeetingRequestInvalid("start", "That time is in the past. Pick a time from now on.")
    return start


# An address as mail clients copy it: `Ana Lima <ana@x.io>`, or `"Lima, Ana" <ana@x.io>` when the name
# holds a character that separates addresses.
_NAMED_ADDRESS = re.compile(r'\s*(?:"(?P<quoted>[^"]*)"|(?P<name>[^"<>]*?))\s*<(?P<address>[^<>]*)>\s*')
_QUOTED_NAME = re.compile(r"[,;@<>]")


def _without_mailto(address: str) -> str:
    """An address without the `mailto:` of a pasted email link."""
    return address[len("mailto:") :] if address.lower().startswith("mailto:") else address


def written_invitee(written: str) -> Invitee:
    """An invitee as people write an address: `ana@x.io`, `mailto:ana@x.io`, or as mail clients copy
    it, `Ana Lima <ana@x.io>` and `"Lima, Ana" <ana@x.io>` (the name becomes the invitee's name).
    Not checked: `check_invitees` refuses what is not an address."""
    named = _NAMED_ADDRESS.fullmatch(written)
    if named is None:
        return Invitee(email=_without_mailto(written.strip()))
    name = named["quoted"] if named["quoted"] is not None else named["name"]
    return Invitee(email=_without_mailto(named["address"].strip()), name=" ".join(name.split()))


def written_address(invitee: Invitee) -> str:
    """An invitee written back as `written_invitee` reads it: `ana@x.io`, or `Ana Lima <ana@x.io>`; a name
    that is only the address again (Webex's REST API names invitees so) is left out."""
    if not invitee.name or invitee.name.strip().lower() == invitee.email.strip().lower():
        return invitee.email
    name = f'"{invitee.name}"' if _QUOTED_NAME.search(invitee.name) else invitee.name
    return f"{name} <{invitee.email}>"


def check_invitees(invitees: tuple[Invitee, ...]) -> tuple[Invitee, ...]:
    """The invitees with trimmed emails and names, each address once; refused when one is not an
    address or there are too many."""
    unique: dict[str, Invitee] = {}
    for invitee in invitees:
        email = invitee.email.strip()
        if "@" not in email or forbidden_character(email + invitee.name, allow_newlines=False):
            raise MeetingRequestInvalid(
                "invitees", f"“{invitee.email}” is not an email address Webex can invite."
            )
        unique.setdefault(email.lower(), Invitee(email=email, name=invitee.name.strip()))
    if len(unique) > MAX_INVITEES:
        raise MeetingRequestInvalid("invitees", f"Invite at most {MAX_INVITEES} people at once.")
    return tuple(unique.values())


# What a refusal quotes of what was typed: enough to recognise it (a paste can be pages long).
ECHO_LENGTH = 40


def _echoed(typed: str) -> str:
    return typed if len(typed) <= ECHO_LENGTH else typed[: ECHO_LENGTH - 1] + "…"


NUMBER_NOT_IN_LINK = (
    "I cannot read a meeting number from that link. Give the number instead: it is under "
    "“Meeting number” in the invitation and on the meeting card, and `/webex list` shows yours."
)


def _number_in_link(link: str) -> str:
    """The number a Webex link shows in its `MK=` (the join and host links the XML API hands out); the
    invitation's `j.php?MTID=` and a personal room's `/meet/name` carry none."""
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    numbers = parse_qs(parts.query).get("MK", []) if host.endswith(".webex.com") else []
    if len(numbers) != 1:
        raise MeetingRequestInvalid("meeting", NUMBER_NOT_IN_LINK)
    try:
        return check_meeting_number(numbers[0])
    except MeetingRequestInvalid:
        raise MeetingRequestInvalid("meeting", NUMBER_NOT_IN_LINK) from None


def check_meeting_number(text: str) -> str:
    """A meeting number as people type it (spaces and dashes allowed, digits of any script, e.g. the
    full-width ones a Japanese keyboard types), or a Webex link that shows it -> its ASCII digits.

    Raises SeveralMeetingNumbers when the text holds two whole numbers ("123456789 987654321"), which
    would otherwise read as one number of 18 digits."""
    if text.strip().lower().startswith(("https://", "http://")):
        return _number_in_link(text.strip())
    groups = [group for group in re.split("[ -]+", text) if group]
    if groups and all(group.isdecimal() for group in groups):
        digits = ["".join(str(unicodedata.decimal(ch)) for ch in group) for group in groups]
        whole = tuple(group for group in digits if len(group) >= MIN_MEETING_NUMBER_DIGITS)
        if len(whole) > 1:
            raise SeveralMeetingNumbers(whole)
        count = sum(len(group) for group in digits)
        if MIN_MEETING_NUMBER_DIGITS <= count <= MAX_MEETING_NUMBER_DIGITS:
            return "".join(digits)
        if count > MAX_MEETING_NUMBER_DIGITS:
            raise MeetingRequestInvalid(
                "meeting",
                f"“{_echoed(text.strip())}” has {count} digits, more than one meeting number has (at most "
                f"{MAX_MEETING_NUMBER_DIGITS}). Give one meeting at a time: its number as the meeting card "
                "shows it, e.g. 2345 678 901.",
            )
    raise MeetingRequestInvalid(
        "meeting",
        f"“{_echoed(text.strip())}” is not a meeting number. "
        f"It is the {MIN_MEETING_NUMBER_DIGITS} to {MAX_MEETING_NUMBER_DIGITS} digits on the meeting card.",
    )


def check_recurrence(recurrence: Recurrence | None, first_day: date) -> Recurrence | None:
    """A series that meets on its first meeting's (local) day, and ends on or after it and within
    Webex's five years."""
    if recurrence is None:
        return None
    if not recurrence.meets_on(first_day):
        raise MeetingRequestInvalid(
            "repeats",
            f"The first meeting, {first_day:%a} {first_day.day} {first_day:%b}, is not a day the series "
            f"meets on ({recurrence.rule_words()}). Pick a date it meets on.",
        )
    if recurrence.until is None:
        return recurrence
    if recurrence.until < first_day:
        raise MeetingRequestInvalid(
            "repeat_until", "The series ends before its first meeting. Pick a later end date."
        )
    try:
        latest = first_day.replace(year=first_day.year + MAX_YEARS)
    except ValueError:  # 29 February
        latest = first_day.replace(year=first_day.year + MAX_YEARS, day=28)
    if recurrence.until > latest:
        raise MeetingRequestInvalid(
            "repeat_until", f"A series may end at most {MAX_YEARS} years after its first meeting."
        )
    return recurrence
