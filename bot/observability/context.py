"""The request a line of work belongs to (id, team, user, command), carried by contextvars.

The id is made when a request arrives (or taken from Slack's event_id, which a retried delivery
repeats) and follows the work into every task spawned from it, since asyncio copies the context
into a task when it is created.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(slots=True)
class RequestContext:
    """What log lines and metrics say about the request being served; filled in as it is understood."""

    request_id: str
    started: float = field(default_factory=time.perf_counter)
    team: str = ""
    user: str = ""
    command: str = ""
    # What Slack sent (command, action, view, event, options); the label of the ack-time histogram.
    kind: str = ""


_current: ContextVar[RequestContext | None] = ContextVar("webex_bot_request", default=None)


def new_request_id() -> str:
    """16 hex characters: short enough to read in a log line, unique enough for a day of traffic. Not a
    secret (it names log lines and traces), so not from the OS's random source: that is a system call
    per request. Each worker process's generator is seeded afresh when it is forked."""
    return f"{random.getrandbits(64):016x}"


def current() -> RequestContext | None:
    """The request this code runs for, if any (start-up and housekeeping run for none)."""
    return _current.get()


def begin(
    request_id: str | None = None, *, team: str = "", user: str = "", command: str = ""
) -> RequestContext:
    """Start a request in the current context (a task's own copy) and return it."""
    context = RequestContext(request_id or new_request_id(), team=team, user=user, command=command)
    _current.set(context)
    return context


@contextmanager
def request(
    request_id: str | None = None, *, team: str = "", user: str = "", command: str = ""
) -> Iterator[RequestContext]:
    """A request for the duration of the block; the previous one (if any) comes back after it."""
    context = RequestContext(request_id or new_request_id(), team=team, user=user, command=command)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
