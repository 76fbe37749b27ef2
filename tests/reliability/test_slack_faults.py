"""Slack's Web API and response_url answering 429 with Retry-After, or 5xx: the bot retries and the answers
still arrive, soon after Slack allows, while the ack itself stays within Slack's three seconds."""

from __future__ import annotations

import time

import pytest

from bot.sandbox import Exchange, RecordedCall
from tests.e2e.meetings.conftest import Stage, button, shown_text
from tests.support.emulator import ALICE

SLACK_ACK_LIMIT = 3.0


def delivered(call: RecordedCall) -> bool:
    return call.status == 200 and call.fault is None


async def answer_to(stage: Stage, exchange: Exchange, timeout: float = 8) -> tuple[RecordedCall, int]:
    """The reply Slack accepted for `exchange`, and how many attempts Slack turned away before it."""
    driver = stage.alice.driver
    accepted = await driver.standin.wait_for(lambda c: exchange.belongs_here(c) and delivered(c), timeout)
    # A refused attempt carries no reply target (Slack did not take it), so count by method and time.
    refused = [
        c
        for c in driver.standin.calls_to(accepted.method)
        if exchange.first_seq <= c.seq < accepted.seq and not delivered(c)
    ]
    return accepted, len(refused)


@pytest.mark.parametrize(
    ("fault", "attempts_refused"),
    [
        (("rate_limit", {"retry_after": 1, "times": 1}), 1),
        (("rate_limit", {"retry_after": 1, "times": 2}), 2),
        (("fail", {"status": 500, "times": 1}), 1),
        (("fail", {"status": 503, "times": 2}), 2),
    ],
    ids=["429-once", "429-twice", "500", "503-twice"],
)
async def test_a_command_answer_through_response_url_survives_429_and_5xx(
    linked: Stage, fault: tuple[str, dict[str, int]], attempts_refused: int
) -> None:
    kind, options = fault
    getattr(linked.alice.driver.standin, kind)("response_url", **options)
    started = time.monotonic()
    exchange = await linked.alice.driver.command("schedule Through the storm tomorrow 3pm")
    assert exchange.status == 200 and exchange.ack_seconds < SLACK_ACK_LIMIT
    answer, refused = await answer_to(linked, exchange)
    assert "Through the storm" in shown_text(answer) and refused == attempts_refused
    if kind == "rate_limit":  # Retry-After was honoured, not hammered
        assert time.monotonic() - started >= options["retry_after"] * options["times"] * 0.9
    assert len(linked.emulator.meetings()) == 1  # retried delivery, not a retried command


@pytest.mark.parametrize("method", ["users.info", "views.open"])
@pytest.mark.parametrize("kind", ["rate_limit", "fail"])
async def test_web_api_calls_behind_a_command_survive_429_and_5xx(
    linked: Stage, method: str, kind: str
) -> None:
    standin = linked.alice.driver.standin
    linked.bot.services.profiles.forget(standin.workspace.team_id)  # so the profile is asked for again
    if kind == "rate_limit":
        standin.rate_limit(method, retry_after=1, times=1)
    else:
        standin.fail(method, status=500, times=1)
    text = "schedule" if method == "views.open" else "schedule Profiled tomorrow 3pm"
    exchange = await linked.alice.driver.command(text)
    assert exchange.ack_seconds < SLACK_ACK_LIMIT
    answer, refused = await answer_to(linked, exchange)
    assert refused == (1 if method == "views.open" else 0)
    if method == "views.open":
        assert answer.method == "views.open" and answer.view is not None
    else:
        assert "Profiled" in shown_text(answer)
        asked = [c.status for c in standin.calls_to("users.info") if c.seq >= exchange.first_seq]
        assert asked[:2] == [429 if kind == "rate_limit" else 500, 200], asked


@pytest.mark.parametrize("kind", ["rate_limit", "fail"])
async def test_the_link_message_and_a_resumed_command_survive_429_and_5xx(stage: Stage, kind: str) -> None:
    standin = stage.alice.driver.standin
    for method in ("chat.postMessage", "chat.postEphemeral"):
        if kind == "rate_limit":
            standin.rate_limit(method, retry_after=1, times=1)
        else:
            standin.fail(method, status=503, times=1)
    exchange = await stage.alice.driver.command("schedule Resumed anyway tomorrow 10am", replies=1)
    await stage.follow_connect(button(exchange.replies[0].blocks, "connect_webex")["url"], ALICE)
    dm = await standin.wait_for(lambda c: c.method == "chat.postMessage" and delivered(c), timeout=8)
    assert "is linked" in shown_text(dm)
    card = await standin.wait_for(
        lambda c: c.method.startswith("chat.") and delivered(c) and "Resumed anyway" in shown_text(c),
        timeout=8,
    )
    assert card.audience == "U_ALICE"
    assert [m.conf_name for m in stage.emulator.meetings()] == ["Resumed anyway"]
