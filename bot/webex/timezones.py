"""The Webex XML API's time-zone table (timeZoneID 0-61) and conversions between it, IANA zones and UTC.

The IDs and names are the `timeZoneType` enumeration of Webex's official `common.xsd`, in order.
Each zone is tied to a real IANA zone so offsets and daylight saving are the real ones; the names
keep Webex's static spelling (including its "Ancorage" and "Columbo"). ID 20 is used as plain GMT
(no daylight saving): it is the fallback when no Webex zone matches a user's offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from bot.domain.timezones import zone_info

WEBEX_DATETIME_FORMAT = "%m/%d/%Y %H:%M:%S"

GMT_ZONE_ID = 20


@dataclass(frozen=True)
class WebexTimeZone:
    id: int
    name: str
    iana: str

    @property
    def tzinfo(self) -> ZoneInfo:
        return _zoneinfo(self.iana)


_TABLE: tuple[tuple[str, str], ...] = (
    ("GMT-12:00, Dateline (Eniwetok)", "Etc/GMT+12"),
    ("GMT-11:00, Samoa (Samoa)", "Pacific/Pago_Pago"),
    ("GMT-10:00, Hawaii (Honolulu)", "Pacific/Honolulu"),
    ("GMT-09:00, Alaska (Ancorage)", "America/Anchorage"),
    ("GMT-08:00, Pacific (San Jose)", "America/Los_Angeles"),
    ("GMT-07:00, Mountain (Arizona)", "America/Phoenix"),
    ("GMT-07:00, Mountain (Denver)", "America/Denver"),
    ("GMT-06:00, Central (Chicago)", "America/Chicago"),
    ("GMT-06:00, Mexico (Mexico City,Tegucigalpa)", "America/Mexico_City"),
    ("GMT-06:00, Central (Regina)", "America/Regina"),
    ("GMT-05:00, S. America Pacific (Bogota)", "America/Bogota"),
    ("GMT-05:00, Eastern (New York)", "America/New_York"),
    ("GMT-05:00, Eastern (Indiana)", "America/Indiana/Indianapolis"),
    ("GMT-04:00, Atlantic (Halifax)", "America/Halifax"),
    ("GMT-04:00, S. America Western (Caracas)", "America/Caracas"),
    ("GMT-03:30, Newfoundland (Newfoundland)", "America/St_Johns"),
    ("GMT-03:00, S. America Eastern (Brasilia)", "America/Sao_Paulo"),
    ("GMT-03:00, S. America Eastern (Buenos Aires)", "America/Argentina/Buenos_Aires"),
    ("GMT-02:00, Mid-Atlantic (Mid-Atlantic)", "Atlantic/South_Georgia"),
    ("GMT-01:00, Azores (Azores)", "Atlantic/Azores"),
    ("GMT+00:00, Greenwich (Casablanca)", "Etc/GMT"),
    ("GMT+00:00, GMT (London)", "Europe/London"),
    ("GMT+01:00, Europe (Amsterdam)", "Europe/Amsterdam"),
    ("GMT+01:00, Europe (Paris)", "Europe/Paris"),
    ("GMT+01:00, Europe (Prague)", "Europe/Prague"),
    ("GMT+01:00, Europe (Berlin)", "Europe/Berlin"),
    ("GMT+02:00, Greece (Athens)", "Europe/Athens"),
    ("GMT+02:00, Eastern Europe (Bucharest)", "Europe/Bucharest"),
    ("GMT+02:00, Egypt (Cairo)", "Africa/Cairo"),
    ("GMT+02:00, South Africa (Pretoria)", "Africa/Johannesburg"),
    ("GMT+02:00, Northern Europe (Helsinki)", "Europe/Helsinki"),
    ("GMT+02:00, Israel (Tel Aviv)", "Asia/Jerusalem"),
    ("GMT+03:00, Saudi Arabia (Baghdad)", "Asia/Baghdad"),
    ("GMT+03:00, Russian (Moscow)", "Europe/Moscow"),
    ("GMT+03:00, Nairobi (Nairobi)", "Africa/Nairobi"),
    ("GMT+03:00, Iran (Tehran)", "Asia/Tehran"),
    ("GMT+04:00, Arabian (Abu Dhabi, Muscat)", "Asia/Dubai"),
    ("GMT+04:00, Baku (Baku)", "Asia/Baku"),
    ("GMT+04:00, Afghanistan (Kabul)", "Asia/Kabul"),
    ("GMT+05:00, West Asia (Ekaterinburg)", "Asia/Yekaterinburg"),
    ("GMT+05:00, West Asia (Islamabad)", "Asia/Karachi"),
    ("GMT+05:30, India (Bombay)", "Asia/Kolkata"),
    ("GMT+06:00, Columbo (Columbo)", "Asia/Colombo"),
    ("GMT+06:00, Central Asia (Almaty)", "Asia/Almaty"),
    ("GMT+07:00, Bangkok (Bangkok)", "Asia/Bangkok"),
    ("GMT+08:00, China (Beijing)", "Asia/Shanghai"),
    ("GMT+08:00, Australia Western (Perth)", "Australia/Perth"),
    ("GMT+08:00, Singapore (Singapore)", "Asia/Singapore"),
    ("GMT+08:00, Taipei (Hong Kong)", "Asia/Taipei"),
    ("GMT+09:00, Tokyo (Tokyo)", "Asia/Tokyo"),
    ("GMT+09:00, Korea (Seoul)", "Asia/Seoul"),
    ("GMT+09:30, Yakutsk (Yakutsk)", "Asia/Yakutsk"),
    ("GMT+09:30, Australia Central (Adelaide)", "Australia/Adelaide"),
    ("GMT+09:30, Australia Central (Darwin)", "Australia/Darwin"),
    ("GMT+10:00, Australia Eastern (Brisbane)", "Australia/Brisbane"),
    ("GMT+10:00, Australia Eastern (Sydney)", "Australia/Sydney"),
    ("GMT+10:00, West Pacific (Guam)", "Pacific/Guam"),
    ("GMT+10:00, Tasmania (Hobart)", "Australia/Hobart"),
    ("GMT+10:00, Vladivostok (Vladivostok)", "Asia/Vladivostok"),
    ("GMT+11:00, Central Pacific (Solomon Is)", "Pacific/Guadalcanal"),
    ("GMT+12:00, New Zealand (Wellington)", "Pacific/Auckland"),
    ("GMT+12:00, Fiji (Fiji)", "Pacific/Fiji"),
)

WEBEX_TIME_ZONES: tuple[WebexTimeZone, ...] = tuple(
    WebexTimeZone(id=i, name=name, iana=iana) for i, (name, iana) in enumerate(_TABLE)
)
_BY_NAME = {zone.name: zone for zone in WEBEX_TIME_ZONES}
_BY_IANA = {zone.iana: zone for zone in WEBEX_TIME_ZONES}


class UnknownTimeZone(ValueError):
    """A Webex timeZoneID or zone name that is not in the table."""


@cache
def _zoneinfo(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_by_id(zone_id: int) -> WebexTimeZone:
    if not 0 <= zone_id < len(WEBEX_TIME_ZONES):
        raise UnknownTimeZone(
            f"timeZoneID {zone_id} is not a Webex time zone (0-{len(WEBEX_TIME_ZONES) - 1})"
        )
    return WEBEX_TIME_ZONES[zone_id]


def zone_by_name(name: str) -> WebexTimeZone:
    try:
        return _BY_NAME[name.strip()]
    except KeyError:
        raise UnknownTimeZone(f"{name!r} is not a Webex time zone name") from None


def webex_zone_for(iana: str, at: datetime) -> WebexTimeZone:
    """The Webex zone to use for a meeting at instant `at` for a user living in IANA zone `iana`.

    The zone tied to the same IANA name wins. Otherwise a zone whose offset matches the user's on
    the meeting's date, preferring one whose offset also matches half a year away (same daylight
    saving rules). No match: plain GMT, and the caller sends the time converted to it.
    """
    return webex_zone_matching(iana, at) or WEBEX_TIME_ZONES[GMT_ZONE_ID]


def webex_zone_matching(name: str, at: datetime) -> WebexTimeZone | None:
    """The Webex zone showing the same clock as zone `name` (IANA or `UTC+05:30`) at instant `at`.

    None when no Webex zone has that offset on that date (Kathmandu's +05:45, for one)."""
    if at.tzinfo is None:
        raise ValueError("webex_zone_matching needs an aware datetime")
    if name in _BY_IANA:
        return _BY_IANA[name]
    zone = zone_info(name)
    if zone is None:
        return None
    other = at + timedelta(days=182)
    offset, offset_other = at.astimezone(zone).utcoffset(), other.astimezone(zone).utcoffset()
    same_day = [z for z in WEBEX_TIME_ZONES if at.astimezone(z.tzinfo).utcoffset() == offset]
    for candidate in same_day:
        if other.astimezone(candidate.tzinfo).utcoffset() == offset_other:
            return candidate
    return same_day[0] if same_day else None


_LOOSE_DATETIME = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?\s*$")


def parse_webex_datetime(text: str) -> datetime:
    """Read `MM/DD/YYYY HH:MM:SS` as a naive local time; unpadded fields and a missing time are accepted."""
    match = _LOOSE_DATETIME.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a Webex date (MM/DD/YYYY HH:MM:SS)")
    month, day, year, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    return datetime(year, month, day, hour, minute, second)


def format_webex_datetime(local: datetime) -> str:
    return local.strftime(WEBEX_DATETIME_FORMAT)


def to_webex_local(instant: datetime, zone_id: int) -> str:
    """An aware instant as Webex's local date text in zone `zone_id`."""
    if instant.tzinfo is None:
        raise ValueError("to_webex_local needs an aware datetime")
    return format_webex_datetime(instant.astimezone(zone_by_id(zone_id).tzinfo).replace(tzinfo=None))


def from_webex_local(text: str, zone_id: int) -> datetime:
    """Webex's local date text in zone `zone_id` as an aware UTC instant."""
    local = parse_webex_datetime(text).replace(tzinfo=zone_by_id(zone_id).tzinfo)
    return local.astimezone(UTC)
