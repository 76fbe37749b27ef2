"""Listeners get, by name, only the dependencies they ask for; a name nobody provides stops start-up."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.dependencies import UnknownDependency, inject


async def listener(invocation: str, reply: list[str], *, meetings: str, clock: str = "system") -> None:
    reply.append(f"{invocation} with {meetings} at {clock}")


def test_a_listener_gets_what_it_names_and_its_caller_passes_the_rest() -> None:
    provided = {"meetings": "the meeting use cases", "profiles": "not asked for", "clock": "fake"}
    bound = inject(listener, provided, takes=("invocation", "reply"))
    said: list[str] = []
    asyncio.run(bound("/webex list", said))
    assert said == ["/webex list with the meeting use cases at fake"]
    assert "profiles" not in bound.keywords  # type: ignore[attr-defined]


def test_a_default_is_kept_when_nobody_provides_that_name() -> None:
    bound = inject(listener, {"meetings": "m"}, takes=("invocation", "reply"))
    said: list[str] = []
    asyncio.run(bound("/webex now", said))
    assert said == ["/webex now with m at system"]


def test_a_listener_asking_for_what_nobody_provides_is_refused_at_start_up() -> None:
    with pytest.raises(UnknownDependency, match="meetings"):
        inject(listener, {"profiles": "p"}, takes=("invocation", "reply"))
