"""Loopback helpers for the reliability tests: serve an ASGI app on port 0, a Webex XML proxy that garbles
answers after Webex acted, a server answering hostile XML, and a TCP proxy that can cut a database off."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.servers import loopback_socket


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 (a free port) in this event loop; yields its base URL."""
    sock = loopback_socket()
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", ws="none"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    host, port = sock.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class GarblingProxy:
    """Forwards XML API calls to the emulator; for `operation`, Webex acts but its answer is cut in half."""

    target: str
    operation: str = ""
    garbled: int = 0

    def app(self) -> Starlette:
        async def forward(request: Request) -> Response:
            body = await request.body()
            async with httpx.AsyncClient(timeout=30) as client:
                answer = await client.post(self.target, content=body, headers={"content-type": "text/xml"})
            content = answer.content
            if self.operation and f".{self.operation}".encode() in body:
                self.garbled += 1
                content = content[: len(content) // 2]
            return Response(content, status_code=answer.status_code, media_type="text/xml;charset=UTF-8")

        return Starlette(routes=[Route("/WBXService/XMLService", forward, methods=["POST"])])


@dataclass
class HostileXml:
    """Answers every XML API call with `body` and counts the calls."""

    body: bytes = b""
    calls: int = 0

    def app(self) -> Starlette:
        async def answer(request: Request) -> Response:
            await request.body()
            self.calls += 1
            return Response(self.body, media_type="text/xml;charset=UTF-8")

        return Starlette(routes=[Route("/WBXService/XMLService", answer, methods=["POST"])])


@dataclass
class TcpProxy:
    """A TCP hop on 127.0.0.1 in front of `target`; `cut()` drops every connection and stops listening,
    as a stopped database server would, and `restore()` listens again on the same port."""

    target_host: str
    target_port: int
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.close()
            return
        self._writers.update((writer, upstream_writer))
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()
        await asyncio.sleep(0.05)

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()


REPO = Path(__file__).resolve().parents[2]
# Settings from the test runner's own environment must not leak into the bot processes.
SETTING_PREFIXES = (
    "SLACK_",
    "WEBEX_",
    "TOKEN_",
    "DATABASE_",
    "PUBLIC_",
    "LOG_",
    "EMAIL_",
    "SHUTDOWN_",
    "USER_",
    "METRICS_",
    "OTEL_",
    "COMMAND_",
    "WEB_CONCURRENCY",
    "HOUSEKEEPING_",
    "PROMETHEUS_",
    "MAX_REQUEST_",
    "REMINDER_",
)


def bot_env(settings: Any, **extra: str) -> dict[str, str]:
    """The environment that configures `python -m bot.cli` exactly as `settings` does."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(SETTING_PREFIXES)}
    env.update(
        PYTHONPATH=str(REPO),
        SLACK_BOT_TOKEN=settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else "",
        SLACK_STATE_SECRET=settings.slack_state_secret.get_secret_value()
        if settings.slack_state_secret
        else "",
        SLACK_SIGNING_SECRET=settings.slack_signing_secret.get_secret_value(),
        SLACK_API_URL=settings.slack_api_url,
        SLACK_CLIENT_ID=settings.slack_client_id or "",
        SLACK_CLIENT_SECRET=settings.slack_client_secret.get_secret_value()
        if settings.slack_client_secret
        else "",
        WEBEX_CLIENT_ID=settings.webex_client_id,
        WEBEX_CLIENT_SECRET=settings.webex_client_secret.get_secret_value(),
        PUBLIC_BASE_URL=settings.base_url,
        WEBEX_SITE=settings.webex_site or "",
        WEBEX_OAUTH_URL=str(settings.webex_oauth_url),
        WEBEX_XML_URL=settings.webex_xml_url,
        WEBEX_API=str(settings.webex_api),
        WEBEX_REST_URL=settings.webex_rest_base,
        WEBEX_TIMEOUT_SECONDS=str(settings.webex_timeout_seconds),
        DATABASE_URL=settings.database_url,
        TOKEN_KEYS=",".join(key.get_secret_value() for key in settings.token_keys),
        EMAIL_MISMATCH_POLICY=str(settings.email_mismatch_policy),
        LOG_LEVEL=settings.log_level,
        SHUTDOWN_GRACE_SECONDS=str(settings.shutdown_grace_seconds),
        USER_RATE_LIMIT_PER_MINUTE=str(settings.user_rate_limit_per_minute),
        USER_MAX_IN_FLIGHT=str(settings.user_max_in_flight),
        COMMAND_RECOVERY_SECONDS=str(settings.command_recovery_seconds),
        MAX_REQUEST_BYTES=str(settings.max_request_bytes),
        REMINDER_DEFAULT_MINUTES=str(settings.reminder_default_minutes),
        REMINDER_CHECK_SECONDS=str(settings.reminder_check_seconds),
    )
    env.update(extra)
    return env


async def run_cli(*args: str, env: dict[str, str], cwd: Any, timeout: float = 60) -> tuple[int, str, str]:
    """`python -m bot.cli <args>` to completion: exit status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=str(cwd),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@dataclass
class BotProcess:
    """`python -m bot.cli serve` in a process of its own, configured through its environment."""

    process: asyncio.subprocess.Process
    url: str
    log: Path
    settings: Any = None

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"

    @classmethod
    async def start(
        cls,
        settings: Any,
        workdir: Path,
        *,
        name: str = "bot",
        port: int | None = None,
        args: Sequence[str] = (),
        **env: str,
    ) -> BotProcess:
        """Serve on `port`: by default PUBLIC_BASE_URL's (processes behind one URL each get their own).
        `args` go after `serve` (e.g. `--workers 2`); the process leads a process group of its own, so
        closing it reaches its workers too."""
        port = port or int(settings.base_url.rsplit(":", 1)[1])
        log = workdir / f"{name}.log"
        with log.open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *args,
                env=bot_env(settings, **env), cwd=str(workdir), stdout=output, stderr=output,
                start_new_session=True,
            )  # fmt: skip
        running = cls(process=process, url=f"http://127.0.0.1:{port}", log=log, settings=settings)
        await running.wait_ready()
        return running

    async def wait_ready(self, timeout: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"the bot exited with {self.process.returncode}: {self.output()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.url + "/readyz")).status_code == 200:
                        return
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"the bot never became ready: {self.output()}")
                await asyncio.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    async def wait(self, timeout: float = 30) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def close(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        # Worker processes outlive a killed parent: end the rest of its process group too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def free_port() -> int:
    sock = loopback_socket()
    port = int(sock.getsockname()[1])
    sock.close()
    return port
