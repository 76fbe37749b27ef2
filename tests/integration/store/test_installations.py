"""Slack installations and install states on a real database: encrypted bot tokens, Enterprise Grid keys,
reinstall, uninstall, key rotation; single-use, expiring states kept only as digests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import select

from bot.domain.clock import FakeClock
from bot.store import Database, InstallationStore, InstallStateStore, TokenCipher
from bot.store.models import SlackInstallationRow, SlackInstallStateRow
from bot.store.rotation import reencrypt_tokens

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SECRET = "state-secret-0123456789abcdef0123456789"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def installations(database: Database, cipher: TokenCipher, clock: FakeClock) -> InstallationStore:
    return InstallationStore(database, cipher, clock)


def installation(
    token: str, *, team_id: str | None = "T1", enterprise_id: str | None = None, org_wide: bool = False
) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise_id,
        team_id=None if org_wide else team_id,
        team_name="Acme",
        bot_token=token,
        bot_id="B1",
        bot_user_id="U_BOT",
        bot_scopes="commands,chat:write",
        user_id="U_ADMIN",
        user_token="xoxp-never-kept",
        is_enterprise_install=org_wide,
    )


async def rows(database: Database) -> list[SlackInstallationRow]:
    async with database.session() as session:
        return list((await session.scalars(select(SlackInstallationRow))).all())


async def test_the_bot_token_is_stored_encrypted_and_user_tokens_not_at_all(
    installations: InstallationStore, database: Database
) -> None:
    await installations.async_save(installation("xoxb-secret-one"))
    [row] = await rows(database)
    assert "xoxb-secret-one" not in row.bot_token and "xoxp" not in repr(row.__dict__)
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert (
        bot is not None
        and bot.bot_token == "xoxb-secret-one"
        and bot.bot_scopes == ["commands", "chat:write"]
    )
    found = await installations.async_find_installation(enterprise_id=None, team_id="T1", user_id="U9")
    assert found is not None and found.bot_token == "xoxb-secret-one" and found.user_token is None


async def test_a_reinstall_replaces_the_token_and_other_workspaces_are_apart(
    installations: InstallationStore, database: Database
) -> None:
    await installations.async_save(installation("xoxb-first"))
    await installations.async_save(installation("xoxb-other", team_id="T2"))
    await installations.async_save(installation("xoxb-again"))
    assert await installations.bot_token("T1") == "xoxb-again"
    assert await installations.bot_token("T2") == "xoxb-other"
    assert await installations.bot_token("T3") is None
    assert len(await rows(database)) == 2


async def test_an_org_wide_install_answers_for_every_workspace_of_the_organization(
    installations: InstallationStore,
) -> None:
    await installations.async_save(installation("xoxb-org", enterprise_id="E1", org_wide=True))
    for team in ("T1", "T2", None):
        bot = await installations.async_find_bot(enterprise_id="E1", team_id=team, is_enterprise_install=True)
        assert bot is not None and bot.bot_token == "xoxb-org" and bot.is_enterprise_install
    assert await installations.bot_token("E1/") == "xoxb-org"
    # Not another organization's, and not a workspace-level lookup in it.
    assert (
        await installations.async_find_bot(enterprise_id="E2", team_id="T1", is_enterprise_install=True)
        is None
    )
    assert await installations.async_find_bot(enterprise_id="E1", team_id="T1") is None


async def test_a_workspace_inside_an_organization_is_keyed_by_both_ids(
    installations: InstallationStore,
) -> None:
    await installations.async_save(installation("xoxb-grid", enterprise_id="E1", team_id="T1"))
    await installations.async_save(installation("xoxb-plain", team_id="T1"))
    assert await installations.bot_token("E1/T1") == "xoxb-grid"
    assert await installations.bot_token("T1") == "xoxb-plain"


async def test_uninstalling_deletes_only_that_installation(installations: InstallationStore) -> None:
    await installations.async_save(installation("xoxb-one"))
    await installations.async_save(installation("xoxb-two", team_id="T2"))
    await installations.async_delete_all(enterprise_id=None, team_id="T1")
    assert await installations.bot_token("T1") is None
    assert await installations.bot_token("T2") == "xoxb-two"
    assert not await installations.delete("T1")


async def test_key_rotation_rewrites_bot_tokens(
    database: Database, migrated_database_url: str, clock: FakeClock
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await InstallationStore(database, TokenCipher([old]), clock).async_save(installation("xoxb-rotated"))
    assert await reencrypt_tokens(migrated_database_url, [new, old]) == 1
    assert await reencrypt_tokens(migrated_database_url, [new, old]) == 0
    assert await InstallationStore(database, TokenCipher([new]), clock).bot_token("T1") == "xoxb-rotated"


async def test_an_install_state_is_used_once_expires_and_is_stored_only_as_a_digest(
    database: Database, clock: FakeClock
) -> None:
    states = InstallStateStore(database, clock, SECRET, ttl=timedelta(minutes=10))
    state = await states.async_issue()
    async with database.session() as session:
        [row] = (await session.scalars(select(SlackInstallStateRow))).all()
    assert state not in row.digest
    assert await states.async_consume(state)
    assert not await states.async_consume(state)
    assert not await states.async_consume("made-up")
    late = await states.async_issue()
    clock.advance(timedelta(minutes=11))
    assert not await states.async_consume(late)
    assert await states.purge() == 1
    # An attempt nobody finished is dropped when a later one starts.
    await states.async_issue()
    clock.advance(timedelta(minutes=11))
    await states.async_issue()
    async with database.session() as session:
        assert len((await session.scalars(select(SlackInstallStateRow))).all()) == 1
    # Another secret does not recognise this bot's states.
    other = await states.async_issue()
    assert not await InstallStateStore(database, clock, "another-secret-0123456789abcdef012").async_consume(
        other
    )


async def test_two_callbacks_racing_with_one_state_install_once(database: Database, clock: FakeClock) -> None:
    states = InstallStateStore(database, clock, SECRET)
    state = await states.async_issue()
    results = await asyncio.gather(*(states.async_consume(state) for _ in range(5)))
    assert results.count(True) == 1
