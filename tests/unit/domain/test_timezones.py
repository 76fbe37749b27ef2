"""The Webex time-zone table against the official schema, and conversions across daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from bot.domain.timezones import offset_zone_name, zone_info, zone_place
from bot.webex.timezones import (
    GMT_ZONE_ID,
    WEBEX_TIME_ZONES,
    UnknownTimeZone,
    from_webex_local,
    parse_webex_datetime,
    to_webex_local,
    webex_zone_for,
    webex_zone_matching,
    zone_by_id,
    zone_by_name,
)


def test_table_is_the_schemas_time_zone_enumeration_in_order(xsd_dir: Path) -> None:
    tree = etree.parse(str(xsd_dir / "common" / "common.xsd"))
    ns = {"xsd": "http://www.w3.org/2001/XMLSchema"}
    names = tree.xpath("//xsd:simpleType[@name='timeZoneType']//xsd:enumeration/@value", namespaces=ns)
    assert [zone.name for zone in WEBEX_TIME_ZONES] == names


def test_lookup_by_id_and_name() -> None:
    assert zone_by_id(11).name == "GMT-05:00, Eastern (New York)"
    assert zone_by_name("GMT+01:00, Europe (Berlin)").id == 25
    with pytest.raises(UnknownTimeZone):
        zone_by_id(62)
    with pytest.raises(UnknownTimeZone):
        zone_by_name("Mars (Olympus Mons)")


@pytest.mark.parametrize(
    ("iana", "expected"),
    [("America/New_York", 11), ("Europe/Berlin", 25), ("Asia/Kolkata", 41), ("Europe/London", 21)],
)
def test_a_known_iana_zone_maps_to_its_own_webex_zone(iana: str, expected: int) -> None:
    assert webex_zone_for(iana, datetime(2026, 7, 1, tzinfo=UTC)).id == expected


def test_an_unlisted_zone_maps_to_a_zone_with_the_same_offset_and_rules() -> None:
    # Toronto follows New York's rules; Vienna follows the central European ones.
    winter, summer = datetime(2026, 1, 15, 15, tzinfo=UTC), datetime(2026, 7, 15, 15, tzinfo=UTC)
    for at in (winter, summer):
        toronto = webex_zone_for("America/Toronto", at)
        assert at.astimezone(toronto.tzinfo).utcoffset() == at.astimezone(zone_by_id(11).tzinfo).utcoffset()
        vienna = webex_zone_for("Europe/Vienna", at)
        assert vienna.iana in {"Europe/Amsterdam", "Europe/Paris", "Europe/Prague", "Europe/Berlin"}


def test_no_match_falls_back_to_plain_gmt() -> None:
    # Nepal is UTC+05:45, which no Webex zone has.
    assert webex_zone_for("Asia/Kathmandu", datetime(2026, 3, 1, tzinfo=UTC)).id == GMT_ZONE_ID
    assert webex_zone_for("Not/AZone", datetime(2026, 3, 1, tzinfo=UTC)).id == GMT_ZONE_ID


def test_local_text_round_trips_across_the_us_dst_change() -> None:
    # 9:00 in New York is 14:00 UTC before 8 March 2026 and 13:00 UTC after.
    assert from_webex_local("03/06/2026 09:00:00", 11) == datetime(2026, 3, 6, 14, tzinfo=UTC)
    assert from_webex_local("03/09/2026 09:00:00", 11) == datetime(2026, 3, 9, 13, tzinfo=UTC)
    assert to_webex_local(datetime(2026, 3, 9, 13, tzinfo=UTC), 11) == "03/09/2026 09:00:00"


def test_loose_dates_from_real_clients_are_read() -> None:
    assert parse_webex_datetime("6/9/2019 15:51:0") == datetime(2019, 6, 9, 15, 51, 0)
    assert parse_webex_datetime("07/20/2016 15:30:00") == datetime(2016, 7, 20, 15, 30)
    with pytest.raises(ValueError):
        parse_webex_datetime("2016-07-20T15:30:00")


@pytest.mark.parametrize(
    ("minutes", "name"),
    [(0, "UTC"), (120, "UTC+02:00"), (-180, "UTC-03:00"), (330, "UTC+05:30"), (-570, "UTC-09:30")],
)
def test_fixed_offsets_have_one_name_and_read_back(minutes: int, name: str) -> None:
    assert offset_zone_name(minutes) == name
    zone = zone_info(name)
    assert zone is not None and zone.utcoffset(None) is not None
    assert int(zone.utcoffset(None).total_seconds()) // 60 == minutes  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name", ["", "UTC+15:00", "UTC+5", "Not/AZone", "../etc/passwd", "x" * 100, "UTC+05:60"]
)
def test_names_that_are_no_zone_read_as_none(name: str) -> None:
    assert zone_info(name) is None


@pytest.mark.parametrize(
    ("name", "at", "iana"),
    [
        ("Europe/Berlin", datetime(2026, 7, 1, tzinfo=UTC), "Europe/Berlin"),
        ("Europe/Madrid", datetime(2026, 7, 1, tzinfo=UTC), "Europe/Amsterdam"),  # same rules as Amsterdam
        ("UTC+02:00", datetime(2026, 1, 1, tzinfo=UTC), "Africa/Johannesburg"),  # +2 all year
        ("UTC", datetime(2026, 7, 1, tzinfo=UTC), "Etc/GMT"),
        ("Asia/Kathmandu", datetime(2026, 7, 1, tzinfo=UTC), None),
        ("UTC+05:45", datetime(2026, 7, 1, tzinfo=UTC), None),
        ("Not/AZone", datetime(2026, 7, 1, tzinfo=UTC), None),
    ],
)
def test_the_webex_zone_matching_a_zone_on_a_date(name: str, at: datetime, iana: str | None) -> None:
    matching = webex_zone_matching(name, at)
    assert (matching.iana if matching else None) == iana


def test_zones_are_called_by_their_city() -> None:
    assert zone_place("Europe/Berlin") == "Berlin"
    assert zone_place("America/Argentina/Buenos_Aires") == "Buenos Aires"
    assert zone_place("UTC+05:30") == "UTC+05:30"
