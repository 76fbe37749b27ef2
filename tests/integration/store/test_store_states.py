"""OAuthStateStore on a real database: random single-use states, expiry, binding to the user, purge."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.domain.clock import FakeClock
from bot.store import (
    Database,
    OAuthStateStore,
    StateAlreadyUsed,
    StateExpired,
    StateForAnotherUser,
    StateRejected,
    StateUnknown,
    TokenCipher,
)

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def states(database: Database, cipher: TokenCipher, clock: FakeClock) -> OAuthStateStore:
    return OAuthStateStore(database, cipher, clock)


async def test_a_state_is_random_url_safe_and_carries_the_attempt(states: OAuthStateStore) -> None:
    pending = {"command": "schedule", "text": "standup tomorrow 9am", "channel": "C1"}
    state = await states.create("T1", "U1", "verifier1", pending, ttl=timedelta(minutes=10))
    others = {await states.create("T1", "U1", "v") for _ in range(20)}
    assert state not in others and len(others) == 20
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,64}", state)  # 256 bits, URL-safe base64
    attempt = await states.consume(state)
    assert (attempt.team_id, attempt.user_id, attempt.code_verifier) == ("T1", "U1", "verifier1")
    assert attempt.pending_command == pending
    assert attempt.expires_at == START + timedelta(minutes=10) and attempt.expires_at.tzinfo is UTC


async def test_a_state_works_once(states: OAuthStateStore) -> None:
    state = await states.create("T1", "U1", "v", None)
    assert (await states.consume(state)).pending_command is None
    with pytest.raises(StateAlreadyUsed):
        await states.consume(state)


async def test_unknown_and_expired_states_are_refused_distinctly(
    states: OAuthStateStore, clock: FakeClock
) -> None:
    with pytest.raises(StateUnknown):
        await states.consume("forged-state-value")
    state = await states.create("T1", "U1", "v", ttl=timedelta(minutes=10))
    clock.advance(timedelta(minutes=10))
    with pytest.raises(StateExpired):
        await states.consume(state)
    fresh = await states.create("T1", "U1", "v", ttl=timedelta(minutes=10))
    clock.advance(timedelta(minutes=9, seconds=59))
    assert (await states.consume(fresh)).user_id == "U1"


async def test_another_users_state_is_refused_and_stays_usable_by_its_owner(states: OAuthStateStore) -> None:
    state = await states.create("T1", "U1", "v")
    with pytest.raises(StateForAnotherUser):
        await states.consume(state, team_id="T1", user_id="U2")
    with pytest.raises(StateForAnotherUser):
        await states.consume(state, team_id="T2", user_id="U1")
    assert (await states.consume(state, team_id="T1", user_id="U1")).user_id == "U1"
    with pytest.raises(StateRejected):
        await states.consume(state, team_id="T1", user_id="U1")


async def test_single_use_holds_across_processes_racing(
    migrated_database_url: str, cipher: TokenCipher, clock: FakeClock
) -> None:
    # Several Database objects (separate pools) stand for processes racing on one callback.
    databases = [Database(migrated_database_url) for _ in range(3)]
    try:
        stores = [OAuthStateStore(db, cipher, clock) for db in databases]
        state = await stores[0].create("T1", "U1", "v")

        async def attempt(store: OAuthStateStore) -> str:
            try:
                await store.consume(state)
            except StateAlreadyUsed:
                return "used"
            return "won"

        outcomes = await asyncio.gather(*(attempt(stores[i % 3]) for i in range(30)))
        assert sorted(outcomes).count("won") == 1
        assert outcomes.count("used") == 29
    finally:
        for db in databases:
            await db.dispose()


async def test_purge_and_forgetting(states: OAuthStateStore, database: Database, clock: FakeClock) -> None:
    used = await states.create("T1", "U1", "v")
    await states.consume(used)
    await states.create("T1", "U2", "v")
    await states.create("T2", "U1", "v")
    clock.advance(timedelta(hours=2))
    live = await states.create("T3", "U1", "v")
    assert await states.purge(older_than=timedelta(hours=1)) == 3
    assert await states.consume(live)
    assert await states.purge(older_than=timedelta(hours=1)) == 0

    await states.create("T1", "U1", "v")
    await states.create("T1", "U1", "v")
    await states.create("T1", "U2", "v")
    await states.create("T2", "U1", "v")
    assert await states.delete_user("T1", "U1") == 2
    assert await states.delete_team("T1") == 1
    async with database.engine.connect() as connection:
        left = (await connection.execute(text("SELECT team_id FROM oauth_states ORDER BY team_id"))).all()
    assert [row[0] for row in left] == ["T2", "T3"]


ACCOUNT = {
    "site": "acme",
    "email": "ann@acme.example",
    "access_token": "AT-secret",
    "refresh_token": "RT-secret",
}


async def test_an_account_held_for_sign_in_with_slack_is_encrypted_and_taken_once(
    states: OAuthStateStore, database: Database
) -> None:
    state = await states.create("T1", "U1", "v", {"command": "list"})
    await states.consume(state)
    sign_in_state = await states.hold_for_sign_in(state, ACCOUNT, timedelta(minutes=10))
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,64}", sign_in_state) and sign_in_state != state
    async with database.engine.connect() as connection:
        raw = repr((await connection.execute(text("SELECT * FROM oauth_states"))).all())
    assert "AT-secret" not in raw and "RT-secret" not in raw and "ann@acme.example" not in raw

    held = await states.take_held(sign_in_state)
    assert (held.team_id, held.user_id, held.pending_command) == ("T1", "U1", {"command": "list"})
    assert held.account == ACCOUNT and "AT-secret" not in repr(held)
    with pytest.raises(StateAlreadyUsed):
        await states.take_held(sign_in_state)
    with pytest.raises(StateUnknown):
        await states.take_held(state)  # the Webex state is not a Sign in with Slack state
    async with database.engine.connect() as connection:
        left = (await connection.execute(text("SELECT held_link FROM oauth_states"))).scalars().all()
    assert left == [None]


async def test_a_lapsed_hold_is_refused_and_purged(
    states: OAuthStateStore, database: Database, clock: FakeClock
) -> None:
    first, second = await states.create("T1", "U1", "v"), await states.create("T1", "U2", "v")
    holds = [await states.hold_for_sign_in(s, ACCOUNT, timedelta(minutes=10)) for s in (first, second)]
    clock.advance(timedelta(minutes=11))
    with pytest.raises(StateExpired):
        await states.take_held(holds[0])
    await states.purge(older_than=timedelta(days=1))
    async with database.engine.connect() as connection:
        left = (await connection.execute(text("SELECT held_link FROM oauth_states"))).scalars().all()
    assert left == [None, None]
    with pytest.raises(StateExpired):
        await states.take_held(holds[1])


async def test_a_hold_is_taken_once_across_processes_racing(
    migrated_database_url: str, cipher: TokenCipher, clock: FakeClock
) -> None:
    databases = [Database(migrated_database_url) for _ in range(3)]
    try:
        stores = [OAuthStateStore(db, cipher, clock) for db in databases]
        state = await stores[0].create("T1", "U1", "v")
        sign_in_state = await stores[0].hold_for_sign_in(state, ACCOUNT, timedelta(minutes=10))

        async def attempt(store: OAuthStateStore) -> str:
            try:
                await store.take_held(sign_in_state)
            except StateAlreadyUsed:
                return "used"
            return "won"

        outcomes = await asyncio.gather(*(attempt(stores[i % 3]) for i in range(12)))
        assert outcomes.count("won") == 1 and outcomes.count("used") == 11
    finally:
        for db in databases:
            await db.dispose()


async def test_key_rotation_reaches_a_held_account(database: Database, clock: FakeClock) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = OAuthStateStore(database, TokenCipher([old]), clock)
    sign_in_state = await before.hold_for_sign_in(
        await before.create("T1", "U1", "v"), ACCOUNT, timedelta(minutes=5)
    )
    assert await OAuthStateStore(database, TokenCipher([new, old]), clock).reencrypt_all() == 1
    held = await OAuthStateStore(database, TokenCipher([new]), clock).take_held(sign_in_state)
    assert held.account == ACCOUNT


async def test_a_pending_command_is_encrypted_at_rest_and_rotates_with_the_keys(
    database: Database, token_keys: list[str], clock: FakeClock
) -> None:
    old = TokenCipher(token_keys)
    pending = {"command": "schedule", "form": {"topic": "Board", "password": "Hunter2-secret"}}
    state = await OAuthStateStore(database, old, clock).create("T1", "U1", "verifier-secret", pending)
    async with database.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT * FROM oauth_states"))).all()
    assert "Hunter2-secret" not in repr(stored) and "Board" not in repr(stored)

    new_key = Fernet.generate_key().decode()
    rotated = OAuthStateStore(database, TokenCipher([new_key, *token_keys]), clock)
    assert await rotated.reencrypt_all() == 1
    only_new = OAuthStateStore(database, TokenCipher([new_key]), clock)
    attempt = await only_new.consume(state)
    assert attempt.pending_command == pending and attempt.code_verifier == "verifier-secret"
