"""Strict REST mode: requests and responses checked against Cisco's OpenAPI description."""

from __future__ import annotations

import pytest
from starlette.responses import Response

from bot.emulator import Emulator
from bot.emulator.rest.contract import Answer, ContractViolation, Exchange, rest_contract
from tests.unit.emulator.rest.conftest import Rest, meeting_body


async def test_an_invalid_request_is_400_naming_the_schema_error(rest: Rest, emulator: Emulator) -> None:
    response = await rest.post(
        "/v1/meetings", json={**meeting_body(), "invitees": [{"displayName": "No email"}]}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "The request could not be understood by the server due to malformed syntax."
    (problem,) = body["errors"]
    assert problem["description"] == (
        "Request does not match Webex's API description: invitees.0: 'email' is a required property"
    )
    assert emulator.meetings() == []
    typed = await rest.get("/v1/meetings", params={"max": "ten"})
    assert typed.status_code == 400 and "max" in typed.json()["errors"][0]["description"]


async def test_valid_requests_pass_including_patch_as_plain_json_with_nulls(rest: Rest) -> None:
    created = await rest.create(recurrence="FREQ=DAILY;COUNT=2", agenda="A")
    patched = await rest.patch(
        f"/v1/meetings/{created['id']}",
        json={"agenda": None, "recurrence": None},
        headers={"Content-Type": "application/json"},
    )
    assert patched.status_code == 200, patched.text


async def test_without_strict_mode_the_description_is_not_consulted(rest: Rest, emulator: Emulator) -> None:
    emulator.rest.strict = False
    response = await rest.get("/v1/meetings", params={"max": "ten"})
    assert response.status_code == 400
    assert response.json()["message"] == "The input parameters contain invalid items."


def test_a_response_outside_the_description_raises_and_is_remembered(emulator: Emulator) -> None:
    exchange = Exchange("get", "/meetings/abc", {}, {}, None, "")
    wrong = Response(b'{"id": 5}', media_type="application/json;charset=UTF-8")
    with pytest.raises(ContractViolation, match="'title' is a required property"):
        emulator.rest.check_response("GET /v1/meetings/{meetingId}", exchange, wrong)
    assert len(emulator.rest.violations) == 1
    emulator.rest.reset()  # the fixture fails any test that leaves violations behind


def test_error_bodies_must_have_webex_shape() -> None:
    exchange = Exchange("get", "/meetings/abc", {}, {}, None, "")
    plain = Answer(404, b"Not Found", "text/plain", {})
    assert rest_contract().response_errors(exchange, plain) == ["the error body is not JSON"]
    shaped = Answer(404, b'{"message": "Cannot find the data", "trackingId": "T"}', "application/json", {})
    assert rest_contract().response_errors(exchange, shaped) == []


def test_the_description_is_loaded_once() -> None:
    assert rest_contract() is rest_contract()
