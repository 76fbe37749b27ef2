"""OAuth connect attempts: a random single-use `state` bound to the Slack user, with its PKCE verifier."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from bot.domain.clock import Clock
from bot.store.crypto import TokenCipher
from bot.store.database import Database
from bot.store.models import OAuthStateRow

DEFAULT_STATE_TTL = timedelta(minutes=10)


class StateRejected(Exception):
    """The OAuth callback's `state` cannot be used; the subclass says why."""


class StateUnknown(StateRejected):
    """No connect attempt has this state (forged, mistyped, or already purged)."""


class StateExpired(StateRejected):
    """The connect attempt is older than its time to live."""


class StateAlreadyUsed(StateRejected):
    """The state was consumed before (a replayed or reloaded callback)."""


class StateForAnotherUser(StateRejected):
    """The state was made for a different Slack user than the one presenting it."""


@dataclass(frozen=True)
class ConnectAttempt:
    """A consumed state: who started the connect and what to do once linked."""

    state: str
    team_id: str
    user_id: str
    code_verifier: str
    pending_command: dict[str, Any] | None
    created_at: datetime
    expires_at: datetime


class OAuthStateStore:
    """The `oauth_states` table."""

    def __init__(self, db: Database, cipher: TokenCipher, clock: Clock) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    async def create(
        self,
        team_id: str,
        user_id: str,
        code_verifier: str,
        pending_command: dict[str, Any] | None = None,
        ttl: timedelta = DEFAULT_STATE_TTL,
    ) -> str:
        """Record a new connect attempt and return its state (256 random bits, URL-safe)."""
        state = secrets.token_urlsafe(32)
        now = self._clock.now()
        async with self._db.session() as session:
            session.add(
                OAuthStateRow(
                    state=state,
                    team_id=team_id,
                    user_id=user_id,
                    code_verifier=self._cipher.encrypt(code_verifier),
                    pending_command=self._seal(pending_command),
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
            await session.commit()
        return state

    async def consume(
        self, state: str, *, team_id: str | None = None, user_id: str | None = None
    ) -> ConnectAttempt:
        """Use the state once, even with several processes racing; raises a StateRejected subclass.

        Given `team_id`/`user_id`, a state made for someone else is refused and stays unused.
        """
        now = self._clock.now()
        conditions = [
            OAuthStateRow.state == state,
            OAuthStateRow.consumed_at.is_(None),
            OAuthStateRow.expires_at > now,
        ]
        if team_id is not None:
            conditions.append(OAuthStateRow.team_id == team_id)
        if user_id is not None:
            conditions.append(OAuthStateRow.user_id == user_id)
        async with self._db.session() as session:
            row = (
                await session.scalars(
                    update(OAuthStateRow).where(*conditions).values(consumed_at=now).returning(OAuthStateRow)
                )
            ).one_or_none()
            await session.commit()
            if row is not None:
                return ConnectAttempt(
                    state=row.state,
                    team_id=row.team_id,
                    user_id=row.user_id,
                    code_verifier=self._cipher.decrypt(row.code_verifier),
                    pending_command=self._open(row.pending_command),
                    created_at=row.created_at,
                    expires_at=row.expires_at,
                )
            existing = await session.get(OAuthStateRow, state, populate_existing=True)
        if existing is None:
            raise StateUnknown("this connect link is not one we issued")
        if existing.consumed_at is not None:
            raise StateAlreadyUsed("this connect link was already used")
        if existing.expires_at <= now:
            raise StateExpired("this connect link has expired")
        raise StateForAnotherUser("this connect link was made for another Slack user")

    def _seal(self, pending_command: dict[str, Any] | None) -> str | None:
        # Encrypted like the tokens: a command typed before linking may carry a meeting password.
        if pending_command is None:
            return None
        return self._cipher.encrypt(json.dumps(pending_command, separators=(",", ":")))

    def _open(self, sealed: str | None) -> dict[str, Any] | None:
        if sealed is None:
            return None
        command = json.loads(self._cipher.decrypt(sealed))
        return command if isinstance(command, dict) else None

    async def purge(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Delete attempts that expired or were used more than `older_than` ago; how many."""
        cutoff = self._clock.now() - older_than
        async with self._db.session() as session:
            result = await session.execute(
                delete(OAuthStateRow).where(
                    or_(OAuthStateRow.expires_at < cutoff, OAuthStateRow.consumed_at < cutoff)
                )
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_user(self, team_id: str, user_id: str) -> int:
        async with self._db.session() as session:
            result = await session.execute(
                delete(OAuthStateRow).where(
                    OAuthStateRow.team_id == team_id, OAuthStateRow.user_id == user_id
                )
            )
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_team(self, team_id: str) -> int:
        async with self._db.session() as session:
            result = await session.execute(delete(OAuthStateRow).where(OAuthStateRow.team_id == team_id))
            await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def reencrypt_all(self) -> int:
        """Rewrite the PKCE verifiers and pending commands not yet under the newest key; how many rows."""
        changed = 0
        async with self._db.session() as session:
            rows = (await session.scalars(select(OAuthStateRow))).all()
            for row in rows:
                sealed = [row.code_verifier] + ([row.pending_command] if row.pending_command else [])
                if all(self._cipher.is_current(value) for value in sealed):
                    continue
                # Matching the old ciphertexts leaves alone a row changed meanwhile.
                result = await session.execute(
                    update(OAuthStateRow)
                    .where(
                        OAuthStateRow.state == row.state,
                        OAuthStateRow.code_verifier == row.code_verifier,
                        OAuthStateRow.pending_command.is_(None)
                        if row.pending_command is None
                        else OAuthStateRow.pending_command == row.pending_command,
                    )
                    .values(
                        code_verifier=self._cipher.rotate(row.code_verifier),
                        pending_command=None
                        if row.pending_command is None
                        else self._cipher.rotate(row.pending_command),
                    )
                    .execution_options(synchronize_session=False)
                )
                changed += int(result.rowcount)  # type: ignore[attr-defined]
            await session.commit()
        return changed
