"""The neutral recurrence as the XML API's `repeat` element (meeting.xsd `repeatType`), and back.

The rule runs on the meeting's own Webex zone: `expirationDate` is that zone's local date and time,
like `startDate`. `weekInMonth` 5 is the month's last week. A weekly rule always names its days
(the first meeting's weekday when the person named none), a monthly one its day or week.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from bot.domain.recurrence import LAST_WEEK, Frequency, Recurrence, RecurrenceInvalid
from bot.webex import xml

__all__ = ["add_repeat", "read_repeat"]

# meeting.xsd's com:dayOfWeekType, indexed by date.weekday() (Monday first).
_DAYS: Final = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_LAST: Final = 5


def add_repeat(body: xml.Element, recurrence: Recurrence, first_local: date) -> None:
    """The `repeat` element, its children in the schema's order; `first_local` is the first meeting's day."""
    repeat = xml.add(body, "repeat")
    xml.add(repeat, "repeatType", recurrence.frequency.value)
    xml.add(repeat, "interval", recurrence.interval)
    if recurrence.count is not None:
        xml.add(repeat, "afterMeetingNumber", recurrence.count)
    if recurrence.frequency is Frequency.WEEKLY or recurrence.month_week is not None:
        days = xml.add(repeat, "dayInWeek")
        for day in sorted(recurrence.days_for(first_local)):
            xml.add(days, "day", _DAYS[day])
    if recurrence.until is not None:
        xml.add(repeat, "expirationDate", f"{recurrence.until:%m/%d/%Y} 23:59:59")
    if recurrence.frequency is Frequency.MONTHLY:
        if recurrence.month_week is not None:
            week = _LAST if recurrence.month_week == LAST_WEEK else recurrence.month_week
            xml.add(repeat, "weekInMonth", week)
        else:
            xml.add(repeat, "dayInMonth", recurrence.month_day or first_local.day)


def read_repeat(content: xml.Element | None) -> Recurrence | None:
    """The series a GetMeeting answer describes; None for a single meeting or a rule not shown here
    (YEARLY, CONSTANT), which the bot then treats as one meeting."""
    repeat = xml.child(content, "repeat")
    kind = (xml.text(repeat, "repeatType") or "NO_REPEAT").strip().upper()
    if repeat is None or kind not in ("DAILY", "WEEKLY", "MONTHLY"):
        return None
    days = frozenset(
        _DAYS.index(name)
        for element in xml.children(xml.child(repeat, "dayInWeek"), "day")
        if (name := (element.text or "").strip().upper()) in _DAYS
    )
    frequency = Frequency(kind)
    if frequency is Frequency.DAILY and days:
        frequency = Frequency.WEEKLY  # Webex's "every weekday" may come as DAILY on named days
    week = _number(xml.text(repeat, "weekInMonth"))
    month_week = None
    if frequency is Frequency.MONTHLY and week is not None and len(days) == 1:
        month_week = LAST_WEEK if week >= _LAST else week
    count = _number(xml.text(repeat, "afterMeetingNumber"))
    month_day = _number(xml.text(repeat, "dayInMonth"))
    try:
        return Recurrence(
            frequency=frequency,
            interval=_number(xml.text(repeat, "interval")) or 1,
            weekdays=days if frequency is Frequency.WEEKLY or month_week is not None else frozenset(),
            month_week=month_week,
            month_day=month_day if month_week is None and frequency is Frequency.MONTHLY else None,
            count=count,
            until=None if count is not None else _date(xml.text(repeat, "expirationDate")),
        )
    except RecurrenceInvalid:
        return None


def _number(text: str | None) -> int | None:
    value = (text or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _date(text: str | None) -> date | None:
    value = (text or "").strip()
    for layout in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, layout).date()
        except ValueError:
            continue
    return None
