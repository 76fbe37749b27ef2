"""Oversized and malformed requests against the real served bot (`python -m bot.cli serve`): a huge body is
refused before it is read and leaves memory where it was; a malformed one gets 4xx, signed or not; none
of them reaches Slack or Webex, and none leaves a traceback or a warning in the bot's log."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import re
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.emulator import Emulator
from bot.sandbox.slackapi import SlackStandIn
from bot.slack.meetings import blocks
from tests.reliability.conftest import Launch
from tests.reliability.support import BotProcess

FIFTY_MB = 50 * 1024 * 1024
PIECE = 64 * 1024
# What the bot's memory may grow by while refusing a 50 MB body (it grew by ~140 MB when it read it whole).
MEMORY_MARGIN_MB = 20
LOUD = re.compile(r"Traceback|\b(WARNING|ERROR|CRITICAL)\b")
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def peak_rss_mb(process: BotProcess) -> float:
    """The bot's peak resident memory so far (VmHWM), in MB."""
    status = Path(f"/proc/{process.process.pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, flags=re.MULTILINE)
    assert match, status
    return int(match.group(1)) / 1024


def loud_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if LOUD.search(line)]


async def upload(
    url: str, size: int, *, chunked: bool, headers_only: bool = False, path: str = "/slack/events"
) -> tuple[str, int]:
    """POST `size` bytes to `path` unsigned over a raw socket, as fast as the bot takes them;
    (the status line, how many body bytes had been sent when it arrived).

    Reading runs on its own beside the upload, as a browser or curl does: when the bot answers and
    closes while the body is still coming, the upload fails but the answer already sits in the socket."""
    host, port = url.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()
    sock = socket.create_connection((host, int(port)))
    sock.setblocking(False)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {FORM}\r\n{length}\r\n\r\n"
    await loop.sock_sendall(sock, head.encode())
    sent = 0

    async def send_body() -> None:
        nonlocal sent
        piece = b"a" * PIECE
        with contextlib.suppress(OSError):
            while sent < size:
                await loop.sock_sendall(sock, b"%x\r\n%b\r\n" % (PIECE, piece) if chunked else piece)
                sent += PIECE

    async def status_line() -> str:
        answer = b""
        while b"\r\n" not in answer:
            data = await loop.sock_recv(sock, 4096)
            if not data:
                break
            answer += data
        return answer.split(b"\r\n", 1)[0].decode()

    sender = None if headers_only else asyncio.create_task(send_body())
    try:
        status = await asyncio.wait_for(status_line(), 30)
        return status, sent
    finally:
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(BaseException):
                await sender
        sock.close()


@pytest.fixture
async def bot(launch: Launch) -> BotProcess:
    return await launch()


async def test_a_50_mb_body_with_its_length_is_refused_before_a_byte_of_it_is_sent(bot: BotProcess) -> None:
    log_before = len(bot.output())
    peak_before = peak_rss_mb(bot)
    # The client sends only the headers and waits: the answer comes without the bot reading any body.
    status, sent = await upload(bot.url, FIFTY_MB, chunked=False, headers_only=True)
    assert status == "HTTP/1.1 413 Request Entity Too Large"
    assert sent == 0
    assert peak_rss_mb(bot) - peak_before < MEMORY_MARGIN_MB
    assert loud_lines(bot.output()[log_before:]) == []
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(bot.url + "/readyz")).status_code == 200


async def test_a_50_mb_body_streamed_at_full_speed_is_refused_and_memory_stays_put(bot: BotProcess) -> None:
    log_before = len(bot.output())
    peak_before = peak_rss_mb(bot)
    status, sent = await upload(bot.url, FIFTY_MB, chunked=False)
    assert status == "HTTP/1.1 413 Request Entity Too Large", f"{status!r} after {sent} bytes"
    assert peak_rss_mb(bot) - peak_before < MEMORY_MARGIN_MB
    assert loud_lines(bot.output()[log_before:]) == []


async def test_a_50_mb_chunked_body_is_cut_off_near_the_limit(bot: BotProcess) -> None:
    log_before = len(bot.output())
    peak_before = peak_rss_mb(bot)
    status, sent = await upload(bot.url, FIFTY_MB, chunked=True)
    assert status == "HTTP/1.1 413 Request Entity Too Large", f"{status!r} after {sent} bytes"
    # The bot stopped at 1 MiB; what else the client got out sat in socket buffers, never in the bot.
    assert sent < FIFTY_MB // 4
    assert peak_rss_mb(bot) - peak_before < MEMORY_MARGIN_MB
    assert loud_lines(bot.output()[log_before:]) == []


async def test_a_body_just_over_the_limit_is_refused_and_one_at_it_is_read(bot: BotProcess) -> None:
    over, _ = await upload(bot.url, 1024 * 1024 + 1, chunked=False, headers_only=True)
    assert over == "HTTP/1.1 413 Request Entity Too Large"
    # Every route is covered, not only Slack's.
    page, _ = await upload(bot.url, 1024 * 1024 + 1, chunked=False, headers_only=True, path="/healthz")
    assert page == "HTTP/1.1 413 Request Entity Too Large"
    async with httpx.AsyncClient(timeout=10) as client:
        at = await client.post(bot.url + "/slack/events", content=b"a" * (1024 * 1024))
    assert at.status_code == 401  # read whole, and refused for what it is: unsigned


# ---- malformed requests --------------------------------------------------------------------------

SCHEDULE_VIEW = {"id": "V1", "type": "modal", "callback_id": blocks.SCHEDULE_VIEW, "private_metadata": ""}


def interactive(payload: Any) -> bytes:
    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)}).encode()


def submission(values: Any) -> bytes:
    view = {**SCHEDULE_VIEW, "state": {"values": values}}
    user = {"id": "U_ALICE", "team_id": "T_SANDBOX"}
    return interactive({"type": "view_submission", "user": user, "team": {"id": "T_SANDBOX"}, "view": view})


def click(**changes: Any) -> bytes:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U_ALICE", "team_id": "T_SANDBOX"},
        "team": {"id": "T_SANDBOX"},
        "channel": {"id": "C_SANDBOX"},
        "response_url": "http://127.0.0.1:9/response",
        "actions": [{"type": "button", "action_id": blocks.CANCEL, "block_id": "b", "value": "123"}],
    }
    payload.update(changes)
    return interactive({k: v for k, v in payload.items() if v is not None})


SOME_FORM_FIELDS = {
    "topic": {"value": {"type": "plain_text_input", "value": "Sync"}},
    "date": {"value": {"type": "datepicker", "selected_date": "2030-01-02"}},
}

MALFORMED = [
    pytest.param(FORM, interactive("{not json"), id="payload-not-json"),
    pytest.param(FORM, interactive("[1, 2]"), id="payload-json-array"),
    pytest.param(FORM, interactive('"block_actions"'), id="payload-json-string"),
    pytest.param(FORM, click(actions=[]), id="block-actions-without-actions"),
    pytest.param(FORM, click(actions=[{"type": "button"}]), id="action-without-action-id"),
    pytest.param(FORM, click(user="U_ALICE"), id="user-not-an-object"),
    pytest.param(FORM, click(channel="C_SANDBOX"), id="channel-not-an-object"),
    pytest.param(FORM, click(type="made_up"), id="unknown-interactive-type"),
    pytest.param(FORM, click(type="shortcut"), id="unhandled-interactive-type"),
    pytest.param(FORM, submission({}), id="schedule-form-without-its-fields"),
    pytest.param(FORM, submission(SOME_FORM_FIELDS), id="schedule-form-missing-some-fields"),
    pytest.param(FORM, submission([1]), id="form-state-not-an-object"),
    pytest.param(FORM, submission({"topic": "Sync"}), id="form-input-not-an-object"),
    pytest.param(
        FORM,
        submission({"date": {"value": {"type": "datepicker", "selected_date": "the day after"}}}),
        id="form-date-not-a-date",
    ),
    pytest.param(FORM, urlencode({"text": "list", "user_id": "U_ALICE"}).encode(), id="form-of-no-kind"),
    pytest.param(FORM, urlencode({"command": "/webex", "text": "list"}).encode(), id="command-without-user"),
    pytest.param(FORM, b"text=%ff%fe&command=/webex", id="form-escapes-not-utf8"),
    pytest.param(FORM, b"just some words", id="form-not-url-encoded"),
    pytest.param(FORM, b"", id="empty-form"),
    pytest.param(JSON, b"{not json", id="json-body-not-json"),
    pytest.param(JSON, b"[]", id="json-body-array"),
    pytest.param(JSON, json.dumps({"type": "made_up"}).encode(), id="unknown-events-type"),
    pytest.param(JSON, json.dumps({"type": "event_callback"}).encode(), id="event-callback-without-event"),
    pytest.param(
        JSON,
        json.dumps({"type": "event_callback", "event": {"type": "tokens_revoked", "tokens": "all"}}).encode(),
        id="tokens-revoked-tokens-not-an-object",
    ),
    pytest.param(
        JSON,
        json.dumps({"type": "event_callback", "event": {"type": "app_home_opened"}}).encode(),
        id="home-opened-without-user",
    ),
    pytest.param("text/plain", b"command=/webex&text=list", id="text-plain"),
    pytest.param("", b"command=/webex&text=list", id="no-content-type"),
    pytest.param("application/xml", b"<payload/>", id="xml"),
]


async def post_slack(bot: BotProcess, content_type: str, body: bytes, *, signed: bool) -> httpx.Response:
    timestamp = str(int(time.time()))
    headers = {"x-slack-request-timestamp": timestamp}
    if content_type:
        headers["content-type"] = content_type
    if signed:
        # Slack's v0 scheme over raw bytes: slack_sdk's signer takes only UTF-8 text, and some of
        # these bodies are not.
        secret = bot.settings.slack_signing_secret.get_secret_value().encode()
        digest = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        headers["x-slack-signature"] = f"v0={digest}"
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(bot.events_url, content=body, headers=headers)


async def test_malformed_requests_get_4xx_and_change_nothing(
    bot: BotProcess, slack_standin: SlackStandIn, emulator: Emulator
) -> None:
    # One bot process for every case (starting one takes seconds); each case is named when it fails.
    log_before = len(bot.output())
    calls_before = len(slack_standin.calls)
    for case in MALFORMED:
        content_type, body = case.values
        assert isinstance(content_type, str) and isinstance(body, bytes)
        unsigned = await post_slack(bot, content_type, body, signed=False)
        signed = await post_slack(bot, content_type, body, signed=True)
        assert unsigned.status_code == 401, case.id
        assert signed.status_code == 400, f"{case.id}: {signed.status_code} {signed.text}"
        assert "Not a Slack request this app understands" in signed.text, case.id
    await asyncio.sleep(0.2)  # anything spawned after an ack would have started by now
    assert len(slack_standin.calls) == calls_before
    assert emulator.xml_requests() == []
    assert loud_lines(bot.output()[log_before:]) == []


async def test_a_body_that_is_not_utf8_is_refused_before_its_signature_is_looked_at(
    bot: BotProcess, slack_standin: SlackStandIn
) -> None:
    log_before = len(bot.output())
    calls_before = len(slack_standin.calls)
    # Slack signs UTF-8 text: such a body cannot be Slack's, whatever its signature header says.
    for signed in (False, True):
        answer = await post_slack(bot, FORM, b"payload=\xff\xfe", signed=signed)
        assert answer.status_code == 400 and "not UTF-8" in answer.text
    assert len(slack_standin.calls) == calls_before
    assert loud_lines(bot.output()[log_before:]) == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(
            {"x-slack-request-timestamp": "soon", "x-slack-signature": "v0=00"}, id="timestamp-not-a-number"
        ),
        pytest.param({"x-slack-signature": "v0=\u00e9t\u00e9"}, id="signature-not-ascii"),
        pytest.param({"x-slack-signature": ""}, id="empty-signature"),
    ],
)
async def test_signature_headers_that_are_not_what_slack_sends_get_401(
    bot: BotProcess, headers: dict[str, str]
) -> None:
    log_before = len(bot.output())
    all_headers = {"content-type": FORM, "x-slack-request-timestamp": str(int(time.time())), **headers}
    encoded = {name: value.encode("latin-1") for name, value in all_headers.items()}
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(bot.events_url, content=b"command=/webex&text=list", headers=encoded)
    assert answer.status_code == 401
    assert loud_lines(bot.output()[log_before:]) == []
