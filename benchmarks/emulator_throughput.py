"""How many CreateMeeting round trips per second the Webex emulator answers, in process and over loopback.

Run: python benchmarks/emulator_throughput.py [--requests N] [--concurrency C] [--strict]

Modes (each row also shows round trips per CPU-second of the emulator, what one free core sustains):
  direct    parse + authenticate + run + serialize, no HTTP (bot.emulator.service.answer_bytes)
  asgi      through the Starlette app with httpx.ASGITransport, in this process
  loopback  a `python -m bot.emulator` server process (one core, one event loop), driven over
            127.0.0.1 by an aiohttp client with C requests in flight
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
import httpx  # noqa: E402

from bot.emulator import XML_SERVICE_PATH, Emulator, create_app  # noqa: E402
from bot.emulator.service import answer_bytes  # noqa: E402

XSD_DIR = REPO.parent / "shared" / "webex-xsd"
SERV = "http://www.webex.com/schemas/2002/06/service"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def create_meeting_request(token: str, number: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<serv:message xmlns:serv="{SERV}" xmlns:xsi="{XSI}"><header><securityContext>'
        "<webExID>alice@sandbox.example</webExID><siteName>sandbox</siteName>"
        f"<webExAccessToken>{token}</webExAccessToken></securityContext></header><body>"
        '<bodyContent xsi:type="java:com.webex.service.binding.meeting.CreateMeeting">'
        f"<metaData><confName>Benchmark {number}</confName><agenda>Throughput</agenda></metaData>"
        "<participants><attendees><attendee><person><name>Bob</name><email>bob@sandbox.example</email>"
        "</person></attendee></attendees></participants>"
        "<schedule><startDate>06/01/2031 10:00:00</startDate><timeZoneID>11</timeZoneID>"
        "<duration>30</duration></schedule></bodyContent></body></serv:message>"
    ).encode()


@dataclass
class Result:
    mode: str
    requests: int
    concurrency: int
    seconds: float
    latencies: list[float]
    failures: int
    cpu_seconds: float  # CPU the emulator itself used (its process, or this one in process)

    def row(self) -> str:
        rate = self.requests / self.seconds
        p50 = statistics.median(self.latencies) * 1000
        p99 = sorted(self.latencies)[int(len(self.latencies) * 0.99) - 1] * 1000
        capacity = self.requests / self.cpu_seconds if self.cpu_seconds else float("nan")
        return (
            f"{self.mode:<10} {self.requests:>8} {self.concurrency:>8} {self.seconds:>8.2f} {rate:>10.0f}"
            f" {p50:>8.2f} {p99:>8.2f} {capacity:>10.0f} {self.failures:>6}"
        )


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _emulator(strict: bool) -> Emulator:
    options: dict[str, object] = {"seed": 7}
    if strict:
        options.update(xsd_dir=XSD_DIR, strict=True)
    return Emulator.with_defaults(**options)  # type: ignore[arg-type]


def run_direct(requests: int, strict: bool) -> Result:
    emulator = _emulator(strict)
    token = str(emulator.issue_tokens("sandbox", "alice@sandbox.example")["access_token"])
    bodies = [create_meeting_request(token, n) for n in range(requests)]
    latencies, failures = [], 0
    cpu = time.process_time()
    started = time.perf_counter()
    for body in bodies:
        begin = time.perf_counter()
        answer = answer_bytes(emulator, body)
        latencies.append(time.perf_counter() - begin)
        failures += answer.result != "SUCCESS"
    seconds = time.perf_counter() - started
    return Result("direct", requests, 1, seconds, latencies, failures, time.process_time() - cpu)


async def run_asgi(requests: int, concurrency: int, strict: bool) -> Result:
    emulator = _emulator(strict)
    token = str(emulator.issue_tokens("sandbox", "alice@sandbox.example")["access_token"])
    transport = httpx.ASGITransport(app=create_app(emulator))
    latencies: list[float] = []
    failures = 0
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:

        async def one(number: int) -> None:
            nonlocal failures
            async with gate:
                begin = time.perf_counter()
                response = await client.post(XML_SERVICE_PATH, content=create_meeting_request(token, number))
                latencies.append(time.perf_counter() - begin)
                failures += b"<serv:result>SUCCESS</serv:result>" not in response.content

        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(requests)))
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    # In process the client's CPU is counted too, so this capacity is a lower bound.
    return Result("asgi", requests, concurrency, seconds, latencies, failures, cpu)


async def run_loopback(requests: int, concurrency: int, strict: bool) -> Result:
    command = [sys.executable, "-m", "bot.emulator", "--port", "0", "--quiet", "--seed", "7"]
    if strict:
        command += ["--strict", "--xsd-dir", str(XSD_DIR)]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True, env=environment)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        url = banner.split("listening on ")[1].split()[0]
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.post(
                f"{url}/_emulator/tokens", json={"site": "sandbox", "user": "alice@sandbox.example"}
            ) as grant:
                token = (await grant.json())["access_token"]
            latencies: list[float] = []
            failures = 0
            gate = asyncio.Semaphore(concurrency)

            async def one(number: int) -> None:
                nonlocal failures
                async with gate:
                    begin = time.perf_counter()
                    async with session.post(
                        f"{url}{XML_SERVICE_PATH}", data=create_meeting_request(token, number)
                    ) as response:
                        body = await response.read()
                    latencies.append(time.perf_counter() - begin)
                    failures += b"<serv:result>SUCCESS</serv:result>" not in body

            await asyncio.gather(*(one(n) for n in range(min(200, requests))))  # warm up connections
            latencies.clear()
            cpu = _process_cpu_seconds(server.pid)
            started = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(requests)))
            seconds = time.perf_counter() - started
            cpu = _process_cpu_seconds(server.pid) - cpu
        return Result("loopback", requests, concurrency, seconds, latencies, failures, cpu)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=5000, help="CreateMeeting calls per mode (default 5000)"
    )
    parser.add_argument("--concurrency", type=int, default=500, help="requests in flight (default 500)")
    parser.add_argument(
        "--strict", action="store_true", help="validate every request against the XSD as well"
    )
    parser.add_argument("--modes", default="direct,asgi,loopback", help="comma-separated subset of the modes")
    args = parser.parse_args()
    if args.strict and not (XSD_DIR / "service" / "service.xsd").is_file():
        print(f"--strict needs the schemas at {XSD_DIR}", file=sys.stderr)
        return 2
    modes = args.modes.split(",")
    results = []
    if "direct" in modes:
        results.append(run_direct(args.requests, args.strict))
    if "asgi" in modes:
        results.append(asyncio.run(run_asgi(args.requests, args.concurrency, args.strict)))
    if "loopback" in modes:
        results.append(asyncio.run(run_loopback(args.requests, args.concurrency, args.strict)))
    print(
        f"CreateMeeting round trips{' (strict: requests validated against the XSD)' if args.strict else ''}"
    )
    header = (
        "mode",
        "requests",
        "inflight",
        "seconds",
        "per second",
        "p50 ms",
        "p99 ms",
        "per CPU-s",
        "failed",
    )
    widths = (-10, 8, 8, 8, 10, 8, 8, 10, 6)
    print(
        " ".join(f"{name:<{-w}}" if w < 0 else f"{name:>{w}}" for name, w in zip(header, widths, strict=True))
    )
    for result in results:
        print(result.row())
    print(
        "per second: wall-clock round trips; per CPU-s: round trips per second of the emulator's own CPU\n"
        "time (what one free core would sustain; client and server share this machine's cores in loopback)."
    )
    return 1 if any(result.failures for result in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
