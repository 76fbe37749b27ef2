"""The emulator's REST API over real loopback HTTP: linking, meetings, paging links, faults, the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.emulator import Emulator, Fault
from tests.support.emulator import BOB, EmulatorServer, link_rest_account

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2031, 5, 5, 8, 0, tzinfo=UTC)


def _body(title: str, hours: int) -> dict[str, str]:
    start = NOW + timedelta(hours=hours)  # read as Berlin wall-clock time: no offset is sent
    return {
        "title": title,
        "start": start.strftime("%Y-%m-%d %H:%M:%S"),
        "end": (start + timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M:%S"),
        "timezone": "Europe/Berlin",
    }


async def test_link_schedule_page_through_and_cancel(
    emulator_server: EmulatorServer, emulator: Emulator
) -> None:
    emulator.clock.set(NOW)
    async with httpx.AsyncClient(timeout=5) as client:
        grant = await link_rest_account(client, emulator_server.url, user=BOB)
        api = f"{emulator_server.url}/v1"
        headers = {"Authorization": f"Bearer {grant['access_token']}"}
        assert (await client.get(f"{api}/people/me", headers=headers)).json()["emails"] == [BOB]
        made = []
        for n in range(3):
            response = await client.post(
                f"{api}/meetings", json=_body(f"Meeting {n}", 24 + n), headers=headers
            )
            assert response.status_code == 200, response.text
            made.append(response.json()["id"])
        seen: list[str] = []
        url: str | None = f"{api}/meetings?max=2"
        while url is not None:
            page = await client.get(url, headers=headers)
            assert page.status_code == 200
            seen += [item["id"] for item in page.json()["items"]]
            link = page.headers.get("link")
            url = link[1 : link.index(">")] if link else None
            assert url is None or url.startswith(emulator_server.url)
        assert seen == made
        assert (await client.delete(f"{api}/meetings/{made[0]}", headers=headers)).status_code == 204
        assert len(emulator.meetings()) == 2


async def test_rate_limit_and_outage_over_http(emulator_server: EmulatorServer, emulator: Emulator) -> None:
    token = emulator.rest.issue_tokens("sandbox", BOB)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    emulator.add_fault(Fault.rate_limited(retry_after=2, operation="GET /v1/meetings", count=1))
    emulator.add_fault(Fault.http_error(502, operation="GET /v1/people/me", count=1))
    async with httpx.AsyncClient(base_url=emulator_server.url, timeout=5) as client:
        limited = await client.get("/v1/meetings", headers=headers)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        assert (await client.get("/v1/meetings", headers=headers)).status_code == 200
        down = await client.get("/v1/people/me", headers=headers)
        assert down.status_code == 502 and down.json()["trackingId"] == down.headers["trackingid"]


async def test_hang_on_a_rest_route_until_the_client_gives_up(
    emulator_server: EmulatorServer, emulator: Emulator
) -> None:
    token = emulator.rest.issue_tokens("sandbox", BOB)["access_token"]
    emulator.add_fault(Fault.hang(operation="POST /v1/meetings", count=1, seconds=30))
    async with httpx.AsyncClient(base_url=emulator_server.url, timeout=0.5) as client:
        try:
            await client.post(
                "/v1/meetings", json=_body("Lost", 30), headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.ReadTimeout:
            pass
        else:
            raise AssertionError("the hung request answered")
    await asyncio.sleep(0.05)
    assert emulator.meetings() == []


def test_the_command_prints_the_rest_base_url_and_serves_it_strictly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.emulator", "--port", "0", "--rest-strict", "--quiet"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(10)]
        url = banner[0].split("listening on ")[1].split()[0]
        rest_line = next(line for line in banner if line.strip().startswith("REST API"))
        assert f"{url}/v1 " in rest_line and f"{url}/v1/access_token" in rest_line
        assert any("REST strict on" in line for line in banner)
        with httpx.Client(base_url=url, timeout=5) as client:
            token = client.post(
                "/_emulator/rest/tokens", json={"site": "sandbox", "user": "alice@sandbox.example"}
            ).json()["access_token"]
            invalid = client.post(
                "/v1/meetings",
                json={"title": ["not", "a", "string"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert invalid.status_code == 400
            assert "Webex's API description" in invalid.json()["errors"][0]["description"]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
