"""No token, client secret, signing secret or key in the logs at any level (libraries included), in the
pages a browser is shown, or in anything sent to Slack: through linking, commands, refreshes, failures
and retries."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from bot.emulator import INVALID_ACCESS_TOKEN_EXCEPTION_ID, INVALID_ACCESS_TOKEN_REASON, Emulator, Fault
from bot.observability.logs import JsonLineFormatter, RequestFields
from bot.sandbox import RecordedCall, SlackStandIn
from bot.slack.meetings import blocks
from bot.web.access_log import redact_path
from tests.e2e.accounts.test_connect import connect_button
from tests.e2e.meetings.conftest import Stage
from tests.reliability.support import bot_env
from tests.support.emulator import ALICE, approve_consent
from tests.support.servers import BotServer, loopback_socket

# Every logger the bot or its libraries write to; uvicorn's do not propagate to the root logger.
LOGGERS = [
    "", "uvicorn", "uvicorn.error", "uvicorn.access", "slack_sdk", "slack_bolt", "httpx", "httpcore",
    "aiohttp", "aiohttp.access", "aiohttp.client", "sqlalchemy", "sqlalchemy.engine", "asyncio", "bot",
]  # fmt: skip


class Everything(logging.Handler):
    """Every record, as text and as the JSON line LOG_FORMAT=json prints (its extra= fields too)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.addFilter(RequestFields())
        self.json = JsonLineFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.name} {record.levelname} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(line)
        self.lines.append(self.json.format(record))


@pytest.fixture
def all_logs() -> Iterator[Everything]:
    handler = Everything()
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in LOGGERS]
    for logger, _ in saved:
        logger.addHandler(handler)
    yield handler
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


def debug_everything() -> None:
    # After the server started: uvicorn sets its own loggers' levels when it is configured.
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


def secrets(bot: BotServer, emulator: Emulator) -> list[str]:
    settings = bot.settings
    found = [
        settings.slack_bot_token.get_secret_value(),
        settings.slack_signing_secret.get_secret_value(),
        settings.webex_client_secret.get_secret_value(),
        *(key.get_secret_value() for key in settings.token_keys),
    ]
    for issued in emulator.state.tokens.values():
        found += [issued.token, issued.token.removeprefix(f"{issued.site}_")]
    return found


def slack_received(standin: SlackStandIn) -> str:
    # The bot token travels in the Authorization header, as it must; nowhere else.
    return "\n".join(call.raw_body.decode(errors="replace") + repr(call.body) for call in standin.calls)


def assert_nowhere(secret_values: list[str], **places: str) -> None:
    assert len(secret_values) >= 8
    for name, content in places.items():
        for secret in secret_values:
            assert secret not in content, f"a secret ({secret[:6]}...) appears in {name}"


async def test_nothing_secret_in_debug_logs_pages_or_slack(linked: Stage, all_logs: Everything) -> None:
    debug_everything()
    alice, bob, emulator = linked.alice.driver, linked.bob.driver, linked.emulator
    pages: list[str] = []
    codes_and_states: list[str] = []

    # Linking again (a code exchange with the client secret), and a failed exchange with its error page.
    async with httpx.AsyncClient(timeout=10) as browser:
        for fault in (None, Fault.http_error(500, operation="token", count=1)):
            if fault is not None:
                emulator.add_fault(fault)
            start = await browser.get(await connect_button(alice), follow_redirects=False)
            callback = await approve_consent(browser, start.headers["location"], user=ALICE)
            codes_and_states += [
                value for values in parse_qs(urlsplit(callback).query).values() for value in values
            ]
            pages.append((await browser.get(callback)).text)
        pages.append((await browser.get(linked.bot.url + "/webex/oauth/callback?state=x&code=y")).text)

    # Commands, a rejected token refreshed midway, an expired token refreshed, Webex failing (logged in one
    # line with its reason), Slack rate limiting the answer, and a refresh refused at the end.
    await alice.command("schedule Secretive tomorrow 3pm", replies=1)
    emulator.add_fault(
        Fault.failure(
            INVALID_ACCESS_TOKEN_EXCEPTION_ID, INVALID_ACCESS_TOKEN_REASON, operation="CreateMeeting", count=1
        )
    )
    await alice.command("schedule Refreshed tomorrow 4pm", replies=1)
    async with linked.bot.services.database.engine.begin() as connection:
        await connection.execute(text("UPDATE webex_links SET access_expires_at = created_at"))
    await bob.command("list", replies=1)
    emulator.add_fault(Fault.http_error(500, operation="LstsummaryMeeting", count=1))
    await alice.command("list", replies=1)
    alice.standin.rate_limit("response_url", retry_after=1, times=1)
    await alice.command("status", replies=1, timeout=10)
    emulator.revoke_tokens(user=ALICE)
    async with linked.bot.services.database.engine.begin() as connection:
        await connection.execute(text("UPDATE webex_links SET access_expires_at = created_at"))
    await alice.command("list", replies=1)
    await bob.command("disconnect", replies=1)
    await asyncio.sleep(0.2)

    metrics = (await linked.bot.get("/metrics")).text
    logs = "\n".join(all_logs.lines)
    assert "refresh" in logs.lower() and "(HTTP 500) for LstsummaryMeeting" in logs  # they recorded all this
    assert '"request_id": ' in logs  # and so did the JSON lines
    assert 'webex_bot_token_refreshes_total{outcome="refreshed"}' in metrics  # the metrics too
    assert_nowhere(
        secrets(linked.bot, emulator),
        logs=logs,
        pages="\n".join(pages),
        slack=slack_received(alice.standin),
        metrics=metrics,
    )
    # This process's logs also hold the test browser's own DEBUG lines, which carry the redirect with the
    # code and state; the served-process test below checks those against everything the bot prints.
    assert len(codes_and_states) == 4
    assert_nowhere(
        secrets(linked.bot, emulator) + codes_and_states,
        pages="\n".join(pages),
        slack=slack_received(alice.standin),
        metrics=metrics,
    )


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_the_served_process_at_debug_with_access_logs_prints_no_secret(
    linked: Stage, tmp_path: Path, log_format: str
) -> None:
    """`webex-bot serve` as operators run it, LOG_LEVEL=DEBUG and --access-log, everything it prints
    in either LOG_FORMAT, and what its /metrics shows."""
    sock = loopback_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = bot_env(
        linked.bot.settings,
        LOG_LEVEL="DEBUG",
        LOG_FORMAT=log_format,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--access-log",
        env=env, cwd=str(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await wait_ready(f"http://127.0.0.1:{port}")
        from bot.sandbox import SlackDriver
        from tests.support.slack import SLACK_SIGNING_SECRET

        async with SlackDriver(
            f"http://127.0.0.1:{port}/slack/events", SLACK_SIGNING_SECRET, linked.alice.driver.standin
        ) as alice:
            card = (await alice.command("schedule Printed tomorrow 3pm", replies=1)).replies[0]
            async with httpx.AsyncClient(timeout=10) as browser:
                button = await connect_button(alice)
                start = await browser.get(button, follow_redirects=False)
                callback = await approve_consent(browser, start.headers["location"], user=ALICE)
                await browser.get(callback)
                # Bearer links: whoever holds them may link a Webex account to Alice's Slack user, or
                # sign in as the meeting's host, so they count as secrets too.
                links = [button.rsplit("/", 1)[1], *parse_qs(urlsplit(callback).query).values()]
                await alice.click(card, blocks.START)  # Slack reports the press as Start as host opens
                for url in link_buttons(card):
                    opened = await browser.get(url, follow_redirects=False)
                    links.append(url.rsplit("/", 1)[1])
                    # Join and Start as host redirect to Webex; Add to calendar answers with a file.
                    location = opened.headers.get("location", "")
                    links += [v[0] for v in parse_qs(urlsplit(location).query).values()]
            async with linked.bot.services.database.engine.begin() as connection:
                await connection.execute(text("UPDATE webex_links SET access_expires_at = created_at"))
            await alice.command("list", replies=1)
        async with httpx.AsyncClient(timeout=10) as client:
            metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    printed = output.decode(errors="replace")
    assert "GET /webex/connect/[redacted]" in printed  # access logs on
    if log_format == "json":
        assert '"level": "DEBUG", "logger": "bot.' in printed  # DEBUG on
    else:
        assert " DEBUG bot." in printed
    assert 'webex_bot_token_refreshes_total{outcome="refreshed"} 1.0' in metrics
    bearer = [value if isinstance(value, str) else value[0] for value in links]
    assert_nowhere(
        secrets(linked.bot, linked.emulator) + [v for v in bearer if len(v) >= 16],
        output=printed,
        metrics=metrics,
    )


def link_buttons(card: RecordedCall) -> list[str]:
    return [
        element["url"]
        for block in card.blocks
        for element in block.get("elements") or []
        if "/webex/meetings/" in element.get("url", "")
    ]


async def wait_ready(url: str, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            try:
                if (await client.get(url + "/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert asyncio.get_running_loop().time() < deadline, f"{url} never became ready"
            await asyncio.sleep(0.1)


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/webex/connect/gAAAA-secret", "/webex/connect/[redacted]"),
        ("/webex/meetings/tok.en?x=1", "/webex/meetings/[redacted]?[redacted]"),
        ("/webex/oauth/callback?code=c0de&state=s7ate", "/webex/oauth/callback?[redacted]"),
        ("/readyz", "/readyz"),
        ("/slack/events", "/slack/events"),
    ],
)
def test_access_log_paths_keep_the_route_but_not_the_secret(path: str, logged: str) -> None:
    assert redact_path(path) == logged
