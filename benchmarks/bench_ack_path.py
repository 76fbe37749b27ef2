"""CPU of one Slack request through the bot's ASGI app, against the bare Bolt floor, measured in-process.

    python benchmarks/bench_ack_path.py [--requests 5000] [--rounds 10] [--text help]
        [--log-format text|json] [--profile [--sort tottime] [--save FILE]] [--shared-metrics]

Signed slash commands go through the whole Starlette app (body limit, request tracking, the Slack gate,
Bolt and its middleware, the router, the guard's metrics and log line) over httpx's ASGI transport, one
at a time, with logging set up as `webex-bot serve` sets it (to /dev/null); the same requests go through
benchmarks/baseline_app.py (Bolt acking with an empty body, signature verification on), in alternating
batches. Prints the CPU microseconds per request of each (the lowest batch; both include the httpx
client's share) and their difference: what the bot adds to an ack. No socket, no server: the figure is
steady whatever else runs on the machine. `--profile` prints the top functions of the bot's batches
(cProfile). `--shared-metrics` runs with PROMETHEUS_MULTIPROC_DIR set, as each worker of
`serve --workers N` does. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging.config
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-bench-0000-token"


class Driver:
    """Posts signed `/webex <text>` to one app and times the app's share of the CPU."""

    def __init__(self, app: Any, text: str) -> None:
        from bot.sandbox.signing import SlackSigner

        self._signer = SlackSigner(SIGNING_SECRET)
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot")
        self._text = text

    async def batch(self, requests: int, profile: cProfile.Profile | None = None) -> float:
        """CPU microseconds per request over `requests`, the signing (the load generator's) taken off."""
        signed = [self._signer.slash_command(self._text, user_id="U_ALICE") for _ in range(requests)]
        if profile is not None:
            profile.enable()
        started = time.process_time()
        for request in signed:
            response = await self._client.post(
                "/slack/events", content=request.body, headers=dict(request.headers)
            )
            if response.status_code != 200:
                raise SystemExit(f"the app answered {response.status_code}: {response.text[:200]}")
        spent = time.process_time() - started
        if profile is not None:
            profile.disable()
        return spent / requests * 1e6

    async def close(self) -> None:
        await self._client.aclose()


async def measure(
    args: argparse.Namespace, folder: str, profile: cProfile.Profile | None
) -> tuple[float, float]:
    """The floor's and the bot's CPU per request: the lowest of `--rounds` alternating batches each
    (the lowest is the one least disturbed by whatever else the machine ran meanwhile)."""
    import baseline_app

    from bot.config import load_settings
    from bot.sandbox import SANDBOX_USERS, SlackStandIn
    from bot.web.app import create_app

    async with SlackStandIn(SANDBOX_USERS, bot_token=BOT_TOKEN) as standin:
        os.environ.update(
            SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=standin.url
        )
        settings = load_settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=standin.url,
            webex_client_id="bench-client",
            webex_client_secret="bench-secret",
            webex_site="sandbox",
            public_base_url="http://127.0.0.1:9",
            token_keys=Fernet.generate_key().decode(),
            database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
            log_level=args.log_level,
            log_format=args.log_format,
        )
        configure_logging(args.log_level, args.log_format)
        bot_app = create_app(settings)
        async with bot_app.router.lifespan_context(bot_app):
            floor, bot = Driver(baseline_app.create_app(), args.text), Driver(bot_app, args.text)
            size = max(1, args.requests // args.rounds)
            await floor.batch(min(size, 300))
            await bot.batch(min(size, 300))
            floors, bots = [], []
            for _ in range(args.rounds):
                floors.append(await floor.batch(size))
                bots.append(await bot.batch(size, profile))
            await floor.close()
            await bot.close()
    return min(floors), min(bots)


def configure_logging(level: str, log_format: str) -> None:
    """As `webex-bot serve` does, every line written (and formatted) to /dev/null."""
    from bot.web.access_log import uvicorn_log_config

    stderr, sys.stderr = sys.stderr, open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    try:
        logging.config.dictConfig(uvicorn_log_config(level, log_format))
    finally:
        sys.stderr = stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=10, help="alternating batches; the lowest counts")
    parser.add_argument("--text", default="help", help="what follows /webex (help, an unknown word)")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--log-format", default="text", choices=["text", "json"])
    parser.add_argument("--profile", action="store_true", help="print the bot's top functions")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--save", help="with --profile: write the cProfile stats to this file")
    parser.add_argument("--shared-metrics", action="store_true", help="PROMETHEUS_MULTIPROC_DIR set")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as folder:
        if args.shared_metrics:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        profile = cProfile.Profile() if args.profile else None
        floor, bot = asyncio.run(measure(args, folder, profile))
    print(f"{'bare Bolt (baseline_app.py)':<40} {floor:8.1f} µs/request")
    print(f"{f'bot, /webex {args.text} ({args.log_format} logs)':<40} {bot:8.1f} µs/request")
    print(f"{'the bot adds':<40} {bot - floor:8.1f} µs/request ({bot / floor:.2f}x)", flush=True)
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue(), flush=True)
        if args.save:
            profile.dump_stats(args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
