"""The one pooled HTTP client for Webex (XML API and token endpoint), on the aiohttp or httpx transport."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Literal, Protocol, TypeVar

import aiohttp
import httpx
import yarl
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions

Transport = Literal["aiohttp", "httpx"]
TRANSPORTS: tuple[Transport, ...] = ("aiohttp", "httpx")

USER_AGENT = "webex-bot"

# How long an idle pooled connection is kept. Servers close idle connections after a few seconds
# (uvicorn, Node.js and Apache after 5 s; load balancers after their own idle timeout): a connection
# the bot drops first is never one the server is closing just as a request goes out on it.
KEEPALIVE_SECONDS = 4.0

# Request extensions the Webex side sets; httpx hands them to the transport untouched.
# Sending the request twice does no harm (a read, or a change that sets the same values again):
# when it dies on a reused connection before any answer, it is sent again once, on a new connection.
RESENDABLE = "webex_bot.resendable"
# Send the request on a connection opened for it, never on a pooled one.
NEW_CONNECTION = "webex_bot.new_connection"

logger = logging.getLogger("bot.webex")


class StaleConnection(httpx.NetworkError):
    """A pooled connection, reused for this request, was closed or reset before any answer came.

    The usual cause is a connection the server (or a NAT, firewall or load balancer on the way) had
    dropped while it was idle, so the request most likely never reached Webex; it cannot be proven,
    since a server may also fail while handling it. Raised only for requests not marked `RESENDABLE`,
    so that their caller decides how to try again (a create looks for the meeting first).
    """


def new_webex_http_client(
    *,
    timeout: float,
    transport: Transport | str = "aiohttp",
    max_connections: int = 100,
    keepalive_seconds: float = KEEPALIVE_SECONDS,
) -> httpx.AsyncClient:
    """One client per process, closed at shutdown (`await client.aclose()`).

    `timeout` bounds each phase (connect, write, each read, waiting for a pooled connection).
    The aiohttp transport costs far less CPU per request than httpx's own under concurrency;
    the httpx one is kept for comparison and as a fallback. Both behave the same towards the
    caller: the same errors for the same failures, and the same retry on a new connection.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if max_connections < 1:
        raise ValueError("max_connections must be at least 1")
    if keepalive_seconds <= 0:
        raise ValueError("keepalive_seconds must be positive")
    pooled: httpx.AsyncBaseTransport
    fresh: httpx.AsyncBaseTransport
    if transport == "aiohttp":
        context = httpx.create_ssl_context()
        pooled = _aiohttp_transport(context, limit=max_connections, keepalive_seconds=keepalive_seconds)
        fresh = _aiohttp_transport(context, limit=max_connections, keepalive_seconds=None)
    elif transport == "httpx":
        pooled = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=keepalive_seconds,
            )
        )
        fresh = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=0)
        )
    else:
        raise ValueError(f"unknown transport {transport!r}; choose one of {', '.join(TRANSPORTS)}")
    return httpx.AsyncClient(
        transport=KeepAliveTransport(pooled, fresh),
        timeout=httpx.Timeout(timeout),
        headers={"user-agent": USER_AGENT},
        follow_redirects=False,
    )


class Answer(Protocol):
    """An answer whose body is still to be read: what the Webex clients use of `httpx.Response`."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> httpx.Headers: ...

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...


@asynccontextmanager
async def exchange(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    content: bytes | None = None,
    params: Mapping[str, str] | None = None,
    resendable: bool = True,
    new_connection: bool = False,
) -> AsyncIterator[Answer]:
    """One Webex request through `client`, its answer streamed (closed on leaving).

    What `client.stream` adds around the transport, Webex calls never use, and it cost about as much
    CPU as the transport itself: a cookie jar (every answer copied into urllib objects to look for
    Set-Cookie), the auth flow, redirects (never followed), the base-URL merge and a fresh parse of the
    same address on every call. On the aiohttp transport (`new_webex_http_client`'s default) the request
    goes to aiohttp's session directly, without an httpx request and response around it; on any other
    transport, to the transport itself. Either way it is the same request: the client's own headers
    (user-agent, accept-encoding), its timeout, the same errors and the same resend on a new connection
    (`RESENDABLE`, `NEW_CONNECTION`); a closed client refuses as `send` does.
    """
    if client.is_closed:
        raise RuntimeError("Cannot send a request, as the client has been closed.")
    merged = _headers(client.headers, headers)
    pair = _aiohttp_pair(client)
    if pair is not None:
        target = _aiohttp_url(url) if not params else yarl.URL(str(httpx.URL(url, params=params)))
        limits = client.timeout
        timeout = aiohttp.ClientTimeout(
            sock_connect=limits.connect, sock_read=limits.read, connect=limits.pool
        )

        async def send(transport: AiohttpTransport, attempt: _Attempt) -> aiohttp.ClientResponse:
            return await _aiohttp_send(transport, method, target, merged, content, timeout, attempt)

        response = await _resending(
            pair, send, host=target.host or "", resendable=resendable, new_connection=new_connection
        )
        try:
            yield _AiohttpAnswer(response)
        finally:
            response.release()
        return
    request = httpx.Request(
        method,
        _url(url),
        params=params,
        headers=merged,
        content=content,
        extensions={
            "timeout": client.timeout.as_dict(),
            RESENDABLE: resendable,
            NEW_CONNECTION: new_connection,
        },
    )
    # httpx's own lookup (mounts, then the client's transport); the client keeps no other per-request state.
    transport = client._transport_for_url(request.url)
    answer = await transport.handle_async_request(request)
    answer.request = request
    try:
        yield answer
    finally:
        await answer.aclose()


@lru_cache(maxsize=1024)
def _url(text: str) -> httpx.URL:
    """Webex addresses repeat (one per site and operation): each is parsed once. httpx.URL is immutable."""
    return httpx.URL(text)


@lru_cache(maxsize=1024)
def _aiohttp_url(text: str) -> yarl.URL:
    # The text httpx would have handed aiohttp (httpx_aiohttp sends str(request.url)), parsed once.
    return yarl.URL(str(_url(text)))


def _headers(defaults: httpx.Headers, headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The client's headers, each replaced by the request's own of the same name, as httpx merges them."""
    own = {name.lower(): value for name, value in headers.items()}
    merged = [(name, value) for name, value in defaults.items() if name not in own]
    merged.extend(own.items())
    return merged


@dataclass
class _Attempt:
    """What the transport underneath did with one request: a new connection, or a pooled one."""

    opened: bool = False
    reused: bool = False


# The attempt under way in this task; the transports' trace hooks run in the same task and mark it.
_attempt: ContextVar[_Attempt | None] = ContextVar("webex_http_attempt", default=None)


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """Pooled keep-alive connections, and a new connection when a reused one turns out dead.

    `pooled` keeps connections for `KEEPALIVE_SECONDS`; `fresh` opens a connection per request.
    Errors are the same httpx errors whichever transport is underneath (httpx-aiohttp reports a
    connection the server dropped as `httpx.ConnectTimeout`; here it is what it is).
    """

    def __init__(self, pooled: httpx.AsyncBaseTransport, fresh: httpx.AsyncBaseTransport) -> None:
        self._pooled = pooled
        self._fresh = fresh

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async def send(transport: httpx.AsyncBaseTransport, attempt: _Attempt) -> httpx.Response:
            return await _send(transport, request, attempt)

        return await _resending(
            (self._pooled, self._fresh),
            send,
            host=request.url.host,
            resendable=bool(request.extensions.get(RESENDABLE)),
            new_connection=bool(request.extensions.get(NEW_CONNECTION)),
        )

    async def aclose(self) -> None:
        try:
            await self._pooled.aclose()
        finally:
            await self._fresh.aclose()


_T = TypeVar("_T")
_Sent = TypeVar("_Sent")


async def _resending(
    transports: tuple[_T, _T],
    send: Callable[[_T, _Attempt], Awaitable[_Sent]],
    *,
    host: str,
    resendable: bool,
    new_connection: bool,
) -> _Sent:
    """`send` on the pooled transport (the first), or on the fresh one (the second) for a `new_connection`;
    a request that dies on a reused connection before any answer goes again on a new one if `resendable`,
    else is a StaleConnection for its caller to decide."""
    pooled, fresh = transports
    if new_connection:
        return await send(fresh, _Attempt())
    attempt = _Attempt()
    try:
        return await send(pooled, attempt)
    except httpx.TransportError as error:
        if not (attempt.reused and is_dead_connection(error)):
            raise
        if not resendable:
            raise StaleConnection(
                f"a reused connection to {host} was dropped before any answer ({error})"
            ) from error
        logger.info(
            "a reused connection to %s was dropped before any answer (%s); sending again on a new one",
            host,
            type(error).__name__,
        )
    return await send(fresh, _Attempt())


def is_dead_connection(error: httpx.TransportError) -> bool:
    """The connection was closed or reset under the request: no answer, and no timeout either."""
    return isinstance(error, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError)


def honest_error(error: httpx.TransportError) -> httpx.TransportError:
    """The httpx error for what really happened. httpx-aiohttp maps every aiohttp connection error
    (server disconnected, connection reset) to `httpx.ConnectTimeout`; its cause tells the truth."""
    cause = error.__cause__
    if not isinstance(cause, aiohttp.ClientError) or isinstance(cause, TimeoutError):
        return error
    honest: httpx.TransportError
    if isinstance(cause, aiohttp.ClientConnectorError):
        honest = httpx.ConnectError(str(error))  # httpx-aiohttp's message is the cause's own
    elif isinstance(cause, aiohttp.ServerDisconnectedError):
        honest = httpx.RemoteProtocolError("the server closed the connection without answering")
    elif isinstance(cause, aiohttp.ClientOSError | aiohttp.ClientConnectionResetError):
        honest = httpx.ReadError(str(error) or "the connection was reset")
    else:
        return error
    honest.__cause__ = cause
    return honest


@contextmanager
def _honest_errors() -> Iterator[None]:
    """httpx errors raised inside, replaced by what really happened (`honest_error`)."""
    try:
        yield
    except httpx.TransportError as error:
        honest = honest_error(error)
        if honest is error:
            raise
        raise honest from error.__cause__


async def _send(inner: httpx.AsyncBaseTransport, request: httpx.Request, attempt: _Attempt) -> httpx.Response:
    extensions = request.extensions
    request.extensions = {**extensions, "trace": _traced(extensions.get("trace"))}
    token = _attempt.set(attempt)
    try:
        with _honest_errors():
            response = await inner.handle_async_request(request)
    finally:
        _attempt.reset(token)
        request.extensions = extensions
    response.stream = _HonestStream(response.stream)
    return response


TraceHook = Callable[[str, dict[str, Any]], Awaitable[None]]


def _traced(previous: TraceHook | None) -> TraceHook:
    """httpcore's trace extension (the httpx transport): which connection a request went out on."""

    async def trace(name: str, info: dict[str, Any]) -> None:
        attempt = _attempt.get()
        if attempt is not None:
            if name == "connection.connect_tcp.started":
                attempt.opened = True
            elif name == "http11.send_request_headers.started":
                attempt.reused = not attempt.opened
        if previous is not None:
            await previous(name, info)

    return trace


class _HonestStream(httpx.AsyncByteStream):
    """An answer's body, with the same honest errors as the request (aiohttp maps them the same way)."""

    def __init__(self, stream: httpx.AsyncByteStream | httpx.SyncByteStream) -> None:
        if not isinstance(stream, httpx.AsyncByteStream):
            raise TypeError("an async transport answered with a sync stream")
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _honest_errors():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


# -- aiohttp --------------------------------------------------------------------------------------


def _aiohttp_pair(client: httpx.AsyncClient) -> tuple[AiohttpTransport, AiohttpTransport] | None:
    """The pooled and fresh aiohttp transports under `client`, when every request goes to them
    (no proxy mounted), so that `exchange` may use their sessions directly."""
    transport = client._transport
    if client._mounts or not isinstance(transport, KeepAliveTransport):
        return None
    pooled, fresh = transport._pooled, transport._fresh
    if isinstance(pooled, AiohttpTransport) and isinstance(fresh, AiohttpTransport):
        return pooled, fresh
    return None


async def _aiohttp_send(
    transport: AiohttpTransport,
    method: str,
    url: yarl.URL,
    headers: list[tuple[str, str]],
    content: bytes | None,
    timeout: aiohttp.ClientTimeout,
    attempt: _Attempt,
) -> aiohttp.ClientResponse:
    """One attempt on `transport`'s session, as httpx-aiohttp sends it, with the same (honest) errors."""
    session = transport.client
    if not isinstance(session, aiohttp.ClientSession):
        session = transport.client = transport.get_client()
    token = _attempt.set(attempt)
    try:
        with _aiohttp_errors():
            return await session.request(
                method,
                url,
                headers=headers,
                data=content or None,
                allow_redirects=False,
                compress=False,
                timeout=timeout,
            )
    finally:
        _attempt.reset(token)


class _AiohttpAnswer:
    """An aiohttp answer as an `Answer`: its body read with the same errors as httpx-aiohttp's stream."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status_code = response.status
        self._headers: httpx.Headers | None = None

    @property
    def headers(self) -> httpx.Headers:
        if self._headers is None:
            self._headers = httpx.Headers(list(self._response.raw_headers))
        return self._headers

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        with _aiohttp_errors():
            async for chunk in self._response.content.iter_any():
                yield chunk


@contextmanager
def _aiohttp_errors() -> Iterator[None]:
    """aiohttp's errors as the httpx errors httpx-aiohttp maps them to, made honest."""
    with _honest_errors(), map_aiohttp_exceptions():
        yield


def _aiohttp_transport(
    context: ssl.SSLContext, *, limit: int, keepalive_seconds: float | None
) -> AiohttpTransport:
    """httpx-aiohttp over a session of our own: keep-alive as asked (None: a connection per request)
    and trace hooks that tell a reused connection from a new one."""

    def session() -> aiohttp.ClientSession:
        # Made on first use, inside the running event loop, as aiohttp requires.
        if keepalive_seconds is None:
            connector = aiohttp.TCPConnector(limit=limit, ssl=context, force_close=True)
        else:
            connector = aiohttp.TCPConnector(limit=limit, ssl=context, keepalive_timeout=keepalive_seconds)
        trace = aiohttp.TraceConfig()
        trace.on_connection_create_start.append(_aiohttp_opened)
        trace.on_connection_reuseconn.append(_aiohttp_reused)
        # httpx keeps no cookies for Webex either; the XML API carries its credentials in the body.
        return aiohttp.ClientSession(
            connector=connector, trace_configs=[trace], cookie_jar=aiohttp.DummyCookieJar()
        )

    return AiohttpTransport(verify=context, client=session)


async def _aiohttp_opened(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceConnectionCreateStartParams
) -> None:
    attempt = _attempt.get()
    if attempt is not None:
        attempt.opened, attempt.reused = True, False


async def _aiohttp_reused(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceConnectionReuseconnParams
) -> None:
    attempt = _attempt.get()
    if attempt is not None:
        attempt.reused = True
