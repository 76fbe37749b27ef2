"""The guard around a person's work: a missing link becomes a Connect button, any error an honest message.

One place logs a failure with its context, counts the outcome and tells the person what happened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.observability import Metrics, Tracing, current
from bot.services.errors import AnsweredElsewhere, NeedsConnect, NeedsScope
from bot.slack import texts
from bot.slack.connect_prompt import connect_prompt
from bot.slack.errors import explain, log_failure
from bot.slack.replies import Reply

logger = logging.getLogger("bot.slack.router")


# What an answer to a failure offers besides the explanation (an "Open the form" button): the message's
# blocks from (error, explanation), or None for the explanation alone.
Offer = Callable[[Exception, str], list[dict[str, Any]] | None]


class ConnectUrl(Protocol):
    """Makes the Connect link for (team_id, user_id) that resumes `pending` and also asks Webex for
    `extra_scopes` (permissions beyond the usual ones)."""

    def __call__(
        self,
        team_id: str,
        user_id: str,
        pending: dict[str, Any] | None = None,
        extra_scopes: tuple[str, ...] = (),
    ) -> str: ...


class Guard:
    """Runs work for a person and answers for whatever goes wrong."""

    def __init__(self, connect_url: ConnectUrl, metrics: Metrics, tracing: Tracing) -> None:
        """`connect_url(team_id, user_id, pending)` makes the Connect link that resumes `pending`."""
        self._connect_url = connect_url
        self._metrics = metrics
        self._tracing = tracing

    async def run(
        self,
        work: Callable[[], Awaitable[None]],
        *,
        team_id: str,
        user_id: str,
        reply: Reply,
        pending: dict[str, Any] | None,
        what: str,
        again: str = "",
        offer: Offer | None = None,
    ) -> str:
        """`what` names the work in log lines and in the commands metric (a name from the code, never
        user text); `again`, for work a Connect prompt cannot resume, what to do once linked; `offer`, what
        the answer to a failure carries besides its explanation. Returns its outcome: ok, needs_connect,
        failed or answered_elsewhere (cut_short raises CancelledError)."""
        outcome = "ok"
        try:
            if self._tracing.enabled:
                with self._tracing.span(what, **{"slack.team_id": team_id, "slack.user_id": user_id}):
                    await work()
            else:
                await work()
        except asyncio.CancelledError:
            # The process is stopping and could not finish in time: say so rather than go quiet.
            outcome = "cut_short"
            await safe_send(reply, texts.CUT_SHORT)
            raise
        except AnsweredElsewhere:
            # A second delivery of work another delivery is answering: one press, one answer.
            outcome = "answered_elsewhere"
            logger.info("%s for team=%s user=%s: answered by another delivery", what, team_id, user_id)
        except NeedsConnect as needed:
            outcome = "needs_connect"
            if isinstance(needed, NeedsScope):
                # Incremental consent: the Connect link asks Webex for the missing permission as well.
                url = self._connect_url(team_id, user_id, pending, needed.scopes)
            else:
                url = self._connect_url(team_id, user_id, pending)
            text, blocks = connect_prompt(url, reason=needed, resumes=pending is not None, again=again)
            await safe_send(reply, text, blocks)
        except Exception as error:  # one place that logs with context and tells the user honestly
            outcome = "failed"
            log_failure(logger, error, f"{what} for team={team_id} user={user_id}")
            text = explain(error)
            await safe_send(reply, text, _offered(offer, error, text))
        finally:
            self._finished(what, outcome)
        return outcome

    def answered_in_ack(self, what: str) -> None:
        """Count and log a command whose whole answer went out in the ack (nothing ran after it)."""
        self._finished(what, "ok")

    def _finished(self, what: str, outcome: str) -> None:
        context = current()
        started = context.started if context is not None else None
        self._metrics.command_finished(what, outcome, started)
        # One line a command at INFO: what an operator follows a request id to.
        seconds = time.perf_counter() - started if started is not None else None
        logger.info(
            "%s finished: %s",
            what,
            outcome,
            extra={"outcome": outcome, "seconds": round(seconds, 4) if seconds is not None else None},
        )


def _offered(offer: Offer | None, error: Exception, text: str) -> list[dict[str, Any]] | None:
    """The blocks `offer` adds to the explanation of `error`; without them (none, or a bug making them)
    the explanation still goes out."""
    if offer is None:
        return None
    try:
        return offer(error, text)
    except Exception:
        logger.exception("could not add to the answer to a failure")
        return None


async def safe_send(reply: Reply, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    try:
        await reply.send(text, blocks)
    except Exception:
        logger.exception("could not deliver a reply to Slack")
