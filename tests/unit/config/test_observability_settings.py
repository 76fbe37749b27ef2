"""LOG_FORMAT, METRICS_TOKEN, OTEL_EXPORTER_OTLP_ENDPOINT: defaults, and one clear line for a bad value."""

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


def test_a_careless_value_is_read_as_meant(env: pytest.MonkeyPatch) -> None:
    env.setenv("LOG_FORMAT", " JSON ")
    env.setenv("METRICS_TOKEN", "")  # as `METRICS_TOKEN=` in an env file
    env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    settings = load_settings()
    assert settings.log_format == "json" and settings.metrics_token is None
    assert settings.otel_exporter_otlp_endpoint is None


def test_a_collector_url(env: pytest.MonkeyPatch) -> None:
    env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert str(load_settings().otel_exporter_otlp_endpoint) == "http://collector:4318/"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT is not valid"),
        ("METRICS_TOKEN", "short", "METRICS_TOKEN is not valid"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "OTEL_EXPORTER_OTLP_ENDPOINT is not valid"),
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
