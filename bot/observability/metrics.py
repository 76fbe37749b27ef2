"""The bot's Prometheus metrics: commands, acks, Webex calls, token refreshes, links, work, database pool.

Each process has its own registry and reports its own figures; Prometheus scrapes every process.
Labels hold only names from the code (commands, operations, outcomes), never a team, user or secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "PoolUse"]

# Acks are milliseconds and must stay far below Slack's 3 s; commands and Webex calls take up to seconds.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0)
WORK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class PoolUse(Protocol):
    """Database connections of this process: checked out, idle in the pool, and the pool's size."""

    @property
    def in_use(self) -> int: ...
    @property
    def idle(self) -> int: ...
    @property
    def size(self) -> int: ...


class Metrics:
    """One process's metrics, in their own registry (so every app built in one process starts at zero)."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "webex_bot_commands",
            "Commands, buttons and forms finished after the ack, by name and outcome",
            ["command", "outcome"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "webex_bot_slack_ack_seconds",
            "From a Slack request's arrival to the start of the bot's answer, by what Slack sent",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.command_seconds = Histogram(
            "webex_bot_command_seconds",
            "From a Slack request's arrival to the end of its work after the ack (end to end), by name",
            ["command"],
            buckets=WORK_BUCKETS,
            registry=r,
        )
        self.webex_calls = Counter(
            "webex_bot_webex_calls",
            "Calls to Webex (XML API operations and the token endpoint), by operation and outcome",
            ["operation", "outcome"],
            registry=r,
        )
        self.webex_call_seconds = Histogram(
            "webex_bot_webex_call_seconds",
            "Time of one call to Webex, answer read and parsed, by operation",
            ["operation"],
            buckets=WORK_BUCKETS,
            registry=r,
        )
        self.token_refreshes = Counter(
            "webex_bot_token_refreshes",
            "Webex access-token refreshes this process made, by outcome",
            ["outcome"],
            registry=r,
        )
        self.links = Gauge(
            "webex_bot_links",
            "Webex links stored in the database, by status (read from the database at scrape time)",
            ["status"],
            registry=r,
        )
        self.in_flight = Gauge(
            "webex_bot_work_in_flight", "Work running after its ack in this process", registry=r
        )
        self.db_connections = Gauge(
            "webex_bot_db_connections",
            "This process's database connections, by state (in_use, idle)",
            ["state"],
            registry=r,
        )
        self.db_pool_size = Gauge(
            "webex_bot_db_pool_size",
            "Connections this process's pool keeps (it may open as many again under a burst)",
            registry=r,
        )
        if process:
            ProcessCollector(registry=r)

    # -- recording, on the hot path: a dictionary lookup and an addition each --------------------

    def command_finished(self, command: str, outcome: str, started: float | None) -> None:
        self.commands.labels(command, outcome).inc()
        if started is not None:
            self.command_seconds.labels(command).observe(time.perf_counter() - started)

    def acked(self, kind: str, seconds: float) -> None:
        self.ack_seconds.labels(kind or "other").observe(seconds)

    def webex_call(self, operation: str, outcome: str, seconds: float) -> None:
        self.webex_calls.labels(operation, outcome).inc()
        self.webex_call_seconds.labels(operation).observe(seconds)

    def token_refresh(self, outcome: str) -> None:
        self.token_refreshes.labels(outcome).inc()

    # -- read at scrape time ---------------------------------------------------------------------

    def watch(self, *, in_flight: Callable[[], int], pool: Callable[[], PoolUse | None]) -> None:
        """Read these when scraped: the work in flight and the database pool."""
        self.in_flight.set_function(in_flight)

        def pool_value(pick: Callable[[PoolUse], int]) -> Callable[[], float]:
            def read() -> float:
                use = pool()
                return float(pick(use)) if use is not None else 0.0

            return read

        self.db_connections.labels("in_use").set_function(pool_value(lambda use: use.in_use))
        self.db_connections.labels("idle").set_function(pool_value(lambda use: use.idle))
        self.db_pool_size.set_function(pool_value(lambda use: use.size))

    def set_links(self, counts: Mapping[str, int]) -> None:
        for status in ("active", "expired", *counts):
            self.links.labels(status).set(counts.get(status, 0))

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format."""
        return generate_latest(self.registry)
