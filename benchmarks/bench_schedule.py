"""Load and latency benchmark of `/webex schedule` against a Bolt floor; prints a table and writes JSON.

    python benchmarks/bench_schedule.py [--database-url postgresql+asyncpg://...] [--quick]
        [--workers N] [--api xml] [--runs c1,paced,c20,open,burst,expired] [--profile DIR]

Everything runs on 127.0.0.1 as separate processes: the Webex emulator (`python -m bot.cli emulator`),
the Slack stand-in (benchmarks/standin_process.py), the bot (`python -m bot.cli serve`, SQLite in a
temporary folder unless --database-url is given) and the baseline (benchmarks/baseline_app.py).
This process only generates load (aiohttp) and measures. Users are linked through the real connect flow
over HTTP (/webex connect -> Connect URL -> the emulator's consent form -> the bot's callback), not seeded.
Every child is stopped on exit, Ctrl-C or failure, and dies with this process even if it is killed.
Not part of the test run. The README's Performance section says how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import aiohttp
import asyncpg
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.sandbox.signing import SignedRequest, SlackSigner  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PYTHON = sys.executable
TEAM_ID = "T_SANDBOX"
CHANNEL_ID = "C_BENCH"
SITE = "sandbox"
USER_TZ = "America/New_York"
WEBEX_TZ_ID = 11  # Eastern, matching USER_TZ
# How long the emulator's access tokens live: XML API 2 hours, REST API 14 days.
ACCESS_TOKEN_LIFETIME_SECONDS = {"xml": 2 * 3600, "rest": 14 * 86400}
REST_TOKEN_OPERATION = "POST /v1/access_token"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1

# Targets from issue 5.
ACK_RATIO_TARGET = 1.25
BURST_P99_RATIO_TARGET = 1.5
BURST_MAX_ACK_SECONDS = 2.0  # "well inside Slack's 3 s"
BURST_ANSWERS_WITHIN_SECONDS = 4.0
CPU_PER_MEETING_MS = 2.5
PEAK_RSS_MB = 200.0
READY_SECONDS = 2.0
# Open loop: commands arrive at these shares of the capacity measured at c20, whatever the acks do.
OPEN_LOAD_SHARES = (0.25, 0.5, 0.75)
OPEN_P99_RATIO_TARGET = 1.5  # schedule ack p99 vs the floor at the same rate, at 50% of capacity
# With workers, each takes at least this share of an even split of the commands.
FAIR_SHARE = 0.6
# What the bot can be asked to talk to (its WEBEX_API setting); the bot says which it supports.
WEBEX_APIS = ("xml", "rest")


@dataclass(frozen=True)
class Plan:
    users: int
    c1_commands: int
    c20_commands: int
    burst_commands: int
    solo_commands: int
    warmup_per_user: int
    steady_latency: float
    paced_rate: float
    burst_latency: float
    answer_timeout: float
    open_commands: int


FULL = Plan(
    users=50,
    c1_commands=200,
    c20_commands=600,
    burst_commands=500,
    solo_commands=200,
    warmup_per_user=1,
    steady_latency=0.1,
    paced_rate=20.0,
    burst_latency=1.0,
    answer_timeout=60.0,
    open_commands=300,
)
# `/webex help` runs: the floor and the bot take this many turns (see `scenario`).
HELP_ROUNDS = 5

QUICK = Plan(
    users=10,
    c1_commands=40,
    c20_commands=120,
    burst_commands=100,
    solo_commands=50,
    warmup_per_user=1,
    steady_latency=0.1,
    paced_rate=20.0,
    burst_latency=1.0,
    answer_timeout=30.0,
    open_commands=80,
)


# ---- child processes ---------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the benchmark dies, even by SIGKILL (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# The processes that only stand in for Slack and Webex (`--harness-nice`).
HARNESS = ("emulator", "slack-standin")


class Children:
    """Every process the benchmark starts, each in a session of its own, stopped together at the end."""

    def __init__(self, logs: Path, harness_nice: int = 0) -> None:
        self.logs = logs
        self.harness_nice = harness_nice
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: list[int] = []

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        pipes: bool = False,
    ) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        if name in HARNESS and self.harness_nice:
            argv = ["nice", "-n", str(self.harness_nice), *argv]
        proc = subprocess.Popen(
            list(argv),
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipes else log,
            stderr=log,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.procs[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 10.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def leftovers(self) -> list[str]:
        """Ports still accepting connections after the stop (should be none)."""
        open_ports = []
        for port in self.ports:
            with socket.socket() as probe:
                probe.settimeout(0.2)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    open_ports.append(str(port))
        return open_ports


def free_port(children: Children) -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    children.ports.append(port)
    return port


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time of a process, two ways: (from /proc/<pid>/stat, the sum of live threads' schedstat).

    stat counts every thread the process ever had, exited ones included (the database pool's
    overflow connections are threads that come and go), but in 10 ms clock ticks; schedstat is in
    nanoseconds but forgets exited threads. `cpu_delta` picks the right one for the run's length.
    """
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = (int(fields[11]) + int(fields[12])) / CLK_TCK
    live = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            with open(f"/proc/{pid}/task/{task}/schedstat") as schedstat:
                live += int(schedstat.read().split()[0])
    return ticks, live / 1e9


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (the workers of `serve --workers N`, their helpers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pids: Sequence[int]) -> tuple[float, float]:
    """`cpu_seconds` added up over processes (a process gone since is left out)."""
    ticks = live = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            one = cpu_seconds(pid)
            ticks, live = ticks + one[0], live + one[1]
    return ticks, live


def tree_thread_cpu(pids: Sequence[int]) -> dict[str, float]:
    """`thread_cpu` over processes: every event-loop thread counts as "main"."""
    found: dict[str, float] = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            for name, seconds in thread_cpu(pid).items():
                key = name if name == "main" else f"{pid}:{name}"
                found[key] = found.get(key, 0.0) + seconds
    return found


def tree_memory_mb(pids: Sequence[int]) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB, added up over processes."""
    rss = hwm = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            one = memory_mb(pid)
            rss, hwm = rss + one[0], hwm + one[1]
    return rss, hwm


WORKER_LINE = re.compile(r"/webex schedule finished: \w+ .*worker=(\d+)")


def commands_by_worker(log_text: str) -> dict[str, int]:
    """How many schedule commands each worker process finished, from the bot's INFO log lines."""
    counts: dict[str, int] = {}
    for pid in WORKER_LINE.findall(log_text):
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def cpu_delta(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Seconds of CPU between two `cpu_seconds` readings: ticks when precise to ~1%, else schedstat."""
    ticks, live = after[0] - before[0], after[1] - before[1]
    return ticks if ticks >= 1.0 else max(live, ticks)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread of a process, keyed "main" or "<name>-<tid>"."""
    found: dict[str, float] = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                ns = int(stat.read().split()[0])
            with open(f"/proc/{pid}/task/{task}/comm") as comm:
                name = comm.read().strip()
            found["main" if int(task) == pid else f"{name}-{task}"] = ns / 1e9
    return found


def thread_split(
    before: dict[str, float], after: dict[str, float], total: float, commands: int
) -> dict[str, float]:
    """CPU ms per command: the event-loop thread, and all other threads (database, executor) together."""
    main = after.get("main", 0.0) - before.get("main", 0.0)
    return {
        "main_thread": round(main * 1000 / commands, 3),
        "other_threads": round(max(0.0, total - main) * 1000 / commands, 3),
    }


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB from /proc/<pid>/status."""
    rss = hwm = 0.0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    return rss, hwm


class StandIn:
    """Talks to benchmarks/standin_process.py over its pipes."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        hello = self._read()
        self.url: str = hello["url"]
        self.base_url: str = hello["base_url"]
        self.seq = 0
        self._lock = threading.RLock()
        # Every response_url post seen so far: response id -> [(arrival, text)], for any caller to consult.
        self.posts: dict[str, list[tuple[float, str]]] = {}

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Slack stand-in process stopped; see its log")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"Slack stand-in: {answer['error']}")
        return answer

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        with self._lock:
            self.proc.stdin.write((json.dumps(command) + "\n").encode())
            self.proc.stdin.flush()
            return self._read()

    def add_users(self, users: list[dict[str, Any]]) -> None:
        self.ask({"op": "users", "users": users})

    def issue(self, user_id: str, n: int) -> list[str]:
        urls: list[str] = self.ask({"op": "issue", "n": n, "user_id": user_id, "channel_id": CHANNEL_ID})[
            "urls"
        ]
        return urls

    def new_calls(self) -> list[list[Any]]:
        """Calls recorded since the last look: [seq, method, response_id, at, status, text]."""
        with self._lock:
            answer = self.ask({"op": "arrivals", "since": self.seq})
            self.seq = answer["seq"]
            calls: list[list[Any]] = answer["calls"]
            for _seq, method, response_id, at, _status, text in calls:
                if method == "response_url" and response_id:
                    self.posts.setdefault(response_id, []).append((at, text))
        return calls


class Emulator:
    """The emulator's HTTP control surface (/_emulator/...)."""

    def __init__(self, http: aiohttp.ClientSession, base: str, api: str = "xml") -> None:
        self.http = http
        self.base = base
        self.api = api  # the Webex API the bot speaks: faults and the token log are that API's

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.http.request(method, f"{self.base}/_emulator{path}", json=body) as response:
            data = await response.json()
            if response.status != 200:
                raise RuntimeError(f"emulator {method} {path}: {response.status} {data}")
            return data

    async def add_user(self, email: str, first: str, last: str) -> None:
        await self._call(
            "POST",
            "/users",
            {
                "site": SITE,
                "email": email,
                "first_name": first,
                "last_name": last,
                "time_zone_id": WEBEX_TZ_ID,
            },
        )

    async def latency(self, seconds: float) -> None:
        await self._call("DELETE", "/faults")
        if seconds > 0:
            fault: dict[str, Any] = {"kind": "latency", "seconds": seconds}
            if self.api == "rest":
                fault["operation"] = "rest"  # every REST route but the token endpoint
            await self._call("POST", "/faults", fault)

    async def advance(self, seconds: float) -> None:
        await self._call("POST", "/clock", {"advance_seconds": seconds})

    async def token_refreshes(self) -> int:
        summary = await self._call("GET", "")
        return int(summary["counters"]["token_refreshes"])

    async def clear_requests(self) -> None:
        await self._call("DELETE", "/requests")

    async def refreshes_for(self, user: str) -> int:
        """Successful refresh_token grants for `user` in the request log (cleared at the start of a run)."""
        data = await self._call("GET", "/requests")
        if self.api == "rest":
            return sum(
                1
                for entry in data["requests"]
                if entry["operation"] == REST_TOKEN_OPERATION
                and entry["outcome"] == "ok refresh_token"
                and entry["user"].lower() == user.lower()
            )
        return sum(
            1
            for entry in data["requests"]
            if entry["endpoint"] == "token"
            and "refresh" in entry["operation"]
            and entry["user"].lower() == user.lower()
            and entry["outcome"] == "ok"
        )

    async def meeting_topics(self) -> list[str]:
        data = await self._call("GET", f"/meetings?site={SITE}")
        return [meeting["topic"] for meeting in data["meetings"]]


async def wait_ready(
    http: aiohttp.ClientSession, url: str, started: float, timeout: float, children: Children
) -> float:
    """Seconds from `started` (perf_counter at Popen) until `url` answers 200."""
    deadline = started + timeout
    while time.perf_counter() < deadline:
        children.check_alive()
        with contextlib.suppress(aiohttp.ClientError, OSError):
            async with http.get(url) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        await asyncio.sleep(0.01)
    raise RuntimeError(f"{url} was not ready within {timeout} s")


# ---- load ----------------------------------------------------------------------------------------


@dataclass
class Sample:
    response_id: str
    topic: str
    sent: float = 0.0
    acked: float = 0.0
    status: int = 0
    answered: float | None = None
    answers: int = 0
    answer_text: str = ""


@dataclass
class Side:
    """One target's figures in one run."""

    commands: int
    ack_ok: int
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    throughput_per_s: float
    cpu_ms_per_command: float
    rss_mb: float
    peak_rss_mb: float
    e2e_p50_ms: float | None = None
    e2e_p99_ms: float | None = None
    e2e_max_ms: float | None = None
    answered: int | None = None
    answered_with_meeting: int | None = None
    answers_within_s_of_first: float | None = None
    meetings_created: int | None = None
    meetings_duplicated: int | None = None
    token_refreshes: int | None = None
    cpu_ms_by_thread: dict[str, float] = field(default_factory=dict)
    rate_per_s: float | None = None
    completed_per_s: float | None = None
    workers: int = 1
    commands_by_worker: dict[str, int] = field(default_factory=dict)
    cpu_ms_by_worker: dict[str, float] = field(default_factory=dict)
    load_average: tuple[float, float] = (0.0, 0.0)
    error_samples: list[str] = field(default_factory=list)
    cpu_ms_per_command_runs: list[float] = field(default_factory=list)  # with `repeat`, each run's
    ack_p99_ratio_rounds: list[float] = field(default_factory=list)  # with `rounds`, each pair's
    # CPU per command of what shares the machine with the bot: the emulator, the Slack stand-in, this
    # load generator and, on PostgreSQL, the database server's processes serving the bot.
    harness_cpu_ms: dict[str, float] = field(default_factory=dict)


def _median_acks(runs: Sequence[Side]) -> Side:
    """The run with the median ack p99, its p50 the median of the runs' p50s."""
    middle = len(runs) // 2
    side = sorted(runs, key=lambda run: run.ack_p99_ms)[middle]
    return replace(side, ack_p50_ms=sorted(run.ack_p50_ms for run in runs)[middle])


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


async def fire(
    http: aiohttp.ClientSession,
    url: str,
    requests: list[SignedRequest],
    samples: list[Sample],
    concurrency: int,
    rate: float | None = None,
    new_connections: bool = False,
) -> tuple[float, float]:
    """Send every request, `concurrency` at a time (each worker waits for its ack); returns (start, end).

    With `rate`, request i is not sent before start + i / rate: a paced arrival the bot can keep up with.
    With `new_connections`, each request has a connection of its own (closed after the answer), so
    with workers the kernel hands every request to whichever worker accepts first.
    """
    extra = {"Connection": "close"} if new_connections else {}
    next_index = 0
    begin = time.perf_counter()

    async def worker() -> None:
        nonlocal next_index
        while next_index < len(requests):
            index = next_index
            next_index += 1
            if rate:
                await asyncio.sleep(max(0.0, begin + index / rate - time.perf_counter()))
            request, sample = requests[index], samples[index]
            sample.sent = time.perf_counter()
            try:
                headers = dict(request.headers) | extra
                async with http.post(url, data=request.body, headers=headers) as response:
                    await response.read()
                    sample.status = response.status
            except aiohttp.ClientError as error:
                sample.status = -1
                sample.answer_text = f"client error: {error!r}"
            sample.acked = time.perf_counter()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(requests)))))
    return start, time.perf_counter()


def build_requests(
    signer: SlackSigner,
    standin: StandIn,
    users: Sequence[str],
    count: int,
    label: str,
    text: str | None = None,
    when: str = "tomorrow 10am",
) -> tuple[list[SignedRequest], list[Sample]]:
    """`count` signed `/webex schedule` commands, round-robin over `users`, each with its own topic;
    with `text`, that command instead (`help`: answered in the ack itself)."""
    per_user: dict[str, list[str]] = {}
    for user in users:
        share = count // len(users) + (1 if users.index(user) < count % len(users) else 0)
        per_user[user] = standin.issue(user, share) if share else []
    requests, samples = [], []
    for index in range(count):
        user = users[index % len(users)]
        response_url = per_user[user].pop()
        topic = f"Bench {label} {index:04d} {secrets.token_hex(3)}"
        requests.append(
            signer.slash_command(
                text or f"schedule {topic} {when}",
                user_id=user,
                channel_id=CHANNEL_ID,
                response_url=response_url,
            )
        )
        samples.append(Sample(response_id=response_url.rsplit("/", 1)[1], topic=topic))
    return requests, samples


async def collect_answers(standin: StandIn, samples: list[Sample], timeout: float) -> None:
    """Wait until every sample's response_url was posted to (and nothing new came for a moment)."""
    by_id = {sample.response_id: sample for sample in samples}
    deadline = time.perf_counter() + timeout
    quiet_since = time.perf_counter()
    while True:
        calls = await asyncio.to_thread(standin.new_calls)
        for _seq, method, response_id, at, _status, text in calls:
            if method != "response_url" or response_id not in by_id:
                continue
            sample = by_id[response_id]
            sample.answers += 1
            # The last post is the one the user ends up seeing.
            if sample.answered is None or at >= sample.answered:
                sample.answered = at
                sample.answer_text = text
        if calls:
            quiet_since = time.perf_counter()
        everyone = all(sample.answered is not None for sample in samples)
        if everyone and time.perf_counter() - quiet_since > 0.3:
            return
        if time.perf_counter() > deadline:
            return
        await asyncio.sleep(0.05)


def exactly_once(side: Side) -> bool:
    """Every command made its meeting once and was answered with it."""
    return (
        side.meetings_created == side.commands
        and side.meetings_duplicated == 0
        and side.answered_with_meeting == side.commands
    )


def summarize(
    samples: list[Sample], start: float, end: float, cpu: float, pids: Sequence[int], *, with_answers: bool
) -> Side:
    acks = [(s.acked - s.sent) * 1000 for s in samples if s.status == 200]
    rss, hwm = tree_memory_mb(pids)
    side = Side(
        commands=len(samples),
        ack_ok=len(acks),
        ack_p50_ms=percentile(acks, 50),
        ack_p99_ms=percentile(acks, 99),
        ack_max_ms=max(acks) if acks else float("nan"),
        throughput_per_s=len(samples) / (end - start) if end > start else float("nan"),
        cpu_ms_per_command=cpu * 1000 / len(samples),
        rss_mb=round(rss, 1),
        peak_rss_mb=round(hwm, 1),
    )
    bad = [s for s in samples if s.status != 200]
    side.error_samples = [f"ack {s.status}: {s.answer_text[:200]}" for s in bad[:3]]
    if with_answers:
        answered = [s for s in samples if s.answered is not None]
        e2e = [(s.answered - s.sent) * 1000 for s in answered if s.answered is not None]
        side.answered = len(answered)
        side.answered_with_meeting = sum(1 for s in answered if s.topic in s.answer_text)
        side.e2e_p50_ms = percentile(e2e, 50)
        side.e2e_p99_ms = percentile(e2e, 99)
        side.e2e_max_ms = max(e2e) if e2e else float("nan")
        first = min(s.sent for s in samples)
        side.answers_within_s_of_first = (
            max(s.answered for s in answered if s.answered is not None) - first
            if len(answered) == len(samples)
            else float("inf")
        )
        # Commands done (answered) per second: the bot's throughput, not only how fast it acks.
        side.completed_per_s = (
            len(samples) / side.answers_within_s_of_first if side.answers_within_s_of_first else None
        )
        wrong = [s for s in answered if s.topic not in s.answer_text]
        side.error_samples += [f"answer: {s.answer_text[:300]}" for s in wrong[:3]]
        missing = [s for s in samples if s.answered is None]
        side.error_samples += [f"no answer for {s.topic}" for s in missing[:2]]
    return side


# ---- the benchmark ------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    base: str
    url: str
    pid: int
    workers: int = 1

    @property
    def pids(self) -> list[int]:
        """The server process and, with workers, every worker (measured together)."""
        return process_tree(self.pid)


class Bench:
    def __init__(self, args: argparse.Namespace, plan: Plan, workdir: Path, children: Children) -> None:
        self.args = args
        self.plan = plan
        self.workdir = workdir
        self.children = children
        self.signing_secret = secrets.token_hex(16)
        self.bot_token = "xoxb-bench-" + secrets.token_hex(8)
        self.token_keys = Fernet.generate_key().decode()
        self.database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        self.users = [f"U_BENCH{index:03d}" for index in range(plan.users)]
        self.solo = "U_BENCHSOLO"
        self.results: dict[str, Any] = {"runs": {}, "ready": {}, "profiles": {}}
        self.emulator_base = ""
        self.standin: StandIn
        self.emulator: Emulator
        self.http: aiohttp.ClientSession
        self.signer: SlackSigner

    def base_env(self, source: Path = REPO) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("SLACK_", "WEBEX_", "DATABASE_", "TOKEN_", "PUBLIC_", "LOG_", "EMAIL_", "WEB_CONCURRENCY")
            )
        }
        env["PYTHONPATH"] = str(source) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    # -- start-up

    def start_standin(self) -> None:
        env = self.base_env() | {"SLACK_BOT_TOKEN": self.bot_token}
        proc = self.children.start(
            "slack-standin", [PYTHON, str(HERE / "standin_process.py")], env=env, cwd=self.workdir, pipes=True
        )
        self.standin = StandIn(proc)
        users = [self.user_fields(user) for user in [*self.users, self.solo]]
        self.standin.add_users(users)
        self.signer = SlackSigner(self.signing_secret, team_id=TEAM_ID)

    @staticmethod
    def email(user: str) -> str:
        return f"{user.lower().replace('u_', '')}@{SITE}.example"

    def user_fields(self, user: str) -> dict[str, Any]:
        name = user.lower().replace("u_", "")
        return {
            "id": user,
            "name": name,
            "real_name": f"Bench {name}",
            "email": self.email(user),
            "tz": USER_TZ,
        }

    async def start_emulator(self) -> None:
        port = free_port(self.children)
        argv = [PYTHON, "-m", "bot.cli", "emulator", "--host", "127.0.0.1", "--port", str(port), "--quiet"]
        self.children.start("emulator", argv, env=self.base_env(), cwd=self.workdir)
        self.emulator_base = f"http://127.0.0.1:{port}"
        await wait_ready(self.http, f"{self.emulator_base}/healthz", time.perf_counter(), 20, self.children)
        self.emulator = Emulator(self.http, self.emulator_base, self.args.api)
        for user in [*self.users, self.solo]:
            name = user.lower().replace("u_", "")
            await self.emulator.add_user(self.email(user), "Bench", name)

    def bot_env(self, port: int, transport: str) -> dict[str, str]:
        return (
            self.base_env(self.args.bot_source or REPO)
            | {
                "SLACK_API_URL": self.standin.url,
                "SLACK_SIGNING_SECRET": self.signing_secret,
                "SLACK_BOT_TOKEN": self.bot_token,
                "WEBEX_OAUTH_URL": f"{self.emulator_base}/v1/oauth2",
                "WEBEX_XML_URL": f"{self.emulator_base}/WBXService/XMLService",
                "WEBEX_REST_URL": f"{self.emulator_base}/v1",
                "WEBEX_SITE": SITE,
                "WEBEX_CLIENT_ID": "sandbox-client",
                "WEBEX_CLIENT_SECRET": "sandbox-secret",
                "WEBEX_HTTP_TRANSPORT": transport,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "TOKEN_KEYS": self.token_keys,
                "DATABASE_URL": self.database_url,
                "LOG_LEVEL": self.args.log_level,
                # 50 users each send many commands at once here: limits this high are never reached, yet
                # every creation still takes and gives back its throttle place, so its cost is measured.
                "USER_RATE_LIMIT_PER_MINUTE": "10000",
                "USER_MAX_IN_FLIGHT": "1000",
            }
            | ({"WEBEX_API": self.args.api} if self.args.api_setting else {})
        )

    async def start_bot(self, transport: str) -> Target:
        port = free_port(self.children)
        workers = self.args.workers
        name = f"bot-{transport}" + (f"-{workers}workers" if workers > 1 else "")
        started = time.perf_counter()
        argv = [PYTHON, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        proc = self.children.start(
            name,
            [*argv, "--workers", str(workers)] if workers > 1 else argv,
            env=self.bot_env(port, transport),
            cwd=self.workdir,
        )
        base = f"http://127.0.0.1:{port}"
        ready = await wait_ready(self.http, f"{base}/readyz", started, 60, self.children)
        target = Target(name, base, f"{base}/slack/events", proc.pid, workers)
        if workers > 1:
            # /readyz answers once the first worker is up; the figure is when the last one is.
            deadline = time.perf_counter() + 60
            while len(re.findall(r"webex-bot ready .*worker=", self.bot_log(target))) < workers:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{name}: not every one of {workers} workers started")
                self.children.check_alive()
                await asyncio.sleep(0.05)
            ready = time.perf_counter() - started
        self.results["ready"][name] = round(ready, 3)
        return target

    def bot_log(self, target: Target) -> str:
        return (self.workdir / f"{target.name}.log").read_text(errors="replace")

    async def start_baseline(self) -> Target:
        port = free_port(self.children)
        env = self.base_env() | {
            "SLACK_API_URL": self.standin.url,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_BOT_TOKEN": self.bot_token,
            "LOG_LEVEL": self.args.log_level,
        }
        started = time.perf_counter()
        proc = self.children.start(
            "baseline",
            [PYTHON, str(HERE / "baseline_app.py"), "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=self.workdir,
        )
        base = f"http://127.0.0.1:{port}"
        ready = await wait_ready(self.http, f"{base}/readyz", started, 60, self.children)
        self.results["ready"]["baseline"] = round(ready, 3)
        return Target("baseline", base, f"{base}/slack/events", proc.pid)

    # -- linking users: the real connect flow over HTTP

    async def link(self, bot: Target, user: str) -> None:
        [response_url] = self.standin.issue(user, 1)
        response_id = response_url.rsplit("/", 1)[1]
        request = self.signer.slash_command(
            "connect", user_id=user, channel_id=CHANNEL_ID, response_url=response_url
        )
        async with self.http.post(bot.url, data=request.body, headers=dict(request.headers)) as response:
            if response.status != 200:
                raise RuntimeError(f"/webex connect for {user}: HTTP {response.status}")
        connect_url = None
        deadline = time.perf_counter() + 10
        while connect_url is None and time.perf_counter() < deadline:
            await asyncio.to_thread(self.standin.new_calls)
            for _at, text in self.standin.posts.get(response_id, []):
                found = re.search(r"https?://[^\s\"'<>|]*/webex/connect/[^\s\"'<>|]+", text)
                if found:
                    connect_url = found.group(0)
            if connect_url is None:
                await asyncio.sleep(0.05)
        if connect_url is None:
            raise RuntimeError(f"/webex connect for {user}: no Connect button reached the Slack stand-in")
        async with self.http.get(connect_url, allow_redirects=False) as response:
            authorize = response.headers.get("Location")
            if response.status != 302 or not authorize:
                raise RuntimeError(f"connect link for {user}: HTTP {response.status}, no redirect")
        async with self.http.get(authorize) as response:
            page = await response.text()
        consent = re.search(r'name="consent_id" value="([^"]+)"', page)
        if consent is None:
            raise RuntimeError(f"consent page for {user} has no consent_id")
        form = {"consent_id": consent.group(1), "user": self.email(user), "decision": "allow"}
        async with self.http.post(
            urljoin(authorize, "/v1/oauth2/authorize"), data=form, allow_redirects=False
        ) as r:
            callback = r.headers.get("Location")
            if r.status != 302 or not callback:
                raise RuntimeError(f"consent for {user}: HTTP {r.status} {await r.text()}")
        async with self.http.get(callback) as response:
            if response.status != 200:
                raise RuntimeError(f"callback for {user}: HTTP {response.status} {await response.text()}")

    async def link_everyone(self, bot: Target) -> float:
        started = time.perf_counter()
        users = [*self.users, self.solo]
        for index in range(0, len(users), 5):
            await asyncio.gather(*(self.link(bot, user) for user in users[index : index + 5]))
        await asyncio.to_thread(self.standin.new_calls)  # drop the link announcements
        return time.perf_counter() - started

    # -- runs

    async def wait_idle(self, target: Target, timeout: float = 120.0) -> None:
        """Wait until the bot has no command in flight, so one run's leftovers never count in the next.

        /readyz tells one worker's work: with workers, every answer of several in a row on new
        connections (each accepted by whichever worker) must say idle.
        """
        deadline = time.perf_counter() + timeout
        wanted, idle = 4 * target.workers if target.workers > 1 else 1, 0
        while time.perf_counter() < deadline:
            with contextlib.suppress(aiohttp.ClientError, ValueError):
                async with self.http.get(
                    f"{target.base}/readyz", headers={"Connection": "close"} if target.workers > 1 else None
                ) as response:
                    if response.status == 200 and (await response.json()).get("in_flight", 0) == 0:
                        idle += 1
                        if idle >= wanted:
                            return
                        continue
            idle = 0
            await asyncio.sleep(0.1)
        print(f"  warning: {target.name} still had commands in flight after {timeout:.0f} s", flush=True)

    async def run(
        self,
        target: Target,
        users: Sequence[str],
        count: int,
        concurrency: int,
        label: str,
        *,
        with_answers: bool,
        rate: float | None = None,
        text: str | None = None,
        when: str = "tomorrow 10am",
    ) -> Side:
        if with_answers:
            await self.wait_idle(target)
        requests, samples = await asyncio.to_thread(
            build_requests, self.signer, self.standin, users, count, f"{label}-{target.name}", text, when
        )
        await asyncio.to_thread(self.standin.new_calls)
        refreshes_before = await self.emulator.token_refreshes() if with_answers else 0
        meetings_before = set(await self.emulator.meeting_topics()) if with_answers else set()
        load_before = os.getloadavg()[0]
        pids = target.pids
        log_before = len(self.bot_log(target)) if target.workers > 1 else 0
        harness = await self.harness_pids()
        harness_before = {part: tree_cpu_seconds(found) for part, found in harness.items()}
        cpu_before, threads_before = tree_cpu_seconds(pids), tree_thread_cpu(pids)
        by_worker_before = {pid: cpu_seconds(pid) for pid in pids} if target.workers > 1 else {}
        start, end = await fire(
            self.http, target.url, requests, samples, concurrency, rate, self.args.connections == "new"
        )
        if with_answers:
            await collect_answers(self.standin, samples, self.plan.answer_timeout)
        cpu_after, threads_after = tree_cpu_seconds(pids), tree_thread_cpu(pids)
        cpu = cpu_delta(cpu_before, cpu_after)
        side = summarize(samples, start, end, cpu, pids, with_answers=with_answers)
        side.cpu_ms_by_thread = thread_split(threads_before, threads_after, cpu, count)
        side.harness_cpu_ms = {
            part: round(cpu_delta(harness_before[part], tree_cpu_seconds(found)) * 1000 / count, 3)
            for part, found in harness.items()
        }
        side.rate_per_s = rate
        side.workers = target.workers
        if target.workers > 1:
            # Who took the commands: each worker logs one INFO line per command it finished.
            side.commands_by_worker = commands_by_worker(self.bot_log(target)[log_before:])
            side.cpu_ms_by_worker = {
                str(pid): round(cpu_delta(before, cpu_seconds(pid)) * 1000 / count, 3)
                for pid, before in by_worker_before.items()
                if Path(f"/proc/{pid}").exists()
            }
        # Other work on the machine skews latency more than CPU per command; keep it with the figures.
        side.load_average = (round(load_before, 2), round(os.getloadavg()[0], 2))
        if with_answers:
            topics = [t for t in await self.emulator.meeting_topics() if t not in meetings_before]
            wanted = {s.topic for s in samples}
            created = [t for t in topics if t in wanted]
            side.meetings_created = len(set(created))
            side.meetings_duplicated = len(created) - len(set(created))
            side.token_refreshes = await self.emulator.token_refreshes() - refreshes_before
        self.children.check_alive()
        return side

    async def harness_pids(self) -> dict[str, list[int]]:
        """The processes that share the machine with the bot, by part."""
        parts = {
            "emulator": [self.children.procs["emulator"].pid],
            "slack stand-in": [self.children.procs["slack-standin"].pid],
            "load generator": [os.getpid()],
        }
        if self.args.database_url:
            # The server processes of the bot's pooled connections (opened during the warm-up).
            url = self.args.database_url.replace("+asyncpg", "")
            connection = await asyncpg.connect(url)
            try:
                rows = await connection.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                )
            finally:
                await connection.close()
            parts["database server"] = [row["pid"] for row in rows]
        return parts

    async def warm(self, target: Target, with_answers: bool) -> None:
        users = [*self.users, self.solo] if with_answers else self.users
        await self.run(
            target, users, len(users) * self.plan.warmup_per_user, 10, "warm", with_answers=with_answers
        )

    async def scenario(
        self,
        name: str,
        bot: Target,
        baseline: Target,
        users: Sequence[str],
        count: int,
        conc: int,
        rate: float | None = None,
        text: str | None = None,
        repeat: int = 1,
        rounds: int = 1,
    ) -> None:
        """`text` runs that command instead of a schedule, without waiting for answers (in its ack).

        With `repeat`, the bot's side runs that many times and the run whose CPU per command is the
        median stands for it (the CPU of every run is kept beside it): on a shared machine one run's
        figure moves by a tenth or more.

        With `rounds`, the floor and the bot take turns that many times, and each side's ack p50 and p99
        are the medians of its runs (every pair's p99 ratio is kept): a p99 of a few hundred acks is two
        or three of them, and one stall of the machine (a 4 ms scheduler slice) in one run moves it by
        half; runs taking turns a second apart see the same machine."""
        paced = f", paced at {rate:g}/s" if rate else ""
        times = f", the bot {repeat} times" if repeat > 1 else ""
        times += f", {rounds} rounds taking turns with the floor" if rounds > 1 else ""
        print(f"  {name}: {count} commands at concurrency {conc}{paced}{times} ...", flush=True)
        if rounds > 1:
            floors, ours = [], []
            for _ in range(rounds):
                floors.append(
                    await self.run(baseline, users, count, conc, name, with_answers=False, text=text)
                )
                await asyncio.sleep(0.2)
                ours.append(await self.run(bot, users, count, conc, name, with_answers=False, text=text))
                await asyncio.sleep(0.2)
            ratios = [mine.ack_p99_ms / floor.ack_p99_ms for mine, floor in zip(ours, floors, strict=True)]
            floor, mine = _median_acks(floors), _median_acks(ours)
            mine.ack_p99_ratio_rounds = [round(ratio, 2) for ratio in ratios]
            self.results["runs"].setdefault(bot.name, {})[name] = {
                "bot": asdict(mine),
                "baseline": asdict(floor),
            }
            return
        base = await self.run(baseline, users, count, conc, name, with_answers=False, rate=rate, text=text)
        await asyncio.sleep(0.5)
        runs = []
        for _ in range(repeat):
            runs.append(
                await self.run(bot, users, count, conc, name, with_answers=text is None, rate=rate, text=text)
            )
            await asyncio.sleep(0.5)
        # A run that made a meeting twice or left a command unanswered stands for them all instead.
        missed = [side for side in runs if text is None and not exactly_once(side)]
        mine = missed[0] if missed else sorted(runs, key=lambda side: side.cpu_ms_per_command)[len(runs) // 2]
        mine.cpu_ms_per_command_runs = [round(side.cpu_ms_per_command, 3) for side in runs]
        self.results["runs"].setdefault(bot.name, {})[name] = {"bot": asdict(mine), "baseline": asdict(base)}

    async def open_loop(self, bot: Target, baseline: Target) -> None:
        """Commands arriving at a fixed rate (each sent at its time, whether or not earlier ones were
        acked), at shares of the capacity: the c20 run's completed commands per second."""
        c20 = self.results["runs"].get(bot.name, {}).get("c20", {}).get("bot", {})
        capacity = c20.get("completed_per_s")
        if not capacity:
            print("  open loop: skipped, it needs the c20 run to measure the capacity", flush=True)
            return
        self.results.setdefault("capacity", {})[bot.name] = round(capacity, 1)
        count = self.plan.open_commands
        for share in OPEN_LOAD_SHARES:
            rate = share * capacity
            await self.scenario(f"open{round(share * 100)}", bot, baseline, self.users, count, count, rate)

    async def expired_token(self, bot: Target) -> None:
        count = self.plan.solo_commands
        print(f"  expired token: {count} commands at once by one user ...", flush=True)
        await self.emulator.latency(self.plan.steady_latency)
        # Every access token the emulator issued so far is now past its lifetime; refresh tokens live on.
        await self.wait_idle(bot)
        await self.emulator.advance(ACCESS_TOKEN_LIFETIME_SECONDS[self.args.api] + 120)
        await self.emulator.clear_requests()
        # The emulator's clock is now ahead of the bot's by the token lifetime (14 days on REST): the
        # meetings go far enough out that the emulator does not take them for the past.
        later = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
        when = f"{later} 10am" if self.args.api == "rest" else "tomorrow 10am"
        side = await self.run(bot, [self.solo], count, count, "expired", with_answers=True, when=when)
        # Only this user's grants: another user's command still in flight could refresh too.
        side.token_refreshes = await self.emulator.refreshes_for(self.email(self.solo))
        self.results["runs"].setdefault(bot.name, {})["expired_token"] = {"bot": asdict(side)}

    async def pass_for(self, transport: str, baseline: Target, first: bool) -> None:
        bot = await self.start_bot(transport)
        print(f"{bot.name}: ready in {self.results['ready'][bot.name]:.3f} s", flush=True)
        if first:
            took = await self.link_everyone(bot)
            print(
                f"  linked {len(self.users) + 1} users through the connect flow in {took:.1f} s", flush=True
            )
        await self.emulator.latency(self.plan.steady_latency)
        await self.warm(bot, with_answers=True)
        profiler = self.start_profiler(bot) if self.args.profile else None
        runs = self.args.runs
        if "c1" in runs:
            await self.scenario("c1", bot, baseline, self.users, self.plan.c1_commands, 1)
        if "paced" in runs:
            rate = self.plan.paced_rate
            await self.scenario("c1-paced", bot, baseline, self.users, self.plan.c1_commands, 1, rate)
        if "c20" in runs:
            await self.scenario(
                "c20", bot, baseline, self.users, self.plan.c20_commands, 20, repeat=self.args.c20_runs
            )
        if "help" in runs:
            # `/webex help` answers in its ack: the bot's ack against the bare Bolt ack, nothing after.
            rounds = HELP_ROUNDS
            await self.scenario(
                "help-c1", bot, baseline, self.users, self.plan.c1_commands, 1, text="help", rounds=rounds
            )
            await self.scenario(
                "help-c20", bot, baseline, self.users, self.plan.c20_commands, 20, text="help", rounds=rounds
            )
        if "open" in runs:
            await self.open_loop(bot, baseline)
        if "burst" in runs:
            await self.emulator.latency(self.plan.burst_latency)
            count = self.plan.burst_commands
            await self.scenario("burst", bot, baseline, self.users, count, count)
        if profiler is not None:
            self.stop_profiler(bot, profiler)
        if "expired" in runs:
            await self.expired_token(bot)
        self.children.stop(bot.name)

    def start_profiler(self, bot: Target) -> subprocess.Popen[bytes] | None:
        spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
        if not Path(spy).exists():
            print("  py-spy not found; pip install py-spy", flush=True)
            return None
        out = self.args.profile / f"{bot.name}.txt"
        self.args.profile.mkdir(parents=True, exist_ok=True)
        return self.children.start(
            f"py-spy-{bot.name}",
            [spy, "record", "--pid", str(bot.pid), "--format", "raw", "--rate", "250", "--output", str(out)]
            + (["--subprocesses"] if bot.workers > 1 else []),
            env=self.base_env(),
            cwd=self.workdir,
        )

    def stop_profiler(self, bot: Target, profiler: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(profiler.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            profiler.wait(20)
        self.children.stop(f"py-spy-{bot.name}")
        out = self.args.profile / f"{bot.name}.txt"
        self.results["profiles"][bot.name] = str(out)
        if out.exists():
            from profile_summary import cpu_parts

            # Shares of the whole profiled stretch (every run from c1 to burst), as ms of c20's CPU; the
            # event-loop thread and the others weighed by the CPU c20 measured for each.
            c20 = self.results["runs"].get(bot.name, {}).get("c20", {}).get("bot", {})
            split = c20.get("cpu_ms_by_thread") or {}
            measured = (split["main_thread"], split["other_threads"]) if split else None
            shares = cpu_parts(out.read_text().splitlines(), measured)
            per_command = c20.get("cpu_ms_per_command")
            self.results.setdefault("cpu_parts", {})[bot.name] = {
                part: {
                    "share": round(share, 3),
                    "c20_ms_per_command": round(share * per_command, 3) if per_command else None,
                }
                for part, share in shares.items()
            }

    async def main(self) -> dict[str, Any]:
        # Idle connections are let go before uvicorn's 5 s keep-alive closes them: otherwise a command can
        # be written onto a connection the server is closing that moment, and never arrive.
        connector = aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=4)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as self.http:
            self.start_standin()
            await self.start_emulator()
            baseline = await self.start_baseline()
            await self.warm(baseline, with_answers=False)
            for index, transport in enumerate(self.args.transports):
                await self.pass_for(transport, baseline, first=index == 0)
        return self.results


# ---- report ---------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the table: what, target, bot, baseline, ratio, verdict."""
    rows: list[dict[str, Any]] = []
    for bot_name, runs in results["runs"].items():
        open_runs = [f"open{round(share * 100)}" for share in OPEN_LOAD_SHARES]
        for run in ("c1", "c1-paced", "c20", *open_runs, "burst", "help-c1", "help-c20"):
            if run not in runs:
                continue
            bot, base = runs[run]["bot"], runs[run]["baseline"]
            rate = f" at {bot['rate_per_s']:.0f}/s" if run in open_runs and bot.get("rate_per_s") else ""
            for q in ("p50", "p99"):
                mine, floor = bot[f"ack_{q}_ms"], base[f"ack_{q}_ms"]
                limit = {"burst": BURST_P99_RATIO_TARGET, "open50": OPEN_P99_RATIO_TARGET}.get(
                    run, ACK_RATIO_TARGET
                )
                ratio = mine / floor if floor else float("nan")
                checked = run in ("c1", "c20", "help-c1", "help-c20") or (
                    run in ("burst", "open50") and q == "p99"
                )
                rounds = bot.get("ack_p99_ratio_rounds") or []
                paired = f", median of {len(rounds)} runs taking turns" if rounds else ""
                rows.append(
                    {
                        "bot": bot_name,
                        "what": f"{run}{rate} ack {q} (ms){paired}",
                        "target": f"<= {limit}x baseline" if checked else "(info)",
                        "value": mine,
                        "baseline": floor,
                        "ratio": ratio,
                        "verdict": verdict(ratio <= limit) if checked else "",
                    }
                )
            if run.startswith("help"):
                continue  # no meeting, no answer after the ack: only the ack is measured
            rows.append(
                {
                    "bot": bot_name,
                    "what": f"{run} e2e p50 / p99 (ms)",
                    "target": "(info)",
                    "value": f"{fmt(bot['e2e_p50_ms'], 0)} / {fmt(bot['e2e_p99_ms'], 0)}",
                    "baseline": None,
                    "ratio": None,
                    "verdict": "",
                }
            )
            rows.append(
                {
                    "bot": bot_name,
                    "what": f"{run} throughput (cmd/s)",
                    "target": "(info)",
                    "value": bot["throughput_per_s"],
                    "baseline": base["throughput_per_s"],
                    "ratio": bot["throughput_per_s"] / base["throughput_per_s"]
                    if base["throughput_per_s"]
                    else None,
                    "verdict": "",
                }
            )
            if bot.get("completed_per_s"):
                rows.append(
                    {
                        "bot": bot_name,
                        "what": f"{run} completed (answered cmd/s)",
                        "target": "(info)",
                        "value": bot["completed_per_s"],
                        "baseline": None,
                        "ratio": None,
                        "verdict": "",
                    }
                )
            shares = bot.get("commands_by_worker") or {}
            if shares:
                workers = bot.get("workers", 1)
                least = min(shares.values()) if len(shares) >= workers else 0
                rows.append(
                    {
                        "bot": bot_name,
                        "what": f"{run} commands per worker",
                        "target": f">= {FAIR_SHARE:.0%} of an even share each",
                        "value": " / ".join(str(n) for n in sorted(shares.values(), reverse=True)),
                        "baseline": None,
                        "ratio": None,
                        "verdict": verdict(least >= FAIR_SHARE * bot["commands"] / workers),
                    }
                )
            rows.append(
                {
                    "bot": bot_name,
                    "what": f"{run} CPU per command (ms)"
                    + (
                        f", median of {', '.join(f'{ms:.2f}' for ms in bot['cpu_ms_per_command_runs'])}"
                        if len(bot.get("cpu_ms_per_command_runs") or ()) > 1
                        else ""
                    ),
                    "target": f"<= {CPU_PER_MEETING_MS} per meeting",
                    "value": bot["cpu_ms_per_command"],
                    "baseline": base["cpu_ms_per_command"],
                    "ratio": bot["cpu_ms_per_command"] / base["cpu_ms_per_command"]
                    if base["cpu_ms_per_command"]
                    else None,
                    "verdict": verdict(bot["cpu_ms_per_command"] <= CPU_PER_MEETING_MS),
                }
            )
            harness = bot.get("harness_cpu_ms") or {}
            if harness and run == "c20":  # the other runs are too short for 10 ms clock ticks
                rows.append(
                    {
                        "bot": bot_name,
                        "what": f"{run} CPU per command of the rest of the machine (ms)",
                        "target": "(info)",
                        "value": f"{sum(harness.values()):.2f}: "
                        + ", ".join(f"{part} {ms:.2f}" for part, ms in harness.items()),
                        "baseline": None,
                        "ratio": None,
                        "verdict": "",
                    }
                )
            exact = (
                bot["meetings_created"] == bot["commands"]
                and bot["meetings_duplicated"] == 0
                and bot["answered_with_meeting"] == bot["commands"]
            )
            rows.append(
                {
                    "bot": bot_name,
                    "what": f"{run} meetings created / answered / sent",
                    "target": "each exactly once",
                    "value": f"{bot['meetings_created']}+{bot['meetings_duplicated']}dup / "
                    f"{bot['answered_with_meeting']} / {bot['commands']}",
                    "baseline": None,
                    "ratio": None,
                    "verdict": verdict(exact),
                }
            )
            if run == "burst":
                rows.append(
                    {
                        "bot": bot_name,
                        "what": "burst max ack (ms)",
                        "target": f"<= {BURST_MAX_ACK_SECONDS * 1000:.0f}, all 200",
                        "value": bot["ack_max_ms"],
                        "baseline": base["ack_max_ms"],
                        "ratio": None,
                        "verdict": verdict(
                            bot["ack_ok"] == bot["commands"]
                            and bot["ack_max_ms"] <= BURST_MAX_ACK_SECONDS * 1000
                        ),
                    }
                )
                rows.append(
                    {
                        "bot": bot_name,
                        "what": "burst all answers after first request (s)",
                        "target": f"<= {BURST_ANSWERS_WITHIN_SECONDS}",
                        "value": bot["answers_within_s_of_first"],
                        "baseline": None,
                        "ratio": None,
                        "verdict": verdict(bot["answers_within_s_of_first"] <= BURST_ANSWERS_WITHIN_SECONDS),
                    }
                )
                rows.append(
                    {
                        "bot": bot_name,
                        "what": "peak RSS after burst (MB)",
                        "target": f"< {PEAK_RSS_MB:.0f}",
                        "value": bot["peak_rss_mb"],
                        "baseline": base["peak_rss_mb"],
                        "ratio": None,
                        "verdict": verdict(bot["peak_rss_mb"] < PEAK_RSS_MB),
                    }
                )
        if "expired_token" in runs:
            solo = runs["expired_token"]["bot"]
            rows.append(
                {
                    "bot": bot_name,
                    "what": f"expired token: refreshes for {solo['commands']} commands",
                    "target": "exactly 1",
                    "value": solo["token_refreshes"],
                    "baseline": None,
                    "ratio": None,
                    "verdict": verdict(solo["token_refreshes"] == 1),
                }
            )
            rows.append(
                {
                    "bot": bot_name,
                    "what": "expired token: meetings created / answered / sent",
                    "target": "each exactly once",
                    "value": f"{solo['meetings_created']}+{solo['meetings_duplicated']}dup / "
                    f"{solo['answered_with_meeting']} / {solo['commands']}",
                    "baseline": None,
                    "ratio": None,
                    "verdict": verdict(
                        solo["meetings_created"] == solo["commands"]
                        and solo["meetings_duplicated"] == 0
                        and solo["answered_with_meeting"] == solo["commands"]
                    ),
                }
            )
        for part, figures in results.get("cpu_parts", {}).get(bot_name, {}).items():
            rows.append(
                {
                    "bot": bot_name,
                    "what": f"CPU part: {part} (share, est. ms per c20 command)",
                    "target": "(info)",
                    "value": f"{figures['share']:.0%} / {fmt(figures['c20_ms_per_command'], 2)}",
                    "baseline": None,
                    "ratio": None,
                    "verdict": "",
                }
            )
        ready = results["ready"].get(bot_name)
        rows.append(
            {
                "bot": bot_name,
                "what": "start -> /readyz 200 (s)",
                "target": f"< {READY_SECONDS}",
                "value": ready,
                "baseline": results["ready"].get("baseline"),
                "ratio": None,
                "verdict": verdict(ready is not None and ready < READY_SECONDS),
            }
        )
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return fmt(value, 2 if abs(value) < 10 else 1)
        return "-" if value is None else str(value)

    header = ("bot", "what", "target", "bot value", "baseline", "ratio", "")
    table = [header] + [
        (
            r["bot"],
            r["what"],
            r["target"],
            cell(r["value"]),
            cell(r["baseline"]),
            cell(r["ratio"]),
            r["verdict"],
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)) for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def reference_loop_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop (the best of three), taken before the run: the host
    of a shared machine makes the same code cost a third more or less from one hour to the next, and
    this says how fast the machine was while the figures were taken."""

    def loop() -> float:
        began, total = time.process_time(), 0
        for number in range(2_000_000):
            total += number & 7
        return (time.process_time() - began) * 1000

    return round(min(loop() for _ in range(3)), 1)


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    mem = ""
    with contextlib.suppress(OSError), open("/proc/meminfo") as info:
        mem = next((line.split(":", 1)[1].strip() for line in info if line.startswith("MemTotal")), "")
    versions = {}
    for name in (
        "slack-bolt",
        "slack-sdk",
        "aiohttp",
        "httpx",
        "httpx-aiohttp",
        "uvicorn",
        "httptools",
        "uvloop",
        "starlette",
        "sqlalchemy",
        "aiosqlite",
        "asyncpg",
    ):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[name] = importlib.metadata.version(name)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "commit": commit,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", help="postgresql+asyncpg://... (a throwaway database); SQLite by default"
    )
    parser.add_argument("--quick", action="store_true", help="fewer users and commands (about a minute)")
    parser.add_argument(
        "--transports",
        default="aiohttp,httpx",
        type=lambda text: [t.strip() for t in text.split(",") if t.strip()],
        help="WEBEX_HTTP_TRANSPORT values to run, in order (default aiohttp,httpx)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument(
        "--profile", type=Path, help="record the bot with py-spy (raw stacks) into this folder"
    )
    parser.add_argument(
        "--output", type=Path, help="JSON file to write (default benchmarks/results/<time>.json)"
    )
    parser.add_argument(
        "--runs",
        default="c1,paced,c20,open,burst,expired,help",
        type=lambda text: [t.strip() for t in text.split(",") if t.strip()],
        help="which runs; open (open loop at 25/50/75%% of capacity) needs c20; help: /webex help's ack",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="serve the bot with this many worker processes (webex-bot serve --workers N)",
    )
    parser.add_argument(
        "--connections",
        default="reuse",
        choices=["reuse", "new"],
        help="keep connections open between commands, or open one per command (bot and floor alike); "
        "with workers, a kept connection stays with the worker that accepted it",
    )
    parser.add_argument(
        "--api",
        default="xml",
        choices=WEBEX_APIS,
        help="the Webex API the bot talks to the emulator with (its WEBEX_API setting)",
    )
    parser.add_argument(
        "--bot-source",
        type=Path,
        help="run the bot from this source tree (a patched copy)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder with the processes' logs"
    )
    parser.add_argument(
        "--harness-nice",
        type=int,
        default=0,
        help="run the Webex emulator and the Slack stand-in at this nice value, so that on a small "
        "machine they give way to the bot and the floor, as they would on machines of their own "
        "(default 0: everything at the same priority)",
    )
    parser.add_argument(
        "--c20-runs",
        type=int,
        help="run the bot's c20 this many times; its figures are the run with the median CPU per "
        "command (default 3, 1 with --quick)",
    )
    return parser.parse_args(argv)


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def api_setting(source: Path) -> bool:
    """Whether the bot in `source` has the WEBEX_API setting (a choice of Webex backend)."""
    probe = "from bot.config import Settings; print('webex_api' in Settings.model_fields)"
    found = subprocess.run(
        [PYTHON, "-c", probe], env={**os.environ, "PYTHONPATH": str(source)}, capture_output=True, text=True
    )
    return found.stdout.strip() == "True"


def check_api(args: argparse.Namespace) -> str | None:
    """Record whether WEBEX_API is passed to the bot; a problem with `--api`, in words, or None."""
    args.api_setting = api_setting(args.bot_source or REPO)
    if args.api != "xml" and not args.api_setting:
        return (
            f"--api {args.api}: this bot has no WEBEX_API setting yet, so it only speaks the XML API; "
            "run with --api xml (the default)"
        )
    if args.workers < 1:
        return f"--workers {args.workers}: give 1 or more"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    problem = check_api(args)
    if problem is not None:
        print(f"bench_schedule: {problem}", file=sys.stderr)
        return 2
    plan = QUICK if args.quick else FULL
    reference = reference_loop_ms()
    print(f"reference loop: {reference} ms of CPU (the same loop on every run; lower is a faster machine)")
    if args.c20_runs is None:
        args.c20_runs = 1 if args.quick else 3
    workdir = Path(tempfile.mkdtemp(prefix="webex-bot-bench-"))
    children = Children(workdir, harness_nice=args.harness_nice)
    started = datetime.now(UTC)
    results: dict[str, Any] = {}
    failure: BaseException | None = None
    with terminate_on_sigterm():
        try:
            bench = Bench(args, plan, workdir, children)
            results = asyncio.run(bench.main())
        except KeyboardInterrupt:
            print("\ninterrupted; stopping everything", file=sys.stderr)
            failure = KeyboardInterrupt()
        except Exception as error:
            failure = error
            traceback.print_exc()
            print(f"\nbenchmark failed: {error}", file=sys.stderr)
        finally:
            children.stop_all()
    leftovers = children.leftovers()
    if leftovers:
        print(f"warning: ports still open after stopping: {', '.join(leftovers)}", file=sys.stderr)
    if failure is not None or not results:
        print(f"process logs kept in {workdir}", file=sys.stderr)
        return 130 if isinstance(failure, KeyboardInterrupt) else 1
    rows = evaluate(results)
    print()
    print(render(rows))
    report = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine() | {"reference_loop_ms": reference},
        "plan": asdict(plan)
        | {
            "quick": args.quick,
            "transports": args.transports,
            "log_level": args.log_level,
            "workers": args.workers,
            "connections": args.connections,
            "api": args.api,
            "harness_nice": args.harness_nice,
        },
        "database": "postgresql" if args.database_url else "sqlite",
        "targets": rows,
        "results": results,
    }
    output = args.output or HERE / "results" / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwrote {output}")
    if args.keep:
        print(f"process logs in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    misses = sum(1 for row in rows if row["verdict"] == "MISS")
    print(f"{misses} target(s) missed" if misses else "every target met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
