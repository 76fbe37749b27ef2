"""The bot's Prometheus metrics: commands, acks, Webex calls, token refreshes, links, work, database pool.

One process (`serve`): its own registry, its own figures. Several worker processes on one port
(`serve --workers N`): prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR set before the
workers start, so every worker writes its figures to files there and /metrics, whichever worker
answers it, adds them all up.
Labels hold only names from the code (commands, operations, outcomes), never a team, user or secret.
"""

from __future__ import annotations

import glob
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)

__all__ = ["CONTENT_TYPE_LATEST", "MULTIPROCESS_DIR", "Metrics", "PoolUse", "shared_between_processes"]

# prometheus-client reads this when it is imported: a process started with it writes its figures there.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# How often each worker writes its read-at-scrape-time gauges (work in flight, pool) to the shared files.
SAMPLE_SECONDS = 5.0
_LIVE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db$")


def shared_between_processes() -> bool:
    """Whether this process writes its figures to the files the workers share (multiprocess mode)."""
    return bool(os.environ.get(MULTIPROCESS_DIR))


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
        self.shared = shared_between_processes()
        self._sampled: list[tuple[Any, Callable[[], float]]] = []
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
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
            multiprocess_mode="mostrecent",  # every worker reads the same table: the newest count wins
        )
        # With workers, the live gauges add up over the workers that are running.
        self.in_flight = Gauge(
            "webex_bot_work_in_flight",
            "Work running after its ack in this process (with workers: in all of them)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.db_connections = Gauge(
            "webex_bot_db_connections",
            "This process's database connections, by state (in_use, idle); with workers: all of them",
            ["state"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.db_pool_size = Gauge(
            "webex_bot_db_pool_size",
            "Connections this process's pool keeps (it may open as many again under a burst); "
            "with workers: all pools",
            registry=r,
            multiprocess_mode="livesum",
        )
        if process and not self.shared:
            # Reads /proc of the process answering the scrape: with workers it would describe one of
            # them at random, so it is left out there.
            ProcessCollector(registry=r)

    # -- recording, on the hot path: a dictionary lookup and an addition each --------------------

    def command_finished(self, command: str, outcome: str, started: float | None) -> None:
        self._child(self.commands, command, outcome).inc()
        if started is not None:
            self._child(self.command_seconds, command).observe(time.perf_counter() - started)

    def acked(self, kind: str, seconds: float) -> None:
        self._child(self.ack_seconds, kind or "other").observe(seconds)

    def webex_call(self, operation: str, outcome: str, seconds: float) -> None:
        self._child(self.webex_calls, operation, outcome).inc()
        self._child(self.webex_call_seconds, operation).observe(seconds)

    def _child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, looked up once: prometheus-client checks and converts the labels and
        takes a lock on every call. The label values are names from the code, so there are few."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def token_refresh(self, outcome: str) -> None:
        self.token_refreshes.labels(outcome).inc()

    # -- read at scrape time ---------------------------------------------------------------------

    def watch(self, *, in_flight: Callable[[], int], pool: Callable[[], PoolUse | None]) -> None:
        """Read these when scraped (with workers: every SAMPLE_SECONDS, by `sample`): the work in
        flight and the database pool."""

        def pool_value(pick: Callable[[PoolUse], int]) -> Callable[[], float]:
            def read() -> float:
                use = pool()
                return float(pick(use)) if use is not None else 0.0

            return read

        readings: list[tuple[Any, Callable[[], float]]] = [
            (self.in_flight, lambda: float(in_flight())),
            (self.db_connections.labels("in_use"), pool_value(lambda use: use.in_use)),
            (self.db_connections.labels("idle"), pool_value(lambda use: use.idle)),
            (self.db_pool_size, pool_value(lambda use: use.size)),
        ]
        if self.shared:
            # A function is not shared between processes; its value, written to the file, is.
            self._sampled = readings
            self.sample()
        else:
            for gauge, read in readings:
                gauge.set_function(read)

    def sample(self) -> None:
        """Write this process's read-at-scrape-time gauges to the shared files (workers only)."""
        for gauge, read in self._sampled:
            gauge.set(read())

    def set_links(self, counts: Mapping[str, int]) -> None:
        for status in ("active", "expired", *counts):
            self.links.labels(status).set(counts.get(status, 0))

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format; with workers, every worker's figures added up."""
        if not self.shared:
            return generate_latest(self.registry)
        self.sample()
        forget_stopped_workers()
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
        return generate_latest(combined)


def forget_stopped_workers() -> None:
    """Drop the live gauges of workers that are gone (a worker that died is replaced by a new one,
    and its in-flight work and connections must not be counted on); their counters stay."""
    folder = os.environ[MULTIPROCESS_DIR]
    for path in glob.glob(os.path.join(folder, "gauge_live*_*.db")):
        found = _LIVE_FILE.search(path)
        if found is None:
            continue
        pid = int(found.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]
        except PermissionError:
            pass  # alive, under another user
