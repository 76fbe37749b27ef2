"""After the ack: a listener acks at once and its slow work runs in the background, under the guard.

Slack wants an answer within 3 seconds and Webex can take longer, so every listener that calls Webex
acks first and hands its work here (the task keeps the request's context: its log lines carry the
ack's request id).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.observability import current
from bot.runtime import BackgroundWork
from bot.slack.guard import Guard
from bot.slack.replies import Reply


class AfterAck:
    """Starts a person's work after the ack, guarded; `accepting` is False once the process is stopping."""

    def __init__(self, work: BackgroundWork, guard: Guard) -> None:
        self._work = work
        self._guard = guard

    @property
    def accepting(self) -> bool:
        return self._work.accepting

    def run(
        self,
        work: Callable[[], Awaitable[None]],
        *,
        team_id: str,
        user_id: str,
        reply: Reply,
        what: str,
        pending: dict[str, Any] | None = None,
        then: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """Run `work` in the background; `pending` is what a Connect prompt would resume afterwards;
        `then(outcome)` runs once it has answered, whatever the outcome ("cut_short" when cancelled)."""
        context = current()
        request_id = context.request_id if context is not None else ""

        async def guarded() -> None:
            outcome = "cut_short"
            try:
                outcome = await self._guard.run(
                    work, team_id=team_id, user_id=user_id, reply=reply, pending=pending, what=what
                )
            finally:
                if then is not None:
                    await then(outcome)

        self._work.spawn(guarded(), name=f"{what} {request_id}".strip())
