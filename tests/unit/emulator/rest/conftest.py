"""Fixtures for the REST side's in-process tests: a fixed clock, bearer tokens and a small REST client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.emulator import Emulator
from tests.support.emulator import ALICE, BOB, REST_SCOPES

NOW = datetime(2031, 3, 3, 12, 0, 30, tzinfo=UTC)  # a Monday


class Rest:
    """`await rest.get("/v1/meetings")` with a bearer token (pass token= to change caller)."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    async def request(
        self, method: str, path: str, *, token: str | None = None, **options: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", **options.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **options)

    async def get(self, path: str, **options: Any) -> httpx.Response:
        return await self.request("GET", path, **options)

    async def post(self, path: str, **options: Any) -> httpx.Response:
        return await self.request("POST", path, **options)

    async def put(self, path: str, **options: Any) -> httpx.Response:
        return await self.request("PUT", path, **options)

    async def patch(self, path: str, **options: Any) -> httpx.Response:
        return await self.request("PATCH", path, **options)

    async def delete(self, path: str, **options: Any) -> httpx.Response:
        return await self.request("DELETE", path, **options)

    async def create(self, **fields: Any) -> dict[str, Any]:
        response = await self.post("/v1/meetings", json=meeting_body(**fields))
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created


def meeting_body(
    *, title: str = "Standup", days: float = 1, minutes: int = 30, zone: str = "UTC", **extra: Any
) -> dict[str, Any]:
    """A POST /v1/meetings body starting `days` after NOW (on the hour), in `zone`."""
    start = (NOW + timedelta(days=days)).replace(minute=0, second=0)
    return {
        "title": title,
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
        "timezone": zone,
        **extra,
    }


@pytest.fixture(autouse=True)
def fixed_clock(emulator: Emulator) -> None:
    emulator.clock.set(NOW)


@pytest.fixture
def rest_token(emulator: Emulator) -> str:
    return str(emulator.rest.issue_tokens("sandbox", ALICE, scopes=REST_SCOPES)["access_token"])


@pytest.fixture
def bob_rest_token(emulator: Emulator) -> str:
    return str(emulator.rest.issue_tokens("sandbox", BOB, scopes=REST_SCOPES)["access_token"])


@pytest.fixture
def rest(emulator_client: httpx.AsyncClient, rest_token: str) -> Rest:
    return Rest(emulator_client, rest_token)
