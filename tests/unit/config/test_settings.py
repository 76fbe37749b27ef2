"""Settings: every variable read from the environment, and one clear line for a bad one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import EmailPolicy, SettingsError, WebexApi, load_settings

KEY = Fernet.generate_key().decode()
GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-test",
    "SLACK_SIGNING_SECRET": "signing-secret",
    "WEBEX_CLIENT_ID": "client",
    "WEBEX_CLIENT_SECRET": "client-secret",
    "PUBLIC_BASE_URL": "https://bot.example.com/",
    "TOKEN_KEYS": KEY,
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.chdir("/")  # no stray .env
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_defaults_and_derived_values(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.scopes == ("all_read", "meeting_modify")
    assert settings.callback_url == "https://bot.example.com/webex/oauth/callback"
    assert settings.webex_token_url == "https://api.webex.com/v1/oauth2/token"
    assert settings.database_url == "sqlite+aiosqlite:///./webex-bot.db"
    assert settings.email_mismatch_policy is EmailPolicy.REFUSE
    assert settings.slack_client_id is None and settings.slack_client_secret is None
    assert settings.slack_sign_in_url == "https://slack.com/openid/connect/authorize"
    assert settings.slack_sign_in_callback_url == "https://bot.example.com/slack/sign-in/callback"
    assert "signing-secret" not in repr(settings)


def test_several_keys_newest_first(env: pytest.MonkeyPatch) -> None:
    other = Fernet.generate_key().decode()
    env.setenv("TOKEN_KEYS", f"{other}, {KEY}")
    assert [key.get_secret_value() for key in load_settings().token_keys] == [other, KEY]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TOKEN_KEYS", "not-a-key", "TOKEN_KEYS is not valid"),
        ("PUBLIC_BASE_URL", "bot.example.com", "PUBLIC_BASE_URL is not valid"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL is not valid"),
        ("EMAIL_MISMATCH_POLICY", "sometimes", "EMAIL_MISMATCH_POLICY is not valid"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY is not valid"),
        ("WEB_CONCURRENCY", "two", "WEB_CONCURRENCY is not valid"),
        ("HOUSEKEEPING_INTERVAL_SECONDS", "0", "HOUSEKEEPING_INTERVAL_SECONDS is not valid"),
    ],
)
def test_a_malformed_value_names_the_variable(
    env: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings()


@pytest.mark.parametrize("retired", ["warn", "off", "WARN"])
def test_the_retired_email_policies_stop_start_up_with_one_line(
    env: pytest.MonkeyPatch, retired: str
) -> None:
    # Both stored whoever signed in to Webex; running on with either would keep that hole open.
    env.setenv("EMAIL_MISMATCH_POLICY", retired)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("EMAIL_MISMATCH_POLICY is not valid") and "\n" not in message
    assert "linked whoever signed in to Webex" in message and "refuse or sign-in-with-slack" in message


def test_sign_in_with_slack_needs_the_slack_app_credentials(env: pytest.MonkeyPatch) -> None:
    env.setenv("EMAIL_MISMATCH_POLICY", "sign-in-with-slack")
    with pytest.raises(SettingsError) as both:
        load_settings()
    needs = "is not valid (Value error, EMAIL_MISMATCH_POLICY=sign-in-with-slack needs it)"
    assert f"  - SLACK_CLIENT_ID {needs}" in str(both.value)
    assert f"  - SLACK_CLIENT_SECRET {needs}" in str(both.value)
    env.setenv("SLACK_CLIENT_ID", "123.456")
    with pytest.raises(SettingsError, match="^SLACK_CLIENT_SECRET is not valid"):
        load_settings()
    env.setenv("SLACK_CLIENT_SECRET", "app-secret")
    env.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    settings = load_settings()
    assert settings.email_mismatch_policy is EmailPolicy.SIGN_IN_WITH_SLACK
    assert settings.slack_sign_in_url == "http://127.0.0.1:9/openid/connect/authorize"
    assert "app-secret" not in repr(settings)


def test_a_missing_value_names_the_variable(env: pytest.MonkeyPatch) -> None:
    env.delenv("SLACK_SIGNING_SECRET")
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is missing"):
        load_settings()


def test_every_bad_setting_is_named_at_once(env: pytest.MonkeyPatch) -> None:
    """An operator setting up fixes every variable in one go, not one per start."""
    env.delenv("SLACK_SIGNING_SECRET")
    env.delenv("TOKEN_KEYS")
    env.setenv("WEBEX_API", "soap")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    first, *problems = str(raised.value).splitlines()
    assert first == "3 settings need fixing:"
    assert [problem.split()[1] for problem in problems] == [
        "SLACK_SIGNING_SECRET",
        "WEBEX_API",
        "TOKEN_KEYS",
    ]
    assert "expected the signing secret" in problems[0] and "expected xml or rest" in problems[1]


def test_start_up_with_a_bad_setting_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    environment = {k: v for k, v in GOOD.items() if k != "TOKEN_KEYS"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        env={**environment, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "TOKEN_KEYS is missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_socket_mode_without_an_app_token_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "socket"],
        env={**GOOD, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
    )
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN is missing" in result.stderr and "Traceback" not in result.stderr


def test_without_a_bot_token_the_app_installs_to_any_number_of_workspaces(env: pytest.MonkeyPatch) -> None:
    assert not load_settings().installs_to_any_workspace
    env.setenv("SLACK_BOT_TOKEN", "")
    with pytest.raises(SettingsError) as missing:
        load_settings()
    assert str(missing.value) == (
        "SLACK_BOT_TOKEN is missing: set it (xoxb-...) to serve one workspace, or set SLACK_CLIENT_ID, "
        "SLACK_CLIENT_SECRET, SLACK_STATE_SECRET too to install to any number of workspaces through "
        "/slack/install"
    )
    env.setenv("SLACK_CLIENT_ID", "123.456")
    env.setenv("SLACK_CLIENT_SECRET", "app-secret")
    with pytest.raises(SettingsError, match="or set SLACK_STATE_SECRET too"):
        load_settings()
    env.setenv("SLACK_STATE_SECRET", "too-short")
    with pytest.raises(SettingsError, match="^SLACK_STATE_SECRET is not valid .*; expected at least 32"):
        load_settings()
    env.setenv("SLACK_STATE_SECRET", "s" * 40)
    env.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    settings = load_settings()
    assert settings.installs_to_any_workspace and settings.slack_bot_token is None
    assert settings.slack_install_callback_url == "https://bot.example.com/slack/oauth_redirect"
    assert settings.slack_install_authorize_url == "http://127.0.0.1:9/oauth/v2/authorize"
    assert "s" * 40 not in repr(settings)


def test_webex_api_rest_has_its_own_url_token_endpoint_and_scopes(env: pytest.MonkeyPatch) -> None:
    assert load_settings().webex_api is WebexApi.XML
    env.setenv("WEBEX_API", "REST")
    settings = load_settings()
    assert settings.webex_api is WebexApi.REST
    assert settings.webex_rest_base == "https://webexapis.com/v1"
    assert settings.webex_token_url == "https://webexapis.com/v1/access_token"
    assert settings.scopes == (
        "meeting:schedules_read",
        "meeting:schedules_write",
        "spark:people_read",
        "meeting:recordings_read",
    )
    env.setenv("WEBEX_SCOPES", "meeting:schedules_read spark:people_read")
    assert load_settings().scopes == ("meeting:schedules_read", "spark:people_read")


def test_an_unknown_webex_api_is_named_with_what_to_use(env: pytest.MonkeyPatch) -> None:
    env.setenv("WEBEX_API", "soap")
    with pytest.raises(SettingsError, match="WEBEX_API is not valid.*expected xml or rest"):
        load_settings()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite+aiosqlite:///./webex-bot.db", "sqlite database file ./webex-bot.db"),
        ("postgresql+asyncpg://bot:s3cret@db.internal:5432/webex", "postgresql database db.internal/webex"),
        ("postgresql+asyncpg://bot@/webex", "postgresql database localhost/webex"),
        ("sqlite", "the database at DATABASE_URL"),
    ],
)
def test_the_ready_line_names_the_database_without_its_password(
    env: pytest.MonkeyPatch, url: str, shown: str
) -> None:
    env.setenv("DATABASE_URL", url)
    summary = load_settings().summary
    assert f"; {shown}; " in summary and "s3cret" not in summary
    assert summary.startswith("Webex XML API at https://")
    assert summary.endswith("Slack requests at https://bot.example.com/slack/events for one workspace")
