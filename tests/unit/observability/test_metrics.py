"""The metrics registry: what a scrape shows, that labels carry names, never people or secrets, and
that with workers a stopped worker's live gauges are dropped."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.observability import Metrics
from bot.observability.metrics import MULTIPROCESS_DIR, forget_stopped_workers


@dataclass(frozen=True)
class Pool:
    in_use: int
    idle: int
    size: int


def test_a_scrape_shows_commands_calls_refreshes_links_work_and_the_pool() -> None:
    metrics = Metrics(process=False)
    in_flight = [3]
    metrics.watch(in_flight=lambda: in_flight[0], pool=lambda: Pool(in_use=2, idle=1, size=5))
    metrics.command_finished("/webex schedule", "ok", started=None)
    metrics.acked("command", 0.002)
    metrics.webex_call("CreateMeeting", "ok", 0.12)
    metrics.webex_call("token refresh_token", "TokenEndpointUnavailable", 1.0)
    metrics.token_refresh("refreshed")
    metrics.set_links({"active": 4})
    text = metrics.exposition().decode()
    assert 'webex_bot_commands_total{command="/webex schedule",outcome="ok"} 1.0' in text
    assert 'webex_bot_slack_ack_seconds_bucket{kind="command",le="0.0025"} 1.0' in text
    assert 'webex_bot_webex_calls_total{operation="CreateMeeting",outcome="ok"} 1.0' in text
    assert (
        'webex_bot_webex_calls_total{operation="token refresh_token",outcome="TokenEndpointUnavailable"} 1.0'
        in text
    )
    assert 'webex_bot_webex_call_seconds_count{operation="CreateMeeting"} 1.0' in text
    assert 'webex_bot_token_refreshes_total{outcome="refreshed"} 1.0' in text
    assert 'webex_bot_links{status="active"} 4.0' in text and 'webex_bot_links{status="expired"} 0.0' in text
    assert "webex_bot_work_in_flight 3.0" in text
    in_flight[0] = 0
    assert "webex_bot_work_in_flight 0.0" in metrics.exposition().decode()  # read at scrape time
    assert 'webex_bot_db_connections{state="in_use"} 2.0' in text and "webex_bot_db_pool_size 5.0" in text


def test_a_pool_without_counts_reads_zero() -> None:
    metrics = Metrics(process=False)
    metrics.watch(in_flight=lambda: 0, pool=lambda: None)
    assert "webex_bot_db_pool_size 0.0" in metrics.exposition().decode()


def test_two_registries_in_one_process_count_apart() -> None:
    first, second = Metrics(process=False), Metrics(process=False)
    first.token_refresh("refused")
    assert 'outcome="refused"' in first.exposition().decode()
    assert 'outcome="refused"' not in second.exposition().decode()


def test_the_live_gauges_of_a_stopped_worker_are_forgotten_and_its_counters_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stopped = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    gone = int(stopped.stdout)
    for name in (f"gauge_livesum_{gone}.db", f"counter_{gone}.db", f"gauge_livesum_{os.getpid()}.db"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv(MULTIPROCESS_DIR, str(tmp_path))
    forget_stopped_workers()
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"counter_{gone}.db", f"gauge_livesum_{os.getpid()}.db"]
    )
