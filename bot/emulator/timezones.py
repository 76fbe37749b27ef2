"""The emulated site's time zones: Webex's timeZoneID table and local date texts, on the emulator's side.

The IDs and names are the `timeZoneType` enumeration of `common.xsd`, in order (ID = position); each
name's place is tied here to an IANA zone for real offsets and daylight saving. The bot keeps its
own table (bot/webex/timezones.py): the emulator imports nothing from it, so a wrong mapping on one
side shows up as a disagreement instead of being mirrored by the fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

GMT_ZONE_ID = 20  # "GMT+00:00, Greenwich (Casablanca)": plain GMT, no daylight saving
DATE_FORMAT = "%m/%d/%Y %H:%M:%S"

# (timeZoneType enumeration value, the IANA zone of its place), in the schema's order.
_SCHEMA_ZONES: tuple[tuple[str, str], ...] = (
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


@dataclass(frozen=True)
class SiteTimeZone:
    id: int
    name: str
    iana: str

    @property
    def tzinfo(self) -> ZoneInfo:
        return _zoneinfo(self.iana)


ZONES: tuple[SiteTimeZone, ...] = tuple(
    SiteTimeZone(id=number, name=name, iana=iana) for number, (name, iana) in enumerate(_SCHEMA_ZONES)
)
_BY_NAME = {zone.name: zone for zone in ZONES}


class UnknownTimeZone(ValueError):
    """A timeZoneID or zone name the emulated site does not have."""


@cache
def _zoneinfo(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_by_id(zone_id: int) -> SiteTimeZone:
    if not 0 <= zone_id < len(ZONES):
        raise UnknownTimeZone(f"timeZoneID {zone_id} is not a Webex time zone (0-{len(ZONES) - 1})")
    return ZONES[zone_id]


def zone_by_name(name: str) -> SiteTimeZone:
    try:
        return _BY_NAME[name.strip()]
    except KeyError:
        raise UnknownTimeZone(f"{name!r} is not a Webex time zone name") from None


def to_webex_local(instant: datetime, zone_id: int) -> str:
    """An aware instant as the site's local date text (MM/DD/YYYY HH:MM:SS) in zone `zone_id`."""
    if instant.tzinfo is None:
        raise ValueError("to_webex_local needs an aware datetime")
    return instant.astimezone(zone_by_id(zone_id).tzinfo).strftime(DATE_FORMAT)


def from_webex_local(text: str, zone_id: int) -> datetime:
    """The site's local date text in zone `zone_id` as an aware UTC instant."""
    for layout in (DATE_FORMAT, "%m/%d/%Y %H:%M", "%m/%d/%Y"):  # clients leave out seconds, or the time
        try:
            local = datetime.strptime(text.strip(), layout)
            break
        except ValueError:
            continue
    else:
        raise ValueError(f"{text!r} is not a Webex date (MM/DD/YYYY HH:MM:SS)")
    return local.replace(tzinfo=zone_by_id(zone_id).tzinfo).astimezone(UTC)
