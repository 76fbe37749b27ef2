"""`webex-bot serve --workers N`: the option's checks, and the folder the workers share their metrics in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main, shared_metrics_folder
from bot.observability.metrics import MULTIPROCESS_DIR


@pytest.mark.parametrize("given", ["0", "-1", "two", "65"])
def test_a_number_of_workers_out_of_range_is_a_usage_error_saying_what_to_give(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--workers", given])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"{given!r} is not a number of workers" in error
    assert "whole number from 1 to 64" in error


def test_serve_help_explains_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--workers N worker processes on the port" in text and "WEB_CONCURRENCY" in text


def test_without_a_folder_the_workers_get_a_private_one_removed_at_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MULTIPROCESS_DIR, raising=False)
    with shared_metrics_folder() as folder:
        assert os.environ[MULTIPROCESS_DIR] == str(folder) and folder.is_dir()
        (folder / "counter_123.db").write_bytes(b"figures")
    assert not folder.exists()
    assert MULTIPROCESS_DIR not in os.environ


def test_a_folder_given_is_emptied_of_the_last_runs_figures_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old figures")
    (given / "notes.txt").write_text("not ours")
    monkeypatch.setenv(MULTIPROCESS_DIR, str(given))
    with shared_metrics_folder() as folder:
        assert folder == given
        assert sorted(path.name for path in given.iterdir()) == ["notes.txt"]
    assert given.is_dir() and os.environ[MULTIPROCESS_DIR] == str(given)
