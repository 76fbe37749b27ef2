"""What strict REST mode costs: loading Cisco's OpenAPI description, and each checked REST round trip.

Run: python benchmarks/emulator_rest_contract.py [--requests N]

Rows:
  import            `import bot.emulator` in a fresh interpreter (the description is not read here)
  first load        the first strict check in a fresh interpreter: reading and indexing the 2.4 MB file
  create (off)      POST /v1/meetings through the Starlette app in process, strict REST mode off
  create (strict)   the same with every request and response checked against the description
  list (strict)     GET /v1/meetings?max=10 with ten meetings, checked
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from bot.emulator import Emulator, create_app  # noqa: E402

_FRESH = """
import time
started = time.perf_counter()
import bot.emulator
imported = time.perf_counter()
from bot.emulator.rest.contract import rest_contract
rest_contract()
print(imported - started, time.perf_counter() - imported)
"""


def fresh_interpreter() -> tuple[float, float]:
    """Seconds to import the emulator, and to load the description on first use, in a new process."""
    output = subprocess.run(
        [sys.executable, "-c", _FRESH], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(output[0]), float(output[1])


async def round_trips(strict: bool, requests: int) -> tuple[float, float]:
    """Median and p95 milliseconds per create, then per list, through the app in process."""
    emulator = Emulator.with_defaults(rest_strict=strict, seed=1)
    emulator.clock.set(datetime(2031, 3, 3, 12, tzinfo=UTC))
    token = emulator.rest.issue_tokens("sandbox", "alice@sandbox.example")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=create_app(emulator))
    creates, lists = [], []
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
        if strict:
            await client.get("/v1/meetings", headers=headers)  # the one-off load is measured apart
        for number in range(requests):
            start = datetime(2031, 3, 4, 9, tzinfo=UTC) + timedelta(minutes=number % 600)
            body = {
                "title": f"Meeting {number}",
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=30)).isoformat(),
                "timezone": "UTC",
            }
            began = time.perf_counter()
            response = await client.post("/v1/meetings", json=body, headers=headers)
            creates.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.text
            if number % 10 == 0:
                began = time.perf_counter()
                listed = await client.get("/v1/meetings", params={"max": "10"}, headers=headers)
                lists.append((time.perf_counter() - began) * 1000)
                assert listed.status_code == 200
    assert not emulator.rest.violations
    return statistics.median(creates), statistics.median(lists)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    imported, loaded = fresh_interpreter()
    off = asyncio.run(round_trips(False, args.requests))
    strict = asyncio.run(round_trips(True, args.requests))
    print(f"{'row':<18}{'milliseconds':>14}")
    print(f"{'import':<18}{imported * 1000:>14.1f}")
    print(f"{'first load':<18}{loaded * 1000:>14.1f}")
    print(f"{'create (off)':<18}{off[0]:>14.2f}   median of {args.requests}")
    print(f"{'create (strict)':<18}{strict[0]:>14.2f}")
    print(f"{'list (off)':<18}{off[1]:>14.2f}")
    print(f"{'list (strict)':<18}{strict[1]:>14.2f}")


if __name__ == "__main__":
    main()
