"""Fidelity: every answer validates against the official schema, and the captured exchanges replay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from lxml import etree

from bot.emulator import XML_SERVICE_PATH, Emulator, Fault, ResponseSchema, create_app, response_schema
from bot.webex.timezones import WEBEX_TIME_ZONES
from tests.support.emulator import ALICE, read_answer
from tests.unit.emulator.conftest import CreateMeeting, Xml

FIXTURE_MEETING_KEY = 123456789


@pytest.fixture(scope="module")
def schema(xsd_dir: Path) -> ResponseSchema:
    return response_schema(xsd_dir)


def _xml_of(path: Path) -> bytes:
    raw = path.read_bytes()
    return raw[raw.index(b"<?xml") :].strip()


def _shape(element: etree._Element) -> list[object]:
    """An element's children as a tree of qualified names (text left out)."""
    return [(child.tag, _shape(child)) for child in element if isinstance(child.tag, str)]


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    remaining = iter(big)
    return all(any(name == other for other in remaining) for name in small)


async def test_every_operation_answers_schema_valid_xml(
    schema: ResponseSchema, emulator: Emulator, xml: Xml, create_meeting: CreateMeeting
) -> None:
    emulator.add_recording("sandbox", ALICE, "Recorded", meeting_key=FIXTURE_MEETING_KEY)
    key = await create_meeting(
        extra="<participants><attendees><attendee><person><name>Bob</name><email>bob@sandbox.example</email>"
        "</person></attendee></attendees></participants>",
    )
    calls = [
        ("GetMeeting", f"<meetingKey>{key}</meetingKey>"),
        ("SetMeeting", f"<metaData><confName>Moved</confName></metaData><meetingkey>{key}</meetingkey>"),
        (
            "LstsummaryMeeting",
            "<listControl><startFrom>1</startFrom><maximumNum>5</maximumNum></listControl>",
        ),
        ("GetjoinurlMeeting", f"<sessionKey>{key}</sessionKey><attendeeName>Guest</attendeeName>"),
        ("GethosturlMeeting", f"<sessionKey>{key}</sessionKey>"),
        ("GetUser", f"<webExId>{ALICE}</webExId>"),
        ("LstRecording", "<listControl><startFrom>1</startFrom></listControl>"),
        ("GetAPIVersion", "<returnTrainReleaseVersion>true</returnTrainReleaseVersion>"),
        ("DelMeeting", f"<meetingKey>{key}</meetingKey>"),
        ("GetMeeting", f"<meetingKey>{key}</meetingKey>"),
        ("LstsummaryMeeting", ""),
        ("GetUser", "<webExId>nobody</webExId>"),
    ]
    results = []
    for operation, body in calls:
        answer = await xml(operation, body)
        results.append(answer.result)
        assert schema.validate(answer.raw) == [], (operation, answer.raw.decode())
    assert results == ["SUCCESS"] * 9 + ["FAILURE"] * 3


async def test_create_meeting_answer_validates(
    schema: ResponseSchema, xml: Xml, create_meeting: CreateMeeting
) -> None:
    schedule = "<schedule><startDate>01/02/2031 09:00:00</startDate></schedule>"
    answer = await xml("CreateMeeting", f"<metaData><confName>x</confName></metaData>{schedule}")
    assert answer.result == "SUCCESS" and schema.validate(answer.raw) == []


async def test_every_time_zone_is_answered_with_its_schema_name(
    schema: ResponseSchema, xml: Xml, create_meeting: CreateMeeting
) -> None:
    for zone in WEBEX_TIME_ZONES:
        key = await create_meeting(zone=zone.id, start="07/01/2031 12:00:00")
        answer = await xml("GetMeeting", f"<meetingKey>{key}</meetingKey>")
        assert (answer.text("timeZone"), answer.text("startDate")) == (zone.name, "07/01/2031 12:00:00")
        assert schema.validate(answer.raw) == [], zone


async def test_fault_answers_validate(schema: ResponseSchema, emulator: Emulator, xml: Xml) -> None:
    emulator.add_fault(Fault.failure("000035", "ASService not responding", count=1))
    emulator.add_fault(Fault.rate_limited(style="webex", count=1))
    for _ in range(2):
        answer = await xml("GetUser", f"<webExId>{ALICE}</webExId>")
        assert answer.result == "FAILURE" and schema.validate(answer.raw) == []


# the captured exchanges ----------------------------------------------------------------------------


@pytest.fixture
def fixture_site(emulator: Emulator) -> Emulator:
    """The site the 2016 captures were taken on: user 123456 (password test) and meeting 123456789."""
    emulator.add_site("test")
    emulator.add_user(
        "test",
        "123456@mail.com",
        webex_id="123456",
        first_name="Firstname",
        last_name="Lastname",
        time_zone_id=25,
        password="test",
        meeting_types=(1,),
    )
    emulator.add_meeting(
        "test",
        "123456",
        "Test-Meeting via XML API",
        datetime(2016, 7, 20, 13, 30, tzinfo=UTC),
        duration_minutes=30,
        key=FIXTURE_MEETING_KEY,
        agenda="Meeting Agenda",
        password="123456",
    )
    return emulator


CAPTURED = [
    "meeting_create_meeting",
    "meeting_get_meeting",
    "meeting_del_meeting",
    "meeting_getjoinurl_meeting",
    "user_get_user",
]


@pytest.mark.parametrize("name", CAPTURED)
async def test_captured_requests_are_answered_in_the_captured_shape(
    fixtures_dir: Path,
    schema: ResponseSchema,
    fixture_site: Emulator,
    emulator_client: httpx.AsyncClient,
    name: str,
) -> None:
    assert fixture_site.strict  # the captured requests pass the schema check too
    request = (fixtures_dir / f"{name}_request.xml").read_bytes()
    response = await emulator_client.post(XML_SERVICE_PATH, content=request)
    ours = etree.fromstring(response.content)
    captured = etree.fromstring(_xml_of(fixtures_dir / f"{name}_response_good.xml"))
    assert read_answer(response).result == "SUCCESS"
    assert schema.validate(response.content) == []
    assert ours.nsmap == captured.nsmap
    ours_body, captured_body = ours[1][0], captured[1][0]
    xsi = "{http://www.w3.org/2001/XMLSchema-instance}type"
    assert ours_body.get(xsi) == captured_body.get(xsi)
    assert _shape(ours[0]) == _shape(captured[0])
    ours_names = [child.tag for child in ours_body]
    captured_names = [child.tag for child in captured_body]
    assert _is_subsequence(ours_names, captured_names), (ours_names, captured_names)
    if name in ("meeting_create_meeting", "meeting_del_meeting", "meeting_getjoinurl_meeting"):
        assert _shape(ours_body) == _shape(captured_body)
    if name == "meeting_get_meeting":
        # Everything the capture has except the elements the official schema does not know.
        assert set(captured_names) - set(ours_names) == {
            "{http://www.webex.com/schemas/2002/06/service/meeting}telePresence"
        }
        for section in ("accessControl", "metaData", "schedule", "telephony", "attendeeOptions"):
            ours_section = ours_body.find(f"{{*}}{section}")
            captured_section = captured_body.find(f"{{*}}{section}")
            assert _is_subsequence([c.tag for c in ours_section], [c.tag for c in captured_section]), section
        assert ours_body.findtext("{*}schedule/{*}startDate") == "07/20/2016 15:30:00"
        assert ours_body.findtext("{*}schedule/{*}timeZone") == "GMT+01:00, Europe (Berlin)"


@pytest.mark.parametrize(
    ("name", "request_change"),
    [
        ("meeting_get_meeting", (b"123456789", b"111111111")),
        ("meeting_del_meeting", (b"123456789", b"111111111")),
        ("meeting_getjoinurl_meeting", (b"123456789", b"111111111")),
        ("user_get_user", (b"<password>test</password>", b"<sessionTicket>expired</sessionTicket>")),
        ("meeting_create_meeting", (b"<siteName>test</siteName>", b"<siteName>pwsite</siteName>")),
    ],
)
async def test_failures_are_byte_for_byte_the_captured_ones(
    fixtures_dir: Path,
    fixture_site: Emulator,
    emulator_client: httpx.AsyncClient,
    name: str,
    request_change: tuple[bytes, bytes],
) -> None:
    fixture_site.add_site("pwsite", require_meeting_password=True)
    fixture_site.add_user("pwsite", "123456@mail.com", webex_id="123456", password="test")
    request = (fixtures_dir / f"{name}_request.xml").read_bytes().replace(*request_change)
    response = await emulator_client.post(XML_SERVICE_PATH, content=request)
    assert response.status_code == 200
    assert response.content == _xml_of(fixtures_dir / f"{name}_response_bad.xml")


async def test_captured_good_responses_mostly_validate(fixtures_dir: Path, schema: ResponseSchema) -> None:
    """Guards the validator itself: it accepts real answers, and names what the old schema lacks."""
    results = {
        path.name: schema.validate(_xml_of(path)) for path in sorted(fixtures_dir.glob("*_response_*.xml"))
    }
    invalid = {name for name, errors in results.items() if errors}
    assert invalid == {"meeting_get_meeting_response_good.xml", "user_get_user_response_good.xml"}


def test_a_schema_violation_is_reported(schema: ResponseSchema) -> None:
    broken = (
        b'<?xml version="1.0" encoding="UTF-8"?><serv:message xmlns:serv="http://www.webex.com/schemas/2002/06/service">'
        b"<serv:header><serv:response><serv:result>MAYBE</serv:result></serv:response></serv:header>"
        b"<serv:body><serv:bodyContent/></serv:body></serv:message>"
    )
    assert any("MAYBE" in error for error in schema.validate(broken))
    assert schema.validate(b"<not xml") != []


async def test_responses_validate_when_served_without_strict_mode(schema: ResponseSchema) -> None:
    emulator = Emulator.with_defaults()
    token = emulator.issue_tokens("sandbox", ALICE)["access_token"]
    from tests.support.emulator import xml_request

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(emulator)), base_url="http://e"
    ) as client:
        response = await client.post(
            XML_SERVICE_PATH, content=xml_request("GetUser", f"<webExId>{ALICE}</webExId>", token=str(token))
        )
    assert schema.validate(response.content) == []
