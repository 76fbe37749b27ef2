"""Injected trouble: latency, HTTP errors, hangs, malformed bodies, FAILURE answers and rate limits."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum

TOKEN_ENDPOINT = "token"
ANY_XML_OPERATION = None
EVERYWHERE = "*"
ANY_REST_CALL = "rest"  # every REST API route except its token endpoint
_REST_PREFIXES = ("GET /v1/", "POST /v1/", "PUT /v1/", "PATCH /v1/", "DELETE /v1/")
REST_TOKEN_ENDPOINT = "POST /v1/access_token"


def is_rest(operation: str) -> bool:
    """REST routes are named by method and path template: "POST /v1/meetings", "GET /v1/people/me"."""
    return operation.startswith(_REST_PREFIXES)


class FaultKind(StrEnum):
    LATENCY = "latency"
    HTTP_ERROR = "http_error"
    HANG = "hang"
    MALFORMED = "malformed"
    FAILURE = "failure"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Fault:
    """One injected fault.

    `operation` scopes it: an XML operation name ("CreateMeeting"), "token" for the OAuth token
    endpoint, a REST route ("POST /v1/meetings", "GET /v1/meetings/{meetingId}", "POST
    /v1/access_token"), "rest" for every REST route but the token endpoint, "*" for every endpoint,
    or None for every XML operation. `count` is how many matching requests it affects (None: until
    cleared).
    """

    kind: FaultKind
    operation: str | None = None
    count: int | None = None
    seconds: float = 0.0  # latency, or the longest a hang lasts
    status: int = 503
    exception_id: str = ""
    reason: str = ""
    retry_after: int = 1
    style: str = "http"  # rate limiting: "http" (429 + Retry-After) or "webex" (FAILURE)

    @classmethod
    def latency(cls, seconds: float, *, operation: str | None = None, count: int | None = None) -> Fault:
        return cls(FaultKind.LATENCY, operation, count, seconds=seconds)

    @classmethod
    def http_error(
        cls, status: int = 503, *, operation: str | None = None, count: int | None = None
    ) -> Fault:
        return cls(FaultKind.HTTP_ERROR, operation, count, status=status)

    @classmethod
    def hang(cls, *, operation: str | None = None, count: int | None = None, seconds: float = 300.0) -> Fault:
        return cls(FaultKind.HANG, operation, count, seconds=seconds)

    @classmethod
    def malformed(cls, *, operation: str | None = None, count: int | None = None) -> Fault:
        return cls(FaultKind.MALFORMED, operation, count)

    @classmethod
    def failure(
        cls, exception_id: str, reason: str = "", *, operation: str | None = None, count: int | None = None
    ) -> Fault:
        return cls(FaultKind.FAILURE, operation, count, exception_id=exception_id, reason=reason)

    @classmethod
    def rate_limited(
        cls,
        *,
        retry_after: int = 1,
        style: str = "http",
        operation: str | None = None,
        count: int | None = None,
    ) -> Fault:
        if style not in ("http", "webex"):
            raise ValueError("rate limiting style is 'http' or 'webex'")
        return cls(FaultKind.RATE_LIMITED, operation, count, retry_after=retry_after, style=style)

    def applies_to(self, operation: str) -> bool:
        if self.operation == EVERYWHERE:
            return True
        if self.operation is None:
            return operation != TOKEN_ENDPOINT and not is_rest(operation)
        if self.operation == ANY_REST_CALL:
            return is_rest(operation) and operation != REST_TOKEN_ENDPOINT
        return self.operation.lower() == operation.lower()

    @property
    def terminal(self) -> bool:
        """Whether the request ends here (latency only delays it)."""
        return self.kind is not FaultKind.LATENCY

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "operation": self.operation,
            "count": self.count,
            "seconds": self.seconds,
            "status": self.status,
            "exception_id": self.exception_id,
            "reason": self.reason,
            "retry_after": self.retry_after,
            "style": self.style,
        }


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None
    hits: int = 0


@dataclass
class FaultPlan:
    """The armed faults, in the order they were added; a counted fault disarms itself when spent."""

    _armed: list[_Armed] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> None:
        if fault.count is not None and fault.count < 1:
            raise ValueError("a fault's count must be at least 1 (or None for 'until cleared')")
        with self._lock:
            self._armed.append(_Armed(fault, fault.count))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [armed.fault for armed in self._armed]

    def take(self, operation: str) -> list[Fault]:
        """The faults this request meets: every matching latency, then at most one terminal fault."""
        if not self._armed:
            return []
        taken: list[Fault] = []
        with self._lock:
            for armed in list(self._armed):
                if not armed.fault.applies_to(operation):
                    continue
                if armed.fault.terminal and any(f.terminal for f in taken):
                    continue
                taken.append(armed.fault)
                armed.hits += 1
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining <= 0:
                        self._armed.remove(armed)
        return taken
