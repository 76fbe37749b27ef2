"""What an operator sees: `webex-bot serve` with LOG_FORMAT=json prints one JSON object a line, and one
request id follows a command from its ack into the work after it; /metrics counts what happened."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path
from typing import Any

import httpx

from bot.sandbox import SlackDriver
from tests.e2e.meetings.conftest import Stage
from tests.reliability.support import bot_env, free_port
from tests.reliability.test_secrets_in_logs import wait_ready
from tests.support.slack import SLACK_SIGNING_SECRET


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus's text format (0 when it is not there)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in metrics.splitlines():
        if line.startswith("#"):
            continue
        found = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if found and found[1] == name and ",".join(sorted((found[2] or "").split(","))) == wanted:
            return float(found[3])
    return 0.0


async def serve(stage: Stage, tmp_path: Path, **env: str) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    settings = stage.bot.settings
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--access-log",
        env=bot_env(settings, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", **env), cwd=str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url)
    except BaseException:
        process.kill()
        await process.communicate()
        raise
    return process, url


async def stop(process: asyncio.subprocess.Process) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    # uvicorn stops gracefully, then re-raises the SIGTERM it caught.
    assert process.returncode in (0, -signal.SIGTERM)
    return stdout.decode(errors="replace"), stderr.decode(errors="replace")


def alice_at(url: str, stage: Stage) -> SlackDriver:
    """Alice, sending her commands to the served process at `url`."""
    return SlackDriver(url + "/slack/events", SLACK_SIGNING_SECRET, stage.alice.driver.standin)


async def test_json_logs_are_one_object_a_line_and_one_request_id_follows_a_command(
    linked: Stage, tmp_path: Path
) -> None:
    process, url = await serve(linked, tmp_path, LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    try:
        async with SlackDriver(
            url + "/slack/events", SLACK_SIGNING_SECRET, linked.alice.driver.standin
        ) as alice:
            exchange = await alice.command("schedule Observed tomorrow 3pm", replies=1)
            assert exchange.status == 200 and "Observed" in (exchange.replies[0].text or "")
            await alice.command("frobnicate")  # the help, in the ack
    finally:
        stdout, stderr = await stop(process)

    assert stdout == ""  # everything, the access log included, goes to stderr in one format
    lines = [json.loads(line) for line in stderr.splitlines()]  # every line is one JSON object
    assert len(lines) > 20
    for line in lines:
        assert isinstance(line, dict)
        assert {"time", "level", "logger", "message"} <= line.keys(), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    # The ack (the access log line of Slack's POST) and the work after it share one request id.
    finished = [line for line in lines if line["message"] == "/webex schedule finished: ok"]
    assert len(finished) == 1
    done = finished[0]
    assert done["team"] == linked.alice.driver.standin.workspace.team_id and done["user"] == "U_ALICE"
    assert done["command"] == "/webex schedule" and done["outcome"] == "ok" and done["seconds"] > 0
    request = [line for line in lines if line.get("request_id") == done["request_id"]]
    loggers = {line["logger"] for line in request}
    access = [line for line in request if line["logger"] == "uvicorn.access"]
    assert len(access) == 1 and "POST /slack/events" in access[0]["message"]
    assert "bot.webex" in loggers  # the Webex call (DEBUG) in the background work
    webex = [line for line in request if line["logger"] == "bot.webex"]
    assert any("CreateMeeting" in line["message"] for line in webex)
    # Another command is another request.
    other = [line for line in lines if line["message"] == "/webex help finished: ok"]
    assert len(other) == 1 and other[0]["request_id"] != done["request_id"]
    # uvicorn's own lines are in the same format.
    assert any(line["logger"].startswith("uvicorn.error") for line in lines)


async def test_text_logs_keep_their_format_with_the_request_fields_added(
    linked: Stage, tmp_path: Path
) -> None:
    process, url = await serve(linked, tmp_path, LOG_FORMAT="text", LOG_LEVEL="INFO")
    try:
        async with SlackDriver(
            url + "/slack/events", SLACK_SIGNING_SECRET, linked.alice.driver.standin
        ) as alice:
            await alice.command("status", replies=1)
    finally:
        _, stderr = await stop(process)
    [finished] = [line for line in stderr.splitlines() if "/webex status finished" in line]
    found = re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO bot\.slack\.router: /webex status finished: ok "
        r'\[request_id=([0-9a-f]{16}) team=\w+ user=U_ALICE command="/webex status" '
        r"outcome=ok seconds=[\d.]+\]",
        finished,
    )
    assert found, finished
    [access] = [line for line in stderr.splitlines() if "POST /slack/events" in line]
    assert f"request_id={found[1]}" in access


async def test_metrics_count_a_scheduled_meeting(linked: Stage) -> None:
    before = (await linked.bot.get("/metrics")).text
    exchange = await linked.alice.driver.command("schedule Counted tomorrow 3pm", replies=1)
    assert "Counted" in (exchange.replies[0].text or "")
    await linked.alice.driver.command("join 123456789", replies=1)  # no such meeting
    await linked.alice.driver.command("frobnicate-3f9c now")  # the help, in the ack
    # After its answer a command still records that it was answered: read once nothing is in flight.
    for _ in range(100):
        response = await linked.bot.get("/metrics")
        if sample(response.text, "webex_bot_work_in_flight") == 0:
            break
        await asyncio.sleep(0.02)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = response.text

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("webex_bot_commands_total", command="/webex schedule", outcome="ok") == 1
    assert grew("webex_bot_commands_total", command="/webex join", outcome="failed") == 1
    assert grew("webex_bot_webex_calls_total", operation="CreateMeeting", outcome="ok") == 1
    assert grew("webex_bot_webex_call_seconds_count", operation="CreateMeeting") == 1
    assert grew("webex_bot_command_seconds_count", command="/webex schedule") == 1
    assert grew("webex_bot_slack_ack_seconds_count", kind="command") == 3
    # What people type never becomes a label (each would be a new series): unknown words count as help.
    assert grew("webex_bot_commands_total", command="/webex help", outcome="ok") == 1
    assert "frobnicate" not in after and "U_ALICE" not in after and "T_SANDBOX" not in after
    # Read from the database: Alice and Bob are linked.
    assert sample(after, "webex_bot_links", status="active") == 2
    assert sample(after, "webex_bot_links", status="expired") == 0
    assert sample(after, "webex_bot_work_in_flight") == 0
    assert sample(after, "webex_bot_db_pool_size") >= 1
    assert 'webex_bot_db_connections{state="idle"}' in after
    assert sample(after, "process_cpu_seconds_total") > 0


async def test_metrics_with_a_token_answer_only_to_it(stage: Stage, bot_factory: Any) -> None:
    token = "metrics-token-0123456789"
    bot = await bot_factory(metrics_token=token)
    refused = await bot.get("/metrics")
    assert refused.status_code == 401 and "webex_bot" not in refused.text
    assert "METRICS_TOKEN" in refused.text
    wrong = await bot.get("/metrics", headers={"Authorization": "Bearer metrics-token-0123456780"})
    assert wrong.status_code == 401 and "webex_bot" not in wrong.text
    allowed = await bot.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 200 and "webex_bot_commands_total" in allowed.text
    async with httpx.AsyncClient() as client:  # the other routes do not ask for it
        assert (await client.get(bot.url + "/readyz")).status_code == 200
