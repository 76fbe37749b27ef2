"""Log lines as text or as one JSON object a line, each with the request's id, team, user and command."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any, Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from bot.observability.context import current

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("request_id", "team", "user", "command")
# Record attributes that are not `extra=` fields: the standard ones, Python 3.12's task name, and the
# ANSI-coloured copy of its message uvicorn attaches to a few lines.
_NOT_EXTRA = frozenset(RESERVED_ATTRS) | {"taskName", "color_message"}
_TEXT_SKIPS = _NOT_EXTRA | set(CONTEXT_FIELDS)

# Library loggers at DEBUG print request bodies; they stay at INFO whatever the bot's level.
QUIET_LIBRARIES = ("slack_sdk", "slack_bolt", "httpcore", "aiohttp", "asyncio", "aiosqlite")


class RequestFields(logging.Filter):
    """Puts the current request's id, team, user and command on every record (an `extra=` value wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        if context is not None:
            for name in CONTEXT_FIELDS:
                value = getattr(context, name)
                if value and name not in record.__dict__:
                    setattr(record, name, value)
        return True


class WorkerField(logging.Filter):
    """Puts the process id on every record as `worker`, so the lines of `serve --workers N` tell apart."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker = record.process
        return True


def lean_log_records() -> None:
    """Log records stop collecting what no line of the bot shows: the thread's and multiprocessing's
    names, and the calling file and line (a walk up the stack for every record). The process id stays,
    for `worker`. (The logging HOWTO's "Optimization" section.)"""
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging._srcfile = None


def with_worker_field(config: dict[str, Any]) -> dict[str, Any]:
    """`config` (from `logging_config`) with every line naming the worker process that wrote it."""
    config = {**config, "filters": {**config["filters"], "worker": {"()": WorkerField}}}
    config["handlers"] = {
        name: {**handler, "filters": [*handler.get("filters", []), "worker"]}
        for name, handler in config["handlers"].items()
    }
    return config


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The values a record carries beyond the standard ones: the request's and `extra=`'s."""
    return {key: value for key, value in record.__dict__.items() if key not in _NOT_EXTRA}


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message [request_id=... team=... key=value]`; the traceback, if any, follows."""

    def __init__(self, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)
        self._second = -1
        self._stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """logging's own `2024-05-01 09:30:00,123`, the part before the comma written once a second."""
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime(self.default_time_format, self.converter(record.created))
        return f"{self._stamp},{int(record.msecs):03d}"

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        fields = record.__dict__
        pairs = [f"{name}={_text(fields[name])}" for name in CONTEXT_FIELDS if name in fields]
        pairs += [
            f"{key}={_text(value)}"
            for key, value in fields.items()
            if key not in _TEXT_SKIPS and not key.startswith("_")
        ]
        return f"{line} [{' '.join(pairs)}]" if pairs else line


# A value with any of these is quoted, so the line still splits into key=value pairs.
_QUOTED = re.compile(r'[\s"=\[\]]')


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    if not text or _QUOTED.search(text):
        return json.dumps(text, ensure_ascii=False)
    return text


class JsonLineFormatter(JsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the request's fields, extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            reserved_attrs=sorted(_NOT_EXTRA),
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)


def logging_config(level: str, log_format: LogFormat | str = "text") -> dict[str, Any]:
    """A `logging.config.dictConfig` set-up: every logger (uvicorn's too) to stderr in one format."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r}; choose one of {', '.join(LOG_FORMATS)}")
    formatter: dict[str, Any] = (
        {"()": JsonLineFormatter} if log_format == "json" else {"()": TextFormatter, "fmt": TEXT_FORMAT}
    )
    library_level = logging.getLevelName(max(logging.INFO, logging.getLevelName(level)))
    loggers: dict[str, Any] = {name: {"level": library_level} for name in QUIET_LIBRARIES}
    # httpx logs every Webex request at INFO; bot.webex logs the calls that matter.
    loggers["httpx"] = {"level": "WARNING"}
    # Alembic names each of its plugins at INFO on every start; its "Running upgrade" lines stay.
    loggers["alembic.runtime.plugins"] = {"level": "WARNING"}
    # uvicorn's loggers lose their own handlers and go through the root's, so they share the format.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        loggers[name] = {"level": level, "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_fields": {"()": RequestFields}},
        "formatters": {"bot": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "bot",
                "filters": ["request_fields"],
            }
        },
        "loggers": loggers,
        "root": {"level": level, "handlers": ["stderr"]},
    }
