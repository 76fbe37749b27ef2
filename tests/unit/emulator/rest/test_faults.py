"""Faults on REST routes, the request log and the `/_emulator/rest` controls."""

from __future__ import annotations

from bot.emulator import Emulator, Fault
from tests.unit.emulator.conftest import Xml
from tests.unit.emulator.rest.conftest import Rest, meeting_body


async def test_rate_limited_is_429_with_retry_after_and_nothing_is_created(
    rest: Rest, emulator: Emulator
) -> None:
    emulator.add_fault(Fault.rate_limited(retry_after=7, operation="POST /v1/meetings", count=1))
    limited = await rest.post("/v1/meetings", json=meeting_body())
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["trackingId"] == limited.headers["TrackingID"]
    assert emulator.meetings() == []
    assert (await rest.post("/v1/meetings", json=meeting_body())).status_code == 200


async def test_webex_style_rate_limit_is_423_with_retry_after(rest: Rest, emulator: Emulator) -> None:
    emulator.add_fault(Fault.rate_limited(retry_after=3, style="webex", operation="rest", count=1))
    locked = await rest.get("/v1/meetings")
    assert locked.status_code == 423 and locked.headers["Retry-After"] == "3"


async def test_server_errors_on_every_rest_route_leave_xml_alone(
    rest: Rest, emulator: Emulator, xml: Xml
) -> None:
    emulator.add_fault(Fault.http_error(503, operation="rest"))
    for path in ("/v1/meetings", "/v1/people/me", "/v1/recordings"):
        response = await rest.get(path)
        assert response.status_code == 503 and response.json()["message"]
    assert (await xml("GetUser", "<webExId>alice@sandbox.example</webExId>")).result == "SUCCESS"
    emulator.clear_faults()
    emulator.add_fault(Fault.http_error(500))  # None: every XML operation, not REST
    assert (await rest.get("/v1/meetings")).status_code == 200


async def test_latency_delays_then_answers(rest: Rest, emulator: Emulator) -> None:
    emulator.add_fault(Fault.latency(0.2, operation="GET /v1/meetings/{meetingId}", count=1))
    created = await rest.create()
    response = await rest.get(f"/v1/meetings/{created['id']}")
    assert response.status_code == 200
    (entry,) = emulator.rest.requests("GET /v1/meetings/{meetingId}")
    assert entry.duration_ms >= 200


async def test_malformed_and_token_endpoint_faults(rest: Rest, emulator: Emulator) -> None:
    emulator.add_fault(Fault.malformed(operation="GET /v1/people/me", count=1))
    broken = await rest.get("/v1/people/me")
    assert broken.status_code == 200 and broken.content == b'{"id": "'
    emulator.add_fault(Fault.http_error(502, operation="POST /v1/access_token", count=1))
    token = await rest.client.post("/v1/access_token", data={"grant_type": "refresh_token"})
    assert token.status_code == 502


async def test_the_request_log_has_one_entry_per_rest_call(rest: Rest, emulator: Emulator) -> None:
    await rest.create()
    await rest.get("/v1/meetings/" + "0" * 32)
    entries = emulator.rest.requests()
    assert [(e.operation, e.status, e.site, e.user) for e in entries] == [
        ("POST /v1/meetings", 200, "sandbox", "alice@sandbox.example"),
        ("GET /v1/meetings/{meetingId}", 404, "sandbox", "alice@sandbox.example"),
    ]
    assert entries[1].outcome == "Cannot find the data"


async def test_control_routes_for_rest(rest: Rest, emulator: Emulator) -> None:
    client = rest.client
    tokens = await client.post(
        "/_emulator/rest/tokens", json={"site": "sandbox", "user": "bob@sandbox.example"}
    )
    assert tokens.status_code == 200
    bob = tokens.json()["access_token"]
    assert (await rest.get("/v1/people/me", token=bob)).json()["emails"] == ["bob@sandbox.example"]
    seeded = await client.post(
        "/_emulator/rest/meetings",
        json={"site": "sandbox", "host": "bob@sandbox.example", "meeting": meeting_body(title="Seeded")},
    )
    assert seeded.status_code == 200 and seeded.json()["hostEmail"] == "bob@sandbox.example"
    listed = (await client.get("/_emulator/rest/meetings", params={"site": "sandbox"})).json()["meetings"]
    assert [m["title"] for m in listed] == ["Seeded"]
    refused = await client.post(
        "/_emulator/rest/meetings",
        json={"site": "sandbox", "host": "bob@sandbox.example", "meeting": meeting_body(minutes=2)},
    )
    assert refused.status_code == 400 and "10 minutes" in refused.json()["error"]
    assert (await client.post("/_emulator/rest/settings", json={"strict": False})).json() == {"strict": False}
    assert emulator.rest.strict is False
    summary = (await client.get("/_emulator/rest")).json()
    assert summary == {"base_path": "/v1", "strict": False, "violations": []}
    fault = await client.post(
        "/_emulator/faults",
        json={"kind": "rate_limited", "operation": "GET /v1/meetings", "retry_after": 2, "count": 1},
    )
    assert fault.status_code == 200
    assert (await rest.get("/v1/meetings")).status_code == 429
    log = (await client.get("/_emulator/rest/requests")).json()["requests"]
    assert [entry["operation"] for entry in log] == ["GET /v1/people/me", "GET /v1/meetings"]
