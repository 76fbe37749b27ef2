"""LinkStore on a real database: encryption at rest, compare-and-swap, deletion, rotation, refresh turns."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.domain.clock import FakeClock
from bot.store import Database, LinkStore, NewTokens, RefreshBusy, TokenCipher, UndecryptableToken
from bot.store.rotation import reencrypt_tokens
from bot.store.states import OAuthStateStore
from tests.support.database import sample_link

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def links(database: Database, cipher: TokenCipher, clock: FakeClock) -> LinkStore:
    return LinkStore(database, cipher, clock)


async def raw_rows(db: Database, table: str) -> list[dict[str, object]]:
    async with db.engine.connect() as connection:
        result = await connection.execute(text(f"SELECT * FROM {table}"))
        return [dict(row._mapping) for row in result]


async def test_saved_link_reads_back_decrypted_with_aware_utc_times(
    links: LinkStore, clock: FakeClock
) -> None:
    link = sample_link(now=clock.now())
    stored = await links.save(link)
    assert stored == link
    got = await links.get("T1", "U1")
    assert got == link
    assert got is not None and got.access_expires_at.tzinfo is UTC and got.created_at == START
    assert await links.get("T1", "U2") is None
    assert await links.get("T2", "U1") is None


async def test_raw_rows_never_hold_a_token_in_plain_text(
    database: Database, links: LinkStore, cipher: TokenCipher, clock: FakeClock
) -> None:
    secrets = ["sandbox-ACCESS-0123456789", "sandbox_REFRESH-0123456789", "VERIFIER42"]
    await links.save(sample_link(now=clock.now(), access_token=secrets[0], refresh_token=secrets[1]))
    await links.replace_tokens(
        "T1",
        "U1",
        expected_version=1,
        tokens=NewTokens("sandbox-ACCESS-second", START + timedelta(hours=2), "sandbox_REFRESH-second"),
    )
    secrets += ["sandbox-ACCESS-second", "sandbox_REFRESH-second"]
    await OAuthStateStore(database, cipher, clock).create("T1", "U1", secrets[2], {"command": "schedule"})
    dump = repr(await raw_rows(database, "webex_links")) + repr(await raw_rows(database, "oauth_states"))
    assert "alice@sandbox.example" in dump  # the dump really holds the rows
    for secret in secrets:
        assert secret not in dump
        assert secret.lower() not in dump.lower()


async def test_saving_again_is_a_reconnect(links: LinkStore, clock: FakeClock) -> None:
    await links.save(sample_link(now=clock.now()))
    await links.mark_expired("T1", "U1")
    clock.advance(timedelta(days=3))
    again = await links.save(sample_link(now=clock.now(), access_token="second", webex_id="alice2"))
    assert again.version == 3
    assert again.status == "active"
    assert again.webex_id == "alice2" and again.access_token == "second"
    assert again.created_at == START and again.updated_at == START + timedelta(days=3)


async def test_replace_tokens_is_compare_and_swap_on_version(links: LinkStore, clock: FakeClock) -> None:
    await links.save(sample_link(now=clock.now()))
    first = NewTokens("access-2", START + timedelta(hours=3), "sandbox_refresh-2", None, ("all_read",))
    replaced = await links.replace_tokens("T1", "U1", expected_version=1, tokens=first)
    assert replaced is not None
    assert (replaced.version, replaced.access_token, replaced.refresh_token) == (
        2,
        "access-2",
        "sandbox_refresh-2",
    )
    assert replaced.scopes == ("all_read",) and replaced.refresh_expires_at is None
    stale = await links.replace_tokens(
        "T1", "U1", expected_version=1, tokens=NewTokens("access-lost", START + timedelta(hours=4))
    )
    assert stale is None
    current = await links.get("T1", "U1")
    assert current is not None and current.access_token == "access-2" and current.version == 2
    keeps_refresh = await links.replace_tokens(
        "T1", "U1", expected_version=2, tokens=NewTokens("access-3", START + timedelta(hours=5))
    )
    assert keeps_refresh is not None and keeps_refresh.refresh_token == "sandbox_refresh-2"
    assert await links.replace_tokens("T9", "U9", expected_version=1, tokens=first) is None


async def test_mark_expired_keeps_the_row(links: LinkStore, clock: FakeClock) -> None:
    await links.save(sample_link(now=clock.now()))
    assert not await links.mark_expired("T1", "U1", expected_version=7)
    assert await links.mark_expired("T1", "U1", expected_version=1)
    expired = await links.get("T1", "U1")
    assert expired is not None and expired.expired and expired.version == 2
    assert not await links.mark_expired("T1", "nobody")


async def test_delete_user_and_team(links: LinkStore, clock: FakeClock) -> None:
    for team, user in [("T1", "U1"), ("T1", "U2"), ("T1", "U3"), ("T2", "U1")]:
        await links.save(sample_link(team, user, now=clock.now()))
    assert await links.delete("T1", "U1")
    assert not await links.delete("T1", "U1")
    assert await links.delete_team("T1") == 2
    assert await links.delete_team("T1") == 0
    assert await links.get("T2", "U1") is not None


async def test_key_rotation_keeps_links_and_an_old_key_only_config_fails_clearly(
    database: Database, migrated_database_url: str, clock: FakeClock
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = LinkStore(database, TokenCipher([old]), clock)
    for user in ("U1", "U2", "U3"):
        await before.save(sample_link("T1", user, now=clock.now(), access_token=f"access-{user}"))
    await OAuthStateStore(database, TokenCipher([old]), clock).create("T1", "U1", "verifier")

    # Step 1: the new key goes in front; everything still reads.
    during = LinkStore(database, TokenCipher([new, old]), clock)
    assert (await during.get("T1", "U2")) is not None
    # Step 2: re-encrypt (links and pending connect attempts).
    assert await reencrypt_tokens(migrated_database_url, [new, old]) == 4
    assert await reencrypt_tokens(migrated_database_url, [new, old]) == 0
    # Step 3: the old key is dropped; links keep working.
    after = LinkStore(database, TokenCipher([new]), clock)
    await after.check_keys()
    for user in ("U1", "U2", "U3"):
        link = await after.get("T1", user)
        assert link is not None and link.access_token == f"access-{user}"
    # A configuration with only the old key is told so, instead of seeing no links.
    stale = LinkStore(database, TokenCipher([old]), clock)
    with pytest.raises(UndecryptableToken, match="TOKEN_KEYS"):
        await stale.get("T1", "U1")
    with pytest.raises(UndecryptableToken):
        await stale.check_keys()


@pytest.mark.parametrize("row_locks", [None, False], ids=["native-guard", "lease-guard"])
async def test_refresh_turn_is_exclusive_and_the_next_holder_sees_the_stored_tokens(
    migrated_database_url: str, cipher: TokenCipher, clock: FakeClock, row_locks: bool | None
) -> None:
    # Two Database objects stand for two processes.
    first_db, second_db = Database(migrated_database_url), Database(migrated_database_url)
    first = LinkStore(first_db, cipher, clock, row_locks=row_locks)
    second = LinkStore(second_db, cipher, clock, row_locks=row_locks)
    await first.save(sample_link(now=clock.now()))
    holding, release = asyncio.Event(), asyncio.Event()
    seen: list[str] = []

    async def winner() -> None:
        async with first.refresh_turn("T1", "U1") as turn:
            holding.set()
            await release.wait()
            assert turn.link is not None
            await turn.store(NewTokens("from-winner", START + timedelta(hours=2)))

    async def loser() -> None:
        await holding.wait()
        async with second.refresh_turn("T1", "U1") as turn:
            assert turn.link is not None
            seen.append(turn.link.access_token)

    try:
        tasks = [asyncio.create_task(winner()), asyncio.create_task(loser())]
        await holding.wait()
        await asyncio.sleep(0.15)
        assert seen == []  # the loser is still waiting for the turn
        release.set()
        await asyncio.gather(*tasks)
        assert seen == ["from-winner"]
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_refresh_turn_gives_up_after_waiting(
    migrated_database_url: str, cipher: TokenCipher, clock: FakeClock
) -> None:
    first_db, second_db = Database(migrated_database_url), Database(migrated_database_url)
    try:
        first, second = LinkStore(first_db, cipher, clock), LinkStore(second_db, cipher, clock)
        await first.save(sample_link(now=clock.now()))
        async with first.refresh_turn("T1", "U1"):
            with pytest.raises(RefreshBusy):
                async with second.refresh_turn("T1", "U1", wait=timedelta(milliseconds=100)):
                    pass  # pragma: no cover - never entered
        async with second.refresh_turn("T1", "U1", wait=timedelta(milliseconds=100)) as turn:
            assert turn.link is not None  # released when the first turn ended unused
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_a_crashed_lease_holder_does_not_block_forever(
    database: Database, cipher: TokenCipher, clock: FakeClock
) -> None:
    links = LinkStore(database, cipher, clock, row_locks=False, lease=timedelta(seconds=30))
    await links.save(sample_link(now=clock.now()))
    async with database.engine.begin() as connection:
        await connection.execute(
            text("UPDATE webex_links SET refresh_lease_owner = 'gone:1:dead', refresh_lease_until = :until"),
            {
                "until": (START + timedelta(seconds=30)).replace(
                    tzinfo=None if database.dialect == "sqlite" else UTC
                )
            },
        )
    with pytest.raises(RefreshBusy):
        async with links.refresh_turn("T1", "U1", wait=timedelta(milliseconds=50)):
            pass  # pragma: no cover - never entered
    clock.advance(timedelta(seconds=31))
    async with links.refresh_turn("T1", "U1", wait=timedelta(milliseconds=50)) as turn:
        assert turn.link is not None
        stored = await turn.store(NewTokens("after-crash", START + timedelta(hours=3)))
    assert stored is not None and stored.access_token == "after-crash"


async def test_refresh_turn_on_a_missing_link_yields_none(links: LinkStore) -> None:
    async with links.refresh_turn("T1", "nobody") as turn:
        assert turn.link is None


async def test_row_locks_are_only_offered_on_postgresql(
    database: Database, cipher: TokenCipher, clock: FakeClock
) -> None:
    if database.dialect == "postgresql":
        assert LinkStore(database, cipher, clock).row_locks
        return
    assert not LinkStore(database, cipher, clock).row_locks
    with pytest.raises(ValueError, match="PostgreSQL"):
        LinkStore(database, cipher, clock, row_locks=True)
