"""The request log: one record per request the emulator answered, and its log line."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

logger = logging.getLogger("bot.emulator")


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator answered, as the request log shows it."""

    at: datetime
    endpoint: str  # "xml", "token", "authorize", "consent"
    operation: str
    site: str
    user: str
    outcome: str  # SUCCESS / FAILURE for XML, "ok" or the OAuth error code, or "fault:<kind>"
    exception_id: str
    status: int
    duration_ms: float
    body: bytes = b""

    def as_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "endpoint": self.endpoint,
            "operation": self.operation,
            "site": self.site,
            "user": self.user,
            "outcome": self.outcome,
            "exception_id": self.exception_id,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
        }


def log_request(
    emulator: Emulator,
    started: float,
    endpoint: str,
    operation: str,
    *,
    site: str = "",
    user: str = "",
    outcome: str,
    exception_id: str = "",
    status: int,
    body: bytes = b"",
) -> None:
    """Record a request in the emulator's log and write its one log line."""
    elapsed = (time.perf_counter() - started) * 1000
    emulator.record(
        RequestRecord(
            emulator.now(), endpoint, operation, site, user, outcome, exception_id, status, elapsed, body
        )
    )
    if logger.isEnabledFor(logging.INFO):
        detail = f" {exception_id}" if exception_id else ""
        logger.info(
            "%s %s site=%s user=%s -> %s%s (HTTP %d, %.1f ms)",
            endpoint,
            operation,
            site or "-",
            user or "-",
            outcome,
            detail,
            status,
            elapsed,
        )
