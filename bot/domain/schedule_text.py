"""Reads the text of `/webex schedule ...`: topic, start, time zone, duration and invitees."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import zone_names
from bot.domain.meeting_rules import MAX_DURATION_MINUTES, MAX_TOPIC_LENGTH, written_address
from bot.domain.meetings import Invitee
from bot.domain.recurrence import MAX_OCCURRENCES, MAX_YEARS, Frequency, Recurrence, RecurrenceInvalid
from bot.domain.timezones import offset_zone_name, zone_info, zone_place

__all__ = [
    "EXAMPLE",
    "MAX_DURATION_MINUTES",
    "MAX_TOPIC_LENGTH",
    "ScheduleParse",
    "parse_schedule_text",
]

MAX_DAYS_AHEAD = 5 * 366
EXAMPLE = "/webex schedule Design review tomorrow 3pm for 45m with @ana"


@dataclass(frozen=True)
class ScheduleParse:
    """What the text says. `problems`, `ambiguities` and `notes` are short sentences for the user."""

    topic: str = ""  # "" when the text gives none
    start: datetime | None = None  # aware UTC, always after `now`; None when not read or unusable
    duration_minutes: int | None = None  # None when not given (or not usable: see problems)
    duration_given: bool = False  # the text gave a length, usable or not ("for 25h")
    mention_user_ids: tuple[str, ...] = ()  # from <@U123> and <@U123|name>
    # Plain addresses and <mailto:...>, as written (bot.domain.meeting_rules.written_address): an
    # address typed as mail clients copy it, `with Ana Lima <ana@x.io>`, is "Ana Lima <ana@x.io>".
    emails: tuple[str, ...] = ()
    unresolved_mentions: tuple[str, ...] = ()  # "@ana" typed without Slack escaping it, "@here"
    problems: tuple[str, ...] = ()  # why it cannot be scheduled as is
    ambiguities: tuple[str, ...] = ()  # read, but to be confirmed before scheduling
    notes: tuple[str, ...] = ()  # worth showing, nothing to confirm ("I read 3pm ET as ...")
    day: date | None = None  # the day read, even when the time is missing or past; None when unsettled
    clock: time | None = None  # the wall-clock time read in `time_zone`, even when the day is missing
    time_zone: str = "UTC"  # the zone times were read in: one the text named, else the user's
    zone_said: str = ""  # how the text named `time_zone` ("ET", "Berlin time"); "" when it named none
    recurrence: Recurrence | None = None  # the series the text asks for; None for one meeting

    @property
    def is_clear(self) -> bool:
        return self.start is not None and not self.problems and not self.ambiguities


def parse_schedule_text(text: str, *, now: datetime, user_tz: str) -> ScheduleParse:
    """Read `text` as Slack sends it, in the user's zone `user_tz` (UTC when unknown). Never raises."""
    zone = _zone(user_tz if isinstance(user_tz, str) else "")
    try:
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        return _Reader(text if isinstance(text, str) else "", now, zone, user_tz).read()
    except OverflowError:
        # Only reachable with a `now` at the very edge of what datetime can hold.
        return ScheduleParse(problems=("That date is out of range",))


# Zones whose people write dates month first; everyone else reads 12/03 as 12 March.
_MONTH_FIRST_ZONES = frozenset(
    {
        "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
        "America/Phoenix", "America/Anchorage", "America/Juneau", "America/Sitka", "America/Nome",
        "America/Yakutat", "America/Metlakatla", "America/Adak", "America/Boise", "America/Detroit",
        "America/Menominee", "America/Puerto_Rico", "Pacific/Honolulu", "Pacific/Guam",
        "US/Eastern", "US/Central", "US/Mountain", "US/Pacific", "US/Alaska", "US/Hawaii", "US/Arizona",
    }
)  # fmt: skip


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _month_first(zone_name: str) -> bool:
    return zone_name in _MONTH_FIRST_ZONES or zone_name.startswith(
        ("America/Indiana/", "America/Kentucky/", "America/North_Dakota/")
    )


# Markers written over the working copy of the text; noncharacters never appear in real input.
_LABEL = "\ufdd0"  # a Slack link or channel: kept in the topic as its label
_GONE = "\ufdd1"  # read as a time, duration or connector: not part of the topic
_INVITEE = "\ufdd2"  # a mention, an email or an @name
_DATE = "\ufdd3"  # read as a date (a bare hour right after it is a time)
_KEEP = "\ufdd4"  # quoted words inside the topic, shielded from date reading
_TIME = "\ufdd5"  # read as a clock time (a zone name right after it applies to it)

_FLAGS = re.ASCII | re.IGNORECASE | re.VERBOSE
_ASKED = "\ufdd6"  # before a place read as a zone that may be a word of the topic ("3pm Sydney"): asked

_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)  # fmt: skip
# Before 04:00 a person is still in the night that began the day before ("tonight at 1" said at 00:30).
SMALL_HOURS_END = 4
_PARTS_OF_DAY = {"morning": ("am", 9), "afternoon": ("pm", 14), "evening": ("pm", 18), "night": ("pm", 20)}


def _alternatives(words: Mapping[str, object]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_WORDNUM = _alternatives(_WORD_NUMBERS)
_WD = _alternatives(_WEEKDAYS)
_MON = _alternatives(_MONTHS)
_NUM = r"[0-9]{1,4}(?:[.,][0-9]{1,2})?"
_B = r"(?<![\w/:.@+\u2212-])"  # starts a word: not inside a number, a date, an address
_AT = r"(?:(?:at|around|from|starting(?:\s+at)?)\s+|@\s*)"
_HOUR_END = r"(?:\s*o['\u2019]?clock)?(?![\w:/]|[.,][0-9])"

_DURATION = rf"""
(?:
    (?P<half>half\s+an?\s+hour)
  | (?P<hour_half>(?:an?|one|1)\s+(?:hour|hr)\s+and\s+a\s+half)
  | (?P<three_quarters>three\s+quarters\s+of\s+an\s+hour)
  | (?P<quarter>(?:a\s+)?quarter\s+(?:of\s+an\s+)?hour)
  | (?P<h>{_NUM})\s*(?:hours?|hrs?|h)\.?
      (?:(?P<h_mm>[0-5][0-9])(?![0-9])|\s*(?:and\s+)?(?P<h_m>[0-9]{{1,3}})\s*(?:minutes?|mins?|m)\.?)?
  | (?P<hw>{_WORDNUM})\s+(?:hours?|hrs?)
      (?:\s+(?:and\s+)?(?P<hw_m>[0-9]{{1,3}}|{_WORDNUM})\s+(?:minutes?|mins?))?
  | (?P<m>[0-9]{{1,4}})\s*(?:minutes?|mins?|m)\.?
  | (?P<mw>{_WORDNUM})\s+(?:minutes?|mins?)
)(?![\w])
"""

_RE_SANITIZE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_RE_DROP = re.compile("[\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_RE_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_RE_SLACK = re.compile(
    r"""
      (?P<slack><(?P<inner>[^<>]{1,500})>)
    | (?P<email>(?<![\w.%+-])[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}(?![\w-]))
    | (?P<handle>(?<![\w@.%+-])@(?P<name>[a-z][\w.-]{0,79}))
    """,
    _FLAGS,
)
_RE_USER = re.compile(r"@(?P<id>[UW][A-Z0-9_]+)(?:\|(?P<label>.*))?", re.ASCII | re.DOTALL)
_RE_MAILTO = re.compile(
    r"mailto:(?P<address>[^|]+)(?:\|(?P<label>.*))?", re.ASCII | re.IGNORECASE | re.DOTALL
)
_RE_CHANNEL = re.compile(r"\#(?P<id>C[A-Z0-9]+)(?:\|(?P<label>.*))?", re.ASCII | re.DOTALL)
_RE_SPECIAL = re.compile(r"!(?P<what>[^|]+)(?:\|(?P<label>.*))?", re.DOTALL)
_RE_LINK = re.compile(r"(?P<url>[a-z][a-z0-9+.-]*:[^|]+)(?:\|(?P<label>.*))?", re.IGNORECASE | re.DOTALL)
_RE_EMAIL = re.compile(r"[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,63}", _FLAGS)

_RE_QUOTED = re.compile(
    r"""(?<!\w)(?:"(?P<a>[^"]*)"|\u201c(?P<b>[^\u201c\u201d]*)[\u201d\u201c]|\u201e(?P<c>[^\u201c\u201d\u201e]*)[\u201c\u201d]"""
    r"""|\u00ab(?P<d>[^\u00ab\u00bb]*)\u00bb|\u2018(?P<e>[^\u2018\u2019]*)\u2019(?!\w)|'(?P<f>[^']*)'(?!\w))"""
)
_RE_WITH = re.compile(
    rf"(?<![\w])(?:with|w/|invite|inviting|invitees?|cc|attendees?|participants?)\s*:?\s*(?={_INVITEE})",
    _FLAGS,
)
_RE_BETWEEN_INVITEES = re.compile(
    rf"(?<={_INVITEE})[\s,;]*(?:(?:and|&|\+)(?![\w])[\s,;]*)?(?={_INVITEE})", _FLAGS
)
# An address as mail clients copy it, `Ana Lima <ana@x.io>`: the brackets belong to the address, and
# the name (quoted, or up to four words) right after "with" or another invitee is the invitee's name.
_RE_BRACKETED_ADDRESS = re.compile(f"<{_INVITEE}>")
# A word of a name: never "and" or "with" ("with Ana and Li <li@y.io>" is not Li's name).
_NAME_WORD = r"(?!(?:and|with)(?![\w]))[^\W\d_][\w.'\u2019-]*"
_RE_NAMED_ADDRESS = re.compile(
    rf"""
    (?:(?<![\w])(?:with|w/|invite|inviting|invitees?|cc|attendees?|participants?)\s*:?\s*
      | {_INVITEE}[\s,;]*(?:(?:and|&|\+)(?![\w])[\s,;]*)?)
    (?P<name>
        "[^"{_INVITEE}]{{1,128}}" | \u201c[^\u201c\u201d{_INVITEE}]{{1,128}}\u201d
      | {_NAME_WORD}(?:[ ]+{_NAME_WORD}){{0,3}}
    )
    [ ]*(?={_INVITEE})
    """,
    re.IGNORECASE | re.VERBOSE,  # not ASCII: a name may be "José" or "Анна"
)

_RE_IN = re.compile(rf"{_B}(?:in|within)\s+(?:about\s+|around\s+)?{_DURATION}", _FLAGS)
_RE_FROM_NOW = re.compile(rf"{_B}{_DURATION}\s+from\s+now(?![\w])", _FLAGS)
_RE_NOW = re.compile(r"(?<![\w])(?:right\s+)?now(?![\w])", _FLAGS)
_RE_IN_DAYS = re.compile(
    rf"""{_B}(?:in\s+(?P<n>[0-9]{{1,3}}|{_WORDNUM})\s+(?P<u>days?|weeks?)
        |(?P<n2>[0-9]{{1,3}}|{_WORDNUM})\s+(?P<u2>days?|weeks?)\s+from\s+(?:now|today))(?![\w])""",
    _FLAGS,
)
_RE_FOR = re.compile(rf"{_B}(?:for|lasting)\s+(?:about\s+|around\s+|approximately\s+)?{_DURATION}", _FLAGS)
_RE_BARE_DURATION = re.compile(rf"{_B}{_DURATION}", _FLAGS)
_RE_FOR_NUMBER = re.compile(r"(?<![\w])for\s+(?P<n>[0-9]{1,3})(?![\w:/]|[.,][0-9])", _FLAGS)

_RE_RELATIVE_DAY = re.compile(
    r"""(?<![\w])(?:on\s+)?(?P<word>(?:the\s+)?day\s+after\s+(?:tomorrow|tmrw?)|(?:later\s+)?today|tonight
        |tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow|yesterday)(?![\w])""",
    _FLAGS,
)
_RE_WEEKDAY = re.compile(
    rf"""(?<![\w])(?:on\s+)?(?:(?P<week_before>next\s+week\s+(?:on\s+)?)|(?P<mod>next|this\s+coming|this|coming)\s+)?
        (?P<wd>{_WD})(?![\w])\.?(?P<week_after>,?\s+(?:of\s+)?next\s+week(?![\w]))?""",
    _FLAGS,
)
_RE_WEEK = re.compile(r"(?<![\w])(?P<which>next|this)\s+week(?![\w])", _FLAGS)
_RE_ISO = re.compile(
    rf"{_B}(?:on\s+)?(?P<y>[0-9]{{4}})[-/.](?P<m>[0-9]{{1,2}})[-/.](?P<d>[0-9]{{1,2}})(?![\w/:.-])", _FLAGS
)
_RE_MONTH_FIRST = re.compile(
    rf"""(?<![\w])(?:on\s+)?(?P<mon>{_MON})\.?\s+(?:the\s+)?(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?(?![\w:/.])
        (?:,?\s+(?P<y>20[0-9]{{2}})(?![\w:]))?""",
    _FLAGS,
)
_RE_DAY_FIRST = re.compile(
    rf"""{_B}(?:on\s+)?(?:the\s+)?(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MON})(?![\w])\.?
        (?:,?\s+(?P<y>20[0-9]{{2}})(?![\w:]))?""",
    _FLAGS,
)
_RE_SLASH = re.compile(
    rf"{_B}(?:on\s+)?(?P<a>[0-9]{{1,2}})/(?P<b>[0-9]{{1,2}})(?:/(?P<y>[0-9]{{4}}|[0-9]{{2}}))?(?![\w/])",
    _FLAGS,
)
_RE_DOTTED = re.compile(
    rf"{_B}(?:on\s+)?(?P<d>[0-9]{{1,2}})\.(?P<m>[0-9]{{1,2}})\.(?P<y>[0-9]{{4}}|[0-9]{{2}})?(?![\w.])", _FLAGS
)
_RE_ORDINAL = re.compile(r"(?<![\w])(?:on\s+)?the\s+(?P<d>[0-9]{1,2})(?:st|nd|rd|th)(?![\w])", _FLAGS)
_RE_PART_AFTER_DATE = re.compile(
    rf"(?<={_DATE})\s*(?:in\s+the\s+|at\s+)?(?P<pod>morning|afternoon|evening|night)(?![\w])", _FLAGS
)
_RE_PART = re.compile(
    r"(?<![\w])(?P<this>this|in\s+the|at)\s+(?P<pod>morning|afternoon|evening|night)(?![\w])", _FLAGS
)

_CLOCK = r"(?:noon|midday|midnight|[0-9]{1,2}(?:[:.h][0-5][0-9])?(?:\s*[ap]\.?m\.?)?)"
_RE_RANGE = re.compile(
    rf"""{_B}(?:(?P<between>between)\s+|(?P<from>from)\s+|(?P<at>at|around|@)\s*)?(?P<a>{_CLOCK})\s*(?P<sep>(?<!\s)-|-(?=\s)|\u2013|\u2014|to|until|till|and)\s*
        (?P<b>{_CLOCK})(?![\w:])""",
    _FLAGS,
)
# "half past 3", "quarter to 10", "ten past 9am", "5 past 3", "20 minutes to noon": a clock said in words.
# A number of minutes needs "minutes" but before "past" ("from 9 to 5" and "10 to 11" are ranges).
_PAST_MINUTES = {"half": 30, "quarter": 15, "five": 5, "ten": 10, "twenty": 20, "twenty-five": 25}
_RE_PAST_TO = re.compile(
    rf"""{_B}{_AT}?(?P<min>half|(?:a\s+)?quarter|twenty[-\s]five|twenty|ten|five|(?P<n>[0-9]{{1,2}}))
        (?P<unit>\s+min(?:ute)?s?)?\s+(?P<rel>past|after|to|till|til|before|of)\s+
        (?P<h>[0-9]{{1,2}}|noon|midday|midnight)(?:\s*(?P<ap>[ap])\.?m(?![\w])\.?)?(?![\w:])""",
    _FLAGS,
)
_RE_NOON = re.compile(rf"{_B}{_AT}?(?:12\s+)?(?P<w>noon|midday|midnight)(?![\w])", _FLAGS)
_RE_TWELVE_HOUR = re.compile(
    rf"{_B}{_AT}?(?P<h>[0-9]{{1,2}})(?:[:.](?P<m>[0-9]{{2}}))?(?:\s*o['\u2019]?clock)?\s*(?P<ap>[ap])\.?m(?![\w])\.?",
    _FLAGS,
)
# "15:00Z" is 15:00 UTC: the Z is left for the zone reader.
_RE_COLON = re.compile(
    rf"{_B}{_AT}?(?P<h>[0-9]{{1,2}}):(?P<m>[0-9]{{2}})(?::[0-9]{{2}})?(?:(?=z(?![\w:]))|(?![\w:]))", _FLAGS
)
_RE_DOT_TIME = re.compile(
    rf"(?:(?<={_DATE})\s*,?\s*|{_B}{_AT})(?P<h>[0-9]{{1,2}})\.(?P<m>[0-9]{{2}})(?![\w:.]|[.,][0-9])", _FLAGS
)
_RE_AT_HOUR = re.compile(rf"{_B}{_AT}(?P<h>[0-9]{{1,2}}){_HOUR_END}", _FLAGS)
_RE_DATE_HOUR = re.compile(rf"(?<={_DATE})\s*,?\s*(?P<h>[0-9]{{1,2}}){_HOUR_END}", _FLAGS)
# "starting monday", "beginning 3 March": the word before a date says it is the first meeting's.
_RE_DATE_LEAD = re.compile(rf"(?<![\w])(?:starting|beginning|from)(?:\s+on)?\s+(?={_DATE})", _FLAGS)
# "at 9 and 17": a second time after one read, asked about as "9am and 5pm" is (not "and 17" in the topic),
# whatever follows ("in room 4", "room 4", "about the budget"). A plural word after the number makes it a
# count ("3pm and 4 others", "and 5 people", "and 1 guest"); words already read are masked by now.
_COUNTED = r"(?:(?!(?:this|is|was|as|has)(?![\w]))[a-z]*[a-z]s|people|folks|more|other|guest|person)(?![\w])"
_RE_AND_HOUR = re.compile(
    rf"""(?<={_TIME})\s*(?:and|&)\s+(?P<h>[0-9]{{1,2}})(?:[:.](?P<m>[0-9]{{2}}))?{_HOUR_END}
        (?!\s*{_COUNTED})""",
    _FLAGS,
)
# "9am and 5pm": the "and" between two times read goes with them (they are asked about), not into the topic.
_RE_AND_BETWEEN_TIMES = re.compile(rf"(?<={_TIME})\s*(?:and|&)\s*(?={_TIME})", _FLAGS)
_RE_OCLOCK = re.compile(rf"{_B}(?P<h>[0-9]{{1,2}})\s*o['\u2019]?clock(?![\w])", _FLAGS)
_RE_H_HOUR = re.compile(rf"{_B}(?P<at>{_AT})?(?P<h>[0-9]{{1,2}})h(?P<m>[0-5][0-9])?(?![\w])", _FLAGS)
_RE_CLOCK_TEXT = re.compile(r"([0-9]{1,2})(?:[:.h]([0-5][0-9]))?(?:([ap])\.?m\.?)?")  # for _read_clock
_RE_TIME_RUN = re.compile(f"{_TIME}+")  # a time read, for _zones_after_times

# A zone after a time: "(", "in" and "time"/"time zone" around an IANA name, a UTC offset or words.
_RE_ZONE_LEAD = re.compile(r"[ \t]*(?P<open>\(\s*)?(?:(?P<in>in)\s+)?", re.IGNORECASE)
_RE_ZONE_IANA = re.compile(r"(?P<iana>[a-z][a-z_-]*(?:/[a-z0-9_+-]+){1,2})(?![\w/])", re.IGNORECASE)
_RE_ZONE_OFFSET = re.compile(
    r"""(?P<base>utc|gmt|z)?\s*(?P<sign>[+\-\u2212])\s*(?P<h>[0-9]{1,2})(?:(?::|h)?(?P<m>[0-9]{2}))?(?![\w:])""",
    re.IGNORECASE,
)
_RE_ZONE_WORDS = re.compile(r"[^\W\d_]+(?:(?:[ .'\u2019-]|\.\s)[^\W\d_]+){0,3}\.?")
_RE_ZONE_TAIL = re.compile(r"\s+(?:time\s*zone|timezone|time|tz)(?![\w])", re.IGNORECASE)
_RE_ZONE_CLOSE = re.compile(r"\s*\)")
_RE_ZONE_BEFORE = re.compile(r"(?<![\w/])(?P<z>[a-z]{2,5})\s+$", re.IGNORECASE)
_RE_ZONE_ZULU = re.compile(r"z(?![\w])", re.IGNORECASE)
_RE_ZONE_PAIR = re.compile(r"\s*/\s*([a-z]{1,5})(?![\w/])", re.IGNORECASE)
_RE_ZONE_CAPITALS = re.compile(r"[A-Z]{1,4}T")
# An IANA name anywhere ("Review Europe/Berlin 10:00") and "<place> time" anywhere ("Berlin time, 10:00").
_RE_IANA_ANYWHERE = re.compile(
    r"(?<![\w/.:@-])(?P<area>[a-z]+)/(?P<rest>[a-z0-9_+-]+(?:/[a-z_-]+)?)(?![\w/])", re.IGNORECASE
)
_RE_PLACE_TIME = re.compile(
    r"(?<![\w])(?P<words>[^\W\d_]+(?:[ .'\u2019-][^\W\d_]+){0,3})\s+(?:time\s*zone|timezone|time)(?![\w])",
    re.IGNORECASE,
)

_WD_FULL = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_WD_LIST = rf"(?:{_WD})s?(?:\s*(?:,|and|&|\+|/)\s*(?:{_WD})s?)*"
# "Daily standup" and "Weekly sync" are names; "standup daily 9am" and "sync weekly on monday" are rules.
_ADVERB_FOLLOWERS = (
    rf"on|at|from|starting|beginning|for|with|in|tomorrow|today|next|this|noon|midday|midnight|{_WD}"
)
_ADVERB = rf"(?=\s*(?:$|[^\w\s]|[0-9]|(?:{_ADVERB_FOLLOWERS})(?![\w])))"
_ORDINAL_WEEKS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1,
}  # fmt: skip
_ORD = "|".join(sorted(_ORDINAL_WEEKS, key=len, reverse=True))
_EVERY = r"(?:every|each)\s+"


def _every_n(tag: str) -> str:
    """ "every", "every other", "every 3": the count is group `n_<tag>`, "other" group `other_<tag>`."""
    return (
        rf"(?:every|each)\s+(?:(?P<other_{tag}>other|second|2nd)\s+"
        rf"|(?P<n_{tag}>[0-9]{{1,2}}|two|three|four|five|six)\s+)?"
    )


# Words that make a meeting repeat: the first meeting follows the rule ("every weekday 9am" on a
# Sunday starts on Monday at 09:00), and the series is made with it.
_RE_REPEAT = re.compile(
    rf"""(?<![\w])(?:
        (?P<monthly_nth>(?:monthly|{_every_n("m")}months?)\s+on\s+the\s+(?P<ord>{_ORD})\s+(?P<ord_wd>{_WD})
          |(?:on\s+)?(?:the\s+)?(?P<ord2>{_ORD})\s+(?P<ord_wd2>{_WD})\s+of\s+(?:every|each|the)\s+month)
      | (?P<daily>daily{_ADVERB}|{_EVERY}(?:single\s+)?day|{_every_n("d")}days)
      | (?P<workdays>{_EVERY}(?:week\s*day|work\s*day|working\s+day|business\s+day)
          |(?:on\s+)?(?:week\s*days|work\s*days|business\s+days)
          |(?:every\s+|each\s+|on\s+)?mon(?:day)?\s*(?:-|\u2013|to|through|thru)\s*fri(?:day)?)
      | (?P<weekend>{_EVERY}week\s*end|(?:on\s+)?week\s*ends)
      | (?P<part>{_EVERY}(?P<pod>morning|afternoon|evening|night))
      | (?:{_every_n("w")}(?:weeks?\s+on\s+)?
          |(?:(?P<bi>bi-?weekly|fortnightly)|weekly)\s+on\s+)
          (?P<listed>{_WD_LIST})
      | (?:on\s+)?(?P<plural>(?:{_WD_FULL})s(?:\s*(?:,|and|&|\+|/)\s*(?:{_WD})s?)*)
      | (?P<vague>(?P<adverb>weekly|bi-?weekly|fortnightly|monthly|quarterly|yearly|annually){_ADVERB}
          |{_every_n("v")}(?P<unit>weeks?|months?|years?|quarters?))
    )(?![\w])""",
    _FLAGS,
)
# How a series ends: "until 31 March", "till Friday", "ending 2027-03-31"; the date is read as any date is.
# A dot closes the date, not its first part, so "until 31.3." is one date (not "31." and a start on 31.3.).
_RE_UNTIL = re.compile(
    r"""(?<![\w])(?P<word>until|till|til|ending(?:\s+on)?|ends\s+on|through)\s+
        (?P<when>(?:the\s+)?[a-z0-9]+(?:(?:\s*[/.,-]\s*|\s+(?:of\s+)?)[a-z0-9]+){0,2}\.?)""",
    _FLAGS,
)
# Ends that are not dates: "until further notice" has none; "until (the) end of (the) month" is the
# first meeting's month's last day, "end of the year" its 31 December.
_RE_UNTIL_WORDS = re.compile(
    r"""(?:further\s+notice|(?:it\s+is\s+)?cancell?ed|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<period>month|year))
    (?![\w])""",
    _FLAGS,
)
# "for 10 times", "10 times", "for 10 meetings"; "two meetings" without "for" stays in the topic.
# "for one time" too: else "one time" would be read as a place's time ("Berlin time").
_RE_TIMES = re.compile(
    r"""(?<![\w])(?:for\s+(?P<n>[0-9]{1,4}|[a-z]+(?:-[a-z]+)?)\s+(?:times|occurrences|meetings|sessions)
      |for\s+(?P<n1>1|one)\s+(?:time|occurrence|meeting|session)
      |(?P<n2>[0-9]{1,4}|[a-z]+(?:-[a-z]+)?)\s+(?:times|occurrences))(?![\w])""",
    _FLAGS,
)
# "for 3 weeks", "for the next two months": with a rule, an end that many days, weeks or months on.
_RE_FOR_SPAN = re.compile(
    r"""(?<![\w])for\s+(?:the\s+next\s+)?(?P<n>[0-9]{1,2}|[a-z]+)\s+(?P<unit>days?|weeks?|months?)(?![\w])""",
    _FLAGS,
)
_RE_SPACES = re.compile(r"\s+")
_RE_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}")
_RE_TOPIC_EDGE = re.compile(r"^[\s,;:|/\u2013\u2014-]+|[\s,;:|/\u2013\u2014-]+$")
_RE_TOPIC_TAIL = re.compile(r"(?<![\w])(?:with|w/|and|at|on|for|from|by|&|@)$", _FLAGS)

# Skipping scans that cannot match. For each pattern _Reader scans with, _NEEDS lists groups of strings,
# and every match has at least one string of each group in it (or, for a marker, right before or after
# it). While the working text lacks all the strings of a group, the scan is skipped: it would find
# nothing. The strings are looked for in _Reader.folded, the working text as _fold writes it: letters
# in lower case, every digit a "0" ("0:00" is a time with a colon). Masks are written into both alike,
# so a read that takes a number or word away (masks it) skips the scans that needed it.
_DIGITS = ("0",)
# A _DURATION has a number, "hour", "hr" or "min"; and an "h" or an "m" in its unit.
_DURATION_NEEDS = ((*_DIGITS, "hour", "hr", "min"), ("h", "m"))
_CLOCK_NEEDS = (*_DIGITS, "noon", "mid")  # _CLOCK: a number, "noon", "midday" or "midnight"
_AT_NEEDS = ("at", "around", "from", "starting", "@")  # _AT
_PARTS_NEEDS = tuple(_PARTS_OF_DAY)  # "morning", "afternoon", "evening", "night"
# Every name in _WEEKDAYS and _MONTHS has three letters or more and starts with one of these.
_WEEKDAY_STEMS = tuple(sorted({name[:3] for name in _WEEKDAYS}))
_MONTH_STEMS = tuple(sorted({name[:3] for name in _MONTHS}))
# Each rule of _RE_REPEAT without "every" or "each" has "daily", "days" ("mondays", "workdays",
# "business days"), "month" ("monthly", "of the month"), "fri" ("mon-fri"), "weekly" ("bi-weekly"),
# "week" ("weekends", "week ends") or one of its other adverbs.
_REPEAT_NEEDS = (
    "every", "each", "daily", "days", "month", "fri", "weekly", "fortnightly", "quarterly", "yearly",
    "annually", "week",
)  # fmt: skip
_NEEDS: dict[re.Pattern[str], tuple[tuple[str, ...], ...]] = {
    _RE_QUOTED: (('"', "\u201c", "\u201e", "\u00ab", "\u2018", "'"),),  # its opening quotes
    _RE_IANA_ANYWHERE: (("/",),),
    _RE_WITH: ((_INVITEE,),),  # the invitee after it
    _RE_BETWEEN_INVITEES: ((_INVITEE,),),
    _RE_IN: (("in",), *_DURATION_NEEDS),  # "in", "within"
    _RE_FROM_NOW: (("from",), ("now",), *_DURATION_NEEDS),
    _RE_NOW: (("now",),),
    _RE_IN_DAYS: (("in", "from"), ("day", "week")),
    _RE_TIMES: (("time", "occurrence", "meeting", "session"),),
    _RE_FOR: (("for", "lasting"), *_DURATION_NEEDS),
    _RE_REPEAT: (_REPEAT_NEEDS,),
    _RE_UNTIL: (("til", "end", "through"),),  # "until", "till", "til", "ending", "ends on", "through"
    _RE_FOR_SPAN: (("for",), ("day", "week", "month")),
    # "tom": "tomorrow" and its misspellings; "tmr": "tmr", "tmrw"; "the day after" has one of them
    _RE_RELATIVE_DAY: (("today", "tonight", "tom", "tmr", "yesterday"),),
    _RE_WEEKDAY: (_WEEKDAY_STEMS,),
    _RE_WEEK: (("week",),),
    _RE_ISO: (("0000-", "0000/", "0000."),),  # the year and the separator after it
    _RE_MONTH_FIRST: (_DIGITS, _MONTH_STEMS),
    _RE_DAY_FIRST: (_DIGITS, _MONTH_STEMS),
    _RE_SLASH: (("0/0",),),
    _RE_DOTTED: (("0.0",),),
    _RE_ORDINAL: (("the",), ("0st", "0nd", "0rd", "0th")),
    _RE_PART_AFTER_DATE: ((_DATE,), _PARTS_NEEDS),  # the date before it
    _RE_DATE_LEAD: ((_DATE,), ("starting", "beginning", "from")),  # the date after it
    _RE_PART: (_PARTS_NEEDS,),
    _RE_RANGE: (_CLOCK_NEEDS, ("-", "\u2013", "\u2014", "to", "til", "and")),  # "til": "until", "till"
    _RE_PAST_TO: (("past", "after", "to", "til", "before", "of"), (*_DIGITS, "noon", "mid")),
    _RE_NOON: (("noon", "mid"),),
    _RE_TWELVE_HOUR: (_DIGITS, ("am", "pm", "a.m", "p.m")),
    _RE_COLON: (("0:00",),),
    _RE_DOT_TIME: (("0.00",),),
    _RE_AT_HOUR: (_DIGITS, _AT_NEEDS),
    _RE_DATE_HOUR: ((_DATE,), _DIGITS),  # the date before it
    _RE_OCLOCK: (_DIGITS, ("clock",)),
    _RE_AND_HOUR: ((_TIME,), ("and", "&"), _DIGITS),  # the time before it
    _RE_AND_BETWEEN_TIMES: ((_TIME,), ("and", "&")),  # the times around it
    _RE_BARE_DURATION: _DURATION_NEEDS,
    _RE_H_HOUR: (("0h",),),
    _RE_FOR_NUMBER: (_DIGITS, ("for",)),
    _RE_PLACE_TIME: (("time",),),  # "time", "timezone", "time zone"
}
# By id(): hashing a compiled pattern works through all of its code, at every lookup.
_NEEDS_BY_ID = {id(pattern): groups for pattern, groups in _NEEDS.items()}
# The patterns without re.ASCII (_RE_PLACE_TIME) read these as ASCII letters too: "tıme" is "time".
_FOLD = {
    **{ord(letter): letter.lower() for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    0x130: "i",  # İ
    0x131: "i",  # ı
    0x17F: "s",  # ſ
    0x212A: "k",  # K (Kelvin sign)
}
_RE_NONZERO = re.compile("[1-9]")


def _fold(text: str) -> str:
    """`text`, one character for one: letters as _NEEDS looks for them, in lower case; every digit a "0"."""
    folded = text.lower()  # the Kelvin sign becomes "k"; "İ" becomes two characters
    if len(folded) != len(text) or "\u0131" in folded or "\u017f" in folded:
        folded = text.translate(_FOLD)
    return _RE_NONZERO.sub("0", folded)


@dataclass(frozen=True)
class _Piece:
    kind: str  # "mention" | "email" | "handle" | "label"
    display: str  # what the topic shows in its place
    address: str = ""  # an email's address


@dataclass
class _Clock:
    text: str
    candidates: list[tuple[int, int]]  # (hour, minute) readings, the preferred one first
    midnight: bool = False
    hint_locked: bool = False  # "3pm", "15:00": a part of the day cannot change it
    evening: tuple[int, int] | None = None  # "8:30" is 08:30, but 20:30 after "evening" or "tonight"
    # "12" and "1" to "4" said of a night are after its midnight: "tonight at 12" is 00:00, "at 1" 01:00
    small_hours: tuple[int, int] | None = None


@dataclass
class _Day:
    text: str
    day: date
    later: date | None = None  # today's weekday named: the same day next week, when today's time has passed
    following: tuple[date, ...] = ()  # a repeating rule's next days, tried in turn while the time has passed
    weekday: int | None = None  # read from a weekday name
    explicit: bool = False  # a calendar date (12/03, March 3rd)
    notes: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, text: str, now: datetime, zone: ZoneInfo | None, zone_name: str) -> None:
        self.now = now
        self.zone_known = zone is not None
        self.zone = zone if zone is not None else ZoneInfo("UTC")
        self.zone_name = zone_name if zone is not None else "UTC"
        self.local_now = now.astimezone(self.zone)
        self.today = self.local_now.date()
        self.month_first = _month_first(self.zone_name)

        self.problems: list[str] = []
        self.ambiguities: list[str] = []
        self.notes: list[str] = []
        self.mentions: list[str] = []
        self.emails: list[str] = []
        self.names: dict[str, str] = {}  # an address (lower case) -> the name written before it
        self.handles: list[str] = []
        self.durations: list[tuple[str, int]] = []
        self.offsets: list[tuple[str, timedelta]] = []
        self.days: list[_Day] = []
        self.clocks: list[_Clock] = []
        self.part_of_day: tuple[str, str, int] | None = None  # (text, "am"/"pm", default hour)
        self.at_night = False  # the part of the day said is a night, which runs past midnight
        self.date_unreadable = False  # a date was written but is not one ("31 Feb") or is refused
        self.time_unreadable = False  # a time was written but is not one ("25:00")
        self.zones: list[tuple[str, str]] = []  # (what the text said, the zone it names)
        self.repeat: _Repeat | None = None
        self.repeat_end = 0  # where the rule's words end in the text: an end of the series comes after
        self.until: tuple[str, date] | None = None  # how a series ends, as said
        self.count: tuple[str, int] | None = None
        self.span: tuple[str, int, str] | None = None  # "for 3 weeks": (as said, 3, "week")
        self.length_refused = False  # a length the text gave cannot be one ("for 2 days" of one meeting)
        self.recurrence: Recurrence | None = None
        self.repeat_refused = False  # the text's rule or its end cannot be used (a problem says why)
        self.quoted_topic: str | None = None

        self.pieces: dict[int, _Piece] = {}
        self.source = self._split_out_slack(text)
        self.work = self.source
        self.folded = _fold(self.source)  # self.work as _fold writes it, masked along with it
        self.gone = [character == _INVITEE for character in self.source]

    # -- the passes ---------------------------------------------------------------------------------

    def read(self) -> ScheduleParse:
        self._named_addresses()
        self._quotes()
        self._each(_RE_IANA_ANYWHERE, self._iana_anywhere)
        self._each(_RE_WITH, lambda m: _GONE)
        self._each(_RE_BETWEEN_INVITEES, lambda m: _GONE)
        self._each(_RE_IN, self._offset)
        self._each(_RE_FROM_NOW, self._offset)
        self._each(_RE_IN_DAYS, self._in_days)  # before "now": "2 days from now" is not now
        self._each(_RE_NOW, self._right_now)
        self._each(_RE_TIMES, self._times)
        self._each(_RE_FOR, self._duration)
        self._each(_RE_REPEAT, self._repeat)
        self._read_until()
        self._each(_RE_FOR_SPAN, self._span)
        for pattern, reader in (
            (_RE_RELATIVE_DAY, self._relative_day),
            (_RE_WEEKDAY, self._weekday),
            (_RE_WEEK, self._week),
            (_RE_ISO, self._iso),
            (_RE_MONTH_FIRST, self._month_name),
            (_RE_DAY_FIRST, self._month_name),
            (_RE_SLASH, self._slash),
            (_RE_DOTTED, self._dotted),
            (_RE_ORDINAL, self._ordinal),
        ):
            self._each(pattern, reader)
        self._each(_RE_DATE_LEAD, lambda m: _GONE)
        self._each(_RE_PART_AFTER_DATE, self._part_of_day)
        self._each(_RE_PART, self._part_of_day)
        self._each(_RE_PAST_TO, self._past_to)
        self._each(_RE_RANGE, self._range)
        self._each(_RE_NOON, self._noon)
        self._each(_RE_TWELVE_HOUR, self._twelve_hour)
        self._each(_RE_COLON, self._colon)
        self._each(_RE_DOT_TIME, self._colon)
        self._each(_RE_AT_HOUR, self._bare_hour)
        self._each(_RE_DATE_HOUR, self._bare_hour)
        self._each(_RE_OCLOCK, self._bare_hour)
        self._each(_RE_BARE_DURATION, self._bare_duration)
        self._each(_RE_H_HOUR, self._h_hour)
        self._each(_RE_AND_HOUR, self._and_hour)
        self._each(_RE_AND_BETWEEN_TIMES, lambda m: _GONE)
        self._each(_RE_FOR_NUMBER, self._for_number)
        self._zones_after_times()
        self._place_times()

        topic = self._topic()
        duration = self._resolve_duration()
        zone_said, zone_name = self._resolve_zone()
        start, day, clock = self._resolve_start(zone_name)
        self._say_repeat(day, clock)
        if zone_said:
            self._say_zone(zone_said, zone_name, start)
        elif not self.zone_known:
            self.notes.append("I don't know your time zone, so I read times in UTC")
            if self.days or self.clocks:
                self.ambiguities.append("I don't know your time zone, so I read times in UTC")
        return ScheduleParse(
            topic=topic,
            start=start,
            duration_minutes=duration,
            duration_given=bool(self.durations) or self.length_refused,
            mention_user_ids=_unique(self.mentions),
            emails=tuple(
                written_address(Invitee(email=address, name=self.names.get(address.lower(), "")))
                for address in _unique(self.emails, key=str.lower)
            ),
            unresolved_mentions=_unique(self.handles, key=str.lower),
            problems=_unique(self.problems),
            ambiguities=_unique(self.ambiguities),
            notes=_unique(self.notes),
            day=day,
            clock=clock,
            time_zone=zone_name,
            zone_said=zone_said,
            recurrence=self.recurrence,
        )

    def _split_out_slack(self, raw: str) -> str:
        """Slack's escapes, emails and @names become one marker character each; the rest is plain text."""
        # Spaces are all _RE_SANITIZE finds in a printable text, and _RE_DROP finds nothing in ASCII.
        text = raw if raw.isprintable() else _RE_SANITIZE.sub(" ", raw)
        text = text if text.isascii() else _RE_DROP.sub("", text)
        out: list[str] = []
        length = position = 0
        # Each of its matches has a "<" or an "@".
        for m in _RE_SLACK.finditer(text) if "<" in text or "@" in text else ():
            plain = _unescape(text[position : m.start()])
            position = m.end()
            piece = self._piece(m)
            if piece is None:
                plain += _unescape(m.group())
            out.append(plain)
            length += len(plain)
            if piece is not None:
                self.pieces[length] = piece
                out.append(_LABEL if piece.kind == "label" else _INVITEE)
                length += 1
        out.append(_unescape(text[position:]))
        return "".join(out)

    def _piece(self, m: re.Match[str]) -> _Piece | None:
        if m["email"]:
            address = m["email"]
            if not _RE_EMAIL.fullmatch(address):
                return None
            self.emails.append(address)
            return _Piece("email", "", address)
        if m["handle"]:
            name = m["name"].rstrip(".-")
            if name.lower() in ("noon", "midnight", "midday"):
                return None  # "@noon" means "at noon"
            self.handles.append("@" + name)
            return _Piece("handle", "")
        inner = m["inner"]
        if user := _RE_USER.fullmatch(inner):
            self.mentions.append(user["id"])
            return _Piece("mention", "")
        if mailto := _RE_MAILTO.fullmatch(inner):
            address = _unescape(mailto["address"]).strip()
            if _RE_EMAIL.fullmatch(address):
                self.emails.append(address)
                return _Piece("email", "", address)
            return _Piece("label", _unescape(mailto["label"] or address))
        if channel := _RE_CHANNEL.fullmatch(inner):
            return _Piece("label", "#" + _unescape(channel["label"] or channel["id"]))
        if special := _RE_SPECIAL.fullmatch(inner):
            what = special["what"]
            if what.startswith("date^"):
                return _Piece("label", _unescape(special["label"] or ""))
            label = _unescape(special["label"] or what.split("^")[0]).lstrip("@")
            self.handles.append("@" + label)
            return _Piece("handle", "")
        if link := _RE_LINK.fullmatch(inner):
            return _Piece("label", _unescape(link["label"] or link["url"]))
        return None

    def _named_addresses(self) -> None:
        """`with Ana <ana@x.io>`, `with "Ana Lima" <ana@x.io>, Li Wu <li@y.io>`: the names and brackets
        go with the addresses instead of into the topic (a name needs "with" or an invitee before it)."""
        bracketed = {m.start() + 1 for m in self._matches(_RE_BRACKETED_ADDRESS)}
        if not bracketed:
            return
        for position in bracketed:
            self._mask(position - 1, position + 2, _INVITEE, gone=True)
        for m in self._matches(_RE_NAMED_ADDRESS):
            piece = self.pieces.get(m.end() + 1)
            if m.end() + 1 not in bracketed or piece is None or not piece.address:
                continue
            self.names[piece.address.lower()] = " ".join(m["name"].strip('"\u201c\u201d').split())
            self._mask(m.start("name"), m.end(), _INVITEE, gone=True)

    def _quotes(self) -> None:
        for m in self._matches(_RE_QUOTED):
            content = next(g for g in m.groups() if g is not None)
            leading = self.quoted_topic is None and not self.work[: m.start()].strip(" " + _INVITEE + _GONE)
            if leading:
                inner_start = m.start() + 1
                self.quoted_topic = self._render(inner_start, inner_start + len(content), keep_gone=True)
                self._mask(m.start(), m.end(), _GONE, gone=True)
            else:
                self._mask(m.start(), m.end(), _KEEP, gone=False)

    def _each(self, pattern: re.Pattern[str], read: Callable[[re.Match[str]], str | None]) -> None:
        for m in self._matches(pattern):
            mark = read(m)
            if mark is not None:
                self._mask(m.start(), m.end(), mark, gone=True)

    def _matches(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """`pattern`'s matches in the working text; without a scan when it lacks what they need (_NEEDS)."""
        folded = self.folded
        for group in _NEEDS_BY_ID.get(id(pattern), ()):
            for needed in group:
                if needed in folded:
                    break
            else:
                return []
        return list(pattern.finditer(self.work))

    def _mask(self, start: int, end: int, mark: str, *, gone: bool) -> None:
        self.work = self.work[:start] + mark * (end - start) + self.work[end:]
        self.folded = self.folded[:start] + mark * (end - start) + self.folded[end:]
        if gone:
            self.gone[start:end] = [True] * (end - start)

    # -- readers: each returns the marker to write over its match, or None to leave the text alone ----

    def _offset(self, m: re.Match[str]) -> str | None:
        minutes = _duration_minutes(m)
        if minutes is None:
            return None
        self.offsets.append((_said(m), timedelta(minutes=minutes)))
        return _GONE

    def _right_now(self, m: re.Match[str]) -> str:
        self.offsets.append((_said(m), timedelta(0)))
        return _GONE

    def _in_days(self, m: re.Match[str]) -> str | None:
        count = _number(m["n"] or m["n2"])
        unit = (m["u"] or m["u2"]).lower()
        if count is None:
            return None
        days = count * (7 if unit.startswith("week") else 1)
        if days > MAX_DAYS_AHEAD:
            self.date_unreadable = True
            self.problems.append("That is more than 5 years ahead")
            return _DATE
        self.days.append(_Day(_said(m), self.today + timedelta(days=days)))
        return _DATE

    def _duration(self, m: re.Match[str]) -> str | None:
        minutes = _duration_minutes(m)
        if minutes is None:
            return None
        self.durations.append((_said(m), minutes))
        return _GONE

    def _bare_duration(self, m: re.Match[str]) -> str | None:
        # "9h" and "21h30" may be clock times; _h_hour decides those.
        if re.fullmatch(r"[0-9]{1,2}h(?:[0-5][0-9])?", m.group(), re.IGNORECASE):
            return None
        return self._duration(m)

    def _relative_day(self, m: re.Match[str]) -> str:
        word = m["word"].lower()
        if word == "yesterday":
            self.date_unreadable = True
            self.problems.append(
                f"That date is in the past (yesterday, {_long_date(self.today - timedelta(days=1))})"
            )
            return _DATE
        if word.endswith("today"):
            day = self.today
        elif word == "tonight":
            day = self.today
            self._set_part_of_day(_said(m), "night")
        elif "after" in word:
            day = self.today + timedelta(days=2)
        else:
            day = self.today + timedelta(days=1)
        self.days.append(_Day(_said(m), day))
        return _DATE

    def _weekday(self, m: re.Match[str]) -> str:
        said = _said(m)
        target = _WEEKDAYS[m["wd"].lower()]
        today = self.today.weekday()
        ahead = (target - today) % 7
        mod = (m["mod"] or "").lower().split()[-1:] or [""]
        if m["week_before"] or m["week_after"] or mod[0] == "next":
            # One rule for "next friday", "friday next week" and "next week friday": that day in the week
            # after this one, weeks running Monday to Sunday. When the nearest such day is another date
            # (it is still to come this week), "next friday" could mean either: ask. On a Sunday, when
            # many people's week begins, every one of these phrases could mean a week later: ask.
            day = self.today + timedelta(days=7 - today + target)
            nearest = self.today + timedelta(days=ahead or 7)
            if mod[0] == "next" and nearest != day:
                self.ambiguities.append(f'"{said}" could be {_day(day)} or {self._relative_name(nearest)}')
            elif today == 6:
                self.ambiguities.append(
                    f'"{said}" could be {self._relative_name(day)} or {_day(day + timedelta(days=7))}'
                )
            self.days.append(_Day(said, day, weekday=target))
            return _DATE
        day = self.today + timedelta(days=ahead)
        if ahead == 0 and mod[0] != "this":
            self.days.append(_Day(said, day, later=day + timedelta(days=7), weekday=target))
        else:
            self.days.append(_Day(said, day, weekday=target))
        return _DATE

    def _week(self, m: re.Match[str]) -> str:
        said = _said(m)
        if m["which"].lower() == "next":
            monday = self.today + timedelta(days=7 - self.today.weekday())
            self.ambiguities.append(f'"{said}" doesn\'t say which day; I put {_day(monday)}')
            self.days.append(_Day(said, monday))
        else:
            self.ambiguities.append(f'"{said}" doesn\'t say which day')
        return _DATE

    def _iso(self, m: re.Match[str]) -> str:
        self._calendar_date(_said(m), int(m["y"]), int(m["m"]), int(m["d"]))
        return _DATE

    def _month_name(self, m: re.Match[str]) -> str:
        month = _MONTHS[m["mon"].lower()]
        self._calendar_date(_said(m), int(m["y"]) if m["y"] else None, month, int(m["d"]))
        return _DATE

    def _dotted(self, m: re.Match[str]) -> str:
        self._calendar_date(_said(m), _year(m["y"]), int(m["m"]), int(m["d"]))
        return _DATE

    def _slash(self, m: re.Match[str]) -> str:
        said = _said(m)
        first, second = int(m["a"]), int(m["b"])
        year = _year(m["y"])
        if first > 12 and second <= 12:
            self._calendar_date(said, year, second, first)
        elif second > 12 or first == second or self.month_first:
            self._calendar_date(said, year, first, second, other=(second, first))
        else:
            self._calendar_date(said, year, second, first, other=(first, second))
        return _DATE

    def _ordinal(self, m: re.Match[str]) -> str:
        wanted = int(m["d"])
        year, month = self.today.year, self.today.month
        for _ in range(13):
            if 1 <= wanted <= 31:
                try:
                    day = date(year, month, wanted)
                except ValueError:
                    day = None
                if day is not None and day >= self.today:
                    self.days.append(_Day(_said(m), day, explicit=True))
                    return _DATE
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        self.problems.append(f'I couldn\'t read "{_said(m)}" as a date')
        self.date_unreadable = True
        return _DATE

    def _calendar_date(
        self,
        said: str,
        year: int | None,
        month: int,
        day_of_month: int,
        *,
        other: tuple[int, int] | None = None,
    ) -> None:
        """Adds the date; `other` is the (month, day) of the other reading when the order is unsure."""
        day = self._upcoming(said, year, month, day_of_month)
        if day is None:
            return
        found = _Day(said, day, explicit=True)
        if other is not None and other != (month, day_of_month):
            alternative = self._upcoming(said, year, *other, quiet=True)
            if alternative is not None:
                found.notes.append(f'"{said}" could be {_long_date(day)} or {_long_date(alternative)}')
        self.days.append(found)

    def _upcoming(
        self, said: str, year: int | None, month: int, day_of_month: int, *, quiet: bool = False
    ) -> date | None:
        """The date itself, or without a year its next occurrence from today."""
        if year is not None and not self.today.year - 1 <= year <= self.today.year + 5:
            if not quiet:
                self.date_unreadable = True
                self.problems.append(
                    "That date is in the past"
                    if year < self.today.year
                    else "That is more than 5 years ahead"
                )
            return None
        try:
            day = date(year if year is not None else self.today.year, month, day_of_month)
        except ValueError:
            if year is None and month == 2 and day_of_month == 29:
                return self._next_leap_day(said, quiet=quiet)
            if not quiet:
                self.problems.append(f'I couldn\'t read "{said}" as a date')
                self.date_unreadable = True
            return None
        if day >= self.today:
            return day
        if year is not None:
            if not quiet:
                self.date_unreadable = True
                self.problems.append(f"That date is in the past ({_long_date(day)} {day.year})")
            return None
        if (month, day_of_month) == (2, 29):
            # This year's 29 February has passed, and next year has none: the next one is years away.
            next_year = self._next_leap_day(said, quiet=quiet)
            if next_year is not None and not quiet:
                self.ambiguities.append(
                    f"{_long_date(day)} has passed this year; I read {_long_date(next_year)} {next_year.year}"
                )
            return next_year
        next_year = day.replace(year=day.year + 1)
        if not quiet and (self.today - day).days <= 31:
            self.ambiguities.append(
                f"{_long_date(day)} has passed this year; I read {_long_date(next_year)} {next_year.year}"
            )
        return next_year

    def _next_leap_day(self, said: str, *, quiet: bool) -> date | None:
        for year in range(self.today.year, self.today.year + 9):
            try:
                day = date(year, 2, 29)
            except ValueError:
                continue
            if day >= self.today:
                return day
        if not quiet:
            self.problems.append(f'I couldn\'t read "{said}" as a date')
            self.date_unreadable = True
        return None

    def _part_of_day(self, m: re.Match[str]) -> str:
        said = _said(m)
        if (m.groupdict().get("this") or "").lower() == "this":
            self.days.append(_Day(said, self.today))
        self._set_part_of_day(said, m["pod"].lower())
        return _DATE  # so "tomorrow morning 9" reads the 9 as an hour

    def _set_part_of_day(self, said: str, part: str) -> None:
        meridiem, default_hour = _PARTS_OF_DAY[part]
        if self.part_of_day is None:
            self.part_of_day = (said, meridiem, default_hour)
            self.at_night = part == "night"

    def _range(self, m: re.Match[str]) -> str | None:
        first, second = m["a"], m["b"]
        if m["sep"].lower() == "and" and not m["between"]:
            return None
        said_clearly = any(
            re.search(r"[:.h]|[ap]\.?m|noon|midday|midnight", side, re.I) for side in (first, second)
        )
        # "9-10" alone could be anything (a room, a score); "from 9 to 5", "at 9-10" and a date's
        # "tomorrow 9-10" are times.
        after_date = self.work[: m.start()].rstrip(" ,").endswith(_DATE)
        if not said_clearly and not (m["between"] or m["from"] or m["at"] or after_date):
            return None
        start = _read_clock(first)
        end = _read_clock(second)
        if start is None or end is None:
            self.problems.append(f'I couldn\'t read "{_said(m)}" as a time')
            return _GONE
        if end.hint_locked and not start.hint_locked and len(start.candidates) > 1:
            end_minutes = end.candidates[0][0] * 60 + end.candidates[0][1]
            # "11-1pm" is 11 AM to 1 PM; "1-2pm" is 1 PM to 2 PM: take the reading closest before the end.
            start.candidates.sort(key=lambda c: (end_minutes - (c[0] * 60 + c[1])) % (24 * 60))
            start.candidates = start.candidates[:1]
            start.hint_locked = True
        begin = start.candidates[0][0] * 60 + start.candidates[0][1]
        lengths = [((h * 60 + mm) - begin) % (24 * 60) for h, mm in end.candidates]
        self.clocks.append(
            _Clock(_said(m), start.candidates, start.midnight, start.hint_locked, start.evening)
        )
        self.durations.append((_said(m), min(lengths)))
        return _TIME

    def _past_to(self, m: re.Match[str]) -> str | None:
        word = _RE_SPACES.sub("-", m["min"].lower()).removeprefix("a-")
        minutes = int(m["n"]) if m["n"] else _PAST_MINUTES[word]
        before = m["rel"].lower() not in ("past", "after")
        if (before and word == "half") or (m["n"] and not m["unit"] and m["rel"].lower() != "past"):
            return None  # "half to" is no clock; "9 to 5" is a range, read next; "room 2 after 5pm"
        if not 0 < minutes < 60:
            return None
        hour_said = m["h"].lower()
        if hour_said in ("noon", "midday", "midnight"):
            hour = 12 if hour_said != "midnight" else 24 if before else 0
            total = hour * 60 + (-minutes if before else minutes)
            clock: _Clock | None = _Clock(_said(m), [divmod(total, 60)], hint_locked=True)
        else:
            hour = int(hour_said)
            if before:
                # "quarter to 1" is 12:45 on a 12-hour clock, "quarter to 13" is 12:45 on a 24-hour one.
                hour = 12 if hour == 1 and m["ap"] else hour - 1
                minutes = 60 - minutes
            clock = (
                None if hour < 0 else _read_clock(f"{hour}:{minutes:02d}{m['ap'] + 'm' if m['ap'] else ''}")
            )
        return self._add_clock(m, clock)

    def _noon(self, m: re.Match[str]) -> str:
        word = m["w"].lower()
        if word == "midnight":
            self.clocks.append(_Clock(_said(m), [(0, 0)], midnight=True, hint_locked=True))
        else:
            self.clocks.append(_Clock(_said(m), [(12, 0)], hint_locked=True))
        return _TIME

    def _twelve_hour(self, m: re.Match[str]) -> str:
        clock = _read_clock(f"{m['h']}:{m['m'] or '00'}{m['ap']}m")
        return self._add_clock(m, clock)

    def _colon(self, m: re.Match[str]) -> str:
        return self._add_clock(m, _read_clock(f"{m['h']}:{m['m']}"))

    def _bare_hour(self, m: re.Match[str]) -> str:
        return self._add_clock(m, _read_clock(m["h"]))

    def _h_hour(self, m: re.Match[str]) -> str:
        said = _said(m)
        hour, minute = int(m["h"]), int(m["m"] or 0)
        is_time = m["at"] is not None or hour == 0 or hour >= 13 or m["h"].startswith("0")
        if not is_time and not self.clocks and not self.offsets and 5 <= hour <= 12:
            # With no other time, "9h" and "9h30" are more likely a start than a length: read, and asked.
            length = f"{hour}-hour" if m["m"] is None else f"{hour} h {minute} min"
            self.ambiguities.append(f'"{said}" could be {hour:02d}:{minute:02d} or a {length} meeting')
            is_time = True
        if not is_time:
            self.durations.append((said, hour * 60 + minute))
            return _GONE
        if hour > 23:
            self.problems.append(f'I couldn\'t read "{said}" as a time')
            return _GONE
        self.clocks.append(_Clock(said, [(hour, minute)], hint_locked=True))
        return _TIME

    def _and_hour(self, m: re.Match[str]) -> str:
        clock = _read_clock(f"{m['h']}:{m['m']}" if m["m"] else m["h"])
        mark = self._add_clock(m, clock)
        if clock is not None:
            clock.text = m.group()[m.start("h") - m.start() :].strip()  # "17", not "and 17"
        return mark

    def _for_number(self, m: re.Match[str]) -> str:
        count = int(m["n"])
        minutes = count * 60 if count <= 8 else count
        unit = "hours" if count <= 8 else "minutes"
        self.ambiguities.append(f'"{_said(m)}" has no unit; I read {count} {unit}')
        self.durations.append((_said(m), minutes))
        return _GONE

    def _add_clock(self, m: re.Match[str], clock: _Clock | None) -> str:
        if clock is None:
            said = _said(m)
            if re.search(r"24[:.h]?00", said):
                self.problems.append(f'"{said}" is the end of the day; write 00:00 and the next day')
            else:
                self.problems.append(f'I couldn\'t read "{said}" as a time')
            self.time_unreadable = True
            return _GONE
        clock.text = _said(m)
        self.clocks.append(clock)
        return _TIME

    # -- time zones and repeating words -----------------------------------------------------------

    def _iana_anywhere(self, m: re.Match[str]) -> str | None:
        """ "Europe/Berlin" anywhere is a zone; other slashed words ("go/no-go") are left to the topic."""
        if m["area"].lower() not in zone_names.IANA_AREAS:
            return None
        name = zone_names.iana_zone(m.group())
        if name is None:
            return None  # a misspelt zone right after a time is asked about by _zones_after_times
        self.zones.append((m.group(), name))
        return _GONE

    def _zones_after_times(self) -> None:
        for run in list(_RE_TIME_RUN.finditer(self.work)):
            self._zone_before(run.start())
            found = self._zone_at(run.end())
            if found is None:
                continue
            stop, name, word = found
            said = _RE_SPACES.sub(" ", self._render(run.start(), stop, keep_gone=True)).strip()
            self._mask(run.end(), stop, _GONE, gone=True)
            if name is None:
                self.problems.append(
                    f'I couldn\'t read "{said}" as a time zone; write a city ("3pm London"), '
                    'an abbreviation ("3pm CET"), an offset ("3pm UTC+2") or a name like "Europe/Berlin"'
                )
                continue
            self.zones.append((said, name))
            if word.startswith(_ASKED):
                self.ambiguities.append(
                    f'"{said}": I read "{word[1:]}" as the time zone ({zone_place(name)} time); '
                    "if it is part of the topic, put the topic in quotes"
                )
            elif word in zone_names.AMBIGUOUS_ABBREVIATIONS:
                self.ambiguities.append(f'"{said}": {zone_names.AMBIGUOUS_ABBREVIATIONS[word]}')

    def _zone_before(self, position: int) -> None:
        """An abbreviation in capitals right before a time ("UTC 15:00", "CET 10:00") names its zone too."""
        before = _RE_ZONE_BEFORE.search(self.work, max(0, position - 12), position)
        if before is None or not (before["z"].isupper() or before["z"].lower() in ("utc", "gmt")):
            return
        zone = zone_names.abbreviation_zone(before["z"])
        if zone is not None and not zone_names.also_a_word(
            before["z"]
        ):  # "ART 3pm" is a team, "UTC 3pm" a zone
            self.zones.append((before["z"], zone))
            self._mask(before.start("z"), before.end("z"), _GONE, gone=True)

    def _zone_at(self, position: int) -> tuple[int, str | None, str] | None:
        """A zone written right after a time: (where it ends, the zone or None if unreadable, the word)."""
        text = self.work
        lead = _RE_ZONE_LEAD.match(text, position)
        if lead is None:
            return None
        at = lead.end()
        name: str | None
        word = ""
        iana = _RE_ZONE_IANA.match(text, at)
        if iana is not None and not zone_names.looks_like_an_area(iana["iana"].split("/")[0]):
            iana = None  # "CET/CEST", "design/dev": read as words below
        offset = _RE_ZONE_OFFSET.match(text, at)
        words = _RE_ZONE_WORDS.match(text, at)
        if at == position and _RE_ZONE_ZULU.match(text, at):
            return at + 1, "UTC", "z"  # "15:00Z"
        if iana is not None:
            name, stop = zone_names.iana_zone(iana["iana"]), iana.end()
        elif offset is not None and (offset["base"] or offset["m"]) and not lead["in"]:
            minutes = int(offset["h"]) * 60 + int(offset["m"] or 0)
            if int(offset["m"] or 0) >= 60 or minutes > zone_names.MAX_OFFSET_MINUTES:
                name = None
            else:
                name = offset_zone_name(-minutes if offset["sign"] in "-\u2212" else minutes)
            stop = offset.end()
        elif words is not None:
            tokens = list(re.finditer(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*\.?", words.group()))[:4]
            for count in range(len(tokens), 0, -1):
                said = words.group()[: tokens[count - 1].end()]
                zone = zone_names.abbreviation_zone(said.rstrip(".")) if count == 1 else None
                zone = zone or zone_names.place_zone(said)
                if zone is not None:
                    name, stop, word = zone, at + len(said), said.rstrip(".").lower()
                    pair = _RE_ZONE_PAIR.match(text, stop)  # "CET/CEST", "PST/PDT": one zone, two names
                    other = zone_names.abbreviation_zone(pair[1]) if pair is not None else None
                    if pair is not None and other is not None:
                        stop = pair.end()
                        if other != zone:
                            self.zones.append((pair[1], other))  # "PST/CET": asked as two zones
                    plain_words = not (lead["open"] or lead["in"] or _RE_ZONE_TAIL.match(text, stop))
                    if plain_words and zone_names.asked_when_bare(said):
                        word = _ASKED + said
                    break
            else:
                for count in range(1, len(tokens) + 1):
                    tail = _RE_ZONE_TAIL.match(text, at + tokens[count - 1].end())
                    if tail is not None:  # "10:00 Gotham time": a zone, but which?
                        close = _RE_ZONE_CLOSE.match(text, tail.end()) if lead["open"] else None
                        return (close or tail).end(), None, ""
                first = tokens[0].group().rstrip(".") if tokens else ""
                if not lead["in"] and _RE_ZONE_CAPITALS.fullmatch(first) and len(first) >= 3:
                    return at + len(first), None, ""  # "3pm XST": looks like a zone abbreviation
                return None
        else:
            return None
        tail = _RE_ZONE_TAIL.match(text, stop)
        stop = tail.end() if tail is not None else stop
        if lead["open"]:
            close = _RE_ZONE_CLOSE.match(text, stop)
            stop = close.end() if close is not None else stop
        return stop, name, word

    def _place_times(self) -> None:
        """ "Berlin time" anywhere; only the words that name the place are taken ("Review Berlin time")."""
        for m in self._matches(_RE_PLACE_TIME):
            words = m["words"]
            tokens = list(re.finditer(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*", words))[-3:]
            for index, token in enumerate(tokens):
                said = words[token.start() :]
                zone = zone_names.place_zone(said)
                if zone is None and index == len(tokens) - 1:
                    zone = zone_names.abbreviation_zone(said)
                if zone is not None:
                    begin = m.start("words") + token.start()
                    self.zones.append((_RE_SPACES.sub(" ", self.work[begin : m.end()]), zone))
                    self._mask(begin, m.end(), _GONE, gone=True)
                    break

    def _repeat(self, m: re.Match[str]) -> str:
        said = _said(m)
        if self.repeat is not None:
            self.problems.append(f'I read more than one repeating rule: "{self.repeat.said}" and "{said}"')
            self.repeat_refused = True
            return _DATE
        self.repeat_end = m.end()
        every = _every_count(m)
        if m["monthly_nth"]:
            day = _WEEKDAYS[(m["ord_wd"] or m["ord_wd2"]).lower()]
            week = _ORDINAL_WEEKS[(m["ord"] or m["ord2"]).lower()]
            self.repeat = _Repeat(said, Frequency.MONTHLY, every, frozenset({day}), week)
        elif m["daily"] or m["part"]:
            self.repeat = _Repeat(said, Frequency.DAILY, every, frozenset(range(7)))
            if m["pod"]:
                self._set_part_of_day(said, m["pod"].lower())
        elif m["workdays"]:
            self.repeat = _Repeat(said, Frequency.WEEKLY, 1, frozenset(range(5)))
        elif m["weekend"]:
            self.repeat = _Repeat(said, Frequency.WEEKLY, 1, frozenset({5, 6}))
        elif m["listed"] or m["plural"]:
            names = re.findall(rf"({_WD})s?(?![\w])", m["listed"] or m["plural"], _FLAGS)
            days = frozenset(_WEEKDAYS[name.lower()] for name in names)
            self.repeat = _Repeat(said, Frequency.WEEKLY, 2 if m["bi"] else every, days)
        else:
            word = (m["adverb"] or m["unit"] or "").lower().rstrip("s")
            if word in ("bi-weekly", "biweekly", "fortnightly"):
                frequency, every = Frequency.WEEKLY, 2
            elif word in ("weekly", "week"):
                frequency = Frequency.WEEKLY
            elif word in ("quarterly", "quarter"):
                frequency, every = Frequency.MONTHLY, 3 * every
            elif word in ("yearly", "annually", "year"):
                frequency, every = Frequency.MONTHLY, 12 * every
            else:
                frequency = Frequency.MONTHLY
            self.repeat = _Repeat(said, frequency, every, None)
        return _DATE

    def _times(self, m: re.Match[str]) -> str | None:
        count = _number(m["n"] or m["n1"] or m["n2"])
        if count is None and m["n"]:
            # "for thirteen times": an end not read must not be dropped into the topic.
            self.problems.append(f'"{_said(m)}": write how many meetings in digits, like "for 12 times"')
            self.repeat_refused = True
            return _GONE
        if count is None:
            return None
        if self.count is None:
            self.count = (_said(m), count)
        return _GONE

    def _span(self, m: re.Match[str]) -> str | None:
        count = _number(m["n"])
        if count is None:
            return None
        if self.repeat is None:
            # "Offsite tomorrow 9am for 2 days": not a length Webex has ("for 2" hours was read before).
            said = _said(m)
            each_day = f', or for a meeting on each day say "every day {said}"' if count > 1 else ""
            self.problems.append(
                f'"{said}": a meeting lasts at most 24 hours; give its length in hours ("for 8h"){each_day}'
            )
            self.length_refused = True
            return _GONE
        if self.span is None:
            self.span = (_said(m), count, m["unit"].lower().rstrip("s"))
        return _GONE

    def _read_until(self) -> None:
        """ "until <date>": the longest run of words after it that reads as a date alone."""
        for m in self._matches(_RE_UNTIL):
            when = m["when"]
            if words := _RE_UNTIL_WORDS.match(when):
                self._until_words(m, words)
                continue
            ends = [token.end() for token in re.finditer(r"[a-z0-9]+\.?", when, re.IGNORECASE)]
            a_time = False  # "9am until 5pm" is a range, read later
            for end in reversed(ends):
                # The zone as this reader has it (UTC when unknown, which this reader says once itself).
                reader = _Reader(when[:end], self.now, self.zone, self.zone_name)
                read = reader.read()
                if read.clock is not None or reader.time_unreadable:
                    a_time = True
                    continue
                if read.topic or reader.repeat:
                    continue
                stop = m.start("when") + end
                said = _RE_SPACES.sub(" ", self.work[m.start() : stop])
                if reader.date_unreadable:
                    # "until 1 Dec" already past, "until 31 Feb": said, not dropped into the topic.
                    dated = [p for p in read.problems if not p.startswith("I couldn't read a time")]
                    self.problems.extend(f'"{said}": {problem}' for problem in dated)
                    self.repeat_refused = True
                elif len(reader.days) != 1 or read.day is None:
                    continue
                elif self.until is None:
                    self.until = (said, read.day)
                    # "until 1 Nov" said on 26 Nov, "until 12/03", "until next friday" on a Tuesday: asked
                    # as the same date would be for a meeting, not read silently as a year-long series.
                    self.ambiguities.extend(f'"{said}": {note}' for note in read.ambiguities)
                self._mask(m.start(), stop, _DATE, gone=True)
                break
            else:
                # "until 9:15am" leaves "9" here: a number that is no date is a time's, read later.
                asked = self.repeat is not None and not a_time and when[0].isalpha()
                # "through" and "ending" are words of a topic too ("Walk through the plan"): an end of
                # the series only after the rule ("every monday 9am through the holidays").
                at_end = m["word"].lower() in ("until", "till", "til") or m.start() >= self.repeat_end
                if asked and at_end:
                    # "until christmas": a series must not quietly lose the end it was given.
                    said = _said(m)
                    self.problems.append(
                        f'"{said}": I couldn\'t read that as the end of the series; end it on a date '
                        '("until 31 March", "until friday", "until end of month"), after a number of '
                        'meetings ("for 10 times") or after a while ("for 3 weeks")'
                    )
                    self.repeat_refused = True
                    self._mask(m.start(), m.end(), _DATE, gone=True)

    def _until_words(self, m: re.Match[str], words: re.Match[str]) -> None:
        """ "until further notice" (no end) and "until the end of the month" (its last day)."""
        said = _RE_SPACES.sub(" ", self.work[m.start() : m.start("when") + words.end()]).strip()
        if self.repeat is None:
            self.problems.append(
                f'"{said}": say how often the meeting repeats, like "every monday" or "daily"'
            )
        elif words["period"] and self.span is None:
            # The month of the first meeting, known only once that is: see _say_repeat.
            self.span = (said, 0, "end of " + words["period"].lower())
        self._mask(m.start(), m.start("when") + words.end(), _DATE, gone=True)

    def _repeat_day(self) -> _Day | None:
        """The first day a repeating rule allows from today, with the next ones to try if its time passed."""
        if self.repeat is None or self.repeat.weekdays is None:
            return None
        said, weekdays, week = self.repeat.said, self.repeat.weekdays, self.repeat.month_week
        ahead = 15 if week is None else 400
        allowed = [self.today + timedelta(days=n) for n in range(ahead)]
        allowed = [d for d in allowed if d.weekday() in weekdays and (week is None or _in_week(d, week))]
        return _Day(said, allowed[0], following=tuple(allowed[1:8]))

    def _say_repeat(self, day: date | None, clock: time | None) -> None:
        """The series the text asks for, once the first meeting's day is known; or what to fix."""
        if self.span is not None and self.until is None and self.count is None and day is not None:
            # "for 3 weeks" from Wednesday 9 Dec: the meetings up to Tuesday 29 Dec.
            said, count, unit = self.span
            if unit == "end of month":
                ends = _months_after(day.replace(day=1), 1)
            elif unit == "end of year":
                ends = date(day.year + 1, 1, 1)
            elif unit == "month":
                ends = _months_after(day, count)
            else:
                ends = day + timedelta(days=count * _DAYS[unit])
            self.until = (said, ends - timedelta(days=1))
        elif self.span is not None and (self.until is not None or self.count is not None):
            other = self.until[0] if self.until is not None else self.count[0] if self.count else ""
            self.problems.append(
                f'"{other}" and "{self.span[0]}": a series ends on a date or after a number of meetings; '
                "keep one"
            )
            return
        end = self.until[0] if self.until is not None else self.count[0] if self.count is not None else ""
        end = end or (self.span[0] if self.span is not None else "")
        if self.repeat is None:
            if end:
                self.problems.append(
                    f'"{end}": say how often the meeting repeats, like "every monday" or "daily"'
                )
            return
        said = self.repeat.said
        if self.repeat_refused:
            return
        if self.until is not None and self.count is not None:
            self.problems.append(
                f'"{self.until[0]}" and "{self.count[0]}": a series ends on a date or after a number '
                "of meetings; keep one"
            )
            return
        if day is None or (self.repeat.weekdays is None and not self.days):
            if not self.problems:
                self.ambiguities.append(f'"{said}": which day is the first meeting? Pick it here')
            return
        repeat = self.repeat
        off_rule = repeat.weekdays is not None and day.weekday() not in repeat.weekdays
        if off_rule or (repeat.month_week is not None and not _in_week(day, repeat.month_week)):
            self.problems.append(
                f'"{said}": the first meeting, {_day(day)}, is not a day the series meets on; '
                "pick one that is"
            )
            return
        until = self.until[1] if self.until is not None else None
        if until is not None and until < day:
            self.problems.append(f'"{end}" is before the first meeting, {_day(day)}')
            return
        if until is not None and until > _years_after(day, MAX_YEARS):
            self.problems.append(f"A series may end at most {MAX_YEARS} years after its first meeting")
            return
        weekdays = frozenset() if repeat.frequency is Frequency.DAILY else repeat.weekdays or frozenset()
        try:
            self.recurrence = Recurrence(
                frequency=repeat.frequency,
                interval=repeat.interval,
                weekdays=weekdays,
                month_week=repeat.month_week,
                until=until,
                count=self.count[1] if self.count is not None else None,
            )
        except RecurrenceInvalid as invalid:
            # "for 0 times" is the part to change, not the rule it ends.
            counted = self.count is not None and not 1 <= self.count[1] <= MAX_OCCURRENCES[repeat.frequency]
            self.problems.append(f'"{self.count[0] if self.count and counted else said}": {invalid}')
            return
        if repeat.frequency is Frequency.MONTHLY and repeat.month_week is None and day.day > 28:
            # The rule meets on the first meeting's day of the month, and a month without that day has
            # no meeting (RFC 5545, as Webex keeps it): said, as "monthly on the 31st" sounds like each month.
            self.notes.append(
                f"A month without a day {day.day} has no meeting in this series; for every month, pick a day "
                'up to the 28th or a weekday ("monthly on the last friday")'
            )

    def _resolve_zone(self) -> tuple[str, str]:
        """(how the text named its zone, the zone times are read in): the user's when it names none."""
        if not self.zones:
            return "", self.zone_name
        if len({name for _, name in self.zones}) > 1:
            said = _listing(text for text, _ in self.zones)
            self.problems.append(f"I read more than one time zone: {said}")
            return "", self.zone_name
        said, name = self.zones[0]
        if name.startswith("Etc/"):
            # "Etc/GMT+2" is two hours *behind* UTC (POSIX signs); it is shown as what it means, UTC-02:00.
            offset = ZoneInfo(name).utcoffset(self.now.replace(tzinfo=None)) or timedelta(0)
            name = offset_zone_name(int(offset.total_seconds()) // 60)
        return said, name

    def _say_zone(self, said: str, name: str, start: datetime | None) -> None:
        if name == self.zone_name:
            return
        label = name
        if "/" in name and not name.startswith("Etc/"):
            label = f"{zone_place(name)} time"
            label += "" if name.lower() in said.lower() else f" ({name})"
        line = f'I read "{said}" as {label}'
        if start is not None and self.zone_known:
            mine = start.astimezone(self.zone)
            line += f": {_day(mine.date())} {mine:%H:%M} in your time zone ({self.zone_name})"
        self.notes.append(line)

    # -- putting it together -----------------------------------------------------------------------

    def _topic(self) -> str:
        rest = _clean_topic(self._render(0, len(self.source)))
        if self.quoted_topic is not None:
            if rest:
                self.ambiguities.append(f'I didn\'t understand "{rest}"')
            topic = _RE_SPACES.sub(" ", self.quoted_topic).strip()
        else:
            topic = rest
        if len(topic) > MAX_TOPIC_LENGTH:
            self.problems.append(
                f"The topic is too long ({len(topic)} characters, at most {MAX_TOPIC_LENGTH})"
            )
        return topic

    def _render(self, start: int, end: int, *, keep_gone: bool = False) -> str:
        shown = zip(self.source[start:end], self.gone[start:end], strict=True)
        out = [" " if gone and not keep_gone else character for character, gone in shown]
        for i, piece in self.pieces.items():
            if start <= i < end:
                out[i - start] = piece.display
        return "".join(out)

    def _resolve_duration(self) -> int | None:
        if len(self.durations) > 1:
            said = _listing(text for text, _ in self.durations)
            self.problems.append(f"I read more than one duration: {said}")
            return None
        if not self.durations:
            return None
        minutes = self.durations[0][1]
        if minutes <= 0:
            self.problems.append("A meeting can't last 0 minutes")
            return None
        if minutes > MAX_DURATION_MINUTES:
            self.problems.append("A meeting can last at most 24 hours")
            return None
        return minutes

    def _resolve_start(self, zone_name: str) -> tuple[datetime | None, date | None, time | None]:
        """(the start, the day, the wall-clock time in `zone_name`): each None when the text left it open."""
        zone = zone_info(zone_name) or self.zone
        start, day, clock = self._start_day_clock(zone)
        if start is not None:
            local = start.astimezone(zone)
            return start, local.date(), local.time().replace(second=0, microsecond=0)
        return None, day, clock

    def _start_day_clock(self, zone: tzinfo) -> tuple[datetime | None, date | None, time | None]:
        starts = [text for text, _ in self.offsets]
        if len(self.offsets) > 1 or (self.offsets and (self.days or self.clocks)):
            said = _listing(starts + [d.text for d in self.days])
            self.problems.append(f"I read more than one start: {said}")
            return None, None, None
        if self.offsets:
            return self._start_after(self.offsets[0][1]), None, None
        agreed, chosen = self._pick_day()
        if self.date_unreadable and chosen is None:
            return None, None, self._settled_clock()  # not today: the text named another day
        if len(self.clocks) > 1:
            said = _listing(c.text for c in self.clocks)
            self.problems.append(f"I read more than one time: {said}")
            return None, chosen.day if agreed and chosen is not None else None, None
        if not agreed:
            return None, None, self._settled_clock()
        clock = self.clocks[0] if self.clocks else None
        if clock is None:
            if chosen is None:
                if not self.problems:
                    self.problems.append("I couldn't read a date or time")
                return None, None, None
            if self.part_of_day is not None:
                said, _, hour = self.part_of_day
                self.ambiguities.append(f'"{said}" has no exact time; I put {hour:02d}:00')
                clock = _Clock(said, [(hour, 0)], hint_locked=True)
            else:
                if not self.time_unreadable:
                    self.problems.append(f"I couldn't read a time for {_day(chosen.day)}")
                return None, chosen.day, None
        return self._start_at(chosen, clock, zone)

    def _settled_clock(self) -> time | None:
        """The one time the text gives, as it would be read, when the date cannot be settled."""
        if len(self.clocks) != 1:
            return None
        hour, minute = self._candidates(self.clocks[0])[0]
        return time(hour, minute)

    def _candidates(self, clock: _Clock) -> list[tuple[int, int]]:
        candidates = list(clock.candidates)
        if self.at_night and clock.small_hours is not None:
            return [clock.small_hours]
        if self.part_of_day is not None and self.part_of_day[1] == "pm" and clock.evening is not None:
            return [clock.evening]
        if self.part_of_day is not None and not clock.hint_locked:
            meridiem = self.part_of_day[1]
            fitting = [c for c in candidates if (c[0] < 12) == (meridiem == "am")]
            candidates = fitting or candidates
        return candidates

    def _pick_day(self) -> tuple[bool, _Day | None]:
        """The one date the text names (None when it names none); False when its dates disagree."""
        if not self.days:
            return True, self._repeat_day()
        if len(self.days) == 2:
            named = [d for d in self.days if d.weekday is not None and not d.explicit]
            calendar = [d for d in self.days if d.explicit]
            if len(named) == 1 and len(calendar) == 1:
                day, weekday = calendar[0].day, named[0].weekday
                if weekday is not None and day.weekday() != weekday:
                    self.ambiguities.append(
                        f"{_long_date(day)} is a {_DAY_NAMES[day.weekday()]}, not a {_DAY_NAMES[weekday]}"
                    )
                self.ambiguities.extend(calendar[0].notes)
                return True, calendar[0]
        if len({d.day for d in self.days}) > 1:
            said = _listing(d.text for d in self.days)
            self.problems.append(f"I read more than one date: {said}")
            return False, None
        self.ambiguities.extend(self.days[0].notes)
        return True, self.days[0]

    def _start_at(
        self, chosen: _Day | None, clock: _Clock, zone: tzinfo
    ) -> tuple[datetime | None, date | None, time | None]:
        candidates = self._candidates(clock)
        if len(candidates) > 1:
            readings = " or ".join(_twelve_hour(h, mm) for h, mm in candidates)
            self.ambiguities.append(f'"{clock.text}" could be {readings}')
        # A series with no first day named: its time of day matters more than which day it starts, so an
        # "at 9" whose morning has passed today starts tomorrow morning, not this evening.
        series = self.repeat is not None and not self.days
        # A night runs past its midnight: "tonight at 1" and "friday night at 12" are on the next day.
        after_midnight = self.at_night and clock.small_hours is not None
        if chosen is None:
            day = self.today + timedelta(days=1) if clock.midnight or after_midnight else self.today
            days = [day, day + timedelta(days=1)] if series else [day]
        elif self._is_today_by_word(chosen) and candidates == [(0, 0)] and not after_midnight:
            # The start of today has passed: "tonight at midnight" is the end of today, as "midnight" alone
            # is. A date written out ("6 Dec 00:00") stays as written.
            day = self.today + timedelta(days=1)
            days = [day]
        else:
            day = chosen.day
            days = [day, *chosen.following] if chosen.later is None else [day, chosen.later]
            if after_midnight and self._in_tonights_small_hours(chosen):
                # "tonight at 1" said at 00:30: this night's 01:00, else the next night's.
                days = [day, day + timedelta(days=1)]
            elif after_midnight:
                day, days = day + timedelta(days=1), [on + timedelta(days=1) for on in days]
        # "friday midnight": the start of the day the meeting is on (said once that day is known).
        start_of_day = chosen is not None and clock.midnight and days[0] == chosen.day
        tries = (
            [(on, reading) for reading in candidates for on in days]
            if series
            else [(on, reading) for on in days for reading in candidates]
        )
        for on, (hour, minute) in tries:
            start = self._instant(on, hour, minute, zone, check=False)
            if series and start > self.now and not _exists(on, hour, minute, zone):
                # The series keeps its first meeting's wall-clock time: started at 03:30 on the day 02:30
                # is skipped, every later meeting would be at 03:30 too. It starts on its next day instead.
                self.notes.append(
                    f"{hour:02d}:{minute:02d} doesn't exist on {_day(on)} (clocks go forward); "
                    "the series starts on its next day"
                )
                continue
            if start > self.now and self.repeat is not None and not _exists(on, hour, minute, zone):
                # The day was named ("starting today"): read at 03:30, every meeting would be at 03:30.
                moved = self._next_meeting(on)
                if moved is not None:
                    self.ambiguities.append(
                        f"{hour:02d}:{minute:02d} doesn't exist on {_day(on)} (clocks go forward); "
                        f"the series starts at its next meeting, {_day(moved)}"
                    )
                    start = self._instant(moved, hour, minute, zone, check=False)
                    return self._within_reach(start), moved, time(hour, minute)
            if start > self.now:
                start = self._instant(on, hour, minute, zone, check=True)
                if start_of_day:
                    self.ambiguities.append(f'"{clock.text}" on {_day(on)}: I read the start of that day')
                if chosen is not None and chosen.later is not None:
                    self.ambiguities.append(self._same_weekday(chosen, later=on != days[0]))
                return self._within_reach(start), on, time(hour, minute)
        hour, minute = candidates[0]
        past = self._instant(day, hour, minute, zone, check=False).astimezone(zone)
        self.problems.append(f"That time is in the past ({_day(day)} {past:%H:%M})")
        return None, day, time(hour, minute)

    def _next_meeting(self, first: date) -> date | None:
        """The day of the meeting after `first` in the series the text asks for, if it can be made."""
        if self.repeat is None:
            return None
        repeat = self.repeat
        weekdays = frozenset() if repeat.frequency is Frequency.DAILY else repeat.weekdays or frozenset()
        try:
            rule = Recurrence(repeat.frequency, repeat.interval, weekdays, repeat.month_week)
        except RecurrenceInvalid:
            return None  # said by _say_repeat
        return rule.day_after(first)

    def _is_today_by_word(self, chosen: _Day) -> bool:
        """Today, named by a word ("today", "tonight", today's weekday alone), not by a written date."""
        return chosen.day == self.today and not (chosen.explicit or chosen.later or chosen.following)

    def _in_tonights_small_hours(self, chosen: _Day) -> bool:
        """Said past midnight of today, of today: the night the person is in has its small hours today."""
        return self.local_now.hour < SMALL_HOURS_END and self._is_today_by_word(chosen)

    def _same_weekday(self, chosen: _Day, *, later: bool) -> str:
        today = f"Today is {_DAY_NAMES[self.today.weekday()]}"
        if chosen.later is None or not later:
            return f'{today}: "{chosen.text}" could be today or {_day(chosen.later or chosen.day)}'
        return f'{today} and that time has passed: I read "{chosen.text}" as {_day(chosen.later)}'

    def _instant(self, day: date, hour: int, minute: int, zone: tzinfo, *, check: bool) -> datetime:
        """The UTC instant of a wall-clock time in `zone`, noting skipped and repeated hours."""
        wall = datetime.combine(day, time(hour, minute))
        first = wall.replace(tzinfo=zone).astimezone(UTC)
        if check and first != wall.replace(tzinfo=zone, fold=1).astimezone(UTC):
            if first.astimezone(zone).replace(tzinfo=None) != wall:
                shown = first.astimezone(zone)
                self.ambiguities.append(
                    f"{hour:02d}:{minute:02d} doesn't exist on {_day(day)} (clocks go forward); "
                    f"I read {shown:%H:%M}"
                )
            else:
                self.ambiguities.append(
                    f"{hour:02d}:{minute:02d} happens twice on {_day(day)} (clocks go back); "
                    "I read the first one"
                )
        return first

    def _start_after(self, offset: timedelta) -> datetime | None:
        if offset > timedelta(days=MAX_DAYS_AHEAD):
            self.problems.append("That is more than 5 years ahead")
            return None
        start = (self.now + offset).replace(second=0, microsecond=0)
        while start <= self.now or start < self.now + offset:
            start += timedelta(minutes=1)
        return start

    def _within_reach(self, start: datetime) -> datetime | None:
        if start - self.now > timedelta(days=MAX_DAYS_AHEAD):
            self.problems.append("That is more than 5 years ahead")
            return None
        return start

    def _relative_name(self, day: date) -> str:
        return f"tomorrow, {_day(day)}" if day == self.today + timedelta(days=1) else _day(day)


def _read_clock(text: str) -> _Clock | None:
    """One clock reading: "3pm", "15:00", "9:30", "9", "noon". Bare hours keep both readings."""
    said = text.strip()
    lowered = said.lower().replace(" ", "")
    if lowered in ("noon", "midday"):
        return _Clock(said, [(12, 0)], hint_locked=True)
    if lowered == "midnight":
        return _Clock(said, [(0, 0)], midnight=True, hint_locked=True)
    m = _RE_CLOCK_TEXT.fullmatch(lowered)
    if m is None:
        return None
    digits, hour, minute, meridiem = m[1], int(m[1]), int(m[2] or 0), m[3]
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
        return _Clock(said, [(hour, minute)], hint_locked=True)
    if hour > 23:
        return None
    has_minutes = m[2] is not None
    if hour == 12:
        return _Clock(said, [(hour, minute)], hint_locked=True, small_hours=(0, minute))
    if hour == 0 or hour >= 13 or digits.startswith("0"):
        return _Clock(said, [(hour, minute)], hint_locked=True)
    if has_minutes and hour >= 8:
        return _Clock(said, [(hour, minute)], hint_locked=True, evening=(hour + 12, minute))
    afternoon = (hour + 12, minute)
    small_hours = (hour, minute) if hour <= 4 else None
    # Meetings at 1-7 o'clock are far more often in the afternoon; 8-11 in the morning.
    readings = [afternoon, (hour, minute)] if hour <= 7 else [(hour, minute), afternoon]
    return _Clock(said, readings, small_hours=small_hours)


def _duration_minutes(m: re.Match[str]) -> int | None:
    fixed = {"half": 30, "hour_half": 90, "three_quarters": 45, "quarter": 15}
    for name, minutes in fixed.items():
        if m[name]:
            return minutes
    if m["h"] is not None:
        return round(float(m["h"].replace(",", ".")) * 60) + int(m["h_mm"] or m["h_m"] or 0)
    if m["hw"] is not None:
        hours = _number(m["hw"])
        extra = _number(m["hw_m"]) if m["hw_m"] else 0
        return None if hours is None or extra is None else hours * 60 + extra
    if m["m"] is not None:
        return int(m["m"])
    if m["mw"] is not None:
        return _number(m["mw"])
    return None


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _WORD_NUMBERS.get(word.lower())


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return int(text) + 2000 if len(text) == 2 else int(text)


def _said(m: re.Match[str]) -> str:
    return _RE_SPACES.sub(" ", m.group()).strip()


def _unescape(text: str) -> str:
    return _RE_ENTITY.sub(lambda m: _ENTITIES[m[1]], text)


def _clean_topic(text: str) -> str:
    topic = _RE_SPACES.sub(" ", text)
    while True:
        before = topic
        topic = _RE_EMPTY_BRACKETS.sub("", topic)
        topic = _RE_TOPIC_EDGE.sub("", topic)
        topic = _RE_TOPIC_TAIL.sub("", topic)
        topic = _RE_SPACES.sub(" ", topic).strip()
        if topic == before:
            return topic


def _listing(texts: Iterable[str]) -> str:
    quoted = [f'"{text}"' for text in texts]
    return ", ".join(quoted[:3]) + (", ..." if len(quoted) > 3 else "")


def _unique(items: list[str], key: Callable[[str], str] = str) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            out.append(item)
    return tuple(out)


def _day(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()][:3]} {day.day} {_MONTH_NAMES[day.month - 1][:3]}"


def _long_date(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]}"


def _twelve_hour(hour: int, minute: int) -> str:
    shown = hour % 12 or 12
    suffix = "AM" if hour < 12 else "PM"
    return f"{shown} {suffix}" if minute == 0 else f"{shown}:{minute:02d} {suffix}"


@dataclass(frozen=True)
class _Repeat:
    """A repeating rule as read: `weekdays` the first meeting may fall on (None: the text must say)."""

    said: str
    frequency: Frequency
    interval: int
    weekdays: frozenset[int] | None
    month_week: int | None = None


def _every_count(m: re.Match[str]) -> int:
    """2 for "every other week", N for "every N days", else 1."""
    groups = m.groupdict()
    for tag in ("m", "d", "w", "v"):
        if groups.get(f"other_{tag}"):
            return 2
        number = groups.get(f"n_{tag}")
        if number:
            every = _number(number)
            return every if every is not None else 1  # "every 0 days" is refused with the limits
    return 1


def _exists(day: date, hour: int, minute: int, zone: tzinfo) -> bool:
    """Whether the wall-clock time happens on `day` in `zone` (not skipped by clocks going forward)."""
    wall = datetime.combine(day, time(hour, minute))
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def _in_week(day: date, week: int) -> bool:
    """Whether `day` is its month's `week`-th such weekday (1 to 4), or its last one (-1)."""
    if week == -1:
        return (day + timedelta(days=7)).month != day.month
    return (day.day - 1) // 7 + 1 == week


_DAYS = {"day": 1, "week": 7}


def _months_after(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for day_of_month in range(day.day, 27, -1):
        try:
            return date(year, month, day_of_month)
        except ValueError:
            continue
    return date(year, month, day.day)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
