"""Links that do not lapse: renew every link whose refresh token would expire soon, before it does."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.accounts import Link
from bot.domain.clock import Clock
from bot.services.errors import LinkExpired, NotLinked, TokenRefreshUnavailable

logger = logging.getLogger(__name__)

# Webex refresh tokens live 60 days; a daily run renews any within a week of lapsing, so a few missed
# days (the bot down, Webex unreachable) still leave time.
RENEW_WITHIN = timedelta(days=7)


class LapsingLinks(Protocol):
    async def lapsing(self, before: datetime) -> list[tuple[str, str]]: ...


class Renewer(Protocol):
    async def renew_if_lapsing(self, team_id: str, user_id: str, within: timedelta) -> Link: ...


# Told once per link Webex refused to renew (it is then marked expired, so it is never picked again).
TellRefused = Callable[[str, str], Awaitable[None]]


@dataclass
class KeepAliveRun:
    renewed: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    unavailable: int = 0


class LinkKeeper:
    """Renews lapsing links; the caller runs it daily, in one process (the job lease)."""

    def __init__(
        self, links: LapsingLinks, tokens: Renewer, clock: Clock, within: timedelta = RENEW_WITHIN
    ) -> None:
        self._links = links
        self._tokens = tokens
        self._clock = clock
        self._within = within

    async def renew_lapsing(self, tell_refused: TellRefused) -> KeepAliveRun:
        run = KeepAliveRun()
        for team_id, user_id in await self._links.lapsing(self._clock.now() + self._within):
            try:
                await self._tokens.renew_if_lapsing(team_id, user_id, self._within)
            except LinkExpired:
                # This call marked the link expired (an expired link is not listed): the person hears once.
                run.refused.append((team_id, user_id))
                try:
                    await tell_refused(team_id, user_id)
                except Exception:
                    logger.warning(
                        "could not tell team=%s user=%s their link lapsed", team_id, user_id, exc_info=True
                    )
            except NotLinked:
                continue  # disconnected meanwhile
            except TokenRefreshUnavailable:
                run.unavailable += 1  # Webex unreachable: tomorrow's run tries again, days before it lapses
            else:
                run.renewed += 1
        logger.info(
            "link keep-alive: %s renewed, %s refused, %s not reachable",
            run.renewed,
            len(run.refused),
            run.unavailable,
        )
        return run
