"""Time zones as people name them: IANA names or fixed offsets (`UTC+05:30`), and the zones a form offers.

A backend's own zone table (the XML API's timeZoneIDs) lives in its adapter (bot/webex/timezones.py).
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The zones the schedule form offers besides the person's own and UTC: one for each region
# people schedule from, sorted by name.
OFFERED_ZONES: tuple[str, ...] = (
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Nairobi",
    "America/Anchorage",
    "America/Argentina/Buenos_Aires",
    "America/Bogota",
    "America/Caracas",
    "America/Chicago",
    "America/Denver",
    "America/Halifax",
    "America/Indiana/Indianapolis",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/New_York",
    "America/Phoenix",
    "America/Regina",
    "America/Sao_Paulo",
    "America/St_Johns",
    "Asia/Almaty",
    "Asia/Baghdad",
    "Asia/Baku",
    "Asia/Bangkok",
    "Asia/Colombo",
    "Asia/Dubai",
    "Asia/Jerusalem",
    "Asia/Kabul",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Taipei",
    "Asia/Tehran",
    "Asia/Tokyo",
    "Asia/Vladivostok",
    "Asia/Yakutsk",
    "Asia/Yekaterinburg",
    "Atlantic/Azores",
    "Atlantic/South_Georgia",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Darwin",
    "Australia/Hobart",
    "Australia/Perth",
    "Australia/Sydney",
    "Etc/GMT+12",
    "Europe/Amsterdam",
    "Europe/Athens",
    "Europe/Berlin",
    "Europe/Bucharest",
    "Europe/Helsinki",
    "Europe/London",
    "Europe/Moscow",
    "Europe/Paris",
    "Europe/Prague",
    "Pacific/Auckland",
    "Pacific/Fiji",
    "Pacific/Guadalcanal",
    "Pacific/Guam",
    "Pacific/Honolulu",
    "Pacific/Pago_Pago",
)


_OFFSET_NAME = re.compile(r"UTC([+-])([01][0-9]):([0-5][0-9])")


def offset_zone_name(minutes: int) -> str:
    """The name of a fixed offset from UTC, as the bot writes it: `UTC+05:30`, `UTC-03:00`, `UTC`."""
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours:02d}:{rest:02d}"


@lru_cache(maxsize=512)  # bounded: names come from people's text and forms
def zone_info(name: str) -> tzinfo | None:
    """The zone called `name`: an IANA name, or a fixed offset written `UTC+05:30`; None if neither."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    fixed = _OFFSET_NAME.fullmatch(name)
    if fixed is not None:
        minutes = int(fixed[2]) * 60 + int(fixed[3])
        if minutes > 14 * 60:
            return None
        return timezone(timedelta(minutes=minutes if fixed[1] == "+" else -minutes), name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def zone_place(name: str) -> str:
    """How a zone is called in a sentence ("as Berlin time"): its city, or the offset itself."""
    if name.startswith("Etc/") or "/" not in name:
        return name
    return name.rsplit("/", 1)[-1].replace("_", " ")
