"""Log lines: JSON one object a line, text as before plus the request's fields; uvicorn's lines too."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import sys
from collections.abc import Iterator

import pytest

from bot.observability import logging_config, request
from bot.observability.logs import (
    QUIET_LIBRARIES,
    JsonLineFormatter,
    RequestFields,
    TextFormatter,
    with_worker_field,
)
from bot.web.access_log import uvicorn_log_config

CONFIGURED = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "bot", *QUIET_LIBRARIES]


def record(message: str = "scheduled %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.getLogger("bot.test").makeRecord(
        "bot.test", logging.INFO, __file__, 1, message, args or ("it",), None
    )
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def through(formatter: logging.Formatter, made: logging.LogRecord) -> str:
    RequestFields().filter(made)
    return formatter.format(made)


def test_json_is_one_object_a_line_with_the_request_fields_and_extras() -> None:
    with request("abc123", team="T1", user="U1", command="/webex schedule"):
        line = through(JsonLineFormatter(), record(meeting_key="123", count=2))
    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "INFO" and data["logger"] == "bot.test" and data["message"] == "scheduled it"
    assert data["time"].endswith("+00:00") and "T" in data["time"]
    assert (data["request_id"], data["team"], data["user"], data["command"]) == (
        "abc123",
        "T1",
        "U1",
        "/webex schedule",
    )
    assert data["meeting_key"] == "123" and data["count"] == 2
    assert not {"args", "msg", "levelno", "pathname", "taskName"} & data.keys()


def test_json_keeps_a_traceback_and_odd_text_on_one_line() -> None:
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        made = logging.getLogger("bot.test").makeRecord(
            "bot.test", logging.ERROR, __file__, 1, "failed: «%s»", ("ünïcode\n",), sys.exc_info()
        )
    line = through(JsonLineFormatter(), made)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "failed: «ünïcode\n»"
    assert "ValueError: broken" in data["exc_info"] and "Traceback" in data["exc_info"]
    assert "request_id" not in data  # outside any request


def test_text_is_todays_format_outside_a_request() -> None:
    line = through(TextFormatter(), record())
    assert line.endswith(" INFO bot.test: scheduled it")


def test_text_adds_the_request_fields_and_extras_and_quotes_what_has_spaces() -> None:
    with request("abc123", team="T1", user="U1", command="/webex schedule"):
        line = through(TextFormatter(), record(outcome="ok", note='a "b"'))
    assert line.endswith(
        ' INFO bot.test: scheduled it [request_id=abc123 team=T1 user=U1 command="/webex schedule" '
        'outcome=ok note="a \\"b\\""]'
    )


def test_an_extra_value_wins_over_the_requests() -> None:
    with request("abc123", team="T1"):
        data = json.loads(through(JsonLineFormatter(), record(team="T2")))
    assert data["team"] == "T2" and data["request_id"] == "abc123"


def test_an_unknown_format_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="text, json"):
        logging_config("INFO", "xml")


@pytest.fixture
def logging_restored() -> Iterator[None]:
    saved = [
        (logger, logger.level, list(logger.handlers), list(logger.filters), logger.propagate)
        for logger in (logging.getLogger(name) for name in CONFIGURED)
    ]
    yield
    for logger, level, handlers, filters, propagate in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.filters[:] = filters
        logger.propagate = propagate


def test_uvicorn_and_its_redacted_access_log_share_the_json_format(
    logging_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.config.dictConfig(uvicorn_log_config("INFO", "json"))
    with request("req-1"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5",
            "GET",
            "/webex/oauth/callback?code=c0de&state=s7",
            "1.1",
            200,
        )
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 1, extra={"color_message": "x"})
    logging.getLogger("httpx").info("HTTP Request: POST https://acme.webex.com")  # below httpx's WARNING
    printed = capsys.readouterr().err
    lines = [json.loads(line) for line in printed.splitlines()]
    assert [line["logger"] for line in lines] == ["uvicorn.access", "uvicorn.error"]
    assert lines[0]["message"] == '127.0.0.1:5 - "GET /webex/oauth/callback?[redacted] HTTP/1.1" 200'
    assert lines[0]["request_id"] == "req-1"
    assert "c0de" not in printed and "color_message" not in lines[1]


def test_with_workers_every_line_names_the_worker_process(
    logging_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.config.dictConfig(with_worker_field(uvicorn_log_config("INFO", "json")))
    logging.getLogger("bot.test").info("scheduled")
    logging.getLogger("uvicorn.error").info("Started server process")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["worker"] for line in lines] == [os.getpid(), os.getpid()]


def test_libraries_stay_at_info_when_the_bot_logs_at_debug(logging_restored: None) -> None:
    logging.config.dictConfig(logging_config("DEBUG", "text"))
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("slack_sdk").level == logging.INFO
    assert logging.getLogger("httpx").level == logging.WARNING
