"""The REST side's own time-zone table: every Webex timeZoneID has a real IANA zone, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.emulator.rest.zones import IANA_BY_ZONE_ID, UnknownZone, iana_for, zone_id_for, zone_info
from tests.support.paths import XSD_DIR

WINTER = datetime(2031, 1, 15, 12, tzinfo=UTC)


def test_one_real_zone_per_webex_id() -> None:
    assert len(IANA_BY_ZONE_ID) == 62
    for name in IANA_BY_ZONE_ID:
        zone_info(name)
    assert iana_for(11) == "America/New_York" and iana_for(20) == "UTC" and iana_for(99) == "UTC"


def test_ids_round_trip_and_other_zones_map_by_their_offsets() -> None:
    for zone_id, name in enumerate(IANA_BY_ZONE_ID):
        assert zone_id_for(name, WINTER) == zone_id
    assert zone_id_for("America/Toronto", WINTER) == 11  # same offsets as New York all year
    assert zone_id_for("Asia/Calcutta", WINTER) == 41
    assert zone_id_for("Etc/UTC", WINTER) == 20
    assert zone_id_for("Pacific/Kiritimati", WINTER) == 20  # +14: no Webex zone, GMT


def test_not_a_zone() -> None:
    for name in ("Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(UnknownZone):
            zone_info(name)


@pytest.mark.skipif(
    not (XSD_DIR / "common" / "common.xsd").is_file(), reason="the Webex XSD is not beside the checkout"
)
def test_the_table_follows_the_schema_order_where_the_offset_is_still_true() -> None:
    """Where the schema's label gives today's winter offset, the table's zone has it (index = timeZoneID)."""
    import re

    labels = re.findall(r'value="(GMT[+-]\d\d:\d\d), [^"]*"', (XSD_DIR / "common" / "common.xsd").read_text())
    assert len(labels) == 62
    agree = 0
    for zone_id, label in enumerate(labels):
        sign = -1 if label[3] == "-" else 1
        minutes = sign * (int(label[4:6]) * 60 + int(label[7:9]))
        offsets = {
            WINTER.astimezone(zone_info(IANA_BY_ZONE_ID[zone_id])).utcoffset(),
            datetime(2031, 7, 15, tzinfo=UTC).astimezone(zone_info(IANA_BY_ZONE_ID[zone_id])).utcoffset(),
        }
        agree += any(offset is not None and offset.total_seconds() / 60 == minutes for offset in offsets)
    # A few labels are out of date (Caracas, Kabul, Tehran, Colombo, Yakutsk, ...); the rest must agree.
    assert agree >= 54, agree
