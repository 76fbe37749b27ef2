"""The emulated OAuth server: authorize checks, the consent page, code exchange with PKCE, refresh."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import httpx
import pytest

from bot.emulator import TOKEN_PATH, Emulator
from tests.support.emulator import (
    ALICE,
    BOB,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    approve_consent,
    authorize_url,
    link_account,
    query_of,
)

BASE = "http://emulator.test"


async def exchange(
    client: httpx.AsyncClient, code: str, verifier: str = "verifier1", **overrides: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **overrides,
    }
    return await client.post(TOKEN_PATH, data=form)


async def refresh(client: httpx.AsyncClient, refresh_token: str, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
        **overrides,
    }
    return await client.post(TOKEN_PATH, data=form)


async def code_for(client: httpx.AsyncClient, **params: str) -> str:
    location = await approve_consent(client, authorize_url(BASE, **params))
    return query_of(location)["code"]


async def test_consent_page_names_app_scopes_and_users(emulator_client: httpx.AsyncClient) -> None:
    page = await emulator_client.get(authorize_url(BASE, scope="all_read+meeting_modify"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<meta name="viewport"' in html
    assert "Webex (emulator)" in html and "not Cisco Webex" in html
    assert "webex-bot (sandbox)" in html
    assert "Schedule, change and cancel meetings for you" in html
    assert "See your meetings, recordings and profile" in html
    assert "Alice Archer" in html and BOB in html
    assert 'value="allow"' in html and 'value="deny"' in html
    assert '<form method="post" action="/v1/oauth2/authorize">' in html


async def test_consent_page_escapes_what_it_echoes(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    emulator.add_client(
        "evil", "secret", name="<script>alert(1)</script>", redirect_uris=("http://example.test/cb?<b>",)
    )
    page = await emulator_client.get(
        authorize_url(BASE, client_id="evil", redirect_uri="http://example.test/cb?<b>")
    )
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "cb?&lt;b&gt;" in page.text


async def test_allow_redirects_with_code_and_state(emulator_client: httpx.AsyncClient) -> None:
    location = await approve_consent(emulator_client, authorize_url(BASE, state="s-42"), user=BOB)
    assert location.startswith(REDIRECT_URI + "?")
    params = query_of(location)
    assert params["state"] == "s-42" and len(params["code"]) > 20


async def test_deny_redirects_with_access_denied(emulator_client: httpx.AsyncClient) -> None:
    location = await approve_consent(emulator_client, authorize_url(BASE, state="s-1"), decision="deny")
    assert query_of(location) == {
        "error": "access_denied",
        "error_description": "The user denied access",
        "state": "s-1",
    }


async def test_consent_form_is_single_use(emulator_client: httpx.AsyncClient) -> None:
    page = await emulator_client.get(authorize_url(BASE))
    consent_id = page.text.split('name="consent_id" value="')[1].split('"')[0]
    form = {"consent_id": consent_id, "user": ALICE, "decision": "allow"}
    first = await emulator_client.post("/v1/oauth2/authorize", data=form)
    second = await emulator_client.post("/v1/oauth2/authorize", data=form)
    assert first.status_code == 302
    assert second.status_code == 400 and "expired" in second.text


async def test_consent_rejects_unknown_user(emulator_client: httpx.AsyncClient) -> None:
    page = await emulator_client.get(authorize_url(BASE))
    consent_id = page.text.split('name="consent_id" value="')[1].split('"')[0]
    answer = await emulator_client.post(
        "/v1/oauth2/authorize", data={"consent_id": consent_id, "user": "mallory@x", "decision": "allow"}
    )
    assert answer.status_code == 400 and "mallory@x" in answer.text
    # Written for the person signing in: what to do, not the developer's checklist.
    assert "You have no Webex account on this site" in answer.text
    assert "ask the site&#x27;s administrator for one" in answer.text
    assert "client ID" not in answer.text and "redirect URI" not in answer.text
    assert "location" not in answer.headers


async def test_an_expired_consent_page_tells_the_person_to_start_again(
    emulator_client: httpx.AsyncClient,
) -> None:
    answer = await emulator_client.post(
        "/v1/oauth2/authorize", data={"consent_id": "gone", "user": ALICE, "decision": "allow"}
    )
    assert answer.status_code == 400 and "Go back to the app and start again" in answer.text
    assert "client ID" not in answer.text


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"client_id": "nobody"}, "Unknown application"),
        ({"redirect_uri": "https://attacker.example/cb"}, "Redirect address not allowed"),
        ({"redirect_uri": "http://localhost.attacker.example/cb"}, "Redirect address not allowed"),
        ({"redirect_uri": ""}, "Redirect address not allowed"),
    ],
)
async def test_untrusted_client_or_redirect_gets_an_error_page(
    emulator_client: httpx.AsyncClient, params: dict[str, str], title: str
) -> None:
    page = await emulator_client.get(authorize_url(BASE, **params))
    assert page.status_code == 400
    assert "location" not in page.headers
    assert title in page.text
    assert "Check the client ID and redirect URI the app sent" in page.text


async def test_any_loopback_redirect_is_accepted_for_the_sandbox_client(
    emulator_client: httpx.AsyncClient,
) -> None:
    for uri in ("http://localhost/cb", "http://127.0.0.1:8123/any/path?x=1", "http://localhost:9/"):
        page = await emulator_client.get(authorize_url(BASE, redirect_uri=uri))
        assert page.status_code == 200, uri


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": ""}, "invalid_scope"),
        ({"scope": "all_read+spark:all"}, "invalid_scope"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge": "elevenchars"}, "invalid_request"),
        ({"code_challenge_method": "S512"}, "invalid_request"),
        ({"code_challenge_method": "S256", "code_challenge": "short"}, "invalid_request"),
    ],
)
async def test_bad_authorize_requests_redirect_with_an_error(
    emulator_client: httpx.AsyncClient, params: dict[str, str], error: str
) -> None:
    response = await emulator_client.get(authorize_url(BASE, state="st", **params))
    assert response.status_code == 302
    found = query_of(response.headers["location"])
    assert found["error"] == error and found["state"] == "st"


async def test_missing_state_is_refused(emulator_client: httpx.AsyncClient) -> None:
    response = await emulator_client.get(authorize_url(BASE, state=""))
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "invalid_request"


async def test_scopes_may_be_space_separated(emulator_client: httpx.AsyncClient) -> None:
    code = await code_for(emulator_client, scope="all_read meeting_modify")
    grant = (await exchange(emulator_client, code)).json()
    assert grant["scope"] == "all_read meeting_modify"


async def test_code_exchange_answers_every_spec_field(emulator_client: httpx.AsyncClient) -> None:
    grant = await link_account(emulator_client, BASE, user=BOB)
    assert set(grant) >= {
        "access_token",
        "token_type",
        "refresh_token",
        "expires_in",
        "scope",
        "user_name",
        "iss",
        "siteid",
        "userid",
        "authentication_id",
        "email",
    }
    assert grant["token_type"] == "bearer"
    assert grant["expires_in"] == 7200
    assert grant["refresh_token_expires_in"] == 60 * 24 * 3600
    assert grant["refresh_token"].startswith("sandbox_")
    assert grant["iss"] == "https://sandbox.webex.com"
    assert grant["email"] == BOB and grant["user_name"] == BOB


async def test_token_response_is_not_cached(emulator_client: httpx.AsyncClient) -> None:
    code = await code_for(emulator_client)
    response = await exchange(emulator_client, code)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")


async def test_s256_pkce(emulator_client: httpx.AsyncClient) -> None:
    verifier = "a-long-random-verifier-with-enough-entropy-1234567890"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = await code_for(emulator_client, code_challenge=challenge, code_challenge_method="S256")
    assert (await exchange(emulator_client, code, verifier="wrong")).json()["error"] == "invalid_grant"
    code = await code_for(emulator_client, code_challenge=challenge, code_challenge_method="S256")
    assert (await exchange(emulator_client, code, verifier=verifier)).status_code == 200


async def test_pkce_mismatch_is_invalid_grant(emulator_client: httpx.AsyncClient) -> None:
    code = await code_for(emulator_client, code_challenge="abc")
    response = await exchange(emulator_client, code, verifier="abd")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "code_verifier does not match the code_challenge",
    }


async def test_missing_verifier_is_invalid_request(emulator_client: httpx.AsyncClient) -> None:
    code = await code_for(emulator_client)
    response = await exchange(emulator_client, code, verifier="")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_wrong_redirect_uri_at_exchange(emulator_client: httpx.AsyncClient) -> None:
    code = await code_for(emulator_client)
    response = await exchange(emulator_client, code, redirect_uri="http://127.0.0.1:3000/other")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_code_reuse_fails_and_revokes_what_the_code_gave(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    code = await code_for(emulator_client)
    first = await exchange(emulator_client, code)
    assert first.status_code == 200
    again = await exchange(emulator_client, code)
    assert again.status_code == 400 and "already been used" in again.json()["error_description"]
    after = await refresh(emulator_client, first.json()["refresh_token"])
    assert after.json()["error"] == "invalid_grant"


async def test_expired_code(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    code = await code_for(emulator_client)
    emulator.advance(timedelta(minutes=5, seconds=1))
    response = await exchange(emulator_client, code)
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code has expired",
    }


async def test_code_of_another_client(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    emulator.add_client("other", "other-secret", allow_any_loopback_redirect=True)
    code = await code_for(emulator_client)
    response = await exchange(emulator_client, code, client_id="other", client_secret="other-secret")
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
        ({"code": ""}, 400, "invalid_request"),
        ({"code": "made-up"}, 400, "invalid_grant"),
    ],
)
async def test_token_endpoint_errors(
    emulator_client: httpx.AsyncClient, overrides: dict[str, str], status: int, error: str
) -> None:
    code = overrides.pop("code", None)
    if code is None:
        code = await code_for(emulator_client)
    response = await exchange(emulator_client, code, **overrides)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["error_description"]


async def test_client_secret_basic_is_accepted(emulator_client: httpx.AsyncClient) -> None:
    code = await code_for(emulator_client)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = await emulator_client.post(
        TOKEN_PATH,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": "verifier1",
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(
    emulator: Emulator, emulator_client: httpx.AsyncClient
) -> None:
    grant = await link_account(emulator_client, BASE)
    renewed = await refresh(
        emulator_client, grant["refresh_token"], redirect_uri=REDIRECT_URI, code_verifier="x"
    )
    assert renewed.status_code == 200
    new = renewed.json()
    assert new["access_token"] != grant["access_token"]
    assert new["refresh_token"] != grant["refresh_token"] and new["refresh_token"].startswith("sandbox_")
    assert emulator.token_refreshes == 1
    stale = await refresh(emulator_client, grant["refresh_token"])
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
    assert (await refresh(emulator_client, new["refresh_token"])).status_code == 200
    assert emulator.token_refreshes == 2


async def test_refresh_without_rotation_keeps_the_refresh_token() -> None:
    emulator = Emulator.with_defaults(rotate_refresh_tokens=False)
    from bot.emulator import create_app

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(emulator)), base_url=BASE
    ) as client:
        grant = await link_account(client, BASE)
        first = (await refresh(client, grant["refresh_token"])).json()
        second = (await refresh(client, grant["refresh_token"])).json()
    assert first["refresh_token"] == second["refresh_token"] == grant["refresh_token"]
    assert first["access_token"] != second["access_token"]


async def test_refresh_tokens_without_the_site_prefix_and_a_minimal_answer() -> None:
    emulator = Emulator.with_defaults(refresh_token_site_prefix=False, minimal_token_response=True)
    from bot.emulator import create_app

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(emulator)), base_url=BASE
    ) as client:
        grant = await link_account(client, BASE)
        assert set(grant) == {"access_token", "refresh_token", "expires_in"}
        assert not grant["refresh_token"].startswith("sandbox_")
        assert (await refresh(client, grant["refresh_token"])).status_code == 200


async def test_expired_refresh_token(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    grant = await link_account(emulator_client, BASE)
    emulator.advance(timedelta(days=60, seconds=1))
    response = await refresh(emulator_client, grant["refresh_token"])
    assert response.json()["error"] == "invalid_grant"


async def test_revoked_refresh_token(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    grant = await link_account(emulator_client, BASE)
    assert emulator.revoke_tokens(user=ALICE) == 2
    assert (await refresh(emulator_client, grant["refresh_token"])).json()["error"] == "invalid_grant"


async def test_refresh_by_another_client(emulator: Emulator, emulator_client: httpx.AsyncClient) -> None:
    emulator.add_client("other", "other-secret")
    grant = await link_account(emulator_client, BASE)
    response = await refresh(
        emulator_client, grant["refresh_token"], client_id="other", client_secret="other-secret"
    )
    assert response.json()["error"] == "invalid_grant"
