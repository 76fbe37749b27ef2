"""The door in front of Bolt: unsigned requests are refused before their body is parsed, signed malformed
ones get 400, and only signed, well-formed requests reach Bolt."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.sandbox.signing import SlackSigner, sign
from bot.slack.meetings.submitted import FORM_STATES
from bot.web.slack_gate import SlackEndpoint, SlackGate

SECRET = "gate-secret"


class Bolt:
    """Stands in for Bolt's dispatch: counts what reaches it and keeps the requests."""

    def __init__(self) -> None:
        self.handled = 0
        self.requests: list[AsyncBoltRequest] = []

    async def async_dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
        self.handled += 1
        self.requests.append(request)
        return BoltResponse(status=200, body="bolt")


@pytest.fixture(autouse=True, params=["endpoint", "asgi"])
def served_as(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test runs twice: the gate as a Starlette endpoint, and as the app serves it (plain ASGI,
    in front of Starlette's routing)."""
    global SERVED_AS
    SERVED_AS = request.param
    yield
    SERVED_AS = "endpoint"


SERVED_AS = "endpoint"


def app_for(gate: SlackGate) -> Starlette:
    if SERVED_AS == "endpoint":
        return Starlette(routes=[Route("/slack/events", gate.handle, methods=["POST"])])
    return Starlette(
        routes=[Route("/slack/events", refuse, methods=["POST"])],
        middleware=[Middleware(SlackEndpoint, gate=lambda: gate)],
    )


async def refuse(request: Request) -> Response:
    raise AssertionError("the gate answers POST /slack/events before Starlette's routing")


async def post(bolt: Bolt, body: bytes, content_type: str, *, signed: bool) -> httpx.Response:
    gate = SlackGate(bolt.async_dispatch, SECRET, forms=FORM_STATES)
    app = app_for(gate)
    timestamp = str(int(time.time()))
    headers = {"content-type": content_type, "x-slack-request-timestamp": timestamp}
    if signed:
        headers["x-slack-signature"] = sign(SECRET, timestamp, body)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        return await client.post("/slack/events", content=body, headers=headers)


async def test_a_signed_well_formed_request_reaches_bolt() -> None:
    bolt = Bolt()
    request = SlackSigner(SECRET).slash_command("list", user_id="U1")
    answer = await post(bolt, request.body, request.content_type, signed=True)
    assert answer.text == "bolt" and bolt.handled == 1


async def test_an_unsigned_request_is_refused_whatever_its_body() -> None:
    bolt = Bolt()
    for body in (b"payload=%7Bnot+json", SlackSigner(SECRET).slash_command("list", user_id="U1").body):
        answer = await post(bolt, body, "application/x-www-form-urlencoded", signed=False)
        assert answer.status_code == 401 and answer.json() == {"error": "invalid request"}
    assert bolt.handled == 0


async def test_a_signed_malformed_request_gets_400_saying_why_and_never_reaches_bolt() -> None:
    bolt = Bolt()
    answer = await post(bolt, b"payload=%7Bnot+json", "application/x-www-form-urlencoded", signed=True)
    assert answer.status_code == 400
    assert answer.text == "Not a Slack request this app understands: payload= is not JSON.\n"
    assert bolt.handled == 0


async def test_a_body_that_is_not_utf8_gets_400_before_any_signature_check() -> None:
    bolt = Bolt()
    answer = await post(bolt, b"payload=\xff", "application/x-www-form-urlencoded", signed=False)
    assert answer.status_code == 400 and "not UTF-8" in answer.text and bolt.handled == 0


async def test_bolt_gets_the_checked_payload_and_its_context() -> None:
    bolt = Bolt()
    request = SlackSigner(SECRET).slash_command("schedule payload review", user_id="U1")
    answer = await post(bolt, request.body, request.content_type, signed=True)
    assert answer.status_code == 200
    [seen] = bolt.requests
    # Bolt's own parser reads a form with "payload" anywhere in it (here in the text) as empty.
    assert seen.body["text"] == "schedule payload review" and seen.body["command"] == "/webex"
    assert seen.raw_body == request.text
    assert seen.context.team_id == "T_SANDBOX" and seen.context.user_id == "U1"


async def test_a_form_field_sent_twice_is_malformed() -> None:
    bolt = Bolt()
    request = SlackSigner(SECRET).slash_command("list", user_id="U1")
    body = request.body + b"&text=delete+everything"
    answer = await post(bolt, body, request.content_type, signed=True)
    assert answer.status_code == 400 and "text more than once" in answer.text and bolt.handled == 0


async def test_bolts_answer_goes_out_with_its_status_headers_and_body() -> None:
    class Answering(Bolt):
        async def async_dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
            return BoltResponse(status=202, body={"text": "ok"}, headers={"X-Extra": "1"})

    request = SlackSigner(SECRET).slash_command("list", user_id="U1")
    answer = await post(Answering(), request.body, request.content_type, signed=True)
    assert answer.status_code == 202 and answer.json() == {"text": "ok"}
    assert answer.headers["content-type"] == "application/json;charset=utf-8"
    assert answer.headers["x-extra"] == "1"
    assert answer.headers["content-length"] == str(len(answer.content))


async def test_other_methods_and_paths_go_on_to_the_app() -> None:
    async def other(request: Request) -> Response:
        return PlainTextResponse("app")

    gate = SlackGate(Bolt().async_dispatch, SECRET, forms=FORM_STATES)
    app = Starlette(
        routes=[Route("/slack/events", other, methods=["GET"]), Route("/healthz", other)],
        middleware=[Middleware(SlackEndpoint, gate=lambda: gate)],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as client:
        assert (await client.get("/slack/events")).text == "app"
        assert (await client.get("/healthz")).text == "app"
        assert (await client.put("/slack/events")).status_code == 405


async def test_an_answer_with_a_cookie_or_without_a_body_is_written_as_starlette_writes_it() -> None:
    class Answering(Bolt):
        def __init__(self, answer: BoltResponse) -> None:
            super().__init__()
            self.answer = answer

        async def async_dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
            return self.answer

    request = SlackSigner(SECRET).slash_command("list", user_id="U1")
    cookie = BoltResponse(status=200, body="ok", headers={"set-cookie": ["a=1; Path=/"]})
    answer = await post(Answering(cookie), request.body, request.content_type, signed=True)
    assert answer.text == "ok" and answer.cookies["a"] == "1"
    empty = await post(
        Answering(BoltResponse(status=204, body="")), request.body, request.content_type, signed=True
    )
    assert empty.status_code == 204 and "content-length" not in empty.headers
