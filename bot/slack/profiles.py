"""Slack profiles (name, email, time zone) from users.info, cached briefly."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import Clock
from bot.slack.workspaces import speaking_for


@dataclass(frozen=True)
class SlackProfile:
    user_id: str
    name: str
    real_name: str
    email: str
    tz: str

    @property
    def display_name(self) -> str:
        return self.real_name or self.name or self.user_id


class ProfileNotFound(Exception):
    """Slack does not know this user (or the bot may not read their profile)."""


class SlackProfiles:
    """users.info with a short cache, so one command costs at most one lookup per person."""

    def __init__(self, client: AsyncWebClient, clock: Clock, ttl: timedelta = timedelta(minutes=5)) -> None:
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[SlackProfile, float]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[SlackProfile]] = {}

    async def get(self, team_id: str, user_id: str) -> SlackProfile:
        key = (team_id, user_id)
        now = self._clock.now().timestamp()
        cached = self._cache.get(key)
        if cached and cached[1] > now:
            return cached[0]
        if key in self._inflight:
            return await asyncio.shield(self._inflight[key])
        future: asyncio.Future[SlackProfile] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            # Asked as the bot of the person's workspace, wherever the lookup starts (e.g. a web page).
            with speaking_for(team_id):
                profile = await self._fetch(user_id)
            self._cache[key] = (profile, now + self._ttl.total_seconds())
            future.set_result(profile)
            return profile
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            del self._inflight[key]

    def forget(self, team_id: str, user_id: str | None = None) -> None:
        for key in [k for k in self._cache if k[0] == team_id and (user_id is None or k[1] == user_id)]:
            del self._cache[key]

    async def _fetch(self, user_id: str) -> SlackProfile:
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") == "user_not_found":
                raise ProfileNotFound(user_id) from None
            raise
        user = response["user"]
        profile = user.get("profile") or {}
        return SlackProfile(
            user_id=user_id,
            name=user.get("name") or "",
            real_name=user.get("real_name") or profile.get("real_name") or "",
            email=(profile.get("email") or "").strip(),
            tz=user.get("tz") or "UTC",
        )
