"""`webex-bot emulator`: flags and config files shape the emulator it serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.emulator.cli import ConfigError, build_config, build_emulator, parse_user, run


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBEX_XSD_DIR", raising=False)
    config = build_config([])
    assert (config.host, config.port, config.site) == ("127.0.0.1", 8900, "sandbox")
    assert (config.client_id, config.client_secret) == ("sandbox-client", "sandbox-secret")
    emulator = build_emulator(config, "http://127.0.0.1:8900")
    assert [u.email for u in emulator.state.sites["sandbox"].users.values()] == [
        "alice@sandbox.example",
        "bob@sandbox.example",
    ]
    client = emulator.state.clients["sandbox-client"]
    assert client.accepts_redirect("http://localhost:5173/anything") and client.accepts_redirect(
        "http://127.0.0.1/cb"
    )
    assert not client.accepts_redirect("https://example.com/cb")
    assert emulator.public_url == "http://127.0.0.1:8900" and not emulator.strict


def test_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBEX_XSD_DIR", raising=False)
    config = build_config(
        [
            "--host", "0.0.0.0", "--port", "9000", "--site", "acme",
            "--client-id", "id", "--client-secret", "s",
            "--user", "carol@acme.example,Carol Chen,45", "--user", "dan@acme.example",
            "--redirect-uri", "https://bot.acme.example/cb", "--no-rotate-refresh-tokens", "--latency", "0.2",
        ]
    )  # fmt: skip
    emulator = build_emulator(config, "http://x")
    assert (config.host, config.port) == ("0.0.0.0", 9000)
    carol = emulator.user("acme", "carol@acme.example")
    assert (carol.first_name, carol.last_name, carol.time_zone_id) == ("Carol", "Chen", 45)
    assert emulator.user("acme", "dan@acme.example").time_zone_id == 20
    assert emulator.state.clients["id"].accepts_redirect("https://bot.acme.example/cb")
    assert not emulator.token_options.rotate_refresh_tokens
    assert [fault.kind.value for fault in emulator.faults.active()] == ["latency"]


def test_toml_config_with_flags_on_top(tmp_path: Path, xsd_dir: Path) -> None:
    path = tmp_path / "emulator.toml"
    path.write_text(
        f"""
site = "globex"
strict = true
xsd_dir = "{xsd_dir}"
refresh_token_site_prefix = false

[client]
id = "globex-bot"
secret = "hunter2"
name = "Globex scheduler"

[[users]]
email = "hank@globex.example"
first_name = "Hank"
time_zone_id = 4
site_admin = true
"""
    )
    config = build_config(["--config", str(path), "--port", "0"])
    emulator = build_emulator(config, "http://x")
    assert emulator.strict and not emulator.token_options.refresh_token_site_prefix
    assert emulator.state.clients["globex-bot"].name == "Globex scheduler"
    hank = emulator.user("globex", "hank@globex.example")
    assert hank.site_admin and hank.time_zone_id == 4
    assert config.port == 0


def test_json_config(tmp_path: Path) -> None:
    path = tmp_path / "emulator.json"
    path.write_text(json.dumps({"site": "initech", "users": [{"email": "peter@initech.example"}]}))
    emulator = build_emulator(build_config(["--config", str(path)]), "http://x")
    assert emulator.user("initech", "peter@initech.example").email == "peter@initech.example"


@pytest.mark.parametrize(
    ("content", "suffix", "words"),
    [
        ("colour = 'blue'", ".toml", "unknown setting 'colour'"),
        ("site = ", ".toml", "not valid TOML"),
        ("{", ".json", "not valid JSON"),
        ("[[users]]\nfirst_name = 'x'", ".toml", "needs an email"),
        ("[[users]]\nemail = 'a@b'\ntime_zone_id = 77", ".toml", "0-61"),
        ("[client]\ncolour = 'x'", ".toml", "unknown client setting"),
    ],
)
def test_bad_config_files(tmp_path: Path, content: str, suffix: str, words: str) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(ConfigError, match=words):
        build_config(["--config", str(path)])


def test_bad_user_flag() -> None:
    with pytest.raises(ConfigError, match="e-mail"):
        parse_user("Carol Chen")
    with pytest.raises(ConfigError, match="0-61"):
        parse_user("c@x,Carol,99")


def test_run_reports_bad_input_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBEX_XSD_DIR", raising=False)
    assert run(["--config", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert run(["--strict", "--port", "0"]) == 2
    assert "WEBEX_XSD_DIR" in capsys.readouterr().err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["--help"])
    assert exit_info.value.code == 0
    assert "--xsd-dir" in capsys.readouterr().out
