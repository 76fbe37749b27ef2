"""The floor of the stack: a Bolt AsyncApp that only acks /webex, behind the bot's server and adapter.

Same pieces as `webex-bot serve`: Starlette, Bolt's async Starlette handler, uvicorn with the same
options, signature verification on, `process_before_response=True`. Nothing else: no database, no
Webex, no background work. Run: `python benchmarks/baseline_app.py --host 127.0.0.1 --port 3001`
with SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and SLACK_API_URL set.
"""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def create_app() -> Starlette:
    api_url = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=api_url if api_url.endswith("/") else api_url + "/"
    )
    bolt = AsyncApp(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=True,
        logger=logging.getLogger("baseline.bolt"),
    )

    async def on_command(ack: AsyncAck) -> None:
        await ack()

    bolt.command("/webex")(on_command)
    handler = AsyncSlackRequestHandler(bolt)

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    async def readyz(request: Request) -> Response:
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/readyz", readyz, methods=["GET"]),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    args = parser.parse_args()
    level = os.environ.get("LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        log_level=level.lower(),
        access_log=False,
        timeout_graceful_shutdown=30,
        lifespan="on",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
