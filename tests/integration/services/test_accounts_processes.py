"""Two bot processes on one database: one refresh per expired token, single-use states, one owner per command.

Run as a script, this file is one of those processes. PostgreSQL and a SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

REPO = Path(__file__).resolve().parents[3]
if __name__ == "__main__":
    sys.path.insert(0, str(REPO))

from bot.domain.clock import FakeClock  # noqa: E402
from bot.services.accounts import LinkExpired, TokenService  # noqa: E402
from bot.store import (  # noqa: E402
    Database,
    LinkStore,
    OAuthStateStore,
    OperationStore,
    StateAlreadyUsed,
    TokenCipher,
)

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CALLERS_PER_PROCESS = 50
COMMAND_KEYS = 20


class TokenEndpoint:
    """A loopback stand-in for Webex's token endpoint that counts refresh grants and answers slowly."""

    def __init__(self, *, delay: float = 0.3) -> None:
        self.refreshes: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                refresh_token = form["refresh_token"][0]
                endpoint.refreshes.append(refresh_token)
                number = len(endpoint.refreshes)
                time.sleep(delay)  # wide enough for the other process to try and fail to race us
                if "revoked" in refresh_token:
                    status, body = 400, {"error": "invalid_grant", "error_description": "expired"}
                else:
                    status = 200
                    body = {
                        "access_token": f"access-{number}",
                        "refresh_token": f"sandbox_refresh-{number}",
                        "expires_in": 7200,
                    }
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TokenEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def worker(database_url: str, keys: str, oauth_url: str, states: str) -> dict[str, list[str]]:
    """One bot process: many concurrent commands of U1 (refreshable) and U2 (revoked), callbacks, commands."""
    import httpx

    from bot.webex.oauth import WebexOAuth

    clock = FakeClock(START + timedelta(hours=3))
    db = Database(database_url)
    async with httpx.AsyncClient(timeout=10) as http:
        oauth = WebexOAuth(
            http,
            oauth_url=oauth_url,
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            redirect_uri="http://127.0.0.1/webex/oauth/callback",
        )
        cipher = TokenCipher(keys)
        tokens = TokenService(LinkStore(db, cipher, clock), oauth, clock)
        state_store = OAuthStateStore(db, cipher, clock)
        operations = OperationStore(db, clock)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # both processes start together

        async def command(user_id: str) -> str:
            try:
                return (await tokens.link_with_fresh_token("T1", user_id)).access_token
            except LinkExpired:
                return "LinkExpired"

        async def callback(state: str) -> str | None:
            try:
                await state_store.consume(state)
            except StateAlreadyUsed:
                return None
            return state

        async def schedule(key: str) -> str | None:
            return key if (await operations.begin(key, "T1", "U1", "schedule")).owned else None

        u1 = [command("U1") for _ in range(CALLERS_PER_PROCESS)]
        u2 = [command("U2") for _ in range(CALLERS_PER_PROCESS)]
        callbacks = [callback(state) for state in states.split(",")]
        commands = [schedule(f"request-{n}") for n in range(COMMAND_KEYS)]
        seen_u1, seen_u2, consumed, owned = await asyncio.gather(
            asyncio.gather(*u1), asyncio.gather(*u2), asyncio.gather(*callbacks), asyncio.gather(*commands)
        )
    await db.dispose()
    return {
        "U1": sorted(set(seen_u1)),
        "U2": sorted(set(seen_u2)),
        "consumed": [state for state in consumed if state],
        "owned": [key for key in owned if key],
    }


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    with TokenEndpoint() as running:
        yield running


async def run_two_processes(
    database_url: str, keys: list[str], oauth_url: str, states: list[str]
) -> list[dict[str, list[str]]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            database_url,
            ",".join(keys),
            oauth_url,
            ",".join(states),
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
            if line.strip() != b"ready":
                assert process.stderr is not None
                pytest.fail(f"worker did not start: {line!r} {(await process.stderr.read()).decode()}")
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        results = []
        for process in processes:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
            assert process.returncode == 0, stderr.decode()
            results.append(json.loads(stdout))
        return results
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()


@pytest.mark.slow
async def test_two_processes_refresh_once_use_each_state_once_and_own_each_command_once(
    database: Database,
    migrated_database_url: str,
    cipher: TokenCipher,
    token_keys: list[str],
    endpoint: TokenEndpoint,
) -> None:
    from tests.support.database import sample_link

    links = LinkStore(database, cipher, FakeClock(START))
    await links.save(sample_link("T1", "U1", now=START, refresh_token="sandbox_refresh-U1"))
    await links.save(sample_link("T1", "U2", now=START, refresh_token="sandbox_revoked-U2"))
    state_store = OAuthStateStore(database, cipher, FakeClock(START))
    day = timedelta(days=1)  # the workers' clocks stand three hours later
    states = [await state_store.create("T1", "U1", f"verifier-{n}", ttl=day) for n in range(COMMAND_KEYS)]

    results = await run_two_processes(migrated_database_url, token_keys, endpoint.url, states)

    assert sorted(endpoint.refreshes) == ["sandbox_refresh-U1", "sandbox_revoked-U2"]
    assert [result["U1"] for result in results] == [["access-1"], ["access-1"]] or [
        result["U1"] for result in results
    ] == [["access-2"], ["access-2"]]
    assert [result["U2"] for result in results] == [["LinkExpired"], ["LinkExpired"]]
    u1, u2 = await links.get("T1", "U1"), await links.get("T1", "U2")
    assert u1 is not None and u1.access_token == results[0]["U1"][0] and u1.version == 2
    assert u2 is not None and u2.expired
    first, second = results
    assert sorted(first["consumed"] + second["consumed"]) == sorted(states)
    assert sorted(first["owned"] + second["owned"]) == sorted(f"request-{n}" for n in range(COMMAND_KEYS))


if __name__ == "__main__":
    print(json.dumps(asyncio.run(worker(*sys.argv[1:5]))), flush=True)
