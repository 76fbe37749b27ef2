"""Strict mode: each request's bodyContent is checked against the official schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.emulator import Emulator, SchemaUnavailable, request_schema
from tests.unit.emulator.conftest import CreateMeeting, Xml

OUT_OF_ORDER = (
    "<schedule><startDate>01/02/2031 09:00:00</startDate></schedule>"
    "<metaData><confName>x</confName></metaData>"
)


@pytest.fixture(autouse=True)
def _needs_schemas(xsd_dir: Path) -> None:
    """Skips these tests (with the reason) when the schemas are not beside the checkout."""


async def test_out_of_order_children_fail_naming_the_element(emulator: Emulator, xml: Xml) -> None:
    assert emulator.strict
    body = OUT_OF_ORDER
    answer = await xml("CreateMeeting", body)
    assert (answer.result, answer.exception_id) == ("FAILURE", "999999")
    assert "Request does not match the schema" in answer.reason
    assert "Element 'metaData': This element is not expected" in answer.reason
    assert emulator.meetings() == []


async def test_wrong_case_of_meeting_key_fails(
    emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting()
    answer = await xml(
        "SetMeeting", f"<meetingKey>{key}</meetingKey><metaData><confName>x</confName></metaData>"
    )
    assert answer.exception_id == "999999" and "meetingKey" in answer.reason


async def test_unknown_enum_value_fails(xml: Xml) -> None:
    answer = await xml("LstsummaryMeeting", "<order><orderBy>HOSTNAME</orderBy></order>")
    assert answer.exception_id == "999999" and "HOSTNAME" in answer.reason


async def test_lenient_mode_accepts_what_strict_refuses(emulator: Emulator, xml: Xml) -> None:
    emulator.strict = False
    body = OUT_OF_ORDER
    assert (await xml("CreateMeeting", body)).result == "SUCCESS"


def test_strict_mode_without_schemas_says_what_is_missing() -> None:
    with pytest.raises(SchemaUnavailable, match="WEBEX_XSD_DIR"):
        Emulator.with_defaults(strict=True)
    emulator = Emulator.with_defaults()
    with pytest.raises(SchemaUnavailable, match="xsd_dir"):
        emulator.strict = True
    assert emulator.strict is False


def test_a_folder_without_schemas(tmp_path: Path) -> None:
    with pytest.raises(SchemaUnavailable, match="service/service.xsd"):
        Emulator.with_defaults(xsd_dir=tmp_path, strict=True)


def test_schemas_are_built_once(xsd_dir: Path) -> None:
    first = Emulator.with_defaults(xsd_dir=xsd_dir, strict=True)
    second = Emulator.with_defaults(xsd_dir=xsd_dir, strict=True)
    assert first.request_schema() is second.request_schema() is request_schema(xsd_dir)
    schema = request_schema(xsd_dir)
    assert schema.schema_for("meeting", "CreateMeeting") is schema.schema_for("meeting", "CreateMeeting")


def test_unknown_operation_type(xsd_dir: Path) -> None:
    with pytest.raises(SchemaUnavailable, match="no type"):
        request_schema(xsd_dir).schema_for("meeting", "MakeCoffee")
