"""Two `webex-bot serve` processes on one PostgreSQL behind one public URL, requests spread across both:
one refresh per expired token, each OAuth state used once, and one meeting per request however it is
retried or double-submitted."""

from __future__ import annotations

import asyncio
import signal
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from bot.emulator import Emulator, Fault
from bot.sandbox import SlackDriver
from bot.slack.meetings import blocks
from bot.store.database import Database
from tests.e2e.accounts.test_connect import connect_button
from tests.e2e.meetings.conftest import shown_text
from tests.reliability.conftest import Launch, link
from tests.reliability.support import BotProcess, free_port
from tests.support.emulator import ALICE, BOB, approve_consent
from tests.support.slack import DriverFactory

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)]


async def two_processes(launch: Launch) -> tuple[BotProcess, BotProcess]:
    """Two processes sharing the database, the keys and one public URL (as behind a load balancer)."""
    first = await launch(webex_timeout_seconds=5)
    second = await launch(settings=first.settings, port=free_port())
    return first, second


def on(process: BotProcess, url: str) -> str:
    """`url` (made for the shared public address) sent to this particular process."""
    parts = urlsplit(url)
    return process.url + parts.path + (f"?{parts.query}" if parts.query else "")


async def expire_access_tokens(database_url: str) -> None:
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE webex_links SET access_expires_at = created_at"))
    finally:
        await database.dispose()


async def test_an_expired_token_is_refreshed_once_by_many_commands_on_both_processes(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator, database_url: str
) -> None:
    first, second = await two_processes(launch)
    drivers = [slack_driver(p.events_url, user_id=u) for p in (first, second) for u in ("U_ALICE", "U_BOB")]
    await link(drivers[0], ALICE)
    await link(drivers[1], BOB)
    await expire_access_tokens(database_url)
    refreshes = emulator.token_refreshes
    # The token endpoint is slow, so every command arrives while the first refresh is still running.
    emulator.add_fault(Fault.latency(0.5, operation="token"))
    exchanges = await asyncio.gather(*(d.command("list", replies=1, timeout=15) for d in drivers * 4))
    emulator.clear_faults()
    assert emulator.token_refreshes == refreshes + 2  # one for Alice, one for Bob
    for exchange in exchanges:
        text_shown = shown_text(exchange.replies[0])
        assert "no upcoming meetings" in text_shown.lower() or "meetings" in text_shown.lower(), text_shown
        assert "expired" not in text_shown and "went wrong" not in text_shown


async def test_an_oauth_state_is_used_once_across_processes(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    first, second = await two_processes(launch)
    alice = slack_driver(first.events_url, user_id="U_ALICE")
    button_url = await connect_button(alice)
    async with httpx.AsyncClient(timeout=10) as browser:
        # The connect link made by one process works on the other (same keys, same database).
        start = await browser.get(on(second, button_url), follow_redirects=False)
        callback = await approve_consent(browser, start.headers["location"], user=ALICE)
        pages = await asyncio.gather(browser.get(on(first, callback)), browser.get(on(second, callback)))
    assert sorted(page.status_code for page in pages) == [200, 400]
    assert any("already used" in page.text for page in pages)
    exchanges = [r for r in emulator.requests if r.operation == "authorization_code"]
    assert len(exchanges) == 1  # the code was spent once


async def test_a_double_submitted_form_makes_one_meeting_across_processes(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    first, second = await two_processes(launch)
    alice_first = slack_driver(first.events_url, user_id="U_ALICE")
    alice_second = slack_driver(second.events_url, user_id="U_ALICE")
    await link(alice_first, ALICE)
    opened = await alice_first.command("schedule")
    form = await alice_first.standin.wait_for(
        lambda c: c.method == "views.open" and c.seq >= opened.first_seq
    )
    values = {blocks.TOPIC: "Pressed twice", blocks.DATE: "2027-05-05", blocks.TIME: "10:00"}
    emulator.add_fault(Fault.latency(0.5, operation="CreateMeeting", count=1))
    submitted = await asyncio.gather(alice_first.submit(form, values), alice_second.submit(form, values))
    assert all(exchange.status == 200 for exchange in submitted)
    card = await alice_first.standin.wait_for(
        lambda c: c.seq >= submitted[0].first_seq and c.is_reply and "Pressed twice" in shown_text(c),
        timeout=10,
    )
    await asyncio.sleep(0.5)
    [meeting] = emulator.meetings()
    assert str(meeting.key) in shown_text(card)
    assert len(emulator.xml_requests("CreateMeeting")) == 1


async def test_a_cancel_clicked_on_both_processes_deletes_once_and_both_answers_make_sense(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    first, second = await two_processes(launch)
    alice_first: SlackDriver = slack_driver(first.events_url, user_id="U_ALICE")
    alice_second: SlackDriver = slack_driver(second.events_url, user_id="U_ALICE")
    await link(alice_first, ALICE)
    made = await alice_first.command("schedule Cancel me twice tomorrow 3pm")
    card = await alice_first.standin.wait_for(
        lambda c: (
            c.seq >= made.first_seq and c.method == "response_url" and "Cancel me twice" in shown_text(c)
        )
    )
    clicks = await asyncio.gather(
        alice_first.click(card, blocks.CANCEL, replies=1), alice_second.click(card, blocks.CANCEL, replies=1)
    )
    answers = [shown_text(click.replies[0]) for click in clicks]
    assert emulator.meetings() == []
    assert all("cancelled" in answer for answer in answers), answers
    assert len([r for r in emulator.xml_requests("DelMeeting") if r.outcome == "SUCCESS"]) == 1


async def test_a_form_retried_on_the_other_process_after_the_first_died_makes_one_meeting(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    first = await launch(webex_timeout_seconds=1)
    second = await launch(settings=first.settings, port=free_port())
    alice_first = slack_driver(first.events_url, user_id="U_ALICE")
    await link(alice_first, ALICE)
    opened = await alice_first.command("schedule")
    form = await alice_first.standin.wait_for(
        lambda c: c.method == "views.open" and c.seq >= opened.first_seq
    )
    values = {blocks.TOPIC: "Survives a dead node", blocks.DATE: "2027-06-06", blocks.TIME: "10:00"}
    slow = emulator.add_fault(Fault.latency(0.8, operation="CreateMeeting", count=1))
    await alice_first.submit(form, values)
    while slow in emulator.faults.active():
        await asyncio.sleep(0.02)
    first.signal(signal.SIGKILL)  # the node dies with the create in flight; Webex carries it out anyway
    await first.wait(10)

    alice_second = slack_driver(second.events_url, user_id="U_ALICE")
    retried = await alice_second.submit(form, values)
    answer = await alice_second.standin.wait_for(
        lambda c: c.seq >= retried.first_seq and c.is_reply and "Survives a dead node" in shown_text(c),
        timeout=20,
    )
    [meeting] = emulator.meetings()
    assert str(meeting.key) in shown_text(answer)
    assert len(emulator.xml_requests("CreateMeeting")) == 1
