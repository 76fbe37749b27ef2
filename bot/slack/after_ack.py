"""After the ack: a listener acks at once and its slow work runs in the background, under the guard.

Slack wants an answer within 3 seconds and Webex can take longer, so every listener that calls Webex
acks first and hands its work here (the task keeps the request's context: its log lines carry the
ack's request id).

Slack never sends an acked request again, so work that must survive the process (a form submitted, a
button pressed) is `Recoverable`: its listener hands over a record of everything the work needs, the
record is journaled (sealed, bot.store.operations) before the work runs, and the work runs from the
record alone, the same way another process runs it again if this one dies (bot/slack/recovery.py).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.observability import current
from bot.runtime import BackgroundWork
from bot.slack.guard import Guard, Offer
from bot.slack.replies import Reply

logger = logging.getLogger(__name__)

# Runs recoverable work from its record: (record, team_id, user_id, reply).
Rerun = Callable[[dict[str, Any], str, str, Reply], Awaitable[None]]
# What the answer to the work's failure offers besides the explanation, from (record, team_id, user_id,
# error, explanation): the message's blocks, or None for the explanation alone.
RecordOffer = Callable[[dict[str, Any], str, str, Exception, str], list[dict[str, Any]] | None]


def no_pending(record: dict[str, Any]) -> dict[str, Any] | None:
    return None


@dataclass(frozen=True)
class Recoverable:
    """One kind of work after an ack that any process can run again from its record alone.

    `run` must be safe to run twice: whatever it creates is looked for before it is created (a
    schedule form keeps its first delivery's idempotency key in the record). `pending` is what a
    Connect prompt resumes if the person's link has lapsed; without it, `again` is what the prompt
    says to do once linked ("press *Edit* again"), in the person's words. `offer` is what the answer to
    a failure carries besides its explanation (a form's "Open the form" button)."""

    kind: str
    what: str
    run: Rerun
    pending: Callable[[dict[str, Any]], dict[str, Any] | None] = no_pending
    again: str = ""
    offer: RecordOffer | None = None


@dataclass(frozen=True)
class Answer:
    """Where the answer goes if another process finishes the work: the response_url while Slack still
    takes it, else an ephemeral message in `channel_id`, or a DM without one."""

    response_url: str | None = None
    channel_id: str | None = None


class Journal(Protocol):
    """Where work after the ack is recorded until answered (bot.store.operations.OperationStore)."""

    async def accept(self, key: str, team_id: str, user_id: str, command: dict[str, Any]) -> bool: ...

    async def answered(self, key: str, outcome: str) -> bool: ...

    async def kept(self, key: str, team_id: str, user_id: str) -> dict[str, Any] | None: ...


class AfterAck:
    """Starts a person's work after the ack, guarded; `accepting` is False once the process is stopping."""

    def __init__(self, work: BackgroundWork, guard: Guard, journal: Journal | None = None) -> None:
        self._work = work
        self._guard = guard
        self._journal = journal
        self._kinds: dict[str, Recoverable] = {}

    @property
    def accepting(self) -> bool:
        return self._work.accepting

    @property
    def journaling(self) -> bool:
        return self._journal is not None

    def recoverable(self, recoverable: Recoverable) -> None:
        """Register a kind of work another process can run again from its record."""
        if recoverable.kind in self._kinds:
            raise ValueError(f"{recoverable.kind!r} is registered already")
        self._kinds[recoverable.kind] = recoverable

    def kind(self, name: str) -> Recoverable | None:
        return self._kinds.get(name)

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
        key: str | None = None,
        record: dict[str, Any] | None = None,
        again: str = "",
        offer: Offer | None = None,
    ) -> None:
        """Run `work` in the background; `pending` is what a Connect prompt would resume afterwards
        (without it, `again` is what the prompt says to do once linked); `offer`, what the answer to a
        failure carries besides its explanation;
        `then(outcome)` runs once it has answered, whatever the outcome ("cut_short" when cancelled).

        With a journal `key`, `record` (when given) is journaled as accepted before the work starts, and
        the key is marked answered once the work has answered; without `record` the key was journaled
        already (work taken over from a process that stopped)."""
        context = current()
        request_id = context.request_id if context is not None else ""
        journaled = key is not None and self._journal is not None
        fresh = True

        async def recorded() -> None:
            nonlocal fresh
            # Journaled first thing after the ack: from here only the record lets another process finish
            # the work if this one dies. Not before the ack: a database write there made every ack wait
            # on the database (4-6x slower under load).
            if journaled and record is not None:
                # False for the same request delivered again: it still runs (an idempotency record makes
                # it answer "Already scheduled"), but the journal entry stays its first delivery's.
                fresh = await self._accept(str(key), team_id, user_id, record, what)
            await work()

        async def guarded() -> None:
            outcome = "cut_short"
            try:
                outcome = await self._guard.run(
                    recorded,
                    team_id=team_id,
                    user_id=user_id,
                    reply=reply,
                    pending=pending,
                    what=what,
                    again=again,
                    offer=offer,
                )
            finally:
                if journaled and fresh:
                    await self._answered(str(key), outcome)
                if then is not None:
                    await then(outcome)

        self._work.spawn(guarded(), name=f"{what} {request_id}".strip())

    def start(
        self,
        kind: str,
        record: dict[str, Any],
        *,
        team_id: str,
        user_id: str,
        reply: Reply,
        answer: Answer,
        unique: str | None = None,
    ) -> None:
        """Run a recoverable kind of work from `record`, journaled first; `unique` names this request
        among the person's (a view id, a trigger_id): the same request delivered twice is journaled once."""
        recoverable = self._kinds[kind]
        key = None
        if self._journal is not None:
            key = _key(kind, team_id, user_id, unique or secrets.token_hex(8))
        journaled = {
            "kind": kind,
            "record": record,
            "response_url": answer.response_url,
            "reply_channel": answer.channel_id,
        }
        self._run_kind(recoverable, record, team_id, user_id, reply, key=key, journaled=journaled)

    async def kept(self, kind: str, team_id: str, user_id: str, unique: str) -> dict[str, Any] | None:
        """The record request `unique` of this person journaled for work of `kind` (a form as submitted),
        answered or not, for as long as the journal keeps it; None without one."""
        if self._journal is None or not unique:
            return None
        journaled = await self._journal.kept(_key(kind, team_id, user_id, unique), team_id, user_id)
        record = (journaled or {}).get("record")
        if (journaled or {}).get("kind") != kind or not isinstance(record, dict):
            return None
        return record

    def recover(self, key: str, team_id: str, user_id: str, journaled: dict[str, Any], reply: Reply) -> bool:
        """Run again recoverable work another process journaled and never answered; False if this
        process does not know its kind."""
        recoverable = self._kinds.get(str(journaled.get("kind")))
        record = journaled.get("record")
        if recoverable is None or not isinstance(record, dict):
            logger.warning("cannot run again work of kind %r (%s)", journaled.get("kind"), key)
            if self._journal is not None:  # closed, or it would be taken over again and again
                self._work.spawn(self._answered(key, "unknown_kind"), name=f"close {key}")
            return False
        # A trigger_id opens a form within 3 seconds of the click: long gone after a takeover.
        record = {**record, "trigger_id": None} if "trigger_id" in record else record
        self._run_kind(recoverable, record, team_id, user_id, reply, key=key)
        return True

    def _run_kind(
        self,
        recoverable: Recoverable,
        record: dict[str, Any],
        team_id: str,
        user_id: str,
        reply: Reply,
        *,
        key: str | None,
        journaled: dict[str, Any] | None = None,
    ) -> None:
        """Run `record` with its kind's code after the ack; `journaled`: first record it under `key`."""
        offer = recoverable.offer
        self.run(
            lambda: recoverable.run(record, team_id, user_id, reply),
            team_id=team_id,
            user_id=user_id,
            reply=reply,
            what=recoverable.what,
            pending=recoverable.pending(record),
            key=key,
            record=journaled,
            again=recoverable.again,
            offer=None
            if offer is None
            else (lambda error, text: offer(record, team_id, user_id, error, text)),
        )

    async def _accept(self, key: str, team_id: str, user_id: str, record: dict[str, Any], what: str) -> bool:
        """Journal the work as accepted; False if its key was journaled already."""
        assert self._journal is not None
        try:
            return await self._journal.accept(key, team_id, user_id, record)
        except Exception:  # the database may be down: answer anyway, only the recovery is lost
            logger.warning("could not record %s; it is not recovered if this process dies", what)
            return True

    async def _answered(self, key: str, outcome: str) -> None:
        assert self._journal is not None
        try:
            await self._journal.answered(key, outcome)
        except Exception:
            logger.warning("could not mark %s answered", key, exc_info=True)


def _key(kind: str, team_id: str, user_id: str, unique: str) -> str:
    """The journal key of one request of a person for work of `kind`."""
    return f"{kind}:{team_id}:{user_id}:{unique}"
