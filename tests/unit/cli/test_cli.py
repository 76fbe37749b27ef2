"""The webex-bot command: its version, the defaults each --help shows, the tools an installation lacks."""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib
from pathlib import Path

import pytest

from bot import DISTRIBUTION
from bot.cli import main

ROOT = Path(__file__).resolve().parents[3]


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    # argparse wraps lines at the terminal's width; join them so a default is one phrase.
    return " ".join(capsys.readouterr().out.split())


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert DISTRIBUTION == pyproject["name"]
    assert capsys.readouterr().out.strip() == f"webex-bot {importlib.metadata.version(DISTRIBUTION)}"
    assert importlib.metadata.version(DISTRIBUTION) == pyproject["version"]


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["serve"], ["--host HOST address to listen on (default: 0.0.0.0)", "(default: 3000)"]),
        (["socket"], ["(default: 127.0.0.1)", "--port PORT port of the OAuth callback (default: 3000)"]),
        (["emulator"], ["(default: 127.0.0.1)", "(default: 8900)", "(default: sandbox)", "(default: 0.0)"]),
        (["sandbox"], ["(default: any free port)", "answers (default: 20.0)", "answering (default: 0.0)"]),
    ],
)
def test_every_help_shows_the_defaults(
    argv: list[str], shown: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_text(argv, capsys)
    for phrase in shown:
        assert phrase in text
    # A default that would mislead (off flags, values worked out at run time) is not printed.
    assert "(default: None)" not in text
    assert "(default: False)" not in text
    assert "(default: [])" not in text


def test_db_help_names_its_actions(capsys: pytest.CaptureFixture[str]) -> None:
    assert "{upgrade,reencrypt}" in help_text(["db"], capsys)


@pytest.mark.parametrize("tool", ["sandbox", "emulator"])
def test_a_tool_left_out_of_the_installation_says_so(
    tool: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As in the production image, whose wheel is built without bot/emulator and bot/sandbox.
    monkeypatch.setitem(sys.modules, f"bot.{tool}", None)
    monkeypatch.setitem(sys.modules, f"bot.{tool}.cli", None)
    assert main([tool, "--run", "/webex help"]) == 2
    error = capsys.readouterr().err
    assert f"the {tool} is not part of this installation" in error
    assert f"pip install -e . && webex-bot {tool}" in error


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
