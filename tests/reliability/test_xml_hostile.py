"""XML both ways: hostile topics and agendas are carried exactly or refused clearly; hostile answers from
Webex (DOCTYPE, external entities, entity bombs) are refused without reading files or the network.

The parser itself is tested line by line in tests/unit/webex/test_webex_xml.py; these tests go through
Slack, the real bot and the emulator (or a hostile XML server) end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import Stage, shown_text
from tests.reliability.conftest import make_stage
from tests.reliability.support import HostileXml, served
from tests.support.servers import BotFactory
from tests.support.slack import DriverFactory
from tests.unit.webex.test_webex_xml import SECRET_FILE_MARKER, hostile_answers

CARRIED = [
    pytest.param("Ends early </confName><confName>injected", "a </b> & <c>", id="closing-tag"),
    pytest.param("CDATA end ]]> and <![CDATA[ start", "]]>]]><![CDATA[", id="cdata"),
    pytest.param("Entities &amp; &lt; &#x41; &x; &#0;", "&lt;script&gt; &nbsp; &#xD800;", id="entities"),
    pytest.param("Quotes \"double\" 'single' `back`", "tab\there\nnew line\r\nwindows line", id="quotes"),
    pytest.param("اجتماع הצוות ‏mixed‎ RTL", "مرحبا بالعالم\nשלום עולם", id="right-to-left"),
    pytest.param("Launch 🚀 👩‍💻 🇩🇪 ñ ü 日本語", "😀" * 500, id="emoji"),
]


async def submit_form(stage: Stage, topic: str, agenda: str) -> Any:
    form = (await stage.alice.driver.command("schedule", replies=1)).replies[0]
    return await stage.alice.driver.submit(
        form,
        {blocks.TOPIC: topic, blocks.AGENDA: agenda, blocks.DATE: "2027-03-03", blocks.TIME: "10:00"},
        replies=1,
    )


@pytest.mark.parametrize(("topic", "agenda"), CARRIED)
async def test_hostile_text_is_carried_exactly(linked: Stage, topic: str, agenda: str) -> None:
    submitted = await submit_form(linked, topic, agenda)
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == topic
    assert meeting.agenda.replace("\r\n", "\n") == agenda.replace("\r\n", "\n").strip()
    assert "Scheduled" in shown_text(submitted.replies[0])


async def test_hostile_topic_typed_in_the_command_is_carried_exactly(linked: Stage) -> None:
    exchange = await linked.alice.driver.command('schedule "a </confName> & ]]> <b>" tomorrow 3pm', replies=1)
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "a </confName> & ]]> <b>"
    assert "Scheduled" in shown_text(exchange.replies[0])


REFUSED = [
    pytest.param({blocks.TOPIC: "bell \x07 ring"}, blocks.TOPIC, "cannot store", id="control-in-topic"),
    pytest.param({blocks.TOPIC: "nul \x00"}, blocks.TOPIC, "cannot store", id="nul-in-topic"),
    pytest.param(
        {blocks.AGENDA: "escape \x1b[31m red"}, blocks.AGENDA, "cannot store", id="control-in-agenda"
    ),
    pytest.param({blocks.TOPIC: "x" * 100_000}, blocks.TOPIC, "at most", id="100-kB-topic"),
    pytest.param({blocks.AGENDA: "y" * 100_000}, blocks.AGENDA, "at most", id="100-kB-agenda"),
]


@pytest.mark.parametrize(("values", "field", "says"), REFUSED)
async def test_text_xml_cannot_carry_is_refused_next_to_the_field(
    linked: Stage, values: dict[str, str], field: str, says: str
) -> None:
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    answer = await linked.alice.driver.submit(
        form, {blocks.TOPIC: "Fine", blocks.DATE: "2027-03-03", blocks.TIME: "10:00", **values}
    )
    body = answer.json()
    assert body["response_action"] == "errors" and says in body["errors"][field]
    assert linked.emulator.meetings() == [] and linked.emulator.xml_requests("CreateMeeting") == []


async def test_control_characters_typed_in_the_command_are_removed_or_refused_clearly(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("schedule Bell \x07 ring tomorrow 3pm", replies=1)
    text = shown_text(exchange.replies[0])
    meetings = linked.emulator.meetings()
    if meetings:  # removed: the rest of the topic arrives intact and the card shows what was stored
        [meeting] = meetings
        assert meeting.conf_name == "Bell ring" and "Bell ring" in text
    else:
        assert "cannot store" in text, text


HOSTILE = [
    "external entity",
    "parameter entity",
    "external DTD",
    "network DTD",
    "billion laughs",
    "deep nesting",
    "oversized",
]

# An answer far larger than any real one (a runaway server, or one trying to exhaust memory).
OVERSIZED = b'<?xml version="1.0"?><serv:message xmlns:serv="x">' + b"<a>lol</a>" * 2_000_000


class Canary:
    """A TCP listener a network DTD points at: any connection means the parser went to the network."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Canary:
        async def touched(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            writer.close()

        self.server = await asyncio.start_server(touched, "127.0.0.1", 0)
        return self

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_answers_are_refused_without_reading_files_or_the_network(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, tmp_path: Path, name: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_FILE_MARKER)
    async with Canary() as canary:
        answers = {**hostile_answers(secret), "oversized": OVERSIZED}
        body = answers[name].replace(b"127.0.0.1:9/", f"127.0.0.1:{canary.port}/".encode())
        hostile = HostileXml(body)
        async with served(hostile.app()) as url:
            stage = await make_stage(
                bot_factory, slack_driver, emulator_server, webex_xml_url=url + "/WBXService/XMLService"
            )
            await stage.link(stage.alice)
            exchange = await stage.alice.driver.command("list", replies=1, timeout=10)
        assert hostile.calls >= 1 and canary.connections == 0
    text = shown_text(exchange.replies[0])
    assert "try again" in text, text
    everything = "".join(repr(call.body) for call in stage.alice.driver.standin.calls)
    assert SECRET_FILE_MARKER not in everything and "lol" * 10 not in everything
