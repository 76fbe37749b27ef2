"""The XML API's `repeat` element as the RRULE the store keeps (shared with the REST API), and back.

Webex keeps one rule per series whichever API made it: an XML `repeat` becomes an RRULE body
(`FREQ=WEEKLY;BYDAY=MO,TU`), checked as the REST API checks one, and a rule made through REST is
shown to the XML API as a `repeat` element. `weekInMonth` 5 is the month's last week (RRULE `-1`).
The expiration date is the meeting's local date and time, as `startDate` is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from lxml import etree

from bot.emulator.errors import invalid_request
from bot.emulator.rest.recurrence import RecurrenceError, normalise
from bot.emulator.wire import MEET, add, child, children, parse_integer, text_of

_DAYS: Final = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
_BYDAY: Final = dict(zip(_DAYS, ("SU", "MO", "TU", "WE", "TH", "FR", "SA"), strict=True))
_LAST_WEEK: Final = 5
_DATE_FORMAT: Final = "%m/%d/%Y %H:%M:%S"
_TYPES: Final = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def rule_from_repeat(repeat: etree._Element | None, start: datetime, zone: ZoneInfo) -> str | None:
    """The RRULE a `repeat` element asks for: "" for NO_REPEAT, None when there is no element."""
    if repeat is None:
        return None
    kind = (text_of(repeat, "repeatType") or "NO_REPEAT").upper()
    if kind == "NO_REPEAT":
        return ""
    if kind not in _TYPES:
        raise invalid_request(f"repeatType {kind} is not supported")
    days = [(day.text or "").strip().upper() for day in children(child(repeat, "dayInWeek"))]
    if any(day not in _BYDAY for day in days):
        raise invalid_request("dayInWeek/day must be SUNDAY to SATURDAY")
    parts = [f"FREQ={kind}"]
    interval = _number(repeat, "interval")
    if interval is not None:
        parts.append(f"INTERVAL={interval}")
    week = _number(repeat, "weekInMonth")
    if kind in ("DAILY", "WEEKLY") and days:
        # A DAILY rule on named days is Webex's "every weekday".
        parts[0] = "FREQ=WEEKLY"
        parts.append("BYDAY=" + ",".join(_BYDAY[day] for day in days))
    elif kind in ("MONTHLY", "YEARLY"):
        if week is not None and days:
            if not 1 <= week <= _LAST_WEEK:
                raise invalid_request("weekInMonth must be 1 to 5")
            parts.append(f"BYDAY={-1 if week == _LAST_WEEK else week}{_BYDAY[days[0]]}")
        else:
            day_in_month = _number(repeat, "dayInMonth")
            if day_in_month is not None:
                parts.append(f"BYMONTHDAY={day_in_month}")
        month = _number(repeat, "monthInYear")
        if kind == "YEARLY" and month is not None:
            parts.append(f"BYMONTH={month}")
    count = _number(repeat, "afterMeetingNumber")
    if count is not None:
        parts.append(f"COUNT={count}")
    expiration = text_of(repeat, "expirationDate")
    if expiration:
        parts.append(f"UNTIL={_local(expiration):%Y%m%dT%H%M%S}")
    try:
        return normalise(";".join(parts), start, zone)
    except RecurrenceError as error:
        raise invalid_request(f"repeat: {error}") from None


def write_repeat(parent: etree._Element, rule: str, zone: ZoneInfo) -> None:
    """The `repeat` element of GetMeeting for a stored rule, in meeting.xsd's order."""
    repeat = add(parent, MEET, "repeat")
    if not rule:
        add(repeat, MEET, "repeatType", "NO_REPEAT")
        return
    parts = dict(item.partition("=")[::2] for item in rule.split(";") if item)
    add(repeat, MEET, "repeatType", parts["FREQ"])
    add(repeat, MEET, "interval", parts.get("INTERVAL", "1"))
    if "COUNT" in parts:
        add(repeat, MEET, "afterMeetingNumber", parts["COUNT"])
    by_day = [item for item in parts.get("BYDAY", "").split(",") if item]
    if by_day:
        days = add(repeat, MEET, "dayInWeek")
        names = {code: name for name, code in _BYDAY.items()}
        for item in by_day:
            add(days, MEET, "day", names[item[-2:]])
    if "UNTIL" in parts:
        add(repeat, MEET, "expirationDate", _until_text(parts["UNTIL"], zone))
    if "BYMONTHDAY" in parts:
        add(repeat, MEET, "dayInMonth", parts["BYMONTHDAY"])
    week = by_day[0][:-2] if len(by_day) == 1 else ""
    if week:
        add(repeat, MEET, "weekInMonth", _LAST_WEEK if int(week) < 0 else int(week))
    if "BYMONTH" in parts:
        add(repeat, MEET, "monthInYear", parts["BYMONTH"])


def _number(repeat: etree._Element, name: str) -> int | None:
    value = text_of(repeat, name)
    return parse_integer(value, name) if value else None


def _local(text: str) -> datetime:
    for layout in (_DATE_FORMAT, "%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
    raise invalid_request(f"expirationDate {text!r} is not MM/DD/YYYY HH:MM:SS")


def _until_text(value: str, zone: ZoneInfo) -> str:
    if value.endswith("Z"):
        instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=ZoneInfo("UTC"))
        return instant.astimezone(zone).strftime(_DATE_FORMAT)
    layout = "%Y%m%dT%H%M%S" if "T" in value else "%Y%m%d"
    return datetime.strptime(value, layout).strftime(_DATE_FORMAT)
