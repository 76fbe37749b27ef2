"""Fixtures for the emulator's in-process tests: tokens for alice and bob, and one-line XML calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx
import pytest

from bot.emulator import XML_SERVICE_PATH, Emulator
from tests.support.emulator import ALICE, BOB, XmlAnswer, read_answer, xml_request


class Xml(Protocol):
    def __call__(self, operation: str, body: str = "", **options: Any) -> Awaitable[XmlAnswer]: ...


@pytest.fixture
def alice_token(emulator: Emulator) -> str:
    return str(emulator.issue_tokens("sandbox", ALICE)["access_token"])


@pytest.fixture
def bob_token(emulator: Emulator) -> str:
    return str(emulator.issue_tokens("sandbox", BOB)["access_token"])


@pytest.fixture
def xml(emulator_client: httpx.AsyncClient, alice_token: str) -> Xml:
    """`await xml("GetMeeting", "<meetingKey>1</meetingKey>")` as alice (pass token=/webex_id= to change)."""

    async def call(operation: str, body: str = "", **options: Any) -> XmlAnswer:
        options.setdefault("token", alice_token)
        response = await emulator_client.post(
            XML_SERVICE_PATH, content=xml_request(operation, body, **options)
        )
        assert response.status_code == 200
        return read_answer(response)

    return call


CreateMeeting = Callable[..., Awaitable[str]]


@pytest.fixture
def create_meeting(xml: Xml) -> CreateMeeting:
    """Creates a meeting through the XML API and returns its key."""

    async def create(
        topic: str = "Standup",
        start: str = "03/10/2031 10:00:00",
        zone: int | None = 11,
        duration: int = 30,
        extra: str = "",
        **options: Any,
    ) -> str:
        zone_xml = f"<timeZoneID>{zone}</timeZoneID>" if zone is not None else ""
        answer = await xml(
            "CreateMeeting",
            f"<metaData><confName>{topic}</confName></metaData>{extra}"
            f"<schedule><startDate>{start}</startDate>{zone_xml}<duration>{duration}</duration></schedule>",
            **options,
        )
        assert answer.result == "SUCCESS", answer.reason
        return answer.text("meetingkey")

    return create
