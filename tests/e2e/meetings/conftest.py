"""Meetings end to end: the real bot over loopback, the emulator over HTTP (strict), the Slack stand-in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest

from bot.emulator import XML_SERVICE_PATH, Emulator
from bot.emulator.requestlog import RequestRecord
from bot.sandbox import SlackDriver
from bot.sandbox.workspace import RecordedCall
from tests.support.database import BACKENDS, POSTGRES_HINT, postgres_server_url
from tests.support.emulator import (
    ALICE,
    BOB,
    OPERATIONS,
    approve_consent,
    link_account,
    read_answer,
    webex_calls,
    xml_request,
)
from tests.support.servers import APIS, BotFactory, BotServer, both_apis
from tests.support.slack import DriverFactory

T = TypeVar("T")


@dataclass
class Person:
    """A Slack user at the keyboard, with their Webex account on the emulator."""

    driver: SlackDriver
    webex_email: str

    @property
    def user_id(self) -> str:
        return self.driver.user_id


@dataclass
class Stage:
    bot: BotServer
    emulator: Emulator
    alice: Person
    bob: Person
    emulator_url: str = ""  # where a test asks Webex directly (webex_link)
    api: str = "xml"  # the Webex API the bot speaks (WEBEX_API)

    def operation(self, call: str) -> str:
        """The emulator's name for a call on this API (`create`, `get`, `list`, ...): for faults."""
        return OPERATIONS[self.api][call]

    def calls(self, call: str | None = None) -> list[RequestRecord]:
        """The meeting API calls the bot made on this API (`call`: create, get, list, ...), tokens aside."""
        return webex_calls(self.emulator, self.api, call)

    def meeting_id(self, key: int | str) -> str:
        """The id the bot knows a stored meeting by: its number on XML, the REST id on REST."""
        if self.api == "xml":
            return str(key)
        ids = [m["id"] for m in self.emulator.rest.meetings("sandbox") if m.get("meetingNumber") == str(key)]
        assert ids, f"no REST meeting numbered {key}"
        return str(ids[0])

    def signs_in_as_host(self, url: str) -> bool:
        """Whether a Webex link starts the meeting as its host: the XML API's carries a sign-in ticket
        (TK=), the REST API's start link opens the emulator's host page (m.php)."""
        return "TK=" in url if self.api == "xml" else "/m.php?" in url

    def pick(self, xml: T, rest: T) -> T:
        """What a test sets up or expects on this API."""
        return xml if self.api == "xml" else rest

    def bot_calls(self, method: str, *, after: int = 0) -> list[RecordedCall]:
        """What the bot asked Slack to do with `method`, since sequence number `after`."""
        return [call for call in self.alice.driver.standin.calls_to(method) if call.seq >= after]

    async def link(self, person: Person) -> None:
        """What a person does: `/webex connect`, the button, the consent page, back to the bot."""
        exchange = await person.driver.command("connect", replies=1)
        url = button(exchange.replies[0].blocks, "connect_webex")["url"]
        await self.follow_connect(url, person.webex_email)
        # The bot then says so in a direct message; wait for it, or the next command could take it
        # for its own reply.
        await person.driver.standin.wait_for(
            lambda c: (
                c.seq > exchange.first_seq
                and c.method == "chat.postMessage"
                and "is linked" in (c.text or "")
            )
        )

    async def follow_connect(self, url: str, webex_email: str) -> None:
        async with httpx.AsyncClient(timeout=10) as browser:
            start = await browser.get(url, follow_redirects=False)
            assert start.status_code in (302, 303, 307), start.text[:300]
            callback = await approve_consent(browser, start.headers["location"], user=webex_email)
            done = await browser.get(callback, follow_redirects=False)
            assert done.status_code == 200, done.text[:500]

    async def open_in_browser(self, url: str) -> httpx.Response:
        """What a browser gets for a button's URL, without following where it is sent."""
        async with httpx.AsyncClient(timeout=10) as browser:
            return await browser.get(url, follow_redirects=False)

    async def webex_link(self, operation: str, meeting_key: str, person: Person) -> str:
        """The link Webex itself gives `person` (GetjoinurlMeeting or GethosturlMeeting), asked directly."""
        if self.api == "rest":
            return await self._rest_link(operation, meeting_key, person)
        async with httpx.AsyncClient(timeout=10) as client:
            grant = await link_account(client, self.emulator_url, user=person.webex_email)
            response = await client.post(
                self.emulator_url + XML_SERVICE_PATH,
                content=xml_request(
                    operation,
                    f"<sessionKey>{meeting_key}</sessionKey>",
                    token=grant["access_token"],
                    webex_id=person.webex_email,
                ),
            )
        answer = read_answer(response)
        assert answer.result == "SUCCESS", answer.reason
        return answer.text("joinMeetingURL" if operation == "GetjoinurlMeeting" else "hostMeetingURL")

    async def _rest_link(self, operation: str, meeting_key: str, person: Person) -> str:
        """POST /v1/meetings/join by meeting number, with a REST token for `person`."""
        async with httpx.AsyncClient(timeout=10) as client:
            grant = await client.post(
                f"{self.emulator_url}/_emulator/rest/tokens",
                json={"site": "sandbox", "user": person.webex_email},
            )
            which = "meetingNumber" if meeting_key.isdigit() else "meetingId"
            body: dict[str, Any] = {which: meeting_key, "joinDirectly": False}
            answer = await client.post(
                f"{self.emulator_url}/v1/meetings/join",
                json=body,
                headers={"authorization": f"Bearer {grant.json()['access_token']}"},
            )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["joinLink" if operation == "GetjoinurlMeeting" else "startLink"])


def iter_elements(blocks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for block in blocks:
        found.extend(block.get("elements") or [])
        if "accessory" in block:
            found.append(block["accessory"])
    return found


def button(blocks: Sequence[Mapping[str, Any]], action_id: str) -> Mapping[str, Any]:
    for element in iter_elements(blocks):
        if element.get("action_id") == action_id:
            return element
    raise AssertionError(f"no {action_id} button in {[e.get('action_id') for e in iter_elements(blocks)]}")


def shown_text(call: RecordedCall) -> str:
    """Everything a person reads in a reply: its text and every text in its blocks."""
    parts: list[str] = [call.text or ""]

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(call.blocks)
    if call.view is not None:
        walk(call.view.get("blocks"))
    return "\n".join(parts)


# The idempotency records and the token refresh live in the database: those tests run on PostgreSQL too.
on_both_databases = pytest.mark.parametrize("database_backend", BACKENDS, indirect=True)


@pytest.fixture(params=["sqlite"])
def database_backend(request: pytest.FixtureRequest) -> str:
    """SQLite for meetings; tests of "never twice" ask for both backends with `on_both_databases`."""
    backend = str(request.param)
    if backend == "postgresql" and postgres_server_url() is None:
        pytest.skip(POSTGRES_HINT)
    return backend


@pytest.fixture(params=APIS)
def webex_api(request: pytest.FixtureRequest) -> str:
    """Every meetings test runs on both Webex APIs: the XML API and the REST API."""
    return both_apis(request)


@pytest.fixture
async def stage(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, webex_api: str
) -> Stage:
    bot = await bot_factory(webex_timeout_seconds=2)
    events = bot.url + "/slack/events"
    return Stage(
        bot=bot,
        emulator=emulator_server.emulator,
        alice=Person(slack_driver(events, user_id="U_ALICE"), ALICE),
        bob=Person(slack_driver(events, user_id="U_BOB"), BOB),
        emulator_url=emulator_server.url,
        api=webex_api,
    )


async def stage_on_emulator_clock(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, **settings: Any
) -> Stage:
    """Alice linked, with the bot on the emulator's clock: moving it moves "now" for both."""
    bot = await bot_factory(**settings, clock=emulator_server.emulator.clock)
    stage = Stage(
        bot=bot,
        emulator=emulator_server.emulator,
        alice=Person(slack_driver(bot.events_url, user_id="U_ALICE"), ALICE),
        bob=Person(slack_driver(bot.events_url, user_id="U_BOB"), BOB),
        emulator_url=emulator_server.url,
        api=str(bot.settings.webex_api),
    )
    await stage.link(stage.alice)
    return stage


@pytest.fixture
async def linked(stage: Stage) -> Stage:
    """Alice (New York) and Bob (Berlin) have linked their Webex accounts."""
    await stage.link(stage.alice)
    await stage.link(stage.bob)
    return stage
