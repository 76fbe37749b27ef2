"""LOG_FORMAT and METRICS_TOKEN: their defaults, and one clear line for a bad value."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings
from tests.unit.config.test_settings import GOOD


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.chdir("/")  # no stray .env
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_text_logs_and_open_metrics_by_default(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.log_format == "text" and settings.metrics_token is None


def test_json_logs_and_a_metrics_token(env: pytest.MonkeyPatch) -> None:
    env.setenv("LOG_FORMAT", "json")
    env.setenv("METRICS_TOKEN", "a-long-enough-token")
    settings = load_settings()
    assert settings.log_format == "json"
    assert settings.metrics_token is not None and "a-long-enough-token" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT is not valid"),
        ("METRICS_TOKEN", "short", "METRICS_TOKEN is not valid"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_to_use(
    env: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(expected) and "; expected " in message
    assert value not in message  # a token, even a bad one, is not echoed
