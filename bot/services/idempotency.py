"""A keyed request carried out once, however often it arrives (a double click, a retried delivery, a
process that died), through its idempotency records (bot.store.operations).

Scheduling a meeting and saving an edit form both go through here: one delivery owns each attempt and
carries it out; the others wait for it and take its outcome instead of doing the work again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.domain.clock import Clock
from bot.domain.reminders import HostReminder
from bot.services.errors import AnsweredElsewhere, LinkExpired, NeedsConnect, NeedsScope, NotLinked
from bot.store.operations import OWNER_STOPPED

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 5
# A request still "started" after this long is taken to be abandoned (its process died) and is taken
# over. Longer than the work can take: the Webex timeout, the looks after it, and the description calls;
# the composition root may set it from the Webex timeout.
STALE_AFTER = timedelta(seconds=60)
RUNNING_POLL_SECONDS = 0.2  # of one keyed request (each failed attempt is kept as a record)
STARTED, DONE, FAILED = "started", "done", "failed"  # idempotency record states
# Failures that asked the person to link Webex: the request runs again once they have, under its key.
RESUMED_ONCE_LINKED = frozenset(kind.__name__ for kind in (NeedsConnect, NotLinked, LinkExpired, NeedsScope))


class OperationRecord(Protocol):
    """An idempotency record as the store returns it."""

    @property
    def status(self) -> str: ...  # "started", "done" or "failed"

    @property
    def owned(self) -> bool: ...  # True only for the caller whose `begin` created it

    @property
    def result(self) -> dict[str, Any] | None: ...

    @property
    def error(self) -> str | None: ...  # of a failed record: OWNER_STOPPED when its process died

    @property
    def updated_at(self) -> datetime: ...


class Operations(Protocol):
    """Idempotency records (bot.store.operations.OperationStore): a keyed request runs once.

    `begin` of a creation raises ThrottleFull, recording nothing, when the person is over the per-user
    limits (counted from these records, across processes); `finish` writes the host's reminder of the
    meeting made in the same transaction as the outcome."""

    async def begin(
        self, key: str, team_id: str, user_id: str, kind: str, request: dict[str, Any] | None = None
    ) -> OperationRecord: ...

    async def get(self, key: str) -> OperationRecord | None: ...

    async def finish(
        self, key: str, result: dict[str, Any] | None = None, *, reminder: HostReminder | None = None
    ) -> bool: ...

    async def fail(self, key: str, error: str, result: dict[str, Any] | None = None) -> bool: ...


class OncePerKey:
    """Runs each keyed request once, taking its attempts in turn.

    A failed attempt closes its record for good; a retry of the same request takes the next attempt's key
    and, since the failed one may have reached Webex, must look before acting again. An attempt still
    running is waited for; one left running too long (its process died) is taken over the same way."""

    def __init__(self, operations: Operations, clock: Clock, *, stale_after: timedelta = STALE_AFTER) -> None:
        self.operations = operations
        self._clock = clock
        self._stale_after = stale_after

    async def carry_out(
        self,
        request_key: str,
        *,
        team_id: str,
        user_id: str,
        kind: str,
        request: dict[str, Any] | None,
        attempt: Callable[[str, int], Awaitable[T]],
        finished: Callable[[dict[str, Any] | None, bool], Awaitable[T | None]],
        in_progress: Callable[[], Exception],
    ) -> T:
        """`attempt(key, number)` does the work when this delivery owns attempt `number` (0 first) and
        closes its record; `finished(result, waited)` is what another attempt's "done" record gives this
        delivery (None: try the next attempt); `in_progress()` is raised once every attempt has failed.

        Raises AnsweredElsewhere when the attempt this delivery waited for failed: its delivery told the
        person why, and one press gets one answer. An attempt whose process died told no one, so this
        delivery takes the next one."""
        for number in range(MAX_ATTEMPTS):
            key = request_key if number == 0 else f"{request_key}#{number}"
            record = await self.operations.begin(key, team_id, user_id, kind, request)
            if record.owned:
                return await attempt(key, number)
            waited = record.status == STARTED
            if waited:
                record = await self._wait_while_running(key, record)
            if record.status == DONE:
                done = await finished(record.result, waited)
                if done is not None:
                    return done
            elif record.status == FAILED and self._answered_by(record, waited):
                raise AnsweredElsewhere(f"request {key} failed in the delivery this one duplicates")
        raise in_progress()

    async def closed(self, write: Awaitable[bool], key: str) -> bool:
        """Whether the record was closed by this write (`finish` or `fail`); a database that fails here
        is logged, never the outcome: what Webex did still has to reach the person."""
        try:
            return await write
        except Exception:
            log.exception("could not record the outcome of request %s", key)
            return False

    async def failed(self, key: str, error: BaseException) -> None:
        """Close the attempt as failed (which also ends a creation's place in the throttle's count)."""
        await self.closed(self.operations.fail(key, type(error).__name__), key)

    def _answered_by(self, failed: OperationRecord, waited: bool) -> bool:
        """Whether the failed attempt was this delivery's answer: the same press delivered twice, whose
        other delivery told the person why, so the request is not tried again behind their back.

        Not when its process died (it told no one); nor, found closed already, when it asked the person to
        link Webex (the request resumes once they have) or failed a while ago (this is a retry): then the
        next attempt is this delivery's."""
        if failed.error == OWNER_STOPPED:
            return False
        if waited:
            return True
        recent = self._clock.now() - failed.updated_at < self._stale_after
        return recent and failed.error not in RESUMED_ONCE_LINKED

    async def _wait_while_running(self, key: str, record: OperationRecord) -> OperationRecord:
        """The record once its attempt has finished, or as it is when the attempt looks abandoned."""
        remaining = (record.updated_at + self._stale_after - self._clock.now()).total_seconds()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, remaining)
        while loop.time() < deadline:
            await asyncio.sleep(min(RUNNING_POLL_SECONDS, max(0.0, deadline - loop.time())))
            current = await self.operations.get(key)
            if current is None or current.status != STARTED:
                return current or record
        log.warning("request %s has been running too long; taking it over", key)
        return record
