"""Reading requests as leniently as Webex does, with a parser that refuses entity tricks."""

from __future__ import annotations

import httpx
import pytest

from bot.emulator import XML_SERVICE_PATH, Emulator
from tests.support.emulator import SERV, XSI, read_answer, xml_request

SCHEDULE = "<schedule><startDate>01/02/2031 09:00:00</startDate></schedule>"


def _message(body: str, token: str, *, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return (
        f"{declaration}<serv:message><header><securityContext><webExID>alice@sandbox.example</webExID>"
        f"<siteName>sandbox</siteName><webExAccessToken>{token}</webExAccessToken></securityContext></header>"
        f"<body>{body}</body></serv:message>"
    )


async def test_undeclared_serv_and_xsi_prefixes(
    emulator_client: httpx.AsyncClient, alice_token: str, emulator: Emulator
) -> None:
    body = (
        '<bodyContent xsi:type="java:com.webex.service.binding.user.GetUser">'
        "<webExId>alice@sandbox.example</webExId></bodyContent>"
    )
    response = await emulator_client.post(XML_SERVICE_PATH, content=_message(body, alice_token).encode())
    answer = read_answer(response)
    assert answer.result == "SUCCESS" and answer.text("firstName") == "Alice"


@pytest.mark.parametrize("declared", [True, False])
async def test_iso_8859_1_bodies(
    emulator_client: httpx.AsyncClient, alice_token: str, emulator: Emulator, declared: bool
) -> None:
    body = (
        '<bodyContent xsi:type="java:com.webex.service.binding.meeting.CreateMeeting">'
        "<metaData><confName>Réunion à Zürich</confName></metaData>"
        "<schedule><startDate>01/02/2031 09:00:00</startDate></schedule></bodyContent>"
    )
    declaration = '<?xml version="1.0" encoding="ISO-8859-1"?>' if declared else ""
    raw = _message(body, alice_token, declaration=declaration).replace(
        "<serv:message>", f'<serv:message xmlns:serv="{SERV}" xmlns:xsi="{XSI}">'
    )
    response = await emulator_client.post(XML_SERVICE_PATH, content=raw.encode("iso-8859-1"))
    assert read_answer(response).result == "SUCCESS"
    assert [m.conf_name for m in emulator.meetings()] == ["Réunion à Zürich"]


async def test_children_in_any_order_and_booleans_in_any_case_when_lenient(
    emulator_client: httpx.AsyncClient, alice_token: str, emulator: Emulator
) -> None:
    emulator.strict = False
    body = (
        "<schedule><joinTeleconfBeforeHost>TRUE</joinTeleconfBeforeHost><duration>20</duration>"
        "<startDate>01/02/2031 09:00:00</startDate></schedule>"
        "<metaData><confName>Any order</confName></metaData>"
    )
    response = await emulator_client.post(
        XML_SERVICE_PATH,
        content=xml_request("CreateMeeting", body, token=alice_token),
        headers={"content-type": "text/plain"},
    )
    assert read_answer(response).result == "SUCCESS"
    (meeting,) = emulator.meetings()
    assert meeting.join_before_host is True and meeting.duration_minutes == 20


@pytest.mark.parametrize(
    "content_type", [None, "application/xml", "text/xml; charset=utf-8", "application/x-www-form-urlencoded"]
)
async def test_any_content_type(emulator_client: httpx.AsyncClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await emulator_client.post(
        XML_SERVICE_PATH, content=xml_request("GetAPIVersion", token=None), headers=headers
    )
    assert read_answer(response).result == "SUCCESS"


async def test_short_xsi_type(emulator_client: httpx.AsyncClient) -> None:
    raw = xml_request("GetAPIVersion", token=None).replace(b"java:com.webex.service.binding.ep.", b"ep.")
    assert read_answer(await emulator_client.post(XML_SERVICE_PATH, content=raw)).result == "SUCCESS"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "empty"),
        (b"<x>" + b" " * 1_048_576 + b"</x>", "larger than"),
        (b"this is not xml", "not well-formed"),
        (b"<serv:message><header/></serv:message>", "bodyContent"),
        (b'<?xml version="1.0"?><other/>', "root element"),
        (
            f'<serv:message xmlns:serv="{SERV}"><body><bodyContent>x</bodyContent></body></serv:message>',
            "xsi:type",
        ),
    ],
)
async def test_unreadable_requests_are_a_failure_with_http_200(
    emulator_client: httpx.AsyncClient, raw: bytes | str, words: str
) -> None:
    response = await emulator_client.post(
        XML_SERVICE_PATH, content=raw.encode() if isinstance(raw, str) else raw
    )
    answer = read_answer(response)
    assert response.status_code == 200
    assert (answer.result, answer.exception_id) == ("FAILURE", "999999")
    assert words in answer.reason


async def test_external_entities_are_not_resolved(
    emulator_client: httpx.AsyncClient, alice_token: str, emulator: Emulator
) -> None:
    emulator.strict = False
    body = f"<metaData><confName>x&xxe;</confName></metaData>{SCHEDULE}"
    raw = xml_request("CreateMeeting", body, token=alice_token).replace(
        b"?>", b'?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1
    )
    await emulator_client.post(XML_SERVICE_PATH, content=raw)
    assert all("root:" not in meeting.conf_name for meeting in emulator.meetings())


async def test_entity_expansion_is_not_performed(
    emulator_client: httpx.AsyncClient, alice_token: str, emulator: Emulator
) -> None:
    emulator.strict = False
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(6)
    )
    body = f"<metaData><confName>&g;</confName></metaData>{SCHEDULE}"
    raw = xml_request("CreateMeeting", body, token=alice_token).replace(
        b"?>", f"?><!DOCTYPE m [{entities}]>".encode(), 1
    )
    await emulator_client.post(XML_SERVICE_PATH, content=raw)
    assert all(len(meeting.conf_name) < 1000 for meeting in emulator.meetings())


async def test_response_headers_and_shape(emulator_client: httpx.AsyncClient) -> None:
    response = await emulator_client.post(XML_SERVICE_PATH, content=xml_request("GetAPIVersion", token=None))
    assert response.headers["content-type"] == "text/xml;charset=UTF-8"
    assert response.headers["cache-control"] == "no-cache" and response.headers["pragma"] == "no-cache"
    first_line, rest = response.content.split(b"\n", 1)
    assert first_line == b'<?xml version="1.0" encoding="UTF-8"?>'
    assert b"\n" not in rest
    assert b'<serv:bodyContent xsi:type="ep:getAPIVersionResponse" xmlns:xsi=' in rest


async def test_the_xml_service_also_answers_under_a_site_prefix(emulator_client: httpx.AsyncClient) -> None:
    response = await emulator_client.post(
        f"/sandbox{XML_SERVICE_PATH}", content=xml_request("GetAPIVersion", token=None)
    )
    assert read_answer(response).result == "SUCCESS"
