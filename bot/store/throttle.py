"""The per-user throttle on meeting creation, shared by every process through the idempotency records.

Every creation of a meeting has a record in `operations` (kind "schedule" or "now"), written by
OperationStore.begin; the throttle counts those records in the same transaction, so it needs no table of
its own and no writes beyond the record: a creation is in flight while its record is "started" (and
younger than the slot lifetime, after which a record left by a dead process stops counting), and it
counts toward the minute's rate whatever became of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

RATE_WINDOW = timedelta(minutes=1)
# A creation whose process died is never finished: it stops counting as in flight after this long, which
# must be beyond what one creation can take (a refresh, the create and its re-checks); the composition
# root sets it from the Webex timeout.
SLOT_LIFETIME = timedelta(minutes=2)
# Commands in flight finish within seconds; there is no exact moment to promise, so say a few seconds.
IN_FLIGHT_RETRY_SECONDS = 5
# The kinds of idempotency record that create a meeting.
CREATIONS = ("schedule", "now")


@dataclass(frozen=True)
class ThrottleLimits:
    """Per Slack user: meetings created in any minute, and creations running at once (0 turns either off)."""

    per_minute: int = 30
    in_flight: int = 5
    slot_lifetime: timedelta = SLOT_LIFETIME

    @property
    def off(self) -> bool:
        return self.per_minute <= 0 and self.in_flight <= 0

    @property
    def nth_in_the_minute(self) -> int:
        """Which of the minute's creations, newest first from 0, has to leave it before one more fits."""
        return max(0, self.per_minute - 1)


class ThrottleFull(Exception):
    """The user is over a limit; `retry_after` is how many seconds until one more would be let through."""

    def __init__(self, retry_after: int, *, limit: str) -> None:
        super().__init__(f"over the {limit} limit; try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.limit = limit  # "per minute" or "in flight"


@dataclass(frozen=True)
class Creations:
    """A user's other creations as the throttle counts them at `now`."""

    in_the_minute: int  # begun within RATE_WINDOW, however they ended
    running: int  # still running, begun within the slot lifetime
    nth_newest: datetime | None  # when the limits.nth_in_the_minute newest of the minute's began


def admit(limits: ThrottleLimits, now: datetime, others: Creations) -> None:
    """Raise ThrottleFull if one more creation is over a limit, given the user's other creations."""
    if limits.per_minute > 0 and others.in_the_minute >= limits.per_minute:
        # One more fits once enough of the minute's creations have left the window.
        frees_at = (others.nth_newest or now) + RATE_WINDOW
        raise ThrottleFull(max(1, math.ceil((frees_at - now).total_seconds())), limit="per minute")
    if limits.in_flight > 0 and others.running >= limits.in_flight:
        raise ThrottleFull(IN_FLIGHT_RETRY_SECONDS, limit="in flight")
