"""The Webex HTTP transport: honest errors whichever library is underneath; when a request goes again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import httpx
import pytest

from bot.webex.client import WebexClient
from bot.webex.errors import WebexTimeout, WebexUnavailable
from bot.webex.http import KeepAliveTransport
from bot.webex.values import MeetingDraft
from tests.unit.webex.webex_fakes import CREDS, XML_URL, success

START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
ANSWER = success("<meet:meetingkey>424242</meet:meetingkey>")
USER = success("<use:webExId>alice</use:webExId><use:email>alice@acme.test</use:email>")


def aiohttp_mapped(cause: BaseException) -> httpx.ConnectTimeout:
    """What httpx-aiohttp raises for any aiohttp connection error: ConnectTimeout, caused by the real one."""
    mapped = httpx.ConnectTimeout("Cannot connect")
    mapped.__cause__ = cause
    return mapped


Step = Callable[[httpx.Request], httpx.Response]


@dataclass
class Connections:
    """A transport underneath: each request runs the next step; `reused` steps pretend to go out on a
    pooled connection (as httpcore reports it through the request's trace hook)."""

    steps: list[tuple[bool, Step | BaseException]] = field(default_factory=list)
    seen: list[bytes] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reused, step = self.steps.pop(0)
        trace = request.extensions["trace"]
        if not reused:
            await trace("connection.connect_tcp.started", {})
        await trace("http11.send_request_headers.started", {})
        self.seen.append(await request.aread())
        if isinstance(step, BaseException):
            raise step
        return step(request)

    async def aclose(self) -> None:
        pass


class Pooled(Connections, httpx.AsyncBaseTransport):
    pass


class Fresh(Connections, httpx.AsyncBaseTransport):
    pass


def answer(body: bytes) -> Step:
    return lambda request: httpx.Response(200, content=body)


@pytest.fixture
def pooled() -> Pooled:
    return Pooled()


@pytest.fixture
def fresh() -> Fresh:
    return Fresh()


@pytest.fixture
async def client(pooled: Pooled, fresh: Fresh) -> WebexClient:
    return WebexClient(httpx.AsyncClient(transport=KeepAliveTransport(pooled, fresh)), xml_url=XML_URL)


@pytest.mark.parametrize(
    "dropped",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.WriteError("[Errno 32] Broken pipe"),
        aiohttp_mapped(aiohttp.ServerDisconnectedError()),
        aiohttp_mapped(aiohttp.ClientOSError(104, "Connection reset by peer")),
    ],
    ids=["closed", "reset", "broken-pipe", "aiohttp-closed", "aiohttp-reset"],
)
async def test_a_read_on_a_dropped_pooled_connection_is_sent_again_on_a_new_one(
    dropped: Exception, pooled: Pooled, fresh: Fresh, client: WebexClient
) -> None:
    pooled.steps = [(True, dropped)]
    fresh.steps = [(False, answer(USER))]
    user = await client.get_user(CREDS)
    assert user.email == "alice@acme.test"
    assert len(fresh.seen) == 1 and fresh.seen[0] == pooled.seen[0]  # the same request, once more


async def test_a_create_on_a_dropped_pooled_connection_is_not_sent_again_by_the_transport(
    pooled: Pooled, fresh: Fresh, client: WebexClient
) -> None:
    pooled.steps = [(True, aiohttp_mapped(aiohttp.ServerDisconnectedError()))]
    with pytest.raises(WebexUnavailable) as caught:
        await client.create_meeting(CREDS, MeetingDraft(topic="Sync", start=START))
    assert caught.value.stale_connection and caught.value.outcome_unknown
    assert not caught.value.timed_out and "in time" not in str(caught.value)
    assert fresh.seen == []


async def test_a_create_asked_for_a_new_connection_never_takes_a_pooled_one(
    pooled: Pooled, fresh: Fresh, client: WebexClient
) -> None:
    fresh.steps = [(False, answer(ANSWER))]
    created = await client.create_meeting(CREDS, MeetingDraft(topic="Sync", start=START), new_connection=True)
    assert created.meeting_key == "424242" and pooled.seen == []


async def test_a_new_connection_that_drops_is_reported_not_sent_a_third_time(
    pooled: Pooled, fresh: Fresh, client: WebexClient
) -> None:
    pooled.steps = [(True, httpx.ReadError("reset"))]
    fresh.steps = [(False, httpx.ReadError("reset"))]
    with pytest.raises(WebexUnavailable) as caught:
        await client.get_user(CREDS)
    assert not caught.value.stale_connection and caught.value.outcome_unknown
    assert (len(pooled.seen), len(fresh.seen)) == (1, 1)


async def test_a_connection_opened_for_the_request_that_drops_is_not_sent_again(
    pooled: Pooled, fresh: Fresh, client: WebexClient
) -> None:
    # A new connection that fails before answering is no stale keep-alive: the server may be failing.
    pooled.steps = [(False, httpx.RemoteProtocolError("Server disconnected without sending a response."))]
    with pytest.raises(WebexUnavailable) as caught:
        await client.get_user(CREDS)
    assert (caught.value.stale_connection, caught.value.timed_out) == (False, False)
    assert fresh.seen == []


async def test_a_real_timeout_on_a_pooled_connection_is_a_timeout_and_not_sent_again(
    pooled: Pooled, fresh: Fresh, client: WebexClient
) -> None:
    pooled.steps = [(True, httpx.ReadTimeout("timed out"))]
    with pytest.raises(WebexTimeout):
        await client.get_user(CREDS)
    assert fresh.seen == []


async def test_an_aiohttp_timeout_stays_a_timeout(pooled: Pooled, fresh: Fresh, client: WebexClient) -> None:
    pooled.steps = [
        (False, aiohttp_mapped(aiohttp.ServerTimeoutError("Timeout on reading data from socket")))
    ]
    with pytest.raises(WebexTimeout):
        await client.get_user(CREDS)


async def test_a_refused_connection_behind_aiohttps_connect_timeout_left_nothing_done(
    pooled: Pooled, fresh: Fresh, client: WebexClient
) -> None:
    # Built without __init__: its constructor arguments differ between aiohttp releases.
    pooled.steps = [
        (False, aiohttp_mapped(aiohttp.ClientConnectorError.__new__(aiohttp.ClientConnectorError)))
    ]
    with pytest.raises(WebexUnavailable) as caught:
        await client.get_user(CREDS)
    assert type(caught.value) is WebexUnavailable
    assert (caught.value.timed_out, caught.value.outcome_unknown) == (False, False)


async def test_a_dropped_answer_body_under_aiohttp_is_not_called_a_timeout(
    pooled: Pooled, client: WebexClient
) -> None:
    class CutBody(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[override]
            yield ANSWER[:40]
            raise aiohttp_mapped(aiohttp.ServerDisconnectedError())

    pooled.steps = [(True, lambda request: httpx.Response(200, stream=CutBody()))]
    with pytest.raises(WebexUnavailable) as caught:
        await client.get_user(CREDS)
    assert type(caught.value) is WebexUnavailable and caught.value.outcome_unknown
    assert not caught.value.stale_connection  # an answer had begun: nothing is sent again
