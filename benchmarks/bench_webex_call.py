"""CPU per command of the work after the ack, outside the database: the Webex create, the card, the answer.

    python benchmarks/bench_webex_call.py [--api xml|rest|both] [--calls N] [--profile FILE]

The Webex emulator and a stand-in for Slack's response_url run in processes of their own on
127.0.0.1, so only the bot's side of each exchange is charged: each figure is this process's CPU
(time.process_time) divided by the number of calls, at 1 and at 20 in flight, in microseconds.
Parts:
  webex create     the meeting backend's `schedule` over the pooled HTTP client (request, parse, checks)
  card             the host's card: blocks, links and every button value sealed for the person
  answer           one card sent through the response_url reply (slack_sdk's webhook client)
  schedule text    reading `/webex schedule ...` text
`--profile FILE` writes cProfile stats of the c20 loops (read them with `python -m pstats FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.clock import SystemClock  # noqa: E402
from bot.domain.meetings import Meeting, MeetingDraft  # noqa: E402
from bot.domain.schedule_text import parse_schedule_text  # noqa: E402
from bot.services.ports import Credentials  # noqa: E402
from bot.slack.meetings import blocks  # noqa: E402
from bot.slack.replies import Replies  # noqa: E402
from bot.slack.sealed import SealedValues  # noqa: E402
from bot.webex.client import WebexClient  # noqa: E402
from bot.webex.http import new_webex_http_client  # noqa: E402
from bot.webex.rest_backend import RestApi, RestMeetingBackend  # noqa: E402
from bot.webex.xml_backend import XmlMeetingBackend  # noqa: E402

ALICE = "alice@sandbox.example"

# A response_url stand-in: answers every POST with 200 "ok", as Slack does.
_HOOK_SERVER = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.Response(text="ok")
app = web.Application()
app.router.add_post("/{tail:.*}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _wait_up(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(400):
        try:
            async with http.get(url) as response:
                await response.read()
                return
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


async def _cpu_per_call(
    call: Callable[[int], Awaitable[object]], calls: int, concurrency: int, profile: cProfile.Profile | None
) -> float:
    """Microseconds of this process's CPU per call, `concurrency` calls in flight."""
    for i in range(min(20, calls)):  # warm up: pooled connections, caches
        await call(-1 - i)
    queue = iter(range(calls))

    async def worker() -> None:
        for i in queue:
            await call(i)

    if profile is not None:
        profile.enable()
    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    spent = time.process_time() - started
    if profile is not None:
        profile.disable()
    return spent / calls * 1e6


def _cpu_loop(call: Callable[[int], object], calls: int) -> float:
    for i in range(20):
        call(-1 - i)
    started = time.process_time()
    for i in range(calls):
        call(i)
    return (time.process_time() - started) / calls * 1e6


async def _backend(api: str, base: str, http: httpx.AsyncClient, control: aiohttp.ClientSession) -> tuple:
    if api == "xml":
        scopes = ["all_read", "meeting_modify"]
    else:
        scopes = ["meeting:schedules_read", "meeting:schedules_write", "spark:people_read"]
    async with control.post(
        f"{base}/_emulator{'' if api == 'xml' else '/rest'}/tokens",
        json={"site": "sandbox", "user": ALICE, "scopes": scopes},
    ) as response:
        grant = await response.json()
    token = grant["access_token"]
    if api == "xml":
        backend: XmlMeetingBackend | RestMeetingBackend = XmlMeetingBackend(
            WebexClient(http, xml_url=f"{base}/WBXService/XMLService", deadline=10)
        )
        return backend, Credentials(site="sandbox", user_id="", access_token=token, email=ALICE)
    api_client = RestApi(http, base_url=f"{base}/v1", deadline=10)
    person = await api_client.person(token)
    backend = RestMeetingBackend(api_client)
    return backend, Credentials(site="sandbox", user_id=person.user_id, access_token=token, email=ALICE)


def _card_parts() -> tuple[Callable[[int], object], Meeting, SealedValues]:
    sealed = SealedValues([Fernet.generate_key().decode()], SystemClock())
    meeting = Meeting(
        meeting_id="123456789",
        number="123456789",
        topic="Quarterly planning",
        start=datetime(2030, 3, 5, 15, tzinfo=UTC),
        duration_minutes=30,
        time_zone="Europe/Paris",
        password="abc123",
        host_key="123456",
    )
    links = blocks.CardLinks(
        join_url="https://bot.example/m/join/x" * 3,
        host_url="https://bot.example/m/host/x" * 3,
        calendar_url="https://bot.example/m/ics/x" * 3,
    )

    def card(_: int) -> object:
        made = blocks.meeting_card(
            meeting, links, "Europe/Paris", blocks.CardOptions(for_host=True, note="Scheduled.")
        )
        return blocks.card_fallback_text(meeting, "Europe/Paris"), sealed.buttons(
            made, team_id="T1", user_id="U1"
        )

    return card, meeting, sealed


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", choices=("xml", "rest", "both"), default="both")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--profile", help="write cProfile stats of the c20 loops here")
    args = parser.parse_args()
    profile = cProfile.Profile() if args.profile else None

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    webex_port, hook_port = _free_port(), _free_port()
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(webex_port),
                "--quiet",
            ],
            env=env,
            cwd=ROOT,
        ),
        subprocess.Popen([sys.executable, "-c", _HOOK_SERVER, str(hook_port)], env=env),
    ]
    base, hook = f"http://127.0.0.1:{webex_port}", f"http://127.0.0.1:{hook_port}"
    rows: list[tuple[str, float, float]] = []
    try:
        async with aiohttp.ClientSession() as control:
            await _wait_up(control, f"{base}/healthz")
            await _wait_up(control, f"{hook}/")
            http = new_webex_http_client(timeout=10)
            try:
                for api in ("xml", "rest") if args.api == "both" else (args.api,):
                    backend, creds = await _backend(api, base, http, control)
                    first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)

                    async def create(i: int, backend=backend, creds=creds, first=first) -> object:  # type: ignore[no-untyped-def]
                        draft = MeetingDraft(
                            topic=f"Bench {i}",
                            start=first + timedelta(minutes=i % 10_000),
                            duration_minutes=30,
                            time_zone="Europe/Paris",
                            home_time_zone="Europe/Paris",
                        )
                        return await backend.schedule(creds, draft)

                    c1 = await _cpu_per_call(create, args.calls, 1, None)
                    c20 = await _cpu_per_call(create, args.calls, 20, profile)
                    rows.append((f"webex create ({api})", c1, c20))
            finally:
                await http.aclose()

            card, _, _ = _card_parts()
            card_us = _cpu_loop(card, args.calls)
            rows.append(("card (blocks + sealed buttons)", card_us, card_us))
            text, made = card(0)  # type: ignore[misc]
            replies = Replies(object(), slack_api_url=hook + "/api/", session=control)  # type: ignore[arg-type]

            async def answer(i: int) -> None:
                await replies.to(f"{hook}/actions/T1/{i}/x", "U1", "C1").send(text, made)

            rows.append(
                (
                    "answer (response_url send)",
                    await _cpu_per_call(answer, args.calls, 1, None),
                    await _cpu_per_call(answer, args.calls, 20, profile),
                )
            )
            now = datetime(2030, 3, 4, 9, tzinfo=UTC)
            texts = ["Quarterly planning tomorrow 3pm 45m", "1:1 with Sam friday 10:30 for 30 min", "standup"]
            parse_us = _cpu_loop(
                lambda i: parse_schedule_text(texts[i % 3], now=now, user_tz="Europe/Paris"), args.calls
            )
            rows.append(("schedule text (parse)", parse_us, parse_us))
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=10)
    if profile is not None:
        profile.dump_stats(args.profile)
    print(f"{'part':<36} {'c1 us/call':>11} {'c20 us/call':>12}")
    for name, c1, c20 in rows:
        print(f"{name:<36} {c1:>11.0f} {c20:>12.0f}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
