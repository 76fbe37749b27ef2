"""Request bodies are bounded before they are read: the limit is checked on the declared length at once,
and on the bytes as they arrive when there is none; within it, the route gets the whole body."""

from __future__ import annotations

from typing import Any

import pytest

from bot.web.body_limit import BodyLimit

LIMIT = 1000


class Route:
    """The application behind the limit: records whether it ran and the body it read."""

    def __init__(self) -> None:
        self.called = False
        self.body = b""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Client:
    """Sends `chunks` as the server would hand them over, counting how many the middleware asked for."""

    def __init__(self, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> None:
        self.chunks = chunks
        self.headers = headers
        self.received = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.received >= len(self.chunks):
            return {"type": "http.disconnect"}
        chunk = self.chunks[self.received]
        self.received += 1
        return {"type": "http.request", "body": chunk, "more_body": self.received < len(self.chunks)}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def response_headers(self) -> dict[bytes, bytes]:
        return dict(self.sent[0]["headers"])


async def post(route: Route, client: Client) -> None:
    scope = {"type": "http", "method": "POST", "path": "/slack/events", "headers": client.headers}
    await BodyLimit(route, max_bytes=LIMIT)(scope, client.receive, client.send)


async def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read() -> None:
    route = Route()
    client = Client([b"x" * 100] * 500, [(b"content-length", b"50000000")])
    await post(route, client)
    assert client.status == 413
    assert client.received == 0 and not route.called
    assert client.response_headers[b"connection"] == b"close"
    assert b"larger than 1000 bytes" in client.sent[1]["body"]


async def test_a_body_without_a_length_is_cut_off_as_soon_as_it_passes_the_limit() -> None:
    route = Route()
    client = Client([b"x" * 300] * 1000, [(b"transfer-encoding", b"chunked")])
    await post(route, client)
    assert client.status == 413 and not route.called
    # 4 x 300 bytes passes 1000: nothing after the fourth piece was asked for.
    assert client.received == 4


async def test_a_body_that_lies_about_its_length_is_still_counted() -> None:
    route = Route()
    client = Client([b"x" * 600, b"x" * 600], [(b"content-length", b"10")])
    await post(route, client)
    assert client.status == 413 and not route.called


async def test_a_body_within_the_limit_reaches_the_route_whole() -> None:
    route = Route()
    client = Client([b"a" * 400, b"b" * 400, b"c" * 200], [(b"content-length", b"1000")])
    await post(route, client)
    assert client.status == 200
    assert route.body == b"a" * 400 + b"b" * 400 + b"c" * 200


async def test_a_request_without_a_body_passes() -> None:
    route = Route()
    client = Client([b""], [])
    await post(route, client)
    assert client.status == 200 and route.called


@pytest.mark.parametrize("length", [b"-1", b"ten", b"1e9", b""])
async def test_a_content_length_that_is_not_a_number_is_refused(length: bytes) -> None:
    route = Route()
    client = Client([b"x"], [(b"content-length", length)])
    await post(route, client)
    assert client.status == 400 and not route.called


class VanishingClient(Client):
    """Sends one piece of a longer body, then goes away."""

    async def receive(self) -> dict[str, Any]:
        self.received += 1
        if self.received == 1:
            return {"type": "http.request", "body": b"x" * 10, "more_body": True}
        return {"type": "http.disconnect"}


async def test_a_client_that_goes_away_mid_body_gets_no_answer_and_the_route_never_runs() -> None:
    route = Route()
    client = VanishingClient([], [(b"transfer-encoding", b"chunked")])
    await post(route, client)
    assert client.sent == [] and not route.called


async def test_lifespan_and_other_scopes_pass_straight_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def nothing() -> dict[str, Any]:
        raise AssertionError("the middleware must not read a lifespan scope")

    async def ignore(message: Any) -> None:
        return None

    await BodyLimit(app, max_bytes=LIMIT)({"type": "lifespan"}, nothing, ignore)
    assert seen == ["lifespan"]
