"""Summarise py-spy raw (collapsed) stacks: where the CPU went, by function and by the bot's own frames.

python benchmarks/profile_summary.py profile.txt [--top 30] [--under bot/] [--parts [--thread-cpu M,O]]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:]+)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


# The parts of a command, each named by the code its stacks pass through, checked in this order (a
# log line written inside a database call is logging; SQLAlchemy's greenlets are the database; what
# is left under the bot's Slack listeners after the use cases is the request, the ack and the blocks).
PARTS = (
    (
        "logging and metrics",
        # Not bot/observability/asgi.py: every Slack request passes through it (RequestTracking), so it
        # would put the whole request here; what it calls of the metrics is matched by their own files.
        (
            "logging/__init__",
            "pythonjsonlogger",
            "prometheus_client",
            "bot/observability/logs",
            "bot/observability/metrics",
            "bot/observability/context",
            "bot/observability/tracing",
        ),
    ),
    ("database", ("sqlalchemy", "aiosqlite", "asyncpg", "bot/store")),
    ("Webex call", ("bot/webex", "lxml", "httpx", "httpcore")),
    ("answer to Slack", ("slack_sdk/web", "slack_sdk/webhook", "slack_sdk/http_retry", "context/respond")),
    ("use cases", ("bot/services", "bot/domain")),
    (
        "Slack request, ack and listeners",
        (
            "uvicorn/protocols",
            "starlette",
            "slack_bolt",
            "slack_sdk",
            "httptools",
            "bot/slack",
            "bot/web",
            "bot/observability/asgi",
        ),
    ),
    ("event loop and network", ("asyncio", "aiohttp", "uvloop", "selectors")),
)
OTHER_PART = "other"
# Innermost frames of a thread that is waiting, whatever py-spy's heuristic said: epoll, aiosqlite's
# queue, and with workers the supervisor and the workers' ping threads and multiprocessing's tracker.
IDLE_FRAMES = (
    "EpollSelector.select",
    "_connection_worker_thread (aiosqlite/core.py:59)",
    "Connection._recv (multiprocessing/connection.py",
    "Condition.wait (threading.py",
    "main (multiprocessing/resource_tracker.py",
)


def idle(frames: list[str]) -> bool:
    return frames[-1].startswith(IDLE_FRAMES)


def frames_of(line: str) -> tuple[list[str], int]:
    """The frames (outermost first) and sample count of one raw py-spy line; no frames if idle."""
    stack, _, count_text = line.rpartition(" ")
    if not stack or not count_text.isdigit():
        return [], 0
    # A worker's process label (its command line) may hold a ';' and end up split into "frames".
    frames = [
        f for f in stack.split(";") if f and not f.startswith(("process ", "thread ")) and not f.endswith('"')
    ]
    return ([] if not frames or idle(frames) else frames), int(count_text)


def in_thread(frames: list[str]) -> bool:
    """Whether a stack is of a thread other than the event loop's. SQLAlchemy's greenlets show as stacks of
    their own that start inside SQLAlchemy; they run on the event-loop thread, so only stacks rooted in
    threading are other threads."""
    return frames[0].startswith("Thread._bootstrap")


def cpu_parts(lines: list[str], thread_cpu: tuple[float, float] | None = None) -> dict[str, float]:
    """Share (0-1) of the busy samples spent in each part of a command.

    `thread_cpu`, when known, is the CPU measured for the event-loop thread and for all other threads
    together: each side's samples then weigh what its CPU weighed. py-spy takes a thread blocked in C code
    for a busy one (aiosqlite's worker waiting for the disk or for the GIL inside a statement), so by
    samples alone the database would seem to take far more than it does."""
    found: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}
    for line in lines:
        frames, count = frames_of(line)
        if not frames:
            continue
        stack = ";".join(frames)
        part = next((name for name, marks in PARTS if any(mark in stack for mark in marks)), OTHER_PART)
        found[in_thread(frames)][part] += count
    sides = {side: sum(parts.values()) for side, parts in found.items()}
    if thread_cpu is None:
        weights = {side: float(samples) for side, samples in sides.items()}
    else:
        weights = {False: thread_cpu[0], True: thread_cpu[1] if sides[True] else 0.0}
        if not sides[False]:
            weights[False] = 0.0
    total = sum(weights.values())
    if not total:
        return {}
    shares: Counter[str] = Counter()
    for side, parts in found.items():
        for name, count in parts.items():
            shares[name] += weights[side] * count / sides[side] / total
    return dict(shares.most_common())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--under", default="bot/", help="path fragment for 'first own frame' attribution")
    parser.add_argument("--main-only", action="store_true", help="only the main (event loop) thread")
    parser.add_argument("--focus", help="only stacks through a frame containing this text")
    parser.add_argument("--parts", action="store_true", help="only the share of each part of a command")
    parser.add_argument(
        "--thread-cpu",
        type=lambda text: tuple(float(part) for part in text.split(",")),
        help="with --parts: measured CPU of the event-loop thread and of the other threads (MAIN,OTHER, any "
        "unit, e.g. the benchmark's ms per command), to weigh each side's samples by",
    )
    args = parser.parse_args()
    if args.parts:
        for name, share in cpu_parts(args.profile.read_text().splitlines(), args.thread_cpu).items():
            print(f"{100 * share:6.1f}%  {name}")
        return 0

    total = 0
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for line in args.profile.read_text().splitlines():
        frames, count = frames_of(line)
        if not frames:
            continue
        if args.main_only and in_thread(frames):
            continue
        if args.focus and not any(args.focus in frame for frame in frames):
            continue
        total += count
        names = [short(frame) for frame in frames]
        for name in set(names):
            inclusive[name] += count
        leaf[names[-1]] += count
        # The innermost frame of our own code: which of the bot's functions the time is spent under.
        mine = [name for name, frame in zip(names, frames, strict=True) if args.under in frame]
        greenlet = not frames[0].startswith(("_run_module_as_main", "<module>", "Thread._bootstrap"))
        outside = "(SQLAlchemy greenlet, caller not shown)" if greenlet else f"(outside {args.under})"
        own[mine[-1] if mine else outside] += count
        match = FRAME.match(frames[-1].strip())
        where = (match["file"] if match else "").split("site-packages/")[-1]
        packages[where.split("/", 1)[0] if "/" in where else f"(top-level module) {where}"] += count

    def show(title: str, counter: Counter[str]) -> None:
        print(f"\n== {title} ({total} samples)")
        for name, count in counter.most_common(args.top):
            print(f"{100 * count / total:6.1f}%  {name}")

    show("self time by leaf frame", leaf)
    show("inclusive time", inclusive)
    show(f"innermost frame under {args.under}", own)
    show("self time by package", packages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
