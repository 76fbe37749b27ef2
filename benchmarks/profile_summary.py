"""Summarise py-spy raw (collapsed) stacks: where the CPU went, by function and by the bot's own frames.

python benchmarks/profile_summary.py profile.txt [--top 30] [--under bot/]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--under", default="bot/", help="path fragment for 'first own frame' attribution")
    parser.add_argument("--main-only", action="store_true", help="only the main (event loop) thread")
    parser.add_argument("--focus", help="only stacks through a frame containing this text")
    args = parser.parse_args()

    total = 0
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for line in args.profile.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if frame and not frame.startswith("process ")]
        frames = [frame for frame in frames if not frame.startswith("thread ")]
        if not frames:
            continue
        # Threads parked on a queue or in epoll are idle, whatever py-spy's heuristic said.
        if frames[-1].startswith(
            ("EpollSelector.select", "_connection_worker_thread (aiosqlite/core.py:59)")
        ):
            continue
        # SQLAlchemy's greenlets show as stacks of their own that start inside SQLAlchemy; they run on
        # the event-loop thread too, so only stacks rooted in threading are other threads.
        if args.main_only and frames[0].startswith("Thread._bootstrap"):
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
