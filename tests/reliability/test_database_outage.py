"""PostgreSQL going away and coming back during a run, simulated by cutting a TCP proxy between the bot
and the server (the machine's shared server is never stopped): /readyz says so, commands and pages answer
clearly, nothing crashes, and service resumes by itself when the database is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.emulator import Fault
from tests.e2e.accounts.test_connect import connect_button
from tests.e2e.meetings.conftest import Stage, shown_text
from tests.reliability.support import TcpProxy
from tests.support.database import PostgresDatabases, postgres_server_url
from tests.support.emulator import BOB, approve_consent
from tests.support.servers import BotServer

pytestmark = pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)

SLACK_ACK_LIMIT = 3.0


@pytest.fixture
async def db_proxy(database_backend: str) -> AsyncIterator[TcpProxy]:
    server = make_url(postgres_server_url() or "")
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
def database_url(
    database_backend: str, _postgres_databases: PostgresDatabases | None, db_proxy: TcpProxy
) -> Iterator[str]:
    """A fresh PostgreSQL database that the bot reaches only through `db_proxy`."""
    assert _postgres_databases is not None
    direct = _postgres_databases.create()
    try:
        yield make_url(direct).set(port=db_proxy.port).render_as_string(hide_password=False)
    finally:
        _postgres_databases.drop(direct)


async def wait_ready(bot: BotServer, status: int, timeout: float = 15) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        answer = await bot.get("/readyz")
        if answer.status_code == status:
            return answer
        assert time.monotonic() < deadline, f"/readyz stayed {answer.status_code}: {answer.text}"
        await asyncio.sleep(0.1)


async def test_a_database_outage_is_reported_answered_clearly_and_survived(
    linked: Stage, db_proxy: TcpProxy
) -> None:
    bot, alice, bob = linked.bot, linked.alice.driver, linked.bob.driver
    await wait_ready(bot, 200)
    await alice.command("schedule Before the outage tomorrow 9am", replies=1)
    old_button = await connect_button(alice)
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(await connect_button(bob), follow_redirects=False)
        callback = await approve_consent(browser, start.headers["location"], user=BOB)

    await db_proxy.cut()
    down = await wait_ready(bot, 503, timeout=5)
    assert down.json()["database"] == "unreachable"
    assert (await bot.get("/healthz")).status_code == 200  # alive, just not ready

    for driver, typed in (
        (alice, "list"),
        (bob, "schedule During the outage tomorrow 10am"),
        (alice, "status"),
    ):
        exchange = await driver.command(typed, replies=1, timeout=10)
        assert exchange.status == 200 and exchange.ack_seconds < SLACK_ACK_LIMIT
        assert "database" in shown_text(exchange.replies[0]), shown_text(exchange.replies[0])
    async with httpx.AsyncClient(timeout=10) as browser:
        clicked = await browser.get(old_button, follow_redirects=False)
        back = await browser.get(callback, follow_redirects=False)
    for page in (clicked, back):
        assert page.status_code == 503 and "database" in page.text and "location" not in page.headers
    assert [m.conf_name for m in linked.emulator.meetings()] == ["Before the outage"]

    await db_proxy.restore()
    async with httpx.AsyncClient(timeout=10) as browser:  # the sign-in interrupted by the outage finishes now
        assert (await browser.get(callback, follow_redirects=False)).status_code == 200
    await wait_ready(bot, 200)
    listed = await alice.command("list", replies=1)
    assert "Before the outage" in shown_text(listed.replies[0])
    made = await bob.command("schedule After the outage tomorrow 10am", replies=1)
    assert "Scheduled" in shown_text(made.replies[0])
    assert sorted(m.conf_name for m in linked.emulator.meetings()) == [
        "After the outage",
        "Before the outage",
    ]


async def test_readyz_follows_repeated_outages(linked: Stage, db_proxy: TcpProxy) -> None:
    for _ in range(2):
        await db_proxy.cut()
        await wait_ready(linked.bot, 503, timeout=5)
        await db_proxy.restore()
        await wait_ready(linked.bot, 200)
    exchange = await linked.alice.driver.command("list", replies=1)
    assert "database" not in shown_text(exchange.replies[0])


async def test_a_database_lost_while_webex_creates_the_meeting_does_not_hide_it(
    linked: Stage, db_proxy: TcpProxy
) -> None:
    fault = linked.emulator.add_fault(Fault.latency(0.6, operation="CreateMeeting", count=1))
    exchange = await linked.alice.driver.command("schedule Made in the dark tomorrow 9am")
    while fault in linked.emulator.faults.active():
        await asyncio.sleep(0.02)
    await db_proxy.cut()
    [answer] = await linked.alice.driver.wait_replies(exchange, 1, timeout=10)
    await db_proxy.restore()
    [meeting] = linked.emulator.meetings()
    # Saying "could not do this" would have Alice schedule it again: the answer must show the meeting.
    assert str(meeting.key) in shown_text(answer), shown_text(answer)
