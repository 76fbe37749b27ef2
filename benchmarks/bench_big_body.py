"""What an oversized unsigned POST to /slack/events costs the served bot: time to the answer and memory.

    python benchmarks/bench_big_body.py [--megabytes 50]

Starts `python -m bot.cli serve` on 127.0.0.1 (SQLite in a temporary folder; nothing else is needed for
a request that never passes the signature check), a fresh process for each case, and sends it one
unsigned POST of the given size: once with a Content-Length header, once chunked (no length). For each
it prints the status, the seconds until the status line arrived, how many bytes the client managed to
send, and the bot's RSS and peak RSS (VmRSS, VmHWM from /proc) before and after. Not part of the test
run; the README's Reliability and security section quotes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Outcome:
    how: str
    status: str
    seconds: float
    sent_mb: float
    rss_before: float
    rss_after: float
    peak_before: float
    peak_after: float


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of `pid` in MB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(rest.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_bot(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    own = ("SLACK_", "WEBEX_", "TOKEN_", "DATABASE_", "MAX_REQUEST_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(own)}
    env.update(
        PYTHONPATH=str(REPO),
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET="bench-signing-secret",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        WEBEX_CLIENT_ID="bench",
        WEBEX_CLIENT_SECRET="bench",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        TOKEN_KEYS=Fernet.generate_key().decode(),
        LOG_LEVEL="WARNING",
    )
    log = (workdir / "bot.log").open("wb")
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the bot did not start: {(workdir / 'bot.log').read_text()[-2000:]}")


async def post(port: int, size: int, *, chunked: bool) -> tuple[str, float, int]:
    """Send an unsigned POST of `size` bytes; (status line, seconds to it, bytes sent before it came)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{length}\r\n\r\n"
    )
    started = time.perf_counter()
    writer.write(head.encode())
    sent = 0

    async def send_body() -> None:
        nonlocal sent
        piece = b"a" * CHUNK
        with contextlib.suppress(ConnectionError):
            while sent < size:
                data = piece[: min(CHUNK, size - sent)]
                writer.write(b"%x\r\n%b\r\n" % (len(data), data) if chunked else data)
                await writer.drain()
                sent += len(data)
            if chunked:
                writer.write(b"0\r\n\r\n")
                await writer.drain()

    sender = asyncio.create_task(send_body())
    try:
        status = (await asyncio.wait_for(reader.readline(), 120)).decode().strip()
        seconds = time.perf_counter() - started
        return status, seconds, sent
    finally:
        sender.cancel()
        with contextlib.suppress(BaseException):
            await sender
        writer.transport.abort()  # the bot has answered; what is left of the upload goes nowhere


def measure(process: subprocess.Popen[bytes], port: int, size: int, *, chunked: bool) -> Outcome:
    time.sleep(0.5)
    rss_before, peak_before = memory_mb(process.pid)
    status, seconds, sent = asyncio.run(post(port, size, chunked=chunked))
    time.sleep(0.5)
    rss_after, peak_after = memory_mb(process.pid)
    return Outcome(
        how="chunked" if chunked else "Content-Length",
        status=status,
        seconds=seconds,
        sent_mb=sent / 1e6,
        rss_before=rss_before,
        rss_after=rss_after,
        peak_before=peak_before,
        peak_after=peak_after,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50)
    args = parser.parse_args()
    size = args.megabytes * 1_000_000
    outcomes = []
    for chunked in (False, True):
        # A fresh process each time, so the peak RSS of one case does not hide the other's.
        with tempfile.TemporaryDirectory() as folder:
            port = free_port()
            process = start_bot(Path(folder), port)
            try:
                outcomes.append(measure(process, port, size, chunked=chunked))
            finally:
                process.terminate()
                process.wait(10)
    print(f"unsigned POST of {args.megabytes} MB to /slack/events")
    print(f"{'body':<15} {'status':<32} {'answer s':>8} {'sent MB':>8} {'RSS MB':>15} {'peak RSS MB':>15}")
    for o in outcomes:
        print(
            f"{o.how:<15} {o.status:<32} {o.seconds:>8.3f} {o.sent_mb:>8.1f} "
            f"{o.rss_before:>6.1f} -> {o.rss_after:<6.1f} {o.peak_before:>6.1f} -> {o.peak_after:<6.1f}"
        )


if __name__ == "__main__":
    main()
