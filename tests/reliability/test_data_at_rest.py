"""Tokens at rest: encrypted with TOKEN_KEYS, rotated without losing a link, and a wrong or missing key is a
clear one-line start-up error (exit status 2), never links silently lost or broken commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import inspect, text

from bot.store.crypto import TokenCipher, UndecryptableToken
from bot.store.database import Database
from bot.web.app import create_app
from tests.e2e.accounts.test_connect import connect_button
from tests.e2e.meetings.conftest import Stage, shown_text
from tests.reliability.support import bot_env, run_cli
from tests.support.emulator import ALICE, approve_consent
from tests.support.servers import BotFactory, BotServer, stop_bot
from tests.support.slack import SLACK_STATE_SECRET, DriverFactory, install_app


def one_error_line(stderr: str) -> str:
    """The single line saying why the command stopped (log lines from before it aside), never a traceback."""
    assert "Traceback" not in stderr
    [line] = [line for line in stderr.splitlines() if line.startswith("webex-bot:")]
    return line


async def every_row(bot: BotServer) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as stored (read on a connection of its own: the bot may be stopped)."""
    database = Database(bot.settings.database_url)
    try:
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            return {
                table: [
                    tuple(row) for row in (await connection.execute(text(f'SELECT * FROM "{table}"'))).all()
                ]
                for table in tables
            }
    finally:
        await database.dispose()


async def secrets_of(stage: Stage) -> list[str]:
    team = stage.alice.driver.standin.workspace.team_id
    found: list[str] = []
    for user in ("U_ALICE", "U_BOB"):
        link = await stage.bot.services.links.get(team, user)
        assert link is not None
        found += [link.access_token, link.refresh_token, link.refresh_token.removeprefix("sandbox_")]
    return found


async def test_no_table_holds_a_token_or_verifier_in_plain_text(linked: Stage) -> None:
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(await connect_button(linked.alice.driver), follow_redirects=False)
    verifier = parse_qs(urlsplit(start.headers["location"]).query)["code_challenge"][0]
    await linked.alice.driver.command("schedule Stored safely tomorrow 3pm", replies=1)
    rows = await every_row(linked.bot)
    assert rows["webex_links"] and rows["oauth_states"]
    raw = repr(rows)
    for secret in await secrets_of(linked) + [verifier]:
        assert secret not in raw


async def test_rotating_keys_keeps_every_link_working(
    linked: Stage, bot_factory: BotFactory, slack_driver: DriverFactory, tmp_path: Path
) -> None:
    old_key = linked.bot.settings.token_keys[0].get_secret_value()
    new_key = Fernet.generate_key().decode()
    before = await secrets_of(linked)
    # A sign-in under way while the keys change: its PKCE verifier is encrypted with the old key.
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(await connect_button(linked.alice.driver), follow_redirects=False)
        callback = urlsplit(await approve_consent(browser, start.headers["location"], user=ALICE))
    await stop_bot(linked.bot)

    # 1. The new key in front, the old one behind it; 2. re-encrypt; 3. the old key removed.
    env = bot_env(linked.bot.settings, TOKEN_KEYS=f"{new_key},{old_key}")
    status, out, err = await run_cli("db", "reencrypt", env=env, cwd=tmp_path)
    assert status == 0, err
    rewritten = re.search(r"re-encrypted (?:the tokens of )?(\d+)", out)
    assert rewritten and int(rewritten.group(1)) >= 2, out
    rows = await every_row(linked.bot)
    only_new = TokenCipher([new_key])
    for row in rows["webex_links"]:
        assert all(
            only_new.is_current(value) for value in row if isinstance(value, str) and value[:4] == "gAAA"
        )

    # The same public address as before (as behind a load balancer), so the sign-in can come back to it.
    bot = await bot_factory(
        token_keys=[new_key], webex_timeout_seconds=1, public_base_url=linked.bot.settings.base_url
    )
    told_after = linked.alice.driver.standin.next_seq()
    async with httpx.AsyncClient(timeout=10) as browser:
        finished = await browser.get(f"{bot.url}{callback.path}?{callback.query}")
    assert finished.status_code == 200, finished.text[:300]
    await linked.alice.driver.standin.wait_for(
        lambda c: c.seq >= told_after and c.method == "chat.postMessage" and "is linked" in (c.text or "")
    )
    for user, topic in (("U_ALICE", "After rotation"), ("U_BOB", "Bob after rotation")):
        driver = slack_driver(bot.events_url, user_id=user)
        card = await driver.command(f"schedule {topic} tomorrow 3pm", replies=1)
        assert "Scheduled" in shown_text(card.replies[0]), shown_text(card.replies[0])
    assert sorted(m.conf_name for m in linked.emulator.meetings()) == ["After rotation", "Bob after rotation"]

    # A refresh after the rotation stores the new tokens under the new key, and they keep working.
    async with bot.services.database.engine.begin() as connection:
        await connection.execute(text("UPDATE webex_links SET access_expires_at = created_at"))
    refreshes = linked.emulator.token_refreshes
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    listed = await alice.command("list", replies=1)
    assert "After rotation" in shown_text(listed.replies[0])
    assert linked.emulator.token_refreshes == refreshes + 1
    link = await bot.services.links.get(alice.standin.workspace.team_id, "U_ALICE")
    assert link is not None and link.access_token not in before


async def test_a_key_that_cannot_read_the_links_stops_start_up_in_one_line(
    linked: Stage, bot_factory: BotFactory, tmp_path: Path
) -> None:
    await stop_bot(linked.bot)
    wrong = Fernet.generate_key().decode()
    env = bot_env(linked.bot.settings, TOKEN_KEYS=wrong)
    status, out, err = await run_cli("serve", "--host", "127.0.0.1", "--port", "0", env=env, cwd=tmp_path)
    assert status == 2 and out == ""
    assert one_error_line(err).startswith("webex-bot: TOKEN_KEYS"), err
    assert wrong not in err
    status, _, err = await run_cli("db", "reencrypt", env=env, cwd=tmp_path)
    assert status == 2 and "TOKEN_KEYS" in one_error_line(err), err
    # The same check guards an app built in process: it refuses to start instead of serving broken links.
    app = create_app(linked.bot.settings.model_copy(update={"token_keys": [SecretStr(wrong)]}), migrate=False)
    with pytest.raises(UndecryptableToken):
        async with app.router.lifespan_context(app):
            pass
    # And nothing was dropped: with the right key every link is still there.
    rows = await every_row(linked.bot)
    assert len(rows["webex_links"]) == 2


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        (None, "TOKEN_KEYS is missing"),
        ("not-a-fernet-key-at-all", "TOKEN_KEYS is not valid"),
        ("", "TOKEN_KEYS"),
    ],
    ids=["missing", "malformed", "empty"],
)
async def test_a_missing_or_malformed_key_is_one_line_and_exit_2(
    linked: Stage, tmp_path: Path, keys: str | None, says: str
) -> None:
    env = bot_env(linked.bot.settings)
    if keys is None:
        del env["TOKEN_KEYS"]
    else:
        env["TOKEN_KEYS"] = keys
    status, out, err = await run_cli("serve", "--host", "127.0.0.1", "--port", "0", env=env, cwd=tmp_path)
    assert status == 2 and out == ""
    assert says in one_error_line(err), err
    if keys:
        assert keys not in err


async def test_installed_workspaces_bot_tokens_are_encrypted_and_follow_key_rotation(
    bot_factory: BotFactory, slack_driver: DriverFactory, tmp_path: Path
) -> None:
    bot = await bot_factory(slack_bot_token=None, slack_state_secret=SLACK_STATE_SECRET)
    async with httpx.AsyncClient(timeout=10) as browser:
        assert (await install_app(browser, bot.url, team_id="T_SANDBOX")).status_code == 200
    driver = slack_driver(bot.events_url, user_id="U_ALICE")
    [bot_token] = driver.standin.installs.tokens_of("T_SANDBOX")
    await driver.command("status", replies=1)
    rows = await every_row(bot)
    assert rows["slack_installations"] and bot_token not in repr(rows)
    old_key = bot.settings.token_keys[0].get_secret_value()
    new_key = Fernet.generate_key().decode()
    await stop_bot(bot)

    env = bot_env(bot.settings, TOKEN_KEYS=f"{new_key},{old_key}")
    status, out, err = await run_cli("db", "reencrypt", env=env, cwd=tmp_path)
    assert status == 0, err
    [installed] = (await every_row(bot))["slack_installations"]
    assert any(isinstance(value, str) and TokenCipher([new_key]).is_current(value) for value in installed)

    # With only the new key, the workspace's bot token still reads: its commands are answered as its bot.
    again = await bot_factory(
        slack_bot_token=None, slack_state_secret=SLACK_STATE_SECRET, token_keys=[new_key]
    )
    after = driver.standin.next_seq()
    answered = await slack_driver(again.events_url, user_id="U_ALICE").command("status", replies=1)
    assert answered.replies
    calls = [call for call in driver.standin.calls if call.seq >= after and call.method != "response_url"]
    assert calls and all(call.headers["authorization"] == f"Bearer {bot_token}" for call in calls)
