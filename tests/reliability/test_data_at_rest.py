"""Tokens at rest: encrypted with TOKEN_KEYS, rotated without losing a link, and a wrong or missing key is a
clear one-line start-up error (exit status 2), never links silently lost or broken commands."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import inspect, text

from bot.sandbox import Exchange, RecordedCall, SlackDriver
from bot.slack.meetings import blocks
from bot.store.crypto import TokenCipher, UndecryptableToken
from bot.store.database import Database
from bot.store.leases import JobLeases
from bot.store.models import Base
from bot.web.app import create_app
from tests.e2e.accounts.test_connect import connect_button
from tests.e2e.meetings.conftest import Stage, button, iter_elements, shown_text
from tests.reliability.conftest import linked_message
from tests.reliability.support import bot_env, run_cli
from tests.support.emulator import ALICE, BOB, approve_consent
from tests.support.servers import BotFactory, BotServer, stop_bot
from tests.support.slack import DriverFactory


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


ALICE_PASSWORD = "Alice-Pw-7361"
BOB_PASSWORD = "Bob-Pw-5524"


async def open_form(driver: SlackDriver) -> RecordedCall:
    opened = await driver.command("schedule")
    return await driver.standin.wait_for(lambda c: c.method == "views.open" and c.seq >= opened.first_seq)


async def submit_with_password(
    driver: SlackDriver, form: RecordedCall, topic: str, password: str
) -> Exchange:
    values = {blocks.TOPIC: topic, blocks.DATE: "2027-05-05", blocks.TIME: "10:00", blocks.PASSWORD: password}
    return await driver.submit(form, values)


async def connect_prompt_after(driver: SlackDriver, exchange: Exchange) -> str:
    """The Connect button the bot answered a command with (it keeps the command to finish after linking)."""
    prompt = await driver.standin.wait_for(
        lambda c: (
            c.seq >= exchange.first_seq
            and any(e.get("action_id") == "connect_webex" for e in iter_elements(c.blocks))
        )
    )
    return str(button(prompt.blocks, "connect_webex")["url"])


async def fill_every_table(stage: Stage) -> list[str]:
    """What people do in a day, leaving a row in every table; the secrets it involved.

    Alice links, schedules with a meeting password (a reminder is kept for it), starts her meeting as
    host (pressing twice), shares its card in the channel and chooses reminders 5 minutes ahead.
    Bob's link expires while his form is open: he submits it with a password, is asked to connect again
    and stops at the Webex consent page, so his command waits in a connect attempt.
    """
    team = stage.alice.driver.standin.workspace.team_id
    for person in (stage.alice, stage.bob):
        await stage.link(person)
        await linked_message(person.driver)
    form = await open_form(stage.alice.driver)
    submitted = await submit_with_password(stage.alice.driver, form, "Board meeting", ALICE_PASSWORD)
    card = await stage.alice.driver.standin.wait_for(
        lambda c: c.seq >= submitted.first_seq and c.is_reply and "Board meeting" in shown_text(c)
    )
    for _ in range(2):
        await stage.alice.driver.click(card, blocks.START)
    # Shared in the channel (a channel copy to keep true), reminders a little earlier than the default,
    # and the process's housekeeping turn taken (a job lease).
    shared = await stage.alice.driver.click(card.blocks, blocks.SHARE, replies=1)
    assert [reply.method for reply in shared.replies] == ["chat.postMessage"]
    await stage.alice.driver.command("remind 5", replies=1)
    leases = JobLeases(stage.bot.services.database, stage.bot.services.clock, owner="data-at-rest test")
    assert await leases.take_turn("housekeeping", timedelta(hours=1)) is not None
    opened = await stage.open_in_browser(button(card.blocks, blocks.START)["url"])
    assert opened.status_code == 302
    ticket = parse_qs(urlsplit(opened.headers["location"]).query)["TK"][0]

    bob_form = await open_form(stage.bob.driver)
    bob_link = await stage.bot.services.links.get(team, "U_BOB")
    assert bob_link is not None and await stage.bot.services.links.mark_expired(team, "U_BOB")
    asked = await submit_with_password(stage.bob.driver, bob_form, "Bob's review", BOB_PASSWORD)
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(await connect_prompt_after(stage.bob.driver, asked), follow_redirects=False)
    bob_verifier = parse_qs(urlsplit(start.headers["location"]).query)["code_challenge"][0]

    [meeting] = stage.emulator.meetings()  # Bob's waits for him to connect again
    assert meeting.password == ALICE_PASSWORD and meeting.host_key
    codes = list(stage.emulator.state.codes.values())
    assert codes, "Alice's sign-in made an authorization code"
    alice_link = await stage.bot.services.links.get(team, "U_ALICE")
    assert alice_link is not None
    settings = stage.bot.settings
    return [
        *(token for link in (alice_link, bob_link) for token in (link.access_token, link.refresh_token)),
        *(link.refresh_token.removeprefix("sandbox_") for link in (alice_link, bob_link)),
        *(code.code for code in codes),
        *(code.code_challenge for code in codes),  # the PKCE verifiers (the plain method sends them)
        bob_verifier,
        ALICE_PASSWORD,
        BOB_PASSWORD,
        meeting.host_key,
        ticket,
        settings.webex_client_secret.get_secret_value(),
        settings.slack_signing_secret.get_secret_value(),
        *(key.get_secret_value() for key in settings.token_keys),
    ]


@pytest.mark.parametrize("database_backend", ["sqlite", "postgresql"], indirect=True)
async def test_no_column_of_any_table_holds_a_secret_in_plain_text(stage: Stage) -> None:
    known = await fill_every_table(stage)
    rows = await every_row(stage.bot)
    # Every table the bot has is in the walk; a table added later without rows here fails it, so the
    # flow above (and this check) must be extended to cover it.
    tables = {table.name for table in Base.metadata.sorted_tables}
    assert set(rows) - {"alembic_version"} == tables
    empty = sorted(table for table in tables if not rows[table])
    assert not empty, f"the flow left no row in {empty}: extend fill_every_table to cover them"
    for table, column, value in await every_value(stage.bot):
        leaked = [secret for secret in known if secret and secret in repr(value)]
        assert not leaked, f"{table}.{column} holds a secret in plain text"


async def every_value(bot: BotServer) -> list[tuple[str, str, Any]]:
    """(table, column, stored value) for every column of every row of every table the models declare."""
    database = Database(bot.settings.database_url)
    found: list[tuple[str, str, Any]] = []
    try:
        async with database.engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                names = [column.name for column in table.columns]
                listed = ", ".join(f'"{name}"' for name in names)
                for row in await connection.execute(text(f'SELECT {listed} FROM "{table.name}"')):
                    found += [(table.name, name, value) for name, value in zip(names, row, strict=True)]
    finally:
        await database.dispose()
    return found


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


async def test_a_command_waiting_for_a_sign_in_survives_key_rotation(
    stage: Stage, bot_factory: BotFactory, tmp_path: Path
) -> None:
    team = stage.bob.driver.standin.workspace.team_id
    await stage.link(stage.bob)
    await linked_message(stage.bob.driver)
    form = await open_form(stage.bob.driver)
    assert await stage.bot.services.links.mark_expired(team, "U_BOB")
    asked = await submit_with_password(stage.bob.driver, form, "Rotated review", BOB_PASSWORD)
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(await connect_prompt_after(stage.bob.driver, asked), follow_redirects=False)
        callback = urlsplit(await approve_consent(browser, start.headers["location"], user=BOB))
    await stop_bot(stage.bot)

    old_key = stage.bot.settings.token_keys[0].get_secret_value()
    new_key = Fernet.generate_key().decode()
    env = bot_env(stage.bot.settings, TOKEN_KEYS=f"{new_key},{old_key}")
    status, _, err = await run_cli("db", "reencrypt", env=env, cwd=tmp_path)
    assert status == 0, err
    only_new = TokenCipher([new_key])
    [waiting] = [
        row for table, column, row in await every_value(stage.bot) if column == "pending_command" and row
    ]
    assert only_new.is_current(waiting)

    # With only the new key, Bob finishes signing in and the form he submitted is carried out.
    bot = await bot_factory(token_keys=[new_key], public_base_url=stage.bot.settings.base_url)
    async with httpx.AsyncClient(timeout=10) as browser:
        finished = await browser.get(f"{bot.url}{callback.path}?{callback.query}")
    assert finished.status_code == 200, finished.text[:300]
    await stage.bob.driver.standin.wait_for(
        lambda c: (
            c.audience == "U_BOB" and "Rotated review" in shown_text(c) and "Scheduled" in shown_text(c)
        ),
        timeout=10,
    )
    [meeting] = stage.emulator.meetings()
    assert (meeting.conf_name, meeting.password) == ("Rotated review", BOB_PASSWORD)


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
