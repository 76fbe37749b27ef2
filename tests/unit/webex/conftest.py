"""Fixtures for the Webex client tests: a scripted Webex over httpx.MockTransport, the schema check."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from lxml import etree

from bot.emulator.schema import RequestSchema, request_schema
from bot.webex.client import WebexClient
from tests.unit.webex.webex_fakes import XML_URL, ScriptedWebex, body_content, operation_of


@pytest.fixture
def webex() -> ScriptedWebex:
    return ScriptedWebex()


@pytest.fixture
async def client(webex: ScriptedWebex) -> AsyncIterator[WebexClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(webex.handle)) as http:
        yield WebexClient(http, xml_url=XML_URL)


@pytest.fixture(scope="session")
def schema(xsd_dir: Path) -> RequestSchema:
    return request_schema(xsd_dir)


@pytest.fixture
def assert_valid(schema: RequestSchema) -> Callable[[etree._Element], None]:
    """Checks a whole request message against the official schema, as webex-xsd/README.md says."""

    def check(message: etree._Element) -> None:
        body = body_content(message)
        package, operation = operation_of(body)
        errors = schema.validate(body, package=package, operation=operation)
        assert errors == [], f"{operation} does not validate: {errors}\n{etree.tostring(body).decode()}"

    return check
