"""Valid Webex access tokens for linked users, refreshed once however many ask; links forgotten on request."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from bot.domain.accounts import Link, TokenGrant
from bot.domain.clock import Clock
from bot.services.errors import LinkExpired, NeedsConnect, NotLinked, TokenRefreshUnavailable
from bot.services.ports import AuthorizationFailed, AuthorizationServerUnavailable, GrantRevoked
from bot.store.channel_cards import ChannelCardStore
from bot.store.host_presses import HostPressStore
from bot.store.links import LinkStore, NewTokens, RefreshBusy, RefreshTurn
from bot.store.operations import OperationStore
from bot.store.reminders import ReminderStore
from bot.store.states import OAuthStateStore

__all__ = [
    "LinkExpired",
    "NeedsConnect",
    "NotLinked",
    "TokenRefresher",
    "TokenRefreshUnavailable",
    "TokenService",
    "with_site_prefix",
]

logger = logging.getLogger(__name__)

# Refresh this long before Webex would reject the token, so a command never starts with one about to lapse.
DEFAULT_REFRESH_MARGIN = timedelta(minutes=5)


class TokenRefresher(Protocol):
    """The token endpoint (ports.AuthorizationServer): GrantRevoked, AuthorizationServerUnavailable."""

    async def refresh(self, refresh_token: str) -> TokenGrant: ...


def with_site_prefix(refresh_token: str, site: str) -> str:
    """The refresh token as Webex describes it, `{site}_...`, without doubling a prefix already there."""
    if not site or refresh_token.casefold().startswith(f"{site.casefold()}_"):
        return refresh_token
    return f"{site}_{refresh_token}"


class TokenService:
    """Hands out links with a usable access token; one refresh per link at a time, across processes too."""

    def __init__(
        self,
        links: LinkStore,
        oauth: TokenRefresher,
        clock: Clock,
        *,
        states: OAuthStateStore | None = None,
        operations: OperationStore | None = None,
        refresh_margin: timedelta = DEFAULT_REFRESH_MARGIN,
        refresh_wait: timedelta = timedelta(seconds=20),
        on_refresh: Callable[[str], None] | None = None,
    ) -> None:
        """`on_refresh` is told how each refresh this process makes ends: refreshed, refused (the link
        is marked expired), unavailable (Webex's token endpoint) or rejected (our client settings)."""
        self._links = links
        self._on_refresh = on_refresh or _ignore
        self._oauth = oauth
        self._clock = clock
        # Given or not, forgetting a user must reach every table that mentions them.
        self._states = states or OAuthStateStore(links.database, links.cipher, clock)
        self._operations = operations or OperationStore(links.database, clock)
        # What a user's commands leave behind besides their records: Start as host presses, channel cards
        # shared and reminders.
        self._reminders = ReminderStore(links.database, clock)
        self._activity = (
            HostPressStore(links.database, clock),
            ChannelCardStore(links.database, clock),
            self._reminders,
        )
        self._margin = refresh_margin
        self._wait = refresh_wait
        # One flight per link, dropped once nobody waits on it.
        self._flights: weakref.WeakValueDictionary[tuple[str, str], _Flight] = weakref.WeakValueDictionary()

    def _flight(self, team_id: str, user_id: str) -> _Flight:
        flight = self._flights.get((team_id, user_id))
        if flight is None:
            flight = _Flight()
            self._flights[(team_id, user_id)] = flight
        return flight

    async def _usable(self, team_id: str, user_id: str) -> Link:
        link = await self._links.get(team_id, user_id)
        if link is None:
            raise NotLinked()
        if link.expired:
            raise LinkExpired()
        return link

    async def link_with_fresh_token(self, team_id: str, user_id: str) -> Link:
        """The user's link with an access token good for a while yet (refreshed if it was not)."""
        link = await self._usable(team_id, user_id)
        if link.access_token_fresh(self._clock.now(), self._margin):
            return link

        def stale(current: Link) -> bool:
            return not current.access_token_fresh(self._clock.now(), self._margin)

        return await self._refresh(team_id, user_id, stale)

    async def refresh_after_rejection(self, team_id: str, user_id: str, rejected_access_token: str) -> Link:
        """Webex said this access token is invalid: refresh once, unless someone already replaced it."""
        link = await self._usable(team_id, user_id)
        if link.access_token != rejected_access_token:
            return link

        def still_rejected(current: Link) -> bool:
            return current.access_token == rejected_access_token

        return await self._refresh(team_id, user_id, still_rejected)

    async def renew_if_lapsing(self, team_id: str, user_id: str, within: timedelta) -> Link:
        """Renew the link now if its refresh token would lapse within `within`, so a person who does not
        use the bot for a while keeps a working link. Raises LinkExpired when Webex refuses (the link is
        then marked expired) and TokenRefreshUnavailable when Webex cannot be reached."""

        def lapsing(current: Link) -> bool:
            lapses = current.refresh_expires_at
            return lapses is not None and lapses <= self._clock.now() + within

        return await self._refresh(team_id, user_id, lapsing)

    async def _refresh(self, team_id: str, user_id: str, needs_refresh: Callable[[Link], bool]) -> Link:
        flight = self._flight(team_id, user_id)
        asked_at = time.monotonic()
        async with flight.lock:
            if flight.failure is not None and flight.failed_at >= asked_at:
                # The attempt we queued behind has just failed; trying again at once would only make
                # every waiter sit through the same timeout in turn.
                raise TokenRefreshUnavailable(flight.failure)
            try:
                return await self._refresh_in_flight(team_id, user_id, needs_refresh)
            except TokenRefreshUnavailable as error:
                flight.failure, flight.failed_at = str(error), time.monotonic()
                raise

    async def _refresh_in_flight(
        self, team_id: str, user_id: str, needs_refresh: Callable[[Link], bool]
    ) -> Link:
        # Whoever held the lock before us may have refreshed already.
        link = await self._usable(team_id, user_id)
        if not needs_refresh(link):
            return link
        try:
            async with self._links.refresh_turn(team_id, user_id, wait=self._wait) as turn:
                # And another process may have, while we waited for the turn.
                current = turn.link
                if current is None:
                    raise NotLinked()
                if current.expired:
                    raise LinkExpired()
                if not needs_refresh(current):
                    return current
                refreshed = await self._spend_refresh_token(turn, current)
        except RefreshBusy:
            raise TokenRefreshUnavailable(
                "another bot process is renewing this Webex access token and has not finished"
            ) from None
        if refreshed is None:
            # Our turn was lost (a lease outlived) and someone else stored tokens: use theirs.
            return await self._usable(team_id, user_id)
        return refreshed

    async def _spend_refresh_token(self, turn: RefreshTurn, link: Link) -> Link | None:
        started = self._clock.now()
        try:
            grant = await self._refresh_in_either_form(link)
        except GrantRevoked:
            self._on_refresh("refused")
            await turn.expire()
            logger.info(
                "refresh token refused; link marked expired team=%s user=%s", link.team_id, link.user_id
            )
            raise LinkExpired() from None
        except AuthorizationServerUnavailable as error:
            self._on_refresh("unavailable")
            logger.warning(
                "token endpoint unavailable; link kept team=%s user=%s", link.team_id, link.user_id
            )
            raise TokenRefreshUnavailable(
                "Webex's token endpoint could not be reached to renew the access token"
            ) from error
        except AuthorizationFailed as error:
            # invalid_client and the like: our configuration, not the user's link, is at fault.
            self._on_refresh("rejected")
            logger.error(
                "token endpoint refused the refresh with %s; link kept team=%s user=%s",
                error.error,
                link.team_id,
                link.user_id,
            )
            raise TokenRefreshUnavailable(
                f"Webex refused to renew the access token ({error.error})"
            ) from error
        stored = await turn.store(_new_tokens(grant, link, started))
        self._on_refresh("refreshed")
        logger.info("access token refreshed team=%s user=%s", link.team_id, link.user_id)
        return stored

    async def _refresh_in_either_form(self, link: Link) -> TokenGrant:
        # Webex documents refresh tokens as `{site}_...`, but some servers issue them bare. The form
        # the server issued comes first; the prefixed one is tried only if that is refused.
        try:
            return await self._oauth.refresh(link.refresh_token)
        except GrantRevoked:
            prefixed = with_site_prefix(link.refresh_token, link.site)
            if prefixed == link.refresh_token:
                raise
        return await self._oauth.refresh(prefixed)

    async def disconnect(self, team_id: str, user_id: str) -> Link | None:
        """Delete the user's link, pending connect attempts and the reminders of their meetings (whose Join
        and Start buttons need the link); the link that was removed, if any."""
        link = await self._links.get(team_id, user_id)
        await self._links.delete(team_id, user_id)
        await self._states.delete_user(team_id, user_id)
        await self._reminders.drop_host(team_id, user_id)
        return link

    async def forget_user(self, team_id: str, user_id: str) -> bool:
        """Leave nothing of this user behind (link, connect attempts, command records); True if linked."""
        removed = await self._links.delete(team_id, user_id)
        await self._states.delete_user(team_id, user_id)
        await self._operations.delete_user(team_id, user_id)
        for activity in self._activity:
            await activity.delete_user(team_id, user_id)
        return removed

    async def forget_team(self, team_id: str) -> int:
        """Leave nothing of this workspace behind; how many links were removed."""
        removed = await self._links.delete_team(team_id)
        await self._states.delete_team(team_id)
        await self._operations.delete_team(team_id)
        for activity in self._activity:
            await activity.delete_team(team_id)
        return removed


class _Flight:
    """Refreshes of one link in this process: one at a time, and the last failure for those who waited."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.failure: str | None = None
        self.failed_at = 0.0


def _new_tokens(grant: TokenGrant, link: Link, asked_at: datetime) -> NewTokens:
    # Lifetimes count from when we asked, so a slow answer errs on the early side.
    new_refresh = grant.refresh_token or link.refresh_token
    if grant.refresh_expires_in:
        refresh_expires_at: datetime | None = asked_at + timedelta(seconds=grant.refresh_expires_in)
    elif new_refresh == link.refresh_token:
        refresh_expires_at = link.refresh_expires_at
    else:
        refresh_expires_at = None
    return NewTokens(
        access_token=grant.access_token,
        access_expires_at=asked_at + timedelta(seconds=grant.expires_in),
        refresh_token=new_refresh,
        refresh_expires_at=refresh_expires_at,
        scopes=grant.scopes or None,
    )


def _ignore(outcome: str) -> None:
    """No one listening to refresh outcomes."""
