"""Injected faults at the XML service and the token endpoint, the request log and reset."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.emulator import RATE_LIMITED_EXCEPTION_ID, TOKEN_PATH, XML_SERVICE_PATH, Emulator, Fault, FaultKind
from bot.emulator.wire import parse_request
from tests.support.emulator import ALICE, CLIENT_ID, CLIENT_SECRET, read_answer, xml_request
from tests.unit.emulator.conftest import CreateMeeting, Xml

API_VERSION = xml_request("GetAPIVersion", token=None)


async def post(client: httpx.AsyncClient, raw: bytes = API_VERSION) -> httpx.Response:
    return await client.post(XML_SERVICE_PATH, content=raw)


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": token,
    }
    return await client.post(TOKEN_PATH, data=form)


async def test_latency_delays_only_the_named_operation(
    emulator: Emulator, emulator_client: httpx.AsyncClient, xml: Xml
) -> None:
    emulator.add_fault(Fault.latency(0.15, operation="GetUser"))
    started = time.perf_counter()
    assert read_answer(await post(emulator_client)).result == "SUCCESS"
    assert time.perf_counter() - started < 0.1
    started = time.perf_counter()
    assert (await xml("GetUser", f"<webExId>{ALICE}</webExId>")).result == "SUCCESS"
    assert time.perf_counter() - started >= 0.15


async def test_http_error_for_the_next_two_create_meeting_calls(
    emulator: Emulator, emulator_client: httpx.AsyncClient, alice_token: str, create_meeting: CreateMeeting
) -> None:
    emulator.add_fault(Fault.http_error(503, operation="CreateMeeting", count=2))
    body = "<metaData><confName>x</confName></metaData><schedule><startDate>01/02/2031 09:00:00</startDate>"
    raw = xml_request("CreateMeeting", body + "</schedule>", token=alice_token)
    assert [(await post(emulator_client, raw)).status_code for _ in range(2)] == [503, 503]
    assert (await post(emulator_client)).status_code == 200
    assert emulator.meetings() == []
    assert await create_meeting()
    assert emulator.faults.active() == []


async def test_malformed_body(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    emulator.add_fault(Fault.malformed(count=1))
    response = await post(emulator_client)
    assert response.status_code == 200 and response.headers["content-type"] == "text/xml;charset=UTF-8"
    with pytest.raises(Exception, match="not well-formed|Premature|Couldn't find end"):
        parse_request(response.content)
    assert read_answer(await post(emulator_client)).result == "SUCCESS"


async def test_failure_with_a_given_exception_id(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.add_fault(Fault.failure("000035", "ASService not responding", operation="GetAPIVersion"))
    answer = read_answer(await post(emulator_client))
    assert (answer.status, answer.result, answer.exception_id, answer.reason) == (
        200,
        "FAILURE",
        "000035",
        "ASService not responding",
    )


async def test_rate_limited_http_style(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    emulator.add_fault(Fault.rate_limited(retry_after=3, count=1))
    response = await post(emulator_client)
    assert (response.status_code, response.headers["retry-after"]) == (429, "3")
    assert (await post(emulator_client)).status_code == 200


async def test_rate_limited_webex_style(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    emulator.add_fault(Fault.rate_limited(style="webex", count=1))
    answer = read_answer(await post(emulator_client))
    assert (answer.status, answer.exception_id) == (200, RATE_LIMITED_EXCEPTION_ID)
    assert "rate" in answer.reason and "limit" in answer.reason


async def test_hang_lasts_until_the_client_gives_up(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.add_fault(Fault.hang(count=1))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(post(emulator_client), timeout=0.2)
    assert (await post(emulator_client)).status_code == 200


async def test_a_hang_ends_when_faults_are_cleared(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.add_fault(Fault.hang())
    pending = asyncio.create_task(post(emulator_client))
    await asyncio.sleep(0.05)
    assert not pending.done()
    emulator.clear_faults()
    response = await asyncio.wait_for(pending, timeout=2)
    assert response.status_code == 504


async def test_token_endpoint_down(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    refresh_token = str(emulator.issue_tokens("sandbox", ALICE)["refresh_token"])
    emulator.add_fault(Fault.http_error(503, operation="token"))
    response = await refresh(emulator_client, refresh_token)
    assert response.status_code == 503 and response.json()["error"] == "temporarily_unavailable"
    assert (await post(emulator_client)).status_code == 200
    emulator.clear_faults()
    assert (await refresh(emulator_client, refresh_token)).status_code == 200


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault.malformed(operation="token"), 200),
        (Fault.failure("invalid_grant", "refresh token revoked", operation="token"), 400),
        (Fault.rate_limited(retry_after=7, operation="token"), 429),
    ],
)
async def test_token_endpoint_faults(
    emulator: Emulator, emulator_client: httpx.AsyncClient, fault: Fault, status: int
) -> None:
    emulator.add_fault(fault)
    response = await refresh(emulator_client, str(emulator.issue_tokens("sandbox", ALICE)["refresh_token"]))
    assert response.status_code == status
    if fault.kind is FaultKind.MALFORMED:
        with pytest.raises(ValueError):
            response.json()
    elif fault.kind is FaultKind.FAILURE:
        assert response.json() == {"error": "invalid_grant", "error_description": "refresh token revoked"}
    else:
        assert response.headers["retry-after"] == "7"


async def test_xml_faults_leave_the_token_endpoint_alone_unless_everywhere(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    refresh_token = str(emulator.issue_tokens("sandbox", ALICE)["refresh_token"])
    emulator.add_fault(Fault.http_error(500))
    response = await refresh(emulator_client, refresh_token)
    assert response.status_code == 200
    emulator.clear_faults()
    emulator.add_fault(Fault.http_error(502, operation="*"))
    assert (await refresh(emulator_client, str(response.json()["refresh_token"]))).status_code == 502
    assert (await post(emulator_client)).status_code == 502


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Emulator().add_fault(Fault.http_error(count=0))
    with pytest.raises(ValueError):
        Fault.rate_limited(style="smoke-signals")
    assert Fault.latency(0.5, operation="GetUser", count=3).as_dict()["seconds"] == 0.5


async def test_latency_and_a_terminal_fault_combine(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.add_fault(Fault.latency(0.1, count=1))
    emulator.add_fault(Fault.http_error(500, count=1))
    emulator.add_fault(Fault.http_error(502, count=1))
    started = time.perf_counter()
    assert (await post(emulator_client)).status_code == 500
    assert time.perf_counter() - started >= 0.1
    assert (await post(emulator_client)).status_code == 502
    assert (await post(emulator_client)).status_code == 200


async def test_request_log(
    emulator: Emulator,
    emulator_client: httpx.AsyncClient,
    alice_token: str,
    xml: Xml,
    create_meeting: CreateMeeting,
) -> None:
    emulator.add_fault(Fault.http_error(503, operation="GetMeeting", count=1))
    key = await create_meeting()
    await post(
        emulator_client, xml_request("GetMeeting", f"<meetingKey>{key}</meetingKey>", token=alice_token)
    )
    await xml("GetMeeting", "<meetingKey>123456789</meetingKey>")
    log = emulator.xml_requests()
    assert [(entry.operation, entry.outcome, entry.exception_id, entry.status) for entry in log] == [
        ("CreateMeeting", "SUCCESS", "", 200),
        ("GetMeeting", "fault:http_error", "", 503),
        ("GetMeeting", "FAILURE", "060001", 200),
    ]
    assert log[0].user == ALICE and log[0].site == "sandbox" and b"CreateMeeting" in log[0].body
    assert [entry.operation for entry in emulator.xml_requests("GetMeeting")] == ["GetMeeting", "GetMeeting"]
    emulator.clear_requests()
    assert emulator.requests == []


async def test_reset_keeps_the_seeds_and_forgets_the_rest(
    emulator: Emulator, emulator_client: httpx.AsyncClient, xml: Xml, create_meeting: CreateMeeting
) -> None:
    grant = emulator.issue_tokens("sandbox", ALICE)
    await refresh(emulator_client, str(grant["refresh_token"]))
    await create_meeting()
    emulator.add_fault(Fault.http_error(500, operation="GetUser"))
    emulator.advance(timedelta(days=3))
    assert emulator.token_refreshes == 1
    emulator.reset()
    assert abs(emulator.now() - datetime.now(UTC)) < timedelta(minutes=1)
    assert emulator.meetings() == [] and emulator.requests == [] and emulator.faults.active() == []
    assert emulator.token_refreshes == 0
    assert emulator.user("sandbox", ALICE).first_name == "Alice"
    answer = await xml("GetUser", f"<webExId>{ALICE}</webExId>")
    assert "WebEx access token is invalid" in answer.reason
