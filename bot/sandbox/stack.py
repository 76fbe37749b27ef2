"""Runs the sandbox's three parts on loopback in one event loop: Webex emulator, bot, Slack stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import socket
import tempfile
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

import httpx
import uvicorn
from cryptography.fernet import Fernet
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.config import Settings, load_settings
from bot.emulator import Emulator, Fault
from bot.emulator import create_app as create_emulator_app
from bot.sandbox.driver import SlackDriver
from bot.sandbox.openid import SANDBOX_SLACK_CLIENT_ID, SANDBOX_SLACK_CLIENT_SECRET
from bot.sandbox.slackapi import SlackStandIn
from bot.sandbox.users import SANDBOX_USERS
from bot.sandbox.workspace import SlackUser

__all__ = ["ConsentResult", "SandboxOptions", "SandboxStack", "StartupFailed", "run_stack"]

logger = logging.getLogger(__name__)

SIGNING_SECRET = "sandbox-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-sandbox-0000-token"
WEBEX_CLIENT_ID = "sandbox-client"
WEBEX_CLIENT_SECRET = "sandbox-secret"
WEBEX_SITE = "sandbox"
START_TIMEOUT_SECONDS = 20.0

_CONSENT_ID = re.compile(r'name="consent_id" value="([^"]+)"')
_SIGN_IN_REQUEST = re.compile(r'name="request_id" value="([^"]+)"')
_TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
_TAGS = re.compile(r"<[^>]+>")


class StartupFailed(RuntimeError):
    """One of the sandbox's servers did not start; the message says which and why."""


@dataclass(frozen=True)
class SandboxOptions:
    bot_port: int = 0
    emulator_port: int = 0
    database_url: str | None = None
    emulator_latency: float = 0.0
    log_level: str = "WARNING"
    api: str = "xml"  # which Webex API the bot speaks to the emulator: xml or rest


@dataclass(frozen=True)
class ConsentResult:
    """What a browser would have shown at the end of the connect flow."""

    status: int
    title: str
    text: str
    url: str

    @property
    def ok(self) -> bool:
        return self.status == 200


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves Ctrl-C to the sandbox, which stops everything in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _loopback_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as error:
        sock.close()
        raise StartupFailed(f"port {port} on 127.0.0.1 is taken ({error.strerror})") from None
    return sock


@dataclass
class _Served:
    name: str
    server: _QuietServer
    url: str


class SandboxStack:
    """The emulator, the bot (as `webex-bot serve` runs it) and the Slack stand-in, started together."""

    def __init__(
        self, options: SandboxOptions | None = None, *, users: tuple[SlackUser, ...] = SANDBOX_USERS
    ):
        self.options = options or SandboxOptions()
        self.users = users
        self.emulator = Emulator.with_defaults(
            site=WEBEX_SITE, client_id=WEBEX_CLIENT_ID, client_secret=WEBEX_CLIENT_SECRET
        )
        self.slack = SlackStandIn(users, bot_token=BOT_TOKEN)
        self.settings: Settings | None = None
        self.bot_url = ""
        self.emulator_url = ""
        self._served: list[_Served] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._drivers: list[SlackDriver] = []
        self._browser: httpx.AsyncClient | None = None
        self._bot_app: Starlette | None = None

    @property
    def events_url(self) -> str:
        return self.bot_url + "/slack/events"

    async def start(self) -> None:
        if self.options.emulator_latency:
            self.emulator.add_fault(Fault.latency(self.options.emulator_latency))
        await self.slack.start()
        emulator_sock = _loopback_socket(self.options.emulator_port)
        self.emulator_url = f"http://127.0.0.1:{emulator_sock.getsockname()[1]}"
        # Join, host and calendar links lead to the emulator's own pages, not to a real Webex host.
        self.emulator.public_url = self.emulator_url
        await self._serve(
            "Webex emulator", create_emulator_app(self.emulator), emulator_sock, self.emulator_url
        )

        bot_sock = _loopback_socket(self.options.bot_port)
        self.bot_url = f"http://127.0.0.1:{bot_sock.getsockname()[1]}"
        database_url = self.options.database_url
        if database_url is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="webex-bot-sandbox-")
            database_url = f"sqlite+aiosqlite:///{Path(self._tempdir.name) / 'sandbox.db'}"
        self.settings = load_settings(
            _env_file=None,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.slack.url,
            # The stand-in's own app, so EMAIL_MISMATCH_POLICY=sign-in-with-slack works in the sandbox.
            slack_client_id=SANDBOX_SLACK_CLIENT_ID,
            slack_client_secret=SANDBOX_SLACK_CLIENT_SECRET,
            webex_client_id=WEBEX_CLIENT_ID,
            webex_client_secret=WEBEX_CLIENT_SECRET,
            public_base_url=self.bot_url,
            webex_site=WEBEX_SITE,
            webex_oauth_url=f"{self.emulator_url}/v1/oauth2",
            webex_xml_url=f"{self.emulator_url}/WBXService/XMLService",
            webex_api=self.options.api,
            webex_rest_url=f"{self.emulator_url}/v1",
            database_url=database_url,
            token_keys=[Fernet.generate_key().decode()],
            log_level=self.options.log_level,
        )
        # Imported here: building the bot pulls in the whole product, which `--help` does not need.
        from bot.bootstrap import build
        from bot.web.app import create_app as create_bot_app

        # One clock for the emulator and the bot, so `:wait` moves both (and Webex's token lifetimes).
        clock = self.emulator.clock
        self._bot_app = create_bot_app(self.settings, services_factory=lambda s: build(s, clock=clock))
        await self._serve("bot", self._bot_app, bot_sock, self.bot_url)

    async def wait(self, delta: timedelta) -> tuple[int, int]:
        """Move both clocks forward by `delta` and run the jobs that fell due (as the bot's timed jobs
        would on their next turn): (reminders sent, links renewed)."""
        if self._bot_app is None:
            raise RuntimeError("the bot is not running")
        self.emulator.advance(delta)
        jobs = self._bot_app.state.jobs
        sent = await jobs.send_reminders()
        kept = await jobs.keep_links_alive()
        return int(sent), int(kept.renewed)

    def bot_in_flight(self) -> int:
        """Commands the bot is still working on after acking them (0 before it is up)."""
        if self._bot_app is None:
            return 0
        services = getattr(self._bot_app.state, "services", None)
        return int(services.work.in_flight) if services is not None else 0

    async def _serve(self, name: str, app: ASGIApp, sock: socket.socket, url: str) -> None:
        config = uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
        server = _QuietServer(config)
        task = asyncio.create_task(server.serve(sockets=[sock]), name=f"sandbox {name}")
        self._served.append(_Served(name=name, server=server, url=url))
        self._tasks.append(task)
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_SECONDS
        while not server.started:
            if task.done():
                sock.close()
                problem = _task_problem(task)
                raise StartupFailed(f"the {name} did not start: {problem}")
            if asyncio.get_running_loop().time() > deadline:
                raise StartupFailed(f"the {name} did not start within {START_TIMEOUT_SECONDS:.0f}s")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        """Stop everything; nothing is left listening."""
        for driver in self._drivers:
            await driver.aclose()
        if self._browser is not None:
            await self._browser.aclose()
        for served in reversed(self._served):
            served.server.should_exit = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._served.clear()
        self._tasks.clear()
        await self.slack.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def driver(self, user_id: str) -> SlackDriver:
        driver = SlackDriver(self.events_url, SIGNING_SECRET, self.slack, user_id=user_id)
        self._drivers.append(driver)
        return driver

    async def consent(
        self, connect_url: str, *, webex_user: str, allow: bool = True, slack_user: str | None = None
    ) -> ConsentResult:
        """What a browser does with a Connect link: follow it, answer the consent page, reach the callback;
        if the bot asks for Sign in with Slack, sign in there as `slack_user`."""
        browser = self._browser_client()
        response = await browser.get(connect_url)
        response = await self._follow(browser, response)
        match = _CONSENT_ID.search(response.text)
        if response.status_code != 200 or match is None:
            return _page_result(response)
        form = {"consent_id": html.unescape(match.group(1)), "decision": "allow" if allow else "deny"}
        if allow:
            form["user"] = webex_user
        answer = await browser.post(urljoin(str(response.url), "/v1/oauth2/authorize"), data=form)
        response = await self._follow(browser, answer)
        request_id = _SIGN_IN_REQUEST.search(response.text)
        if (
            slack_user is not None
            and request_id is not None
            and str(response.url).startswith(self.slack.sign_in_url)
        ):
            signed_in = {
                "request_id": html.unescape(request_id.group(1)),
                "user": slack_user,
                "decision": "allow",
            }
            answer = await browser.post(self.slack.sign_in_url, data=signed_in)
            response = await self._follow(browser, answer)
        return _page_result(response)

    def _browser_client(self) -> httpx.AsyncClient:
        if self._browser is None:
            self._browser = httpx.AsyncClient(follow_redirects=False, timeout=30.0)
        return self._browser

    @staticmethod
    async def _follow(browser: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
        for _ in range(10):
            if not response.is_redirect:
                return response
            response = await browser.get(urljoin(str(response.url), response.headers["location"]))
        return response


def _task_problem(task: asyncio.Task[None]) -> str:
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    if isinstance(error, SystemExit):
        return "its start-up failed (see the log above)"
    return f"{type(error).__name__}: {error}" if error else "it stopped"


def _page_result(response: httpx.Response) -> ConsentResult:
    body = response.text
    match = _TITLE.search(body)
    title = html.unescape(_TAGS.sub("", match.group(1))).strip() if match else ""
    paragraphs = [
        html.unescape(_TAGS.sub("", p)).strip() for p in re.findall(r"<p[^>]*>(.*?)</p>", body, re.S)
    ]
    text = "\n".join(p for p in paragraphs if p)
    return ConsentResult(status=response.status_code, title=title, text=text, url=str(response.url))


@contextlib.asynccontextmanager
async def run_stack(options: SandboxOptions | None = None) -> AsyncIterator[SandboxStack]:
    stack = SandboxStack(options)
    try:
        await stack.start()
        yield stack
    finally:
        await stack.close()
