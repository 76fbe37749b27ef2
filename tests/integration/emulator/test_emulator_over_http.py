"""The emulator over real loopback HTTP: the whole OAuth dance, the XML API, faults that need a socket."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.emulator import Emulator, Fault
from tests.support.emulator import (
    ALICE,
    BOB,
    CLIENT_ID,
    CLIENT_SECRET,
    EmulatorServer,
    approve_consent,
    approve_consent_sync,
    link_account,
    query_of,
    read_answer,
    xml_request,
)

REPO = Path(__file__).resolve().parents[3]


async def test_link_then_schedule_list_and_cancel(emulator_server: EmulatorServer) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        grant = await link_account(client, emulator_server.url, user=BOB)
        token = grant["access_token"]
        create = xml_request(
            "CreateMeeting",
            "<metaData><confName>Over the wire</confName></metaData>"
            "<schedule><startDate>09/01/2031 10:00:00</startDate><timeZoneID>25</timeZoneID></schedule>",
            token=token,
            webex_id=BOB,
        )
        created = read_answer(await client.post(emulator_server.xml_url, content=create))
        assert created.result == "SUCCESS"
        key = created.text("meetingkey")
        listed = read_answer(
            await client.post(
                emulator_server.xml_url, content=xml_request("LstsummaryMeeting", token=token, webex_id=BOB)
            )
        )
        assert listed.texts("meetingKey") == [key]
        join = read_answer(
            await client.post(
                emulator_server.xml_url,
                content=xml_request(
                    "GetjoinurlMeeting", f"<sessionKey>{key}</sessionKey>", token=token, webex_id=BOB
                ),
            )
        )
        assert join.text("joinMeetingURL").startswith("https://sandbox.webex.com/sandbox/e.php")
        deleted = read_answer(
            await client.post(
                emulator_server.xml_url,
                content=xml_request(
                    "DelMeeting", f"<meetingKey>{key}</meetingKey>", token=token, webex_id=BOB
                ),
            )
        )
        assert deleted.result == "SUCCESS"
    assert emulator_server.emulator.meetings() == []
    assert [(e.endpoint, e.operation) for e in emulator_server.emulator.requests][:3] == [
        ("authorize", "authorize"),
        ("consent", "allow"),
        ("token", "authorization_code"),
    ]


async def test_refresh_after_expiry_over_http(emulator_server: EmulatorServer, emulator: Emulator) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        grant = await link_account(client, emulator_server.url)
        emulator.advance(timedelta(hours=2))
        probe = xml_request("GetUser", f"<webExId>{ALICE}</webExId>", token=grant["access_token"])
        assert (
            "WebEx access token is invalid"
            in read_answer(await client.post(emulator_server.xml_url, content=probe)).reason
        )
        form = {
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": grant["refresh_token"],
        }
        renewed = (await client.post(emulator_server.token_url, data=form)).json()
        again = xml_request("GetUser", f"<webExId>{ALICE}</webExId>", token=renewed["access_token"])
        assert read_answer(await client.post(emulator_server.xml_url, content=again)).result == "SUCCESS"
        stale = await client.post(emulator_server.token_url, data=form)
        assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
    assert emulator.token_refreshes == 1


async def test_hang_until_the_client_times_out(emulator_server: EmulatorServer, emulator: Emulator) -> None:
    emulator.add_fault(Fault.hang(operation="GetAPIVersion", count=1))
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.3)) as client:
        started = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            await client.post(emulator_server.xml_url, content=xml_request("GetAPIVersion", token=None))
        assert 0.3 <= time.perf_counter() - started < 2
        after = await client.post(emulator_server.xml_url, content=xml_request("GetAPIVersion", token=None))
    assert after.status_code == 200
    # The held request notices the client has gone and ends, rather than lingering for minutes.
    for _ in range(100):
        if any(entry.outcome == "fault:hang" for entry in emulator.requests):
            break
        await asyncio.sleep(0.02)
    assert sorted(entry.outcome for entry in emulator.requests) == ["SUCCESS", "fault:hang"]


async def test_token_endpoint_down_and_rate_limited(
    emulator_server: EmulatorServer, emulator: Emulator
) -> None:
    refresh_token = emulator.issue_tokens("sandbox", ALICE)["refresh_token"]
    form = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
    }
    emulator.add_fault(Fault.http_error(503, operation="token", count=1))
    emulator.add_fault(Fault.rate_limited(retry_after=2, operation="CreateMeeting", count=1))
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.post(emulator_server.token_url, data=form)).status_code == 503
        limited = await client.post(
            emulator_server.xml_url, content=xml_request("CreateMeeting", "", token="x")
        )
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
        assert (await client.post(emulator_server.token_url, data=form)).status_code == 200


async def test_latency_over_http(emulator_server: EmulatorServer, emulator: Emulator) -> None:
    emulator.add_fault(Fault.latency(0.2, count=1))
    async with httpx.AsyncClient(timeout=5) as client:
        started = time.perf_counter()
        await client.post(emulator_server.xml_url, content=xml_request("GetAPIVersion", token=None))
        assert time.perf_counter() - started >= 0.2


async def test_concurrent_requests(emulator_server: EmulatorServer, emulator: Emulator) -> None:
    token = emulator.issue_tokens("sandbox", ALICE)["access_token"]
    body = (
        "<metaData><confName>Load</confName></metaData><schedule><startDate>01/02/2031 09:00:00</startDate>"
    )
    body += "</schedule>"
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=50)) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    emulator_server.xml_url, content=xml_request("CreateMeeting", body, token=str(token))
                )
                for _ in range(100)
            )
        )
    assert {read_answer(answer).result for answer in answers} == {"SUCCESS"}
    assert len({meeting.key for meeting in emulator.meetings()}) == 100


async def test_control_over_http(emulator_server: EmulatorServer) -> None:
    async with httpx.AsyncClient(timeout=5, base_url=emulator_server.url) as client:
        await client.post(
            "/_emulator/users", json={"site": "sandbox", "email": "zoe@sandbox.example", "first_name": "Zoe"}
        )
        location = await approve_consent(client, emulator_server.authorize_url(), user="zoe@sandbox.example")
        assert "code" in query_of(location)
        summary = (await client.get("/_emulator")).json()
    assert "zoe@sandbox.example" in [user["email"] for user in summary["sites"][0]["users"]]


def test_consent_from_synchronous_code(emulator_server: EmulatorServer) -> None:
    location = approve_consent_sync(emulator_server.authorize_url(state="sync"), user=BOB)
    assert query_of(location)["state"] == "sync"


def test_python_m_bot_emulator_serves_until_stopped() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.emulator", "--port", "0", "--site", "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "Webex emulator listening on http://127.0.0.1:" in first and "site demo" in first
        url = first.split("listening on ")[1].split()[0]
        with httpx.Client(timeout=5) as client:
            assert client.get(f"{url}/healthz").json()["status"] == "ok"
            answer = read_answer(
                client.post(
                    f"{url}/WBXService/XMLService",
                    content=xml_request("GetAPIVersion", token=None, site="demo"),
                )
            )
        assert answer.result == "SUCCESS"
        lines = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "GetAPIVersion" in line:
                break
        assert "xml GetAPIVersion site=demo" in lines[-1] and "SUCCESS" in lines[-1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
