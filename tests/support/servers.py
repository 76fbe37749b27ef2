"""The bot served for real over loopback HTTP, wired to the emulator and the Slack stand-in."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.sandbox.openid import SANDBOX_SLACK_CLIENT_ID, SANDBOX_SLACK_CLIENT_SECRET

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.domain.clock import Clock


@dataclass
class BotServer:
    url: str
    settings: Settings
    server: uvicorn.Server
    app: Any
    task: asyncio.Task[None]

    @property
    def events_url(self) -> str:
        """Where Slack posts commands, actions and events."""
        return self.url + "/slack/events"

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    async def get(self, path_or_url: str, **kwargs: Any) -> httpx.Response:
        url = path_or_url if path_or_url.startswith("http") else self.url + path_or_url
        async with httpx.AsyncClient(follow_redirects=False, timeout=10) as client:
            return await client.get(url, **kwargs)


BotFactory = Callable[..., Awaitable[BotServer]]


def bot_settings(
    *,
    port: int,
    emulator_url: str,
    slack_url: str,
    database_url: str,
    webex_api: str = "xml",
    **overrides: Any,
) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-sandbox-0000-token",
        "slack_signing_secret": "sandbox-signing-secret-0123456789abcdef",
        "slack_api_url": slack_url,
        "slack_client_id": SANDBOX_SLACK_CLIENT_ID,
        "slack_client_secret": SANDBOX_SLACK_CLIENT_SECRET,
        "webex_client_id": "sandbox-client",
        "webex_client_secret": "sandbox-secret",
        "public_base_url": f"http://127.0.0.1:{port}",
        "webex_site": "sandbox",
        "webex_oauth_url": f"{emulator_url.rstrip('/')}/v1/oauth2",
        "webex_xml_url": f"{emulator_url.rstrip('/')}/WBXService/XMLService",
        "webex_api": webex_api,
        "webex_rest_url": f"{emulator_url.rstrip('/')}/v1",
        "webex_timeout_seconds": 5,
        "database_url": database_url,
        "token_keys": [Fernet.generate_key().decode()],
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def start_bot(settings: Settings, sock: socket.socket, *, clock: Clock | None = None) -> BotServer:
    from bot.bootstrap import build
    from bot.web.app import create_app

    # With a clock (the emulator's), tests move the bot's time and Webex's together.
    app = create_app(settings, services_factory=(lambda s: build(s, clock=clock)) if clock else None)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the bot stopped during start-up")
        await asyncio.sleep(0.01)
    host, port = sock.getsockname()[:2]
    return BotServer(url=f"http://{host}:{port}", settings=settings, server=server, app=app, task=task)


async def stop_bot(bot: BotServer) -> None:
    bot.server.should_exit = True
    await bot.task


def loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


# The Webex APIs the bot speaks; a suite that runs on both overrides `webex_api` with `api_params`.
APIS = ("xml", "rest")


@pytest.fixture
def webex_api() -> str:
    """The Webex API the bot under test speaks (WEBEX_API): xml unless a suite asks for both."""
    return "xml"


def both_apis(request: pytest.FixtureRequest) -> str:
    """For a suite's own `webex_api` fixture with `params=APIS`: the API this run of the test uses."""
    return str(request.param)


@pytest.fixture
async def bot_factory(
    emulator_server: Any, slack_standin: Any, database_url: str, webex_api: str
) -> AsyncIterator[BotFactory]:
    """`await bot_factory(**setting_overrides)` -> a running bot on `webex_api`; stopped after the test."""
    started: list[BotServer] = []

    async def make(*, clock: Clock | None = None, **overrides: Any) -> BotServer:
        sock = loopback_socket()
        settings = bot_settings(
            port=sock.getsockname()[1],
            emulator_url=emulator_server.url,
            slack_url=slack_standin.url,
            database_url=database_url,
            **{"webex_api": webex_api, **overrides},
        )
        bot = await start_bot(settings, sock, clock=clock)
        started.append(bot)
        return bot

    yield make
    for bot in started:
        await stop_bot(bot)


@pytest.fixture
async def bot_server(bot_factory: BotFactory) -> BotServer:
    """The bot with default test settings."""
    return await bot_factory()
