"""Access log lines without the bearer secrets some of our URLs carry."""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.observability.logs import logging_config

# Connect and meeting links carry a signed token that works for whoever holds it (a connect link links
# a Webex account to its Slack user, a host link signs in as the host); the OAuth callback carries the
# authorization code and state. The route stays in the log, the secret does not.
_TOKEN_PATH = re.compile(r"^(/webex/(?:connect|meetings)/)[^?]*")
REDACTED = "[redacted]"


def redact_path(path: str) -> str:
    """`path` (with its query) as it may be logged."""
    route, question, _ = path.partition("?")
    route = _TOKEN_PATH.sub(rf"\g<1>{REDACTED}", route)
    return route + (f"?{REDACTED}" if question else "")


class RedactSecretPaths(logging.Filter):
    """For uvicorn's access logger, whose record arguments are (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def uvicorn_log_config(level: str = "INFO", log_format: str = "text") -> dict[str, Any]:
    """The process's logging set-up (uvicorn's loggers included), with the access log redacted."""
    config = logging_config(level, log_format)
    config["filters"]["redact_secret_paths"] = {"()": RedactSecretPaths}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_secret_paths"]
    return config
