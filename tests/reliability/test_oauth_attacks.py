"""OAuth attacks on the connect route and the callback: forged, replayed, expired and other people's states,
script in the error parameters, a code minted for another client, and open-redirect attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from sqlalchemy import text

from bot.emulator import AUTHORIZE_PATH, Emulator
from bot.slack.meetings import blocks
from bot.web.pages import page
from tests.e2e.accounts.test_connect import connect_button
from tests.e2e.meetings.conftest import Stage, button, iter_elements, shown_text
from tests.reliability.conftest import linked_message, make_stage
from tests.support.emulator import ALICE, BOB, approve_consent, authorize_url, rest_authorize_url
from tests.support.servers import APIS, BotFactory, BotServer, both_apis
from tests.support.slack import DriverFactory, sign_in_with_slack

SCRIPT = '<script>alert("owned")</script>'
IMAGE = '"><img src=x onerror=alert(1)>'
EVIL = "https://evil.example/phish"


@pytest.fixture(params=APIS)
def webex_api(request: pytest.FixtureRequest) -> str:
    """Every row runs on both Webex APIs: the XML API and the REST API (its OAuth and GET /people/me)."""
    return both_apis(request)


async def click(browser: httpx.AsyncClient, url: str) -> str:
    """Click a Connect button: the authorize URL the bot sent the browser to."""
    start = await browser.get(url, follow_redirects=False)
    assert start.status_code == 302, start.text[:300]
    return str(start.headers["location"])


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


async def links_and_states(bot: BotServer) -> tuple[int, int]:
    async with bot.services.database.engine.connect() as connection:
        links = (await connection.execute(text("SELECT count(*) FROM webex_links"))).scalar_one()
        states = (await connection.execute(text("SELECT count(*) FROM oauth_states"))).scalar_one()
    return int(links), int(states)


def _own_tags() -> set[str]:
    """The elements the bot's pages are made of, whatever their design: any other one was injected."""
    pages = [page("t", "d", next_step="n", ok=ok, warning="w").body.decode() for ok in (True, False)]
    return {name for html in pages for name, _ in page_tags(html)}


def page_tags(html: str) -> list[tuple[str, list[str]]]:
    """Every element of the page with its attribute names, as a browser's parser sees them."""
    found: list[tuple[str, list[str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, [name for name, _ in attrs]))

    Collector().feed(html)
    return found


def assert_inert_page(page: httpx.Response, *hostile: str) -> None:
    """A refusal page: not a redirect, no hostile text unescaped, scripts forbidden by the CSP."""
    assert 400 <= page.status_code < 500, page.status_code
    assert "location" not in page.headers
    for value in hostile:
        assert value not in page.text, f"{value!r} reached the page unescaped"
    tags = page_tags(page.text)
    assert {name for name, _ in tags} <= _own_tags(), tags
    assert not [attr for _, attrs in tags for attr in attrs if attr.startswith("on") or attr == "src"]
    assert "default-src 'none'" in page.headers["content-security-policy"]


async def test_a_forged_state_is_refused_and_links_nothing(stage: Stage) -> None:
    page = await stage.bot.get("/webex/oauth/callback?code=stolen-code&state=" + "A" * 43)
    assert_inert_page(page)
    assert "not one we started" in page.text
    assert await links_and_states(stage.bot) == (0, 0)
    assert not stage.emulator.requests or all(r.endpoint != "token" for r in stage.emulator.requests)


async def test_a_replayed_callback_is_refused_and_the_code_is_not_spent_again(stage: Stage) -> None:
    async with httpx.AsyncClient(timeout=10) as browser:
        authorize = await click(browser, await connect_button(stage.alice.driver))
        callback = await approve_consent(browser, authorize, user=ALICE)
        assert (await browser.get(callback)).status_code == 200
        exchanges = len([r for r in stage.emulator.requests if r.endpoint == "token"])
        replay = await browser.get(callback)
    assert_inert_page(replay)
    assert "already used" in replay.text
    assert len([r for r in stage.emulator.requests if r.endpoint == "token"]) == exchanges


async def test_an_expired_state_is_refused_even_with_a_good_code(stage: Stage) -> None:
    async with httpx.AsyncClient(timeout=10) as browser:
        authorize = await click(browser, await connect_button(stage.alice.driver))
        callback = await approve_consent(browser, authorize, user=ALICE)
        async with stage.bot.services.database.engine.begin() as connection:
            await connection.execute(text("UPDATE oauth_states SET expires_at = created_at WHERE 1 = 1"))
        page = await browser.get(callback)
    assert_inert_page(page)
    assert "took too long" in page.text
    assert (await links_and_states(stage.bot))[0] == 0


POLICIES = ["refuse", "sign-in-with-slack"]
BACKENDS = ["sqlite", "postgresql"]
ALICE_TOPIC = "Alice's private board review"


async def attack_stage(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, policy: str
) -> Stage:
    """The bot under `policy`, nobody linked, and a meeting on Alice's Webex account that Bob wants."""
    stage = await make_stage(bot_factory, slack_driver, emulator_server, email_mismatch_policy=policy)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    stage.emulator.add_meeting("sandbox", ALICE, ALICE_TOPIC, start)
    return stage


async def assert_bob_holds_nothing(stage: Stage, *, told: bool = True) -> None:
    """The harm did not happen: no link or tokens for Bob, no held account, nothing of Alice's in Slack."""
    team = stage.bob.driver.standin.workspace.team_id
    assert await stage.bot.services.links.get(team, "U_BOB") is None
    async with stage.bot.services.database.engine.connect() as connection:
        links = (await connection.execute(text("SELECT user_id FROM webex_links"))).scalars().all()
        held = (
            await connection.execute(text("SELECT count(*) FROM oauth_states WHERE held_link IS NOT NULL"))
        ).scalar_one()
    assert "U_BOB" not in links and held == 0
    if told:
        # Bob is told his link was used and nothing was linked, without a word about whose account it was.
        notice = await stage.bob.driver.standin.wait_for(
            lambda c: (
                c.method == "chat.postMessage"
                and c.audience == "U_BOB"
                and "nothing was linked" in (c.text or "")
            )
        )
        assert "/webex connect" in (notice.text or "")
    # /webex list as Bob shows none of Alice's meetings: he is asked to link his own account.
    listed = (await stage.bob.driver.command("list", replies=1)).replies[0]
    assert ALICE_TOPIC not in shown_text(listed)
    assert button(listed.blocks, "connect_webex")
    # Nothing that reached Bob in Slack carries Alice's account, meetings or tokens.
    to_bob = [
        call for call in stage.bob.driver.standin.calls if call.audience == "U_BOB" or call.channel == "U_BOB"
    ]
    assert to_bob
    for call in to_bob:
        sent = repr(call.body)
        assert ALICE not in sent and ALICE_TOPIC not in sent and "xoxp-" not in sent


def assert_victim_told_nothing_linked(page: httpx.Response) -> None:
    """Alice, who opened Bob's link, reads that her account was not linked and that nothing was stored."""
    assert page.status_code == 400, page.text[:500]
    assert "was not linked" in page.text and "Bob Baker" in page.text
    assert "Your Webex account is linked" not in page.text


@pytest.mark.parametrize("database_backend", BACKENDS, indirect=True)
@pytest.mark.parametrize("policy", POLICIES)
async def test_someone_elses_connect_link_never_gives_its_sender_the_account(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, policy: str
) -> None:
    stage = await attack_stage(bot_factory, slack_driver, emulator_server, policy)
    # Bob sends Alice his Connect button; Alice signs in to Webex with her own account and allows.
    bob_button = await connect_button(stage.bob.driver)
    async with httpx.AsyncClient(timeout=10) as alices_browser:
        authorize = await click(alices_browser, bob_button)
        page = await alices_browser.get(await approve_consent(alices_browser, authorize, user=ALICE))
        if policy == "sign-in-with-slack":
            # Slack is asked who this browser is; Alice is signed in to Slack as herself.
            assert page.status_code == 302
            assert page.headers["location"].startswith(stage.bob.driver.standin.sign_in_url + "?")
            back = await sign_in_with_slack(alices_browser, page.headers["location"], user_id="U_ALICE")
            page = await alices_browser.get(back)
    assert_victim_told_nothing_linked(page)
    assert await stage.bot.services.links.get(stage.alice.driver.standin.workspace.team_id, "U_ALICE") is None
    await assert_bob_holds_nothing(stage)


@pytest.mark.parametrize("database_backend", BACKENDS, indirect=True)
async def test_a_sign_in_with_slack_by_another_slack_user_links_nothing(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    # Bob's link, Alice's Webex consent; at Sign in with Slack the browser is carol's (neither of them).
    stage = await attack_stage(bot_factory, slack_driver, emulator_server, "sign-in-with-slack")
    async with httpx.AsyncClient(timeout=10) as browser:
        authorize = await click(browser, await connect_button(stage.bob.driver))
        asked = await browser.get(
            await approve_consent(browser, authorize, user=ALICE), follow_redirects=False
        )
        assert asked.status_code == 302
        back = await sign_in_with_slack(browser, asked.headers["location"], user_id="U_CAROL")
        page = await browser.get(back)
        replay = await browser.get(back)
    assert page.status_code == 400 and "signed in to Slack as someone else" in page.text
    assert replay.status_code == 400 and "Your Webex account is linked" not in replay.text
    await assert_bob_holds_nothing(stage)


@pytest.mark.parametrize("database_backend", BACKENDS, indirect=True)
async def test_the_sign_in_with_slack_address_carried_to_the_senders_browser_links_nothing(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    # Alice consents on Bob's link, then hands the Sign in with Slack address back to Bob, who signs in as
    # himself in his own browser: the step is bound to the browser that started it, so it cannot finish.
    stage = await attack_stage(bot_factory, slack_driver, emulator_server, "sign-in-with-slack")
    async with httpx.AsyncClient(timeout=10) as alices_browser:
        authorize = await click(alices_browser, await connect_button(stage.bob.driver))
        asked = await alices_browser.get(
            await approve_consent(alices_browser, authorize, user=ALICE), follow_redirects=False
        )
    async with httpx.AsyncClient(timeout=10) as bobs_browser:
        back = await sign_in_with_slack(bobs_browser, asked.headers["location"], user_id="U_BOB")
        page = await bobs_browser.get(back)
    assert page.status_code == 400 and "browser you started in" in page.text
    await assert_bob_holds_nothing(stage, told=False)


@pytest.mark.parametrize("database_backend", BACKENDS, indirect=True)
async def test_an_abandoned_sign_in_with_slack_lapses_and_its_account_is_dropped(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    # Alice consents on Bob's link and closes the Sign in with Slack page: the account waits, encrypted,
    # bound to a step only her browser can finish, and is dropped once the step's time is up.
    stage = await attack_stage(bot_factory, slack_driver, emulator_server, "sign-in-with-slack")
    async with httpx.AsyncClient(timeout=10) as alices_browser:
        authorize = await click(alices_browser, await connect_button(stage.bob.driver))
        asked = await alices_browser.get(
            await approve_consent(alices_browser, authorize, user=ALICE), follow_redirects=False
        )
        async with stage.bot.services.database.engine.connect() as connection:
            held = (await connection.execute(text("SELECT held_link FROM oauth_states"))).scalars().all()
        assert [value for value in held if value] and all(ALICE not in (value or "") for value in held)
        async with stage.bot.services.database.engine.begin() as connection:
            await connection.execute(text("UPDATE oauth_states SET expires_at = created_at"))
        await stage.bot.services.states.purge()
        # Even if she came back now, it is too late, and nothing is linked.
        back = await sign_in_with_slack(alices_browser, asked.headers["location"], user_id="U_BOB")
        page = await alices_browser.get(back)
    assert page.status_code == 400 and "took too long" in page.text
    await assert_bob_holds_nothing(stage, told=False)


@pytest.mark.parametrize("database_backend", BACKENDS, indirect=True)
@pytest.mark.parametrize("policy", POLICIES)
async def test_one_accounts_code_with_another_users_state_links_nothing(
    bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any, policy: str
) -> None:
    stage = await attack_stage(bot_factory, slack_driver, emulator_server, policy)
    async with httpx.AsyncClient(timeout=10) as bobs_browser:
        bobs_state = state_of(await click(bobs_browser, await connect_button(stage.bob.driver)))
        # Alice's own flow, approved by Alice; Bob gets hold of her callback address (code and state).
        async with httpx.AsyncClient(timeout=10) as alices_browser:
            authorize = await click(alices_browser, await connect_button(stage.alice.driver))
            alices_callback = await approve_consent(alices_browser, authorize, user=ALICE)
        alices_code = parse_qs(urlsplit(alices_callback).query)["code"][0]
        page = await bobs_browser.get(
            f"{stage.bot.url}/webex/oauth/callback?code={quote(alices_code)}&state={quote(bobs_state)}"
        )
    assert_inert_page(page)
    assert "did not accept this sign-in" in page.text  # the PKCE verifier of Bob's flow does not fit
    await assert_bob_holds_nothing(stage, told=False)


async def test_a_connect_token_changed_to_name_another_user_is_refused(stage: Stage) -> None:
    url = await connect_button(stage.alice.driver)
    token = url.rsplit("/", 1)[1]
    # Flip one character in the middle of the signed token (as a person rewriting it would).
    middle = len(token) // 2
    forged = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    page = await stage.bot.get(f"/webex/connect/{forged}")
    assert_inert_page(page)
    assert (await links_and_states(stage.bot)) == (0, 0)


@pytest.mark.parametrize(
    ("error", "description"),
    [(SCRIPT, IMAGE), ("server_error", SCRIPT), (IMAGE, ""), ("access_denied", SCRIPT)],
    ids=["script-in-error", "script-in-description", "tag-in-error", "denied-with-script"],
)
async def test_script_in_the_callback_error_is_shown_escaped(
    stage: Stage, error: str, description: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as browser:
        authorize = await click(browser, await connect_button(stage.alice.driver))
        query = (
            f"state={quote(state_of(authorize))}&error={quote(error)}&error_description={quote(description)}"
        )
        page = await browser.get(f"{stage.bot.url}/webex/oauth/callback?{query}")
    assert_inert_page(page, SCRIPT, IMAGE)
    if error not in ("access_denied",):
        assert "&lt;" in page.text  # the hostile text is shown, escaped, so the person sees what Webex said
    assert (await links_and_states(stage.bot))[0] == 0


async def test_hostile_values_with_an_unknown_state_are_not_echoed(stage: Stage) -> None:
    query = (
        f"state={quote(SCRIPT)}&code={quote(IMAGE)}&error={quote(SCRIPT)}&error_description={quote(IMAGE)}"
    )
    page = await stage.bot.get(f"/webex/oauth/callback?{query}")
    assert_inert_page(page, SCRIPT, IMAGE)


async def test_a_code_minted_for_another_client_is_refused(stage: Stage, emulator: Emulator) -> None:
    emulator.add_client(
        "other-client", "other-secret", name="Someone else's app", allow_any_loopback_redirect=True
    )
    async with httpx.AsyncClient(timeout=10) as browser:
        authorize = await click(browser, await connect_button(stage.alice.driver))
        verifier = parse_qs(urlsplit(authorize).query)["code_challenge"][0]
        # The attacker's own app gets Alice's consent, then feeds that code to our callback.
        emulator_base = (
            stage.bot.settings.webex_oauth_url.unicode_string().rstrip("/").removesuffix("/v1/oauth2")
        )
        make_url = authorize_url if stage.api == "xml" else rest_authorize_url
        foreign = await approve_consent(
            browser,
            make_url(
                emulator_base,
                client_id="other-client",
                redirect_uri=stage.bot.settings.callback_url,
                code_challenge=verifier,
            ),
            user=ALICE,
        )
        code = parse_qs(urlsplit(foreign).query)["code"][0]
        page = await browser.get(
            f"{stage.bot.url}/webex/oauth/callback?code={quote(code)}&state={quote(state_of(authorize))}"
        )
    assert_inert_page(page)
    assert "did not accept this sign-in" in page.text
    assert (await links_and_states(stage.bot))[0] == 0


OPEN_REDIRECTS = [
    "//evil.example/phish",
    "https:%2F%2Fevil.example",
    "%2F%2Fevil.example%2F",
    "https://evil.example/phish",
    "..%2F..%2F..%2Fevil.example",
]


@pytest.mark.parametrize("path", OPEN_REDIRECTS)
async def test_the_connect_route_never_redirects_to_a_place_it_was_given(stage: Stage, path: str) -> None:
    page = await stage.bot.get(f"/webex/connect/{path}?next={quote(EVIL)}&redirect_uri={quote(EVIL)}")
    assert page.status_code in (400, 404), page.status_code
    assert "location" not in page.headers and "evil.example" not in page.text


async def test_a_real_connect_link_redirects_only_to_the_configured_authorize_url(stage: Stage) -> None:
    url = await connect_button(stage.alice.driver)
    extra = f"?next={quote(EVIL)}&redirect_uri={quote(EVIL)}&return_to={quote(EVIL)}&url={quote(EVIL)}"
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(url + extra, follow_redirects=False)
    assert start.status_code == 302
    location = urlsplit(start.headers["location"])
    if stage.api == "xml":
        oauth = urlsplit(str(stage.bot.settings.webex_oauth_url))
        assert (location.scheme, location.netloc, location.path) == (
            oauth.scheme,
            oauth.netloc,
            AUTHORIZE_PATH,
        )
    else:
        rest = urlsplit(stage.bot.settings.webex_rest_base)
        assert (location.scheme, location.netloc, location.path) == (
            rest.scheme,
            rest.netloc,
            "/v1/authorize",
        )
    params = parse_qs(location.query)
    assert params["redirect_uri"] == [stage.bot.settings.callback_url]
    assert "evil.example" not in start.headers["location"]


@pytest.mark.parametrize("name", ["next", "redirect_uri", "return_to", "url", "redirect"])
async def test_the_callback_never_redirects_whatever_it_is_given(stage: Stage, name: str) -> None:
    async with httpx.AsyncClient(timeout=10) as browser:
        authorize = await click(browser, await connect_button(stage.alice.driver))
        callback = await approve_consent(browser, authorize, user=ALICE)
        page = await browser.get(f"{callback}&{name}={quote(EVIL)}", follow_redirects=False)
    assert page.status_code == 200 and "location" not in page.headers
    assert "evil.example" not in page.text
    assert BOB not in page.text


async def meeting_buttons(stage: Stage) -> dict[str, str]:
    """The link buttons (Join, Start as host, Add to calendar) on a fresh meeting card: action id -> URL.

    Start as host is pressed in Slack a few times, so that its link opens as often as these tests open it.
    """
    await stage.link(stage.alice)
    await linked_message(stage.alice.driver)  # so that the next reply is the card
    card = (await stage.alice.driver.command("schedule Redirects tomorrow 3pm", replies=1)).replies[0]
    for _ in range(2):
        await stage.alice.driver.click(card, blocks.START)
    return {
        element["action_id"]: element["url"]
        for block in card.blocks
        for element in block.get("elements") or []
        if element.get("url", "").startswith(stage.bot.url)
    }


@pytest.fixture
async def patient_stage(bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any) -> Stage:
    """The stage with a Webex timeout no busy machine reaches: these tests are about where links lead,
    and a join link fetched after the 1 s timeout would fail them for the wrong reason."""
    return await make_stage(bot_factory, slack_driver, emulator_server, webex_timeout_seconds=15)


async def test_meeting_buttons_redirect_only_to_the_webex_site(patient_stage: Stage) -> None:
    stage = patient_stage
    buttons = await meeting_buttons(stage)
    assert buttons, "the card has no Join button pointing at the bot"
    async with httpx.AsyncClient(timeout=10) as browser:
        for action_id, url in buttons.items():
            if action_id == blocks.CALENDAR:
                # Add to calendar answers with the file itself: nowhere to be sent, whatever is added.
                baited = await browser.get(
                    f"{url}?next={quote(EVIL)}&url={quote(EVIL)}", follow_redirects=False
                )
                assert baited.status_code == 200 and "location" not in baited.headers
                assert baited.headers["content-type"].startswith("text/calendar")
                assert "evil.example" not in baited.text
                continue
            plain = await browser.get(url, follow_redirects=False)
            baited = await browser.get(f"{url}?next={quote(EVIL)}&url={quote(EVIL)}", follow_redirects=False)
            assert plain.status_code == baited.status_code == 302
            location = urlsplit(plain.headers["location"])
            assert location.scheme == "https" and location.netloc.endswith(".webex.com"), location
            assert baited.headers["location"].split("?")[0] == plain.headers["location"].split("?")[0]
            assert "evil.example" not in baited.headers["location"]


@pytest.mark.parametrize("path", OPEN_REDIRECTS)
async def test_the_meeting_route_never_redirects_to_a_place_it_was_given(stage: Stage, path: str) -> None:
    page = await stage.bot.get(f"/webex/meetings/{path}?next={quote(EVIL)}")
    assert page.status_code in (400, 404), page.status_code
    assert "location" not in page.headers and "evil.example" not in page.text


async def test_a_tampered_meeting_button_is_refused(patient_stage: Stage) -> None:
    stage = patient_stage
    buttons = await meeting_buttons(stage)
    for url in buttons.values():
        token = url.rsplit("/", 1)[1]
        middle = len(token) // 2
        forged = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
        page = await stage.bot.get(f"/webex/meetings/{forged}")
        assert_inert_page(page)


async def test_a_card_shared_in_the_channel_never_carries_the_host_sign_in(stage: Stage) -> None:
    await stage.link(stage.alice)
    await linked_message(stage.alice.driver)
    card = (await stage.alice.driver.command("schedule Shared safely tomorrow 3pm", replies=1)).replies[0]
    shared = await stage.alice.driver.click(card, blocks.SHARE)
    public = await stage.alice.driver.standin.wait_for(
        lambda c: (
            c.seq >= shared.first_seq
            and "Shared safely" in str(c.body)
            and (c.method == "chat.postMessage" or c.body.get("response_type") == "in_channel")
        )
    )
    urls = [
        element["url"]
        for block in public.blocks
        for element in block.get("elements") or []
        if element.get("url", "").startswith(stage.bot.url)
    ]
    assert urls, "the shared card has no Join button"
    async with httpx.AsyncClient(timeout=10) as browser:
        for url in urls:
            opened = await browser.get(url, follow_redirects=False)
            # Add to calendar answers with the file itself; it must not carry the host's link either.
            location = opened.headers.get("location") or opened.text
            # The emulator's host links sign in with a ticket (p.php?AT=LI&TK=...); join links do not.
            assert "TK=" not in location and "AT=LI" not in location, location
            assert not stage.signs_in_as_host(location), location
        # The control: the host's own card does carry the host sign-in, so the check above can fail.
        await stage.alice.driver.click(card, blocks.START)
        private = [
            element["url"]
            for element in iter_elements(card.blocks)
            if "/webex/meetings/" in element.get("url", "")
        ]
        locations = [
            (await browser.get(url, follow_redirects=False)).headers.get("location", "") for url in private
        ]
        assert any(stage.signs_in_as_host(location) for location in locations), locations
