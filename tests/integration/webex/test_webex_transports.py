"""Both HTTP transports over loopback sockets: answers, hanging servers, refused, cut and idle-dropped
connections."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest
from aiohttp import web

from bot.webex import TRANSPORTS, WebexClient, WebexCredentials, WebexOAuth, new_webex_http_client
from bot.webex.errors import TokenEndpointUnavailable, WebexRateLimited, WebexTimeout, WebexUnavailable
from bot.webex.http import exchange
from bot.webex.values import MeetingDraft
from tests.support.idle_connections import Drop, IdleDroppingProxy

CREDS = WebexCredentials(site="acme", webex_id="alice", access_token="tok")
DRAFT = MeetingDraft(topic="Sync", start=datetime(2030, 1, 7, 9, 0, tzinfo=UTC))
CREATED = (
    b'<?xml version="1.0" encoding="UTF-8"?><serv:message xmlns:serv="http://www.webex.com/schemas/2002/06/service"'
    b' xmlns:meet="http://www.webex.com/schemas/2002/06/service/meeting"><serv:header><serv:response>'
    b"<serv:result>SUCCESS</serv:result></serv:response></serv:header><serv:body><serv:bodyContent>"
    b"<meet:meetingkey>424242</meet:meetingkey></serv:bodyContent></serv:body></serv:message>"
)
TIMEOUT = 0.3


class LoopbackWebex:
    """A tiny server whose behaviour each test picks through `mode`."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.seen: list[bytes] = []
        self.requests: list[tuple[str, dict[str, str]]] = []  # the path with its query, the headers
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(await request.read())
        self.requests.append((request.path_qs, {k.lower(): v for k, v in request.headers.items()}))
        if self.mode == "gzip":
            body = gzip.compress(CREATED)
            return web.Response(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "text/xml"})
        if self.mode == "hang":
            await self.release.wait()
        if self.mode == "429":
            return web.Response(status=429, headers={"Retry-After": "7"})
        if self.mode == "503":
            return web.Response(status=503, text="<html>down</html>", content_type="text/html")
        if self.mode == "cut":
            # Promise more than is sent, then drop the connection: a truncated answer.
            response = web.StreamResponse(headers={"Content-Length": str(len(CREATED))})
            await response.prepare(request)
            await response.write(CREATED[:40])
            assert request.transport is not None
            request.transport.close()
            return response
        if self.mode == "trickle":
            # Each byte comes well within the per-read timeout, the whole answer far too late.
            response = web.StreamResponse(headers={"Content-Length": str(len(CREATED))})
            await response.prepare(request)
            for byte in CREATED:
                await response.write(bytes([byte]))
                await asyncio.sleep(0.05)
            return response
        if self.mode == "token":
            return web.json_response(
                {"access_token": "A", "refresh_token": "acme_refresh-1", "expires_in": 7200}
            )
        return web.Response(body=CREATED, content_type="text/xml", charset="utf-8")


@pytest.fixture
async def server() -> AsyncIterator[tuple[LoopbackWebex, str]]:
    async with serve(LoopbackWebex()) as served:
        yield served


@contextlib.asynccontextmanager
async def serve(
    fake: LoopbackWebex, *, keepalive_timeout: float = 75.0
) -> AsyncIterator[tuple[LoopbackWebex, str]]:
    app = web.Application()
    app.router.add_post("/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1, keepalive_timeout=keepalive_timeout)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield fake, f"http://127.0.0.1:{port}"
    fake.release.set()
    await runner.cleanup()


@pytest.fixture(params=TRANSPORTS)
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    client = new_webex_http_client(timeout=TIMEOUT, transport=request.param, max_connections=10)
    yield client
    await client.aclose()


def xml_client(http: httpx.AsyncClient, base: str) -> WebexClient:
    return WebexClient(http, xml_url=f"{base}/{{site}}/WBXService/XMLService")


async def test_a_meeting_is_created_over_http(
    server: tuple[LoopbackWebex, str], http: httpx.AsyncClient
) -> None:
    fake, base = server
    created = await xml_client(http, base).create_meeting(CREDS, DRAFT)
    assert created.meeting_key == "424242"
    assert b"<confName>Sync</confName>" in fake.seen[0]


async def test_both_transports_send_the_same_request_and_read_a_compressed_answer(
    server: tuple[LoopbackWebex, str], http: httpx.AsyncClient
) -> None:
    fake, base = server
    fake.mode = "gzip"
    created = await xml_client(http, base).create_meeting(CREDS, DRAFT)
    assert created.meeting_key == "424242"
    path, headers = fake.requests[0]
    assert path == "/acme/WBXService/XMLService"
    assert headers["user-agent"] == "webex-bot"
    assert headers["content-type"] == "application/xml; charset=utf-8"
    assert headers["content-length"] == str(len(fake.seen[0]))
    assert "gzip" in headers["accept-encoding"]
    # The query reads back as the same values whichever transport carries it.
    params = {"from": "2030-01-07T09:00:00Z", "title": "a b&c/é"}
    fake.mode = "ok"
    async with exchange(http, "POST", f"{base}/v1/meetings", headers={}, params=params) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/xml")
    path, _ = fake.requests[1]
    assert path.startswith("/v1/meetings?")
    assert parse_qs(path.partition("?")[2]) == {name: [value] for name, value in params.items()}


async def test_a_closed_client_sends_nothing(server: tuple[LoopbackWebex, str]) -> None:
    fake, base = server
    for transport in TRANSPORTS:
        client = new_webex_http_client(timeout=TIMEOUT, transport=transport)
        await client.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            async with exchange(client, "POST", base, headers={}):
                pass
    assert fake.seen == []


async def test_many_requests_share_the_pool(
    server: tuple[LoopbackWebex, str], http: httpx.AsyncClient
) -> None:
    fake, base = server
    client = xml_client(http, base)
    results = await asyncio.gather(*(client.create_meeting(CREDS, DRAFT) for _ in range(50)))
    assert {r.meeting_key for r in results} == {"424242"}
    assert len(fake.seen) == 50


async def test_a_hanging_server_is_a_timeout(
    server: tuple[LoopbackWebex, str], http: httpx.AsyncClient
) -> None:
    fake, base = server
    fake.mode = "hang"
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(WebexTimeout) as caught:
        await xml_client(http, base).create_meeting(CREDS, DRAFT)
    assert caught.value.timed_out is True
    assert loop.time() - started < TIMEOUT + 1.0
    assert len(fake.seen) == 1  # it did reach Webex: the outcome is unknown


async def test_the_deadline_bounds_a_whole_call(
    server: tuple[LoopbackWebex, str], http: httpx.AsyncClient
) -> None:
    fake, base = server
    fake.mode = "trickle"
    client = WebexClient(http, xml_url=f"{base}/{{site}}/WBXService/XMLService", deadline=0.5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(WebexTimeout):
        await client.create_meeting(CREDS, DRAFT)
    assert loop.time() - started < 1.5


async def test_a_refused_connection_is_unavailable_not_a_timeout(http: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(WebexUnavailable) as caught:
        await xml_client(http, f"http://127.0.0.1:{port}").create_meeting(CREDS, DRAFT)
    assert type(caught.value) is WebexUnavailable
    assert (caught.value.timed_out, caught.value.outcome_unknown) == (False, False)


async def test_a_cut_answer_is_unavailable(
    server: tuple[LoopbackWebex, str], http: httpx.AsyncClient
) -> None:
    fake, base = server
    fake.mode = "cut"
    with pytest.raises(WebexUnavailable) as caught:
        await xml_client(http, base).create_meeting(CREDS, DRAFT)
    assert caught.value.status_code is None
    assert caught.value.outcome_unknown  # the request was answered, then cut: Webex may have acted


async def test_http_status_errors(server: tuple[LoopbackWebex, str], http: httpx.AsyncClient) -> None:
    fake, base = server
    fake.mode = "429"
    with pytest.raises(WebexRateLimited) as limited:
        await xml_client(http, base).create_meeting(CREDS, DRAFT)
    assert limited.value.retry_after == 7.0
    fake.mode = "503"
    with pytest.raises(WebexUnavailable) as down:
        await xml_client(http, base).create_meeting(CREDS, DRAFT)
    assert (down.value.status_code, down.value.outcome_unknown) == (503, False)


async def test_token_endpoint_over_http(server: tuple[LoopbackWebex, str], http: httpx.AsyncClient) -> None:
    fake, base = server
    oauth = WebexOAuth(
        http, oauth_url=base, client_id="c", client_secret="s", redirect_uri="http://localhost/cb"
    )
    fake.mode = "token"
    grant = await oauth.refresh("acme_refresh-1")
    assert (grant.access_token, grant.site) == ("A", "acme")
    assert b"grant_type=refresh_token" in fake.seen[-1]
    fake.mode = "hang"
    with pytest.raises(TokenEndpointUnavailable) as caught:
        await oauth.refresh("acme_refresh-1")
    assert caught.value.timed_out is True


def test_unknown_transport_and_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown transport"):
        new_webex_http_client(timeout=1, transport="curl")
    with pytest.raises(ValueError):
        new_webex_http_client(timeout=0)
    with pytest.raises(ValueError):
        new_webex_http_client(timeout=1, max_connections=0)
    with pytest.raises(ValueError, match="deadline"):
        WebexClient(httpx.AsyncClient(), xml_url="http://x", deadline=0)


# ---- connections dropped while idle -------------------------------------------------------------

IDLE = 0.2  # the server's or the network's idle timeout in these tests; the pauses are longer
PAUSE = IDLE + 0.15
# These tests are about which connection a call goes on, not about slow answers: a call may take its
# time on a busy machine (0.3 s once timed out during a full run).
PATIENT = 5.0


@pytest.fixture(params=["close", "reset"])
async def dropping(
    request: pytest.FixtureRequest, server: tuple[LoopbackWebex, str]
) -> AsyncIterator[tuple[LoopbackWebex, IdleDroppingProxy]]:
    """The server behind a hop that drops a connection reused after a pause of `IDLE` seconds."""
    fake, base = server
    port = int(base.rsplit(":", 1)[1])
    how: Drop = request.param
    proxy = IdleDroppingProxy("127.0.0.1", port, idle_after=IDLE, how=how)
    await proxy.start()
    yield fake, proxy
    await proxy.close()


async def test_a_read_after_an_idle_pause_is_sent_again_on_a_new_connection(
    dropping: tuple[LoopbackWebex, IdleDroppingProxy], http: httpx.AsyncClient
) -> None:
    fake, proxy = dropping
    client = xml_client(http, proxy.url)
    await client.get_user(CREDS)
    await asyncio.sleep(PAUSE)
    user = await client.get_user(CREDS)
    assert user.webex_id == "alice"
    assert proxy.dropped == 1 and proxy.connections == 2
    assert len(fake.seen) == 2  # the dropped request never reached Webex; the second try did, once


async def test_a_create_after_an_idle_pause_says_the_connection_was_dropped_not_that_it_timed_out(
    dropping: tuple[LoopbackWebex, IdleDroppingProxy], http: httpx.AsyncClient
) -> None:
    fake, proxy = dropping
    client = xml_client(http, proxy.url)
    await client.create_meeting(CREDS, DRAFT)
    await asyncio.sleep(PAUSE)
    with pytest.raises(WebexUnavailable) as caught:
        await client.create_meeting(CREDS, DRAFT)
    assert type(caught.value) is WebexUnavailable
    assert caught.value.stale_connection and caught.value.outcome_unknown and not caught.value.timed_out
    assert "in time" not in str(caught.value) and "Timeout" not in str(caught.value)
    assert len(fake.seen) == 1  # not sent again by itself: its caller looks for the meeting first
    created = await client.create_meeting(CREDS, DRAFT, new_connection=True)
    assert created.meeting_key == "424242" and len(fake.seen) == 2


async def test_a_token_request_after_an_idle_pause_is_sent_again_on_a_new_connection(
    dropping: tuple[LoopbackWebex, IdleDroppingProxy], http: httpx.AsyncClient
) -> None:
    fake, proxy = dropping
    fake.mode = "token"
    oauth = WebexOAuth(
        http, oauth_url=proxy.url, client_id="c", client_secret="s", redirect_uri="http://localhost/cb"
    )
    await oauth.refresh("acme_refresh-1")
    await asyncio.sleep(PAUSE)
    grant = await oauth.refresh("acme_refresh-1")
    assert grant.access_token == "A" and proxy.dropped == 1 and len(fake.seen) == 2


async def test_an_idle_pooled_connection_is_let_go_before_the_server_would_drop_it(
    server: tuple[LoopbackWebex, str], transport: str
) -> None:
    fake, base = server
    proxy = IdleDroppingProxy("127.0.0.1", int(base.rsplit(":", 1)[1]), idle_after=0.5, how="reset")
    await proxy.start()
    http = new_webex_http_client(timeout=PATIENT, transport=transport, keepalive_seconds=0.2)
    try:
        client = xml_client(http, proxy.url)
        await client.create_meeting(CREDS, DRAFT)
        await client.create_meeting(CREDS, DRAFT)  # at once: the pooled connection is used again
        await asyncio.sleep(0.35)  # longer than the client keeps it, shorter than the network does
        await client.create_meeting(CREDS, DRAFT)
    finally:
        await http.aclose()
        await proxy.close()
    assert (proxy.connections, proxy.dropped, len(fake.seen)) == (2, 0, 3)


async def test_a_server_that_closes_idle_connections_is_met_on_a_new_connection(transport: str) -> None:
    """A real server whose own idle timer closes the connection (as uvicorn does after 5 s)."""
    async with serve(LoopbackWebex(), keepalive_timeout=IDLE) as (fake, base):
        http = new_webex_http_client(timeout=PATIENT, transport=transport)
        try:
            client = xml_client(http, base)
            await client.create_meeting(CREDS, DRAFT)
            await asyncio.sleep(PAUSE)
            await client.create_meeting(CREDS, DRAFT)
            await asyncio.sleep(PAUSE)
            await client.get_user(CREDS)
        finally:
            await http.aclose()
    assert len(fake.seen) == 3


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)
