"""The REST side's own time-zone table: Webex timeZoneID (0-61) <-> IANA zone names.

Written from the order of the `timeZoneType` enumeration in Webex's `common.xsd` (ID = position) and
the place each entry names; kept apart from the bot's table on purpose, so a wrong mapping in one is
not mirrored by the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GMT_ZONE_ID = 20

# Index = Webex timeZoneID. Where the schema's label names a place, that place's zone; ID 20
# ("Greenwich (Casablanca)") is shown as UTC, the zone Webex's REST API reports for GMT meetings.
IANA_BY_ZONE_ID: tuple[str, ...] = (
    "Etc/GMT+12",  # 0 Dateline (Eniwetok)
    "Pacific/Pago_Pago",  # 1 Samoa
    "Pacific/Honolulu",  # 2 Hawaii
    "America/Anchorage",  # 3 Alaska
    "America/Los_Angeles",  # 4 Pacific (San Jose)
    "America/Phoenix",  # 5 Mountain (Arizona)
    "America/Denver",  # 6 Mountain (Denver)
    "America/Chicago",  # 7 Central (Chicago)
    "America/Mexico_City",  # 8 Mexico (Mexico City, Tegucigalpa)
    "America/Regina",  # 9 Central (Regina)
    "America/Bogota",  # 10 S. America Pacific (Bogota)
    "America/New_York",  # 11 Eastern (New York)
    "America/Indiana/Indianapolis",  # 12 Eastern (Indiana)
    "America/Halifax",  # 13 Atlantic (Halifax)
    "America/Caracas",  # 14 S. America Western (Caracas)
    "America/St_Johns",  # 15 Newfoundland
    "America/Sao_Paulo",  # 16 S. America Eastern (Brasilia)
    "America/Argentina/Buenos_Aires",  # 17 S. America Eastern (Buenos Aires)
    "Atlantic/South_Georgia",  # 18 Mid-Atlantic
    "Atlantic/Azores",  # 19 Azores
    "UTC",  # 20 Greenwich (Casablanca)
    "Europe/London",  # 21 GMT (London)
    "Europe/Amsterdam",  # 22
    "Europe/Paris",  # 23
    "Europe/Prague",  # 24
    "Europe/Berlin",  # 25
    "Europe/Athens",  # 26 Greece (Athens)
    "Europe/Bucharest",  # 27 Eastern Europe (Bucharest)
    "Africa/Cairo",  # 28 Egypt (Cairo)
    "Africa/Johannesburg",  # 29 South Africa (Pretoria)
    "Europe/Helsinki",  # 30 Northern Europe (Helsinki)
    "Asia/Jerusalem",  # 31 Israel (Tel Aviv)
    "Asia/Riyadh",  # 32 Saudi Arabia (Baghdad)
    "Europe/Moscow",  # 33 Russian (Moscow)
    "Africa/Nairobi",  # 34
    "Asia/Tehran",  # 35 Iran (Tehran)
    "Asia/Dubai",  # 36 Arabian (Abu Dhabi, Muscat)
    "Asia/Baku",  # 37
    "Asia/Kabul",  # 38 Afghanistan (Kabul)
    "Asia/Yekaterinburg",  # 39 West Asia (Ekaterinburg)
    "Asia/Karachi",  # 40 West Asia (Islamabad)
    "Asia/Kolkata",  # 41 India (Bombay)
    "Asia/Colombo",  # 42 Columbo
    "Asia/Almaty",  # 43 Central Asia (Almaty)
    "Asia/Bangkok",  # 44
    "Asia/Shanghai",  # 45 China (Beijing)
    "Australia/Perth",  # 46 Australia Western (Perth)
    "Asia/Singapore",  # 47
    "Asia/Hong_Kong",  # 48 Taipei (Hong Kong)
    "Asia/Tokyo",  # 49
    "Asia/Seoul",  # 50 Korea (Seoul)
    "Asia/Yakutsk",  # 51 Yakutsk
    "Australia/Adelaide",  # 52 Australia Central (Adelaide)
    "Australia/Darwin",  # 53 Australia Central (Darwin)
    "Australia/Brisbane",  # 54 Australia Eastern (Brisbane)
    "Australia/Sydney",  # 55 Australia Eastern (Sydney)
    "Pacific/Guam",  # 56 West Pacific (Guam)
    "Australia/Hobart",  # 57 Tasmania (Hobart)
    "Asia/Vladivostok",  # 58
    "Pacific/Guadalcanal",  # 59 Central Pacific (Solomon Is)
    "Pacific/Auckland",  # 60 New Zealand (Wellington)
    "Pacific/Fiji",  # 61 Fiji
)

_ZONE_ID_BY_IANA = {name: zone_id for zone_id, name in enumerate(IANA_BY_ZONE_ID)}
# Other spellings of the same zones that clients send.
_ALIASES = {"Etc/UTC": "UTC", "Etc/GMT": "UTC", "GMT": "UTC", "Asia/Calcutta": "Asia/Kolkata"}


class UnknownZone(ValueError):
    """Not an IANA time-zone name."""


@cache
def zone_info(name: str) -> ZoneInfo:
    """The IANA zone; UnknownZone when the name is not one."""
    if not name or name.startswith("/") or ".." in name:
        raise UnknownZone(f"{name!r} is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownZone(f"{name!r} is not an IANA time zone") from None


def iana_for(zone_id: int) -> str:
    """The IANA zone a Webex timeZoneID is shown as; GMT for an ID outside the table."""
    if 0 <= zone_id < len(IANA_BY_ZONE_ID):
        return IANA_BY_ZONE_ID[zone_id]
    return IANA_BY_ZONE_ID[GMT_ZONE_ID]


def zone_id_for(iana: str, at: datetime) -> int:
    """The Webex timeZoneID for an IANA zone: the same zone, else one that keeps the same offsets.

    A zone with the same offset at `at` and half a year later (the same daylight saving) wins over
    one that only matches at `at`; with neither, GMT.
    """
    name = _ALIASES.get(iana, iana)
    if name in _ZONE_ID_BY_IANA:
        return _ZONE_ID_BY_IANA[name]
    later = at + timedelta(days=182)
    wanted = zone_info(iana)
    offsets = (at.astimezone(wanted).utcoffset(), later.astimezone(wanted).utcoffset())
    same_now = None
    for zone_id, candidate in enumerate(IANA_BY_ZONE_ID):
        zone = zone_info(candidate)
        if at.astimezone(zone).utcoffset() != offsets[0]:
            continue
        if later.astimezone(zone).utcoffset() == offsets[1]:
            return zone_id
        same_now = zone_id if same_now is None else same_now
    return same_now if same_now is not None else GMT_ZONE_ID
