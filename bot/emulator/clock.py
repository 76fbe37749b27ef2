"""The emulator's clock: real time by default, moved forward or pinned by tests and demos."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class AdjustableClock(Protocol):
    """A clock the emulator can move (`bot.domain.clock.FakeClock` fits too)."""

    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> None: ...

    def set(self, instant: datetime) -> None: ...


class MovableClock:
    """Runs with the system clock plus an offset, so a running demo keeps ticking after a jump."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta

    def reset(self) -> None:
        """Back to the system clock."""
        with self._lock:
            self._offset = timedelta(0)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the emulator clock needs an aware datetime")
        with self._lock:
            self._offset = instant - datetime.now(UTC)
