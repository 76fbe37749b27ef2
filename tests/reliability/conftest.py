"""Reliability fixtures: the real bot over loopback with Alice and Bob linked, on SQLite unless a test asks
for PostgreSQL (`@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.sandbox import SlackDriver
from tests.e2e.meetings.conftest import Person, Stage, button
from tests.reliability.support import BotProcess, free_port
from tests.support.database import POSTGRES_HINT, postgres_server_url
from tests.support.emulator import ALICE, BOB, approve_consent
from tests.support.servers import BotFactory, bot_settings
from tests.support.slack import DriverFactory


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    """SQLite by default (the matrix is about the bot, not the backend); PostgreSQL where a test asks."""
    backend = str(getattr(request, "param", "sqlite"))
    if backend == "postgresql" and postgres_server_url() is None:
        pytest.skip(POSTGRES_HINT)
    return backend


async def make_stage(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, **overrides: Any
) -> Stage:
    overrides.setdefault("webex_timeout_seconds", 1)
    bot = await bot_factory(**overrides)
    return Stage(
        bot=bot,
        emulator=emulator_server.emulator,
        alice=Person(slack_driver(bot.events_url, user_id="U_ALICE"), ALICE),
        bob=Person(slack_driver(bot.events_url, user_id="U_BOB"), BOB),
        emulator_url=emulator_server.url,
        api=str(bot.settings.webex_api),
    )


@pytest.fixture
async def stage(bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any) -> Stage:
    """The bot (Webex timeout 1 s), the emulator over HTTP, the Slack stand-in; nobody linked yet.
    On the XML API unless the test module runs on both (its own `webex_api` fixture over APIS)."""
    return await make_stage(bot_factory, slack_driver, emulator_server)


@pytest.fixture
async def linked(stage: Stage) -> Stage:
    """Alice and Bob have linked their Webex accounts (and have been told so, so no later reply is that)."""
    for person in (stage.alice, stage.bob):
        await stage.link(person)
        await linked_message(person.driver)
    return stage


async def linked_message(driver: SlackDriver) -> None:
    await driver.standin.wait_for(
        lambda c: (
            c.method == "chat.postMessage" and c.audience == driver.user_id and "is linked" in (c.text or "")
        )
    )


Launch = Callable[..., Awaitable[BotProcess]]


@pytest.fixture
async def launch(
    emulator_server: Any, slack_standin: Any, database_url: str, tmp_path: Path
) -> AsyncIterator[Launch]:
    """`await launch(**settings)` -> a running `webex-bot serve`; `launch(settings=...)` restarts one;
    `args=("--workers", "2")` and `env={...}` reach its command line and environment."""
    started: list[BotProcess] = []

    async def start(
        settings: Any = None,
        *,
        port: int | None = None,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        **overrides: Any,
    ) -> BotProcess:
        if settings is None:
            overrides.setdefault("webex_timeout_seconds", 5)
            settings = bot_settings(
                port=free_port(),
                emulator_url=emulator_server.url,
                slack_url=slack_standin.url,
                database_url=database_url,
                **overrides,
            )
        process = await BotProcess.start(
            settings, tmp_path, name=f"bot-{len(started)}", port=port, args=args, **(env or {})
        )
        started.append(process)
        return process

    yield start
    for process in started:
        await process.close()


async def link(driver: SlackDriver, email: str) -> None:
    exchange = await driver.command("connect", replies=1)
    url = button(exchange.replies[0].blocks, "connect_webex")["url"]
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(url, follow_redirects=False)
        done = await browser.get(await approve_consent(browser, start.headers["location"], user=email))
    assert done.status_code == 200, done.text[:300]
    await linked_message(driver)
