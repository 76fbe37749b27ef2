"""OAuth connect attempts: a random single-use `state` bound to the Slack user, with its PKCE verifier."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field, replace
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


@dataclass(frozen=True)
class HeldAccount:
    """A Webex account waiting for the browser to sign in with Slack: for whom, and what it would link."""

    team_id: str
    user_id: str
    pending_command: dict[str, Any] | None
    account: dict[str, Any] = field(repr=False)


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

    async def hold_for_sign_in(self, state: str, account: dict[str, Any], ttl: timedelta) -> str:
        """Keep `account` (encrypted) on the consumed attempt until the browser signs in with Slack.

        Returns the Sign in with Slack `state` (256 random bits); the hold lapses after `ttl`.
        """
        sign_in_state = secrets.token_urlsafe(32)
        sealed = self._cipher.encrypt(json.dumps(account))
        async with self._db.session() as session:
            await session.execute(
                update(OAuthStateRow)
                .where(OAuthStateRow.state == state)
                .values(sign_in_state=sign_in_state, held_link=sealed, expires_at=self._clock.now() + ttl)
            )
            await session.commit()
        return sign_in_state

    async def take_held(self, sign_in_state: str) -> HeldAccount:
        """The account held for this Sign in with Slack state, once; it is dropped from the row either way.

        Raises StateUnknown, StateAlreadyUsed or StateExpired (an expired hold is dropped too).
        """
        now = self._clock.now()
        async with self._db.session() as session:
            row = (
                await session.scalars(
                    select(OAuthStateRow).where(OAuthStateRow.sign_in_state == sign_in_state)
                )
            ).one_or_none()
            if row is None:
                raise StateUnknown("this sign-in is not one we started")
            sealed, expires_at = row.held_link, row.expires_at
            held = HeldAccount(
                team_id=row.team_id,
                user_id=row.user_id,
                pending_command=self._open(row.pending_command),
                account={},
            )
            taken = 0
            if sealed is not None:
                # Compare-and-swap on the sealed value: of two browsers racing, only one takes it.
                result = await session.execute(
                    update(OAuthStateRow)
                    .where(OAuthStateRow.sign_in_state == sign_in_state, OAuthStateRow.held_link == sealed)
                    .values(held_link=None)
                    .execution_options(synchronize_session=False)
                )
                taken = int(result.rowcount)  # type: ignore[attr-defined]
            await session.commit()
        if expires_at <= now:
            raise StateExpired("this sign-in has expired")
        if sealed is None or not taken:
            raise StateAlreadyUsed("this sign-in was already used")
        return replace(held, account=json.loads(self._cipher.decrypt(sealed)))

    def _seal(self, pending_command: dict[str, Any] | None) -> str | None:
        # Encrypted like the tokens: a command typed before linking may carry a meeting password.
        if pending_command is None:
            return None
        return self._cipher.encrypt(json.dumps(pending_command, separators=(",", ":")))

    def _rotate(self, sealed: str | None) -> str | None:
        return None if sealed is None else self._cipher.rotate(sealed)

    def _open(self, sealed: str | None) -> dict[str, Any] | None:
        if sealed is None:
            return None
        command = json.loads(self._cipher.decrypt(sealed))
        return command if isinstance(command, dict) else None

    async def purge(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Delete attempts that expired or were used more than `older_than` ago; how many."""
        now = self._clock.now()
        cutoff = now - older_than
        async with self._db.session() as session:
            # A Webex account nobody finished signing in for is dropped as soon as its hold lapses.
            await session.execute(
                update(OAuthStateRow)
                .where(OAuthStateRow.held_link.is_not(None), OAuthStateRow.expires_at <= now)
                .values(held_link=None)
            )
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
        """Rewrite sealed values (PKCE verifiers, pending commands, held accounts) not under the newest key.

        Returns how many rows changed.
        """
        changed = 0
        async with self._db.session() as session:
            rows = (await session.scalars(select(OAuthStateRow))).all()
            for row in rows:
                sealed = [value for value in (row.code_verifier, row.pending_command, row.held_link) if value]
                if all(self._cipher.is_current(value) for value in sealed):
                    continue
                # Matching the old ciphertexts leaves alone a row changed meanwhile.
                result = await session.execute(
                    update(OAuthStateRow)
                    .where(
                        OAuthStateRow.state == row.state,
                        OAuthStateRow.code_verifier == row.code_verifier,
                        _unchanged(OAuthStateRow.pending_command, row.pending_command),
                        _unchanged(OAuthStateRow.held_link, row.held_link),
                    )
                    .values(
                        code_verifier=self._cipher.rotate(row.code_verifier),
                        pending_command=self._rotate(row.pending_command),
                        held_link=self._rotate(row.held_link),
                    )
                    .execution_options(synchronize_session=False)
                )
                changed += int(result.rowcount)  # type: ignore[attr-defined]
            await session.commit()
        return changed


def _unchanged(column: Any, value: str | None) -> Any:
    """The row still holds `value` in `column` (NULL included)."""
    return column.is_(None) if value is None else column == value
