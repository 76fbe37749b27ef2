"""Recordings of a person's meetings: the recent ones, one by id for sharing, and renaming one.

Renaming needs a permission the bot does not ask for when a person first connects (the backend's
recording-modify scope). It is asked for the first time someone renames: `NeedsScope` makes the
Connect prompt ask Webex for that scope too, and the rename finishes once the person approved it.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.clock import Clock
from bot.domain.meeting_rules import MeetingRequestInvalid
from bot.domain.meetings import Recording
from bot.services.errors import NeedsScope
from bot.services.meeting_calls import BackendCalls, Tokens
from bot.services.ports import MeetingBackend, NotPermitted, RecordingNotFound

RECENT = timedelta(days=30)  # what `/webex recordings` lists
SHARE_WINDOW = timedelta(days=365)  # how far back a Share button still finds its recording
RECENT_LIMIT = 10
MAX_NAME_LENGTH = 128


def clean_recording_name(name: str) -> str:
    """The new name on one line, or MeetingRequestInvalid saying what to change."""
    one_line = " ".join(name.split())
    if not one_line:
        raise MeetingRequestInvalid("name", "Type a name for the recording.")
    if len(one_line) > MAX_NAME_LENGTH:
        raise MeetingRequestInvalid(
            "name", f"The name is {len(one_line)} characters long; keep it to {MAX_NAME_LENGTH}."
        )
    return one_line


class RecordingService:
    """A person's recordings, through their own linked account."""

    def __init__(
        self, tokens: Tokens, backend: MeetingBackend, clock: Clock, *, rename_scope: str | None
    ) -> None:
        """`rename_scope` is the backend's name for permission to change recordings; None when the
        backend cannot rename a recording at all (the REST API has no such operation)."""
        self._tokens = tokens
        self._calls = BackendCalls(tokens, backend)
        self._backend = backend
        self._clock = clock
        self._rename_scope = rename_scope

    @property
    def can_rename(self) -> bool:
        """Whether recordings can be renamed through this backend (so whether to offer it)."""
        return self._rename_scope is not None

    async def recent(self, team_id: str, user_id: str) -> tuple[Recording, ...]:
        """The person's recordings of the last 30 days, newest first (at most 10)."""
        after = self._clock.now() - RECENT
        return await self._calls.call(
            team_id,
            user_id,
            lambda creds: self._backend.list_recordings(creds, created_after=after, limit=RECENT_LIMIT),
        )

    async def find(self, team_id: str, user_id: str, recording_id: str) -> Recording:
        """One of the person's recordings of the last year; RecordingNotFound when it is not there."""
        after = self._clock.now() - SHARE_WINDOW
        found = await self._calls.call(
            team_id,
            user_id,
            lambda creds: self._backend.list_recordings(creds, created_after=after, limit=500),
        )
        for recording in found:
            if recording.recording_id == recording_id:
                return recording
        raise RecordingNotFound(f"no recording {recording_id} of this user in the last year")

    async def rename(self, team_id: str, user_id: str, recording_id: str, name: str) -> str:
        """Rename the recording; the name as stored. Raises NeedsScope until the person has allowed the
        bot to change recordings."""
        if self._rename_scope is None:
            raise NotPermitted("this Webex API cannot rename recordings")
        cleaned = clean_recording_name(name)
        link = await self._tokens.link_with_fresh_token(team_id, user_id)
        if self._rename_scope not in link.scopes:
            raise NeedsScope(
                f"{team_id}/{user_id} has not allowed {self._rename_scope}",
                (self._rename_scope,),
                "rename recordings",
            )
        await self._calls.call(
            team_id, user_id, lambda creds: self._backend.rename_recording(creds, recording_id, cleaned)
        )
        return cleaned
