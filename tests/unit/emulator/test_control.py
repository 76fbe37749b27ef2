"""The HTTP control surface under /_emulator/: the same controls as the Python API, as JSON."""

from __future__ import annotations

import httpx
import pytest

from bot.emulator import Emulator
from tests.support.emulator import ALICE, approve_consent, authorize_url, query_of, read_answer, xml_request
from tests.unit.emulator.conftest import CreateMeeting


async def test_summary(emulator_client: httpx.AsyncClient) -> None:
    summary = (await emulator_client.get("/_emulator")).json()
    (site,) = summary["sites"]
    assert site["name"] == "sandbox"
    assert [user["email"] for user in site["users"]] == [ALICE, "bob@sandbox.example"]
    assert summary["clients"][0]["client_id"] == "sandbox-client"
    assert "secret" not in str(summary["clients"])
    assert summary["counters"] == {"token_refreshes": 0, "codes_exchanged": 0, "xml_requests": 0}


async def test_seeding_over_http(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    assert (await emulator_client.post("/_emulator/sites", json={"name": "acme"})).status_code == 200
    user = {"site": "acme", "email": "carol@acme.example", "first_name": "Carol", "time_zone_id": 45}
    assert (await emulator_client.post("/_emulator/users", json=user)).json()[
        "webex_id"
    ] == "carol@acme.example"
    client = {
        "client_id": "acme-app",
        "secret": "s3",
        "site": "acme",
        "name": "Acme bot",
        "redirect_uris": ["https://bot.acme.example/cb"],
    }
    assert (await emulator_client.post("/_emulator/clients", json=client)).status_code == 200
    url = authorize_url(
        "http://emulator.test", client_id="acme-app", redirect_uri="https://bot.acme.example/cb"
    )
    location = await approve_consent(emulator_client, url, user="carol@acme.example")
    assert location.startswith("https://bot.acme.example/cb?code=")
    assert emulator.user("acme", "carol@acme.example").time_zone_id == 45


async def test_clock(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    token = emulator.issue_tokens("sandbox", ALICE)["access_token"]
    before = emulator.now()
    moved = (await emulator_client.post("/_emulator/clock", json={"advance_seconds": 7200})).json()
    assert moved["now"] > before.isoformat()
    raw = xml_request("GetUser", f"<webExId>{ALICE}</webExId>", token=str(token))
    assert (
        "token is invalid"
        in read_answer(await emulator_client.post("/WBXService/XMLService", content=raw)).reason
    )
    pinned = (
        await emulator_client.post("/_emulator/clock", json={"now": "2030-01-01T09:00:00+00:00"})
    ).json()
    assert pinned["now"].startswith("2030-01-01T09:00:0")
    assert (await emulator_client.get("/_emulator/clock")).json()["now"].startswith("2030-01-01")


async def test_faults_over_http(emulator_client: httpx.AsyncClient) -> None:
    fault = {"kind": "http_error", "status": 502, "operation": "GetAPIVersion", "count": 1}
    listed = (await emulator_client.post("/_emulator/faults", json=fault)).json()["faults"]
    assert listed[0]["kind"] == "http_error" and listed[0]["count"] == 1
    raw = xml_request("GetAPIVersion", token=None)
    assert (await emulator_client.post("/WBXService/XMLService", content=raw)).status_code == 502
    assert (await emulator_client.get("/_emulator/faults")).json() == {"faults": []}
    await emulator_client.post("/_emulator/faults", json={"kind": "rate_limited", "retry_after": 9})
    assert (await emulator_client.post("/WBXService/XMLService", content=raw)).headers["retry-after"] == "9"
    assert (await emulator_client.delete("/_emulator/faults")).json() == {"faults": []}
    assert (await emulator_client.post("/WBXService/XMLService", content=raw)).status_code == 200


async def test_requests_and_meetings(
    emulator_client: httpx.AsyncClient, create_meeting: CreateMeeting
) -> None:
    key = await create_meeting(topic="Visible", start="06/01/2031 09:00:00", zone=11)
    (meeting,) = (await emulator_client.get("/_emulator/meetings?site=sandbox")).json()["meetings"]
    assert meeting["meeting_key"] == key and meeting["topic"] == "Visible"
    assert meeting["start"] == "2031-06-01T13:00:00+00:00" and meeting["start_local"] == "06/01/2031 09:00:00"
    entries = (await emulator_client.get("/_emulator/requests")).json()["requests"]
    assert [(e["endpoint"], e["operation"], e["outcome"]) for e in entries] == [
        ("xml", "CreateMeeting", "SUCCESS")
    ]
    assert (await emulator_client.delete("/_emulator/requests")).json() == {"requests": []}


async def test_tokens_over_http(emulator_client: httpx.AsyncClient) -> None:
    grant = (await emulator_client.post("/_emulator/tokens", json={"site": "sandbox", "user": ALICE})).json()
    assert grant["scope"] == "all_read meeting_modify"
    revoked = await emulator_client.post("/_emulator/tokens/revoke", json={"token": grant["access_token"]})
    assert revoked.json() == {"revoked": 1}


async def test_settings_and_reset(
    emulator: Emulator, emulator_client: httpx.AsyncClient, create_meeting: CreateMeeting
) -> None:
    await create_meeting()
    assert (await emulator_client.post("/_emulator/settings", json={"strict": False})).json() == {
        "strict": False
    }
    assert (await emulator_client.post("/_emulator/reset")).json() == {"reset": True}
    assert emulator.meetings() == []


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/_emulator/faults", {"kind": "gremlins"}, "kind must be one of"),
        ("/_emulator/users", {"site": "sandbox"}, "email"),
        ("/_emulator/users", {"site": "nowhere", "email": "x@y"}, "no site named"),
        ("/_emulator/users", {"site": "sandbox", "email": "x@y", "time_zone_id": 99}, "timeZoneID 99"),
        ("/_emulator/clock", {"now": "tomorrow"}, "ISO 8601"),
        ("/_emulator/clock", {"now": "2030-01-01T09:00:00"}, "UTC offset"),
        ("/_emulator/tokens/revoke", {}, "name a token"),
        ("/_emulator/sites", {"name": "bad name!"}, "not a site name"),
    ],
)
async def test_bad_control_requests(
    emulator_client: httpx.AsyncClient, path: str, body: dict[str, object], words: str
) -> None:
    response = await emulator_client.post(path, json=body)
    assert response.status_code == 400
    assert words in response.json()["error"]


async def test_strict_without_schemas_over_http() -> None:
    from bot.emulator import create_app

    transport = httpx.ASGITransport(app=create_app(Emulator.with_defaults()))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
        response = await client.post("/_emulator/settings", json={"strict": True})
    assert response.status_code == 400 and "XSD" in response.json()["error"]


async def test_meeting_links_open_a_page(
    emulator_client: httpx.AsyncClient, create_meeting: CreateMeeting, xml: object
) -> None:
    key = await create_meeting(topic="&lt;Retro&gt;")
    page = await emulator_client.get(f"/sandbox/e.php?AT=SI&MK={key}")
    assert page.status_code == 200 and "&lt;Retro&gt;" in page.text
    assert f"<h1>You joined meeting {key}</h1>" in page.text
    host_target = f"http://emulator.test/sandbox/m.php?AT=HM%26MK={key}"
    host = await emulator_client.get(f"/sandbox/p.php?AT=LI&TK=abc&MU={host_target}")
    assert host.status_code == 200 and f"<h1>You started meeting {key} as its host</h1>" in host.text
    missing = await emulator_client.get("/sandbox/e.php?AT=SI&MK=1")
    assert missing.status_code == 404


async def test_deny_from_a_script_and_the_health_check(emulator_client: httpx.AsyncClient) -> None:
    assert (await emulator_client.get("/healthz")).json()["status"] == "ok"
    location = await approve_consent(emulator_client, authorize_url("http://emulator.test"), decision="deny")
    assert query_of(location)["error"] == "access_denied"
