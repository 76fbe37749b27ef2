"""REST date-times: ISO 8601 in (any offset, or naive in a named zone), Webex's minute-exact form out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from bot.emulator.rest.errors import invalid, malformed
from bot.emulator.rest.zones import UnknownZone, zone_info


def zone_or_error(name: str, field: str = "timezone") -> tzinfo:
    try:
        return zone_info(name)
    except UnknownZone:
        raise invalid(f"Invalid value on '{field}' field: {name!r} is not an IANA time zone.") from None


def parse_instant(text: object, field: str, zone_name: str, *, zone_given: bool) -> datetime:
    """An aware UTC instant from any ISO 8601 text; a naive one is read in `zone_name`.

    With a `timezone` given alongside, an explicit offset that disagrees with the zone is refused, as
    Webex refused `2023-03-21T05:00:00Z` with `Asia/Calcutta`.
    """
    if not isinstance(text, str) or not text.strip():
        raise malformed(f"Invalid value on '{field}' field: an ISO 8601 date and time is required.")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise malformed(
            f"Invalid value on '{field}' field: {text!r} is not an ISO 8601 date and time."
        ) from None
    zone = zone_or_error(zone_name)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone).astimezone(UTC)
    if zone_given and value.utcoffset() != value.astimezone(zone).utcoffset():
        raise invalid(f"timezone '{zone_name}' and timezone offset in '{text.strip()}' do not match")
    return value.astimezone(UTC)


def parse_window_bound(text: str, field: str, zone: tzinfo) -> datetime:
    """A `from`/`to` query value; a naive one is read in the `timezone` header's zone (UTC without it)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise malformed(
            f"Invalid value on '{field}' field: {text!r} is not an ISO 8601 date and time."
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def to_minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


def schedule_start(start: datetime, now: datetime) -> datetime:
    """Webex keeps minutes: a start in the current minute moves to the next one, others lose their seconds."""
    if to_minute(start) == to_minute(now):
        return to_minute(now) + timedelta(minutes=1)
    return to_minute(start)


def render(instant: datetime, zone: tzinfo | None) -> str:
    """`2031-03-10T14:00:00Z` in UTC, `2031-03-10T10:00:00-04:00` in another zone."""
    if zone is None:
        return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    local = instant.astimezone(zone)
    if local.utcoffset() == timedelta(0) and str(zone) in ("UTC", "Etc/UTC"):
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.replace(microsecond=0).isoformat()
