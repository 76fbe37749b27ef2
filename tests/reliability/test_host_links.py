"""Start as host links through the real server, emulator and Slack stand-in: each press of the button in
Slack opens the host's link once; the same link again, from a browser history, a screenshot or a proxy log,
or opened by anyone else, gets a page that signs nobody in, whichever process it reaches."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.emulator import Emulator
from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import Stage, button
from tests.reliability.conftest import Launch, link
from tests.reliability.test_several_processes import on, two_processes
from tests.support.emulator import ALICE
from tests.support.servers import APIS, both_apis
from tests.support.slack import DriverFactory


@pytest.fixture(params=APIS)
def webex_api(request: pytest.FixtureRequest) -> str:
    """Every row runs on both Webex APIs: the XML API and the REST API (its OAuth and GET /people/me)."""
    return both_apis(request)


def host_asks(stage: Stage) -> int:
    return len(stage.calls("host"))


def assert_signs_nobody_in(page: httpx.Response) -> None:
    """A clear page: no redirect, nothing of a Webex host link, and what to do next."""
    assert page.status_code == 403, page.status_code
    assert "location" not in page.headers
    assert (
        "Press Start as host in Slack" in page.text and "press Start as host on the meeting card" in page.text
    )
    assert "TK=" not in page.text and "m.php" not in page.text and "webex.com" not in page.text


async def test_each_press_opens_the_host_link_once_and_a_copy_opens_nothing(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Host once tomorrow 9am", replies=1)).replies[0]
    url = button(card.blocks, blocks.START)["url"]
    await linked.alice.driver.click(card, blocks.START)
    opened = await linked.open_in_browser(url)
    assert opened.status_code == 302 and linked.signs_in_as_host(opened.headers["location"])
    asked = host_asks(linked)

    # The same link from the browser history or a proxy log: Webex is not even asked.
    assert_signs_nobody_in(await linked.open_in_browser(url))
    assert host_asks(linked) == asked

    # Alice pressing her own button again gets in again, with a fresh host link from Webex.
    await linked.alice.driver.click(card, blocks.START)
    again = await linked.open_in_browser(url)
    assert again.status_code == 302 and linked.signs_in_as_host(again.headers["location"])
    assert again.headers["location"] != opened.headers["location"]


async def test_a_link_nobody_pressed_for_opens_nothing(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Never pressed tomorrow 9am", replies=1)).replies[0]
    # A screenshot of the card's link, typed in before Alice ever pressed the button.
    assert_signs_nobody_in(await linked.open_in_browser(button(card.blocks, blocks.START)["url"]))
    assert host_asks(linked) == 0


async def test_someone_else_pressing_buttons_never_opens_the_hosts_link(linked: Stage) -> None:
    alice_card = (await linked.alice.driver.command("schedule Alice hosts tomorrow 9am", replies=1)).replies[
        0
    ]
    bob_card = (await linked.bob.driver.command("schedule Bob hosts tomorrow 10am", replies=1)).replies[0]
    stolen = button(alice_card.blocks, blocks.START)["url"]  # Bob has Alice's link from a proxy log
    # Bob presses Start as host on his own card, and on Alice's card too (as if he could see it).
    await linked.bob.driver.click(bob_card, blocks.START)
    await linked.bob.driver.click(alice_card, blocks.START, user_id="U_BOB")
    assert_signs_nobody_in(await linked.open_in_browser(stolen))
    alice_key = button(alice_card.blocks, blocks.SHARE)["value"]
    asked_for = [r.body for r in linked.calls("host")]
    assert not any(alice_key in str(body) for body in asked_for)  # nobody got Alice's host link
    # Bob's own press still opens his own link: it was not spent on Alice's.
    mine = await linked.open_in_browser(button(bob_card.blocks, blocks.START)["url"])
    assert mine.status_code == 302 and linked.signs_in_as_host(mine.headers["location"])


@pytest.mark.slow
@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_one_press_opens_the_link_on_one_process_only(
    launch: Launch, slack_driver: DriverFactory, emulator: Emulator
) -> None:
    first, second = await two_processes(launch)
    alice = slack_driver(first.events_url, user_id="U_ALICE")
    await link(alice, ALICE)
    card = (await alice.command("schedule Two doors tomorrow 9am", replies=1)).replies[0]
    url = button(card.blocks, blocks.START)["url"]
    await alice.click(card, blocks.START)
    async with httpx.AsyncClient(timeout=15) as browser:
        pages = await asyncio.gather(browser.get(on(first, url)), browser.get(on(second, url)))
        assert sorted(page.status_code for page in pages) == [302, 403]
        assert_signs_nobody_in(next(page for page in pages if page.status_code == 403))
        # Later, the same link on either process: still nothing.
        for process in (first, second):
            assert_signs_nobody_in(await browser.get(on(process, url)))
        # A press reported to one process opens the link on the other.
        await alice.click(card, blocks.START)
        moved = await browser.get(on(second, url))
        assert moved.status_code == 302 and "TK=" in moved.headers["location"]
