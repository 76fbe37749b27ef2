"""A person's Webex link as the account commands see it: whether there is one, and forgetting it."""

from __future__ import annotations

from typing import Protocol

from bot.domain.accounts import Link
from bot.services.errors import LinkExpired, NotLinked


class Links(Protocol):
    """Reading links (bot.store.links.LinkStore)."""

    async def get(self, team_id: str, user_id: str) -> Link | None: ...


class Forgetting(Protocol):
    """Forgetting people everywhere they are mentioned (bot.services.accounts.TokenService)."""

    async def forget_user(self, team_id: str, user_id: str) -> bool: ...

    async def forget_team(self, team_id: str) -> int: ...


class LinkedAccounts:
    """The use cases behind connect, status, disconnect, the Home tab and Slack's revocation events."""

    def __init__(self, links: Links, forgetting: Forgetting) -> None:
        self._links = links
        self._forgetting = forgetting

    async def link_of(self, team_id: str, user_id: str) -> Link | None:
        """The person's link, expired or not; None when they never linked (or were forgotten)."""
        return await self._links.get(team_id, user_id)

    async def ensure_linked(self, team_id: str, user_id: str) -> None:
        """Raise NotLinked or LinkExpired when the person must connect first."""
        link = await self._links.get(team_id, user_id)
        if link is None:
            raise NotLinked(f"{team_id}/{user_id} has no Webex link")
        if link.expired:
            raise LinkExpired(f"{team_id}/{user_id} must reconnect")

    async def disconnect(self, team_id: str, user_id: str) -> Link | None:
        """Forget the person's tokens and everything pending for them; the link they had, if any."""
        link = await self._links.get(team_id, user_id)
        await self._forgetting.forget_user(team_id, user_id)
        return link

    async def forget_user(self, team_id: str, user_id: str) -> None:
        await self._forgetting.forget_user(team_id, user_id)

    async def forget_team(self, team_id: str) -> int:
        """Forget a whole workspace; how many links were removed."""
        return await self._forgetting.forget_team(team_id)
