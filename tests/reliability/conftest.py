"""Reliability fixtures: the real bot over loopback with Alice and Bob linked, on SQLite unless a test asks
for PostgreSQL (`@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.meetings.conftest import Person, Stage
from tests.support.database import POSTGRES_HINT, postgres_server_url
from tests.support.emulator import ALICE, BOB
from tests.support.servers import BotFactory
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
    )


@pytest.fixture
async def stage(bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any) -> Stage:
    """The bot (Webex timeout 1 s), the emulator over HTTP, the Slack stand-in; nobody linked yet."""
    return await make_stage(bot_factory, slack_driver, emulator_server)


@pytest.fixture
async def linked(stage: Stage) -> Stage:
    """Alice and Bob have linked their Webex accounts."""
    await stage.link(stage.alice)
    await stage.link(stage.bob)
    return stage
