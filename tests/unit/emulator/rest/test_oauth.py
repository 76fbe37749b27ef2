"""The REST OAuth server: /v1/authorize with the shared consent page, /v1/access_token grants and errors."""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot.emulator import Emulator
from bot.emulator.rest.routes import REST_TOKEN_PATH
from bot.emulator.tokens import TokenOptions
from tests.support.emulator import (
    ALICE,
    BOB,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    approve_consent,
    link_account,
    link_rest_account,
    query_of,
    rest_authorize_url,
    s256,
)
from tests.unit.emulator.conftest import Xml

BASE = "http://emulator.test"
VERIFIER = "k" * 50


async def _token(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **fields}
    return await client.post(REST_TOKEN_PATH, data=form)


async def _code(client: httpx.AsyncClient, *, user: str = ALICE, **params: str) -> str:
    location = await approve_consent(client, rest_authorize_url(BASE, **params), user=user)
    query = query_of(location)
    assert query["state"] == "state-123"
    return query["code"]


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get("/v1/people/me", headers={"Authorization": f"Bearer {token}"})


async def test_authorize_shows_the_same_consent_page_with_rest_scopes_in_plain_words(
    emulator_client: httpx.AsyncClient,
) -> None:
    page = await emulator_client.get(
        rest_authorize_url(BASE, scope="meeting:schedules_write spark:people_read")
    )
    assert page.status_code == 200
    assert "wants to use your Webex account" in page.text
    assert "Schedule, change and cancel meetings for you" in page.text
    assert "See your name, e-mail address and time zone" in page.text
    assert "alice@sandbox.example" in page.text and "bob@sandbox.example" in page.text


async def test_code_exchange_with_s256_gives_webex_token_json_for_the_chosen_user(
    emulator_client: httpx.AsyncClient,
) -> None:
    code = await _code(emulator_client, user=BOB, code_challenge=s256(VERIFIER))
    response = await _token(
        emulator_client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier=VERIFIER,
    )
    assert response.status_code == 200
    grant = response.json()
    assert set(grant) == {
        "access_token",
        "expires_in",
        "refresh_token",
        "refresh_token_expires_in",
        "token_type",
        "scope",
    }
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] == 14 * 24 * 3600
    assert grant["refresh_token_expires_in"] == 90 * 24 * 3600
    assert grant["scope"].split(" ") == [
        "meeting:schedules_read",
        "meeting:schedules_write",
        "spark:people_read",
        "meeting:recordings_read",
    ]
    assert response.headers["TrackingID"]
    me = await _me(emulator_client, grant["access_token"])
    assert me.json()["emails"] == [BOB]


async def test_plain_pkce_and_no_pkce_both_work(emulator_client: httpx.AsyncClient) -> None:
    plain = await _code(emulator_client, code_challenge=VERIFIER, code_challenge_method="plain")
    answer = await _token(
        emulator_client,
        grant_type="authorization_code",
        code=plain,
        redirect_uri=REDIRECT_URI,
        code_verifier=VERIFIER,
    )
    assert answer.status_code == 200
    bare = await _code(emulator_client)
    answer = await _token(
        emulator_client, grant_type="authorization_code", code=bare, redirect_uri=REDIRECT_URI
    )
    assert answer.status_code == 200


async def test_a_wrong_verifier_is_invalid_grant_in_both_error_shapes(
    emulator_client: httpx.AsyncClient,
) -> None:
    code = await _code(emulator_client, code_challenge=s256(VERIFIER))
    response = await _token(
        emulator_client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        code_verifier="x" * 43,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == body["message"] == "code_verifier does not match the code_challenge"
    assert body["trackingId"] == response.headers["TrackingID"]
    missing = await _token(
        emulator_client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    )
    assert missing.json()["error"] == "invalid_request"


async def test_a_reused_code_is_refused_and_revokes_what_it_gave(emulator_client: httpx.AsyncClient) -> None:
    code = await _code(emulator_client)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    first = await _token(emulator_client, **form)
    again = await _token(emulator_client, **form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await _me(emulator_client, first.json()["access_token"])).status_code == 401
    refreshed = await _token(
        emulator_client, grant_type="refresh_token", refresh_token=first.json()["refresh_token"]
    )
    assert refreshed.json()["error"] == "invalid_grant"


async def test_redirect_uri_must_match_and_the_client_must_authenticate(
    emulator_client: httpx.AsyncClient,
) -> None:
    code = await _code(emulator_client)
    wrong = await _token(
        emulator_client, grant_type="authorization_code", code=code, redirect_uri="http://127.0.0.1:9/other"
    )
    assert wrong.json()["error"] == "invalid_grant"
    bad_client = await emulator_client.post(
        REST_TOKEN_PATH,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "client_secret": "nope",
        },
    )
    assert bad_client.status_code == 401
    assert bad_client.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in bad_client.headers
    odd = await _token(emulator_client, grant_type="password")
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"


async def test_authorize_refusals_page_or_redirect_as_rfc_6749_says(
    emulator_client: httpx.AsyncClient,
) -> None:
    unknown_client = await emulator_client.get(rest_authorize_url(BASE, client_id="nobody"))
    assert unknown_client.status_code == 400 and "Unknown application" in unknown_client.text
    foreign = await emulator_client.get(rest_authorize_url(BASE, redirect_uri="https://evil.example/cb"))
    assert foreign.status_code == 400 and "not registered" in foreign.text
    xml_scope = await emulator_client.get(rest_authorize_url(BASE, scope="all_read"))
    assert xml_scope.status_code == 302
    assert query_of(xml_scope.headers["location"]) == {
        "error": "invalid_scope",
        "error_description": "unknown scope: all_read",
        "state": "state-123",
    }
    short = await emulator_client.get(rest_authorize_url(BASE, code_challenge="short"))
    assert query_of(short.headers["location"])["error"] == "invalid_request"


async def test_deny_sends_access_denied(emulator_client: httpx.AsyncClient) -> None:
    location = await approve_consent(emulator_client, rest_authorize_url(BASE), decision="deny")
    assert query_of(location)["error"] == "access_denied"


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(
    emulator_client: httpx.AsyncClient, emulator: Emulator
) -> None:
    grant = await link_rest_account(emulator_client, BASE)
    refreshed = await _token(
        emulator_client, grant_type="refresh_token", refresh_token=grant["refresh_token"]
    )
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] != grant["refresh_token"]
    assert new["access_token"] != grant["access_token"]
    assert emulator.token_refreshes == 1
    assert (await _me(emulator_client, new["access_token"])).status_code == 200
    stale = await _token(emulator_client, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
    assert emulator.token_refreshes == 1


async def test_without_rotation_the_same_refresh_token_comes_back(
    emulator_client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.token_options = TokenOptions(rotate_refresh_tokens=False)
    grant = await link_rest_account(emulator_client, BASE)
    again = await _token(emulator_client, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert again.json()["refresh_token"] == grant["refresh_token"]


async def test_an_expired_access_token_is_401_with_webex_message(
    emulator_client: httpx.AsyncClient, emulator: Emulator
) -> None:
    grant = await link_rest_account(emulator_client, BASE)
    emulator.advance(timedelta(days=14, seconds=1))
    response = await _me(emulator_client, grant["access_token"])
    assert response.status_code == 401
    assert response.json()["message"] == (
        "The request requires a valid access token set in the Authorization request header."
    )
    refreshed = await _token(
        emulator_client, grant_type="refresh_token", refresh_token=grant["refresh_token"]
    )
    assert refreshed.status_code == 200


async def test_rest_and_xml_tokens_are_separate_as_on_webex(
    emulator_client: httpx.AsyncClient, xml: Xml, alice_token: str
) -> None:
    rest_grant = await link_rest_account(emulator_client, BASE)
    refused = await xml("GetUser", f"<webExId>{ALICE}</webExId>", token=rest_grant["access_token"])
    assert refused.result == "FAILURE" and "access token is invalid" in refused.reason
    assert (await _me(emulator_client, alice_token)).status_code == 401
    xml_grant = await link_account(emulator_client, BASE)
    assert (await _me(emulator_client, xml_grant["access_token"])).status_code == 401
    xml_code = await approve_consent(
        emulator_client, rest_authorize_url(BASE).replace("/v1/authorize", "/v1/oauth2/authorize")
    )
    assert "error" in query_of(xml_code)  # the XML flow refuses REST scopes


async def test_an_xml_code_is_not_a_rest_code(emulator_client: httpx.AsyncClient) -> None:
    from tests.support.emulator import authorize_url

    location = await approve_consent(emulator_client, authorize_url(BASE))
    response = await _token(
        emulator_client,
        grant_type="authorization_code",
        code=query_of(location)["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier="verifier1",
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_a_rest_code_is_not_an_xml_code(emulator_client: httpx.AsyncClient) -> None:
    code = await _code(emulator_client)
    response = await emulator_client.post(
        "/v1/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": "x" * 43,
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_another_client_cannot_spend_a_users_codes_or_refresh_tokens(
    emulator_client: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.add_client("other-app", "other-secret", redirect_uris=(REDIRECT_URI,))
    grant = await link_rest_account(emulator_client, BASE)
    stolen = await emulator_client.post(
        REST_TOKEN_PATH,
        data={
            "grant_type": "refresh_token",
            "client_id": "other-app",
            "client_secret": "other-secret",
            "refresh_token": grant["refresh_token"],
        },
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert "access_token" not in stolen.json()
    code = await _code(emulator_client)
    taken = await emulator_client.post(
        REST_TOKEN_PATH,
        data={
            "grant_type": "authorization_code",
            "client_id": "other-app",
            "client_secret": "other-secret",
            "code": code,
            "redirect_uri": REDIRECT_URI,
        },
    )
    assert taken.status_code == 400 and "access_token" not in taken.json()
    assert emulator.token_refreshes == 0
    # The rightful client still holds working tokens.
    assert (await _me(emulator_client, grant["access_token"])).status_code == 200
