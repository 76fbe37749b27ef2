"""The one pooled HTTP client for Webex (XML API and token endpoint), on the aiohttp or httpx transport."""

from __future__ import annotations

from typing import Literal

import httpx
from httpx_aiohttp import AiohttpTransport

Transport = Literal["aiohttp", "httpx"]
TRANSPORTS: tuple[Transport, ...] = ("aiohttp", "httpx")

USER_AGENT = "webex-bot"


def new_webex_http_client(
    *, timeout: float, transport: Transport | str = "aiohttp", max_connections: int = 100
) -> httpx.AsyncClient:
    """One client per process, closed at shutdown (`await client.aclose()`).

    `timeout` bounds each phase (connect, write, each read, waiting for a pooled connection).
    The aiohttp transport costs far less CPU per request than httpx's own under concurrency;
    the httpx one is kept for comparison and as a fallback.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    if max_connections < 1:
        raise ValueError("max_connections must be at least 1")
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    timeouts = httpx.Timeout(timeout)
    headers = {"user-agent": USER_AGENT}
    if transport == "aiohttp":
        return httpx.AsyncClient(
            transport=AiohttpTransport(limits=limits),
            timeout=timeouts,
            headers=headers,
            follow_redirects=False,
        )
    if transport == "httpx":
        return httpx.AsyncClient(limits=limits, timeout=timeouts, headers=headers, follow_redirects=False)
    raise ValueError(f"unknown transport {transport!r}; choose one of {', '.join(TRANSPORTS)}")
