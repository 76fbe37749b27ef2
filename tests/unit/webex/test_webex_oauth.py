"""WebexOAuth: the authorize URL as the spec wants it, token requests, grants and every error class."""

from __future__ import annotations

import logging
import string
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

import httpx
import pytest

from bot.webex.errors import InvalidGrant, OAuthError, TokenEndpointUnavailable
from bot.webex.oauth import DEFAULT_EXPIRES_IN, WebexOAuth, new_code_verifier

OAUTH_URL = "https://api.webex.test/v1/oauth2/"
REDIRECT = "https://bot.example/webex/oauth/callback?x=1&y=2"


class TokenEndpoint:
    def __init__(self) -> None:
        self.replies: list[httpx.Response | Exception] = []
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def form(self, index: int = -1) -> dict[str, str]:
        return dict(parse_qsl(self.requests[index].content.decode(), keep_blank_values=True))


@pytest.fixture
def endpoint() -> TokenEndpoint:
    return TokenEndpoint()


@pytest.fixture
async def oauth(endpoint: TokenEndpoint) -> AsyncIterator[WebexOAuth]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint.handle)) as http:
        yield WebexOAuth(
            http,
            oauth_url=OAUTH_URL,
            client_id="client-1",
            client_secret="very-secret-client-secret",
            redirect_uri=REDIRECT,
        )


def test_authorize_url_has_exactly_the_spec_parameters(oauth: WebexOAuth) -> None:
    url = oauth.authorize_url(
        state="st&te=1", code_challenge="abc_-9XYZ0", scopes=["all_read", "meeting_modify"]
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://api.webex.test/v1/oauth2/authorize"
    raw_pairs = [pair.split("=", 1) for pair in parts.query.split("&")]
    assert [name for name, _ in raw_pairs] == [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ]
    # A server decoding the query as a form (where a bare '+' is a space) still sees the literal '+'.
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["client-1"],
        "redirect_uri": [REDIRECT],
        "scope": ["all_read+meeting_modify"],
        "state": ["st&te=1"],
        "code_challenge": ["abc_-9XYZ0"],
        "code_challenge_method": ["plain"],
    }
    # And one that only percent-decodes sees the same.
    assert unquote(dict(raw_pairs)["scope"]) == "all_read+meeting_modify"


def test_authorize_url_refuses_what_the_spec_forbids(oauth: WebexOAuth) -> None:
    with pytest.raises(ValueError, match="code_challenge"):
        oauth.authorize_url(state="s", code_challenge="x" * 11, scopes=["all_read"])
    with pytest.raises(ValueError, match="scopes"):
        oauth.authorize_url(state="s", code_challenge="x", scopes=["all_read meeting_modify"])
    with pytest.raises(ValueError, match="scopes"):
        oauth.authorize_url(state="s", code_challenge="x", scopes=[])


def test_code_verifier_is_short_url_safe_and_random() -> None:
    verifiers = {new_code_verifier() for _ in range(500)}
    assert len(verifiers) == 500
    allowed = set(string.ascii_letters + string.digits + "-_")
    assert all(len(v) == 10 and set(v) <= allowed for v in verifiers)


FULL_GRANT = {
    "access_token": "AT-1",
    "token_type": "Bearer",
    "refresh_token": "acme_refresh-token-1",
    "expires_in": 7200,
    "refresh_token_expires_in": 5184000,
    "scope": "all_read meeting_modify",
    "user_name": "alice",
    "email": "alice@acme.example",
    "iss": "https://acme.webex.com/",
}


async def test_exchange_code_posts_the_form_and_reads_the_grant(
    endpoint: TokenEndpoint, oauth: WebexOAuth
) -> None:
    endpoint.replies.append(httpx.Response(200, json=FULL_GRANT))
    grant = await oauth.exchange_code("CODE-1", "verifier01")
    request = endpoint.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://api.webex.test/v1/oauth2/token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["accept"] == "application/json"
    assert endpoint.form() == {
        "grant_type": "authorization_code",
        "client_id": "client-1",
        "client_secret": "very-secret-client-secret",
        "code": "CODE-1",
        "redirect_uri": REDIRECT,
        "code_verifier": "verifier01",
    }
    assert grant.access_token == "AT-1"
    assert grant.refresh_token == "acme_refresh-token-1"
    assert (grant.expires_in, grant.refresh_expires_in) == (7200, 5184000)
    assert grant.scopes == ("all_read", "meeting_modify")
    assert (grant.user_name, grant.email, grant.site) == ("alice", "alice@acme.example", "acme")


async def test_refresh_posts_the_refresh_grant(endpoint: TokenEndpoint, oauth: WebexOAuth) -> None:
    endpoint.replies.append(
        httpx.Response(200, json={"access_token": "AT-2", "refresh_token": "R2", "expires_in": 60})
    )
    grant = await oauth.refresh("acme_refresh-token-1")
    assert endpoint.form() == {
        "grant_type": "refresh_token",
        "client_id": "client-1",
        "client_secret": "very-secret-client-secret",
        "refresh_token": "acme_refresh-token-1",
        "redirect_uri": REDIRECT,
    }
    assert (grant.access_token, grant.refresh_token, grant.expires_in) == ("AT-2", "R2", 60)
    assert (grant.scopes, grant.user_name, grant.email, grant.site) == ((), "", "", "")


async def test_refresh_without_a_new_refresh_token_keeps_the_old(
    endpoint: TokenEndpoint, oauth: WebexOAuth
) -> None:
    endpoint.replies.append(httpx.Response(200, json={"access_token": "AT-2", "expires_in": "7200"}))
    grant = await oauth.refresh("acme_refresh-token-1")
    assert (grant.refresh_token, grant.expires_in, grant.site) == ("acme_refresh-token-1", 7200, "acme")


@pytest.mark.parametrize(
    ("body", "site"),
    [
        ({"iss": "https://acme.webex.com"}, "acme"),
        ({"iss": "sandbox.webex.com"}, "sandbox"),
        ({"iss": "https://Acme-EU.webex.com/oauth"}, "acme-eu"),
        ({"iss": "http://127.0.0.1:8080", "refresh_token": "sandbox_abcdefgh12"}, "sandbox"),
        ({"iss": "https://webex.com"}, ""),
        ({"iss": "https://acme.webex.com", "refresh_token": "other_abcdefgh12"}, "acme"),
        ({"refresh_token": "acme_x_y-Z0123456789"}, "acme"),
        ({"refresh_token": "acme-eu_0123456789"}, "acme-eu"),
        ({"refresh_token": "noprefix0123456789"}, ""),
        ({"refresh_token": "_abc0123456789"}, ""),
        ({"refresh_token": "acme_"}, ""),
        ({"refresh_token": "acme_short"}, ""),
        ({"refresh_token": "a.b_c0123456789"}, ""),
        ({"refresh_token": "q_0123456789"}, ""),  # one character: as likely random as a site
        ({"refresh_token": "Xk9z_0123456789"}, ""),  # mixed case: a random token, not a site
    ],
)
async def test_site_from_iss_or_refresh_token_prefix(
    body: dict[str, str], site: str, endpoint: TokenEndpoint, oauth: WebexOAuth
) -> None:
    endpoint.replies.append(httpx.Response(200, json={"access_token": "A", "refresh_token": "R", **body}))
    grant = await oauth.exchange_code("c", "v")
    assert grant.site == site
    assert grant.expires_in == DEFAULT_EXPIRES_IN  # left out: a conservative lifetime


@pytest.mark.parametrize(
    ("reply", "error", "checks"),
    [
        (
            httpx.Response(400, json={"error": "invalid_grant", "error_description": "code used"}),
            InvalidGrant,
            {"error": "invalid_grant", "description": "code used", "status_code": 400},
        ),
        (httpx.Response(401, json={"error": "invalid_grant"}), InvalidGrant, {"status_code": 401}),
        (
            httpx.Response(
                401, json={"error": "invalid_client", "error_description": "Invalid client secret"}
            ),
            OAuthError,
            {"error": "invalid_client", "description": "Invalid client secret"},
        ),
        (httpx.Response(400, json={"error": "invalid_request"}), OAuthError, {"error": "invalid_request"}),
        (httpx.Response(200, json={"error": "invalid_scope"}), OAuthError, {"error": "invalid_scope"}),
        (
            httpx.Response(401, text="Invalid client secret"),
            OAuthError,
            {"error": "http_401", "description": "Invalid client secret"},
        ),
        (
            httpx.Response(503, text="down"),
            TokenEndpointUnavailable,
            {"status_code": 503, "timed_out": False},
        ),
        (httpx.Response(500, json={"error": "server_error"}), TokenEndpointUnavailable, {"status_code": 500}),
        (
            httpx.Response(429, headers={"retry-after": "12"}),
            TokenEndpointUnavailable,
            {"status_code": 429, "retry_after": 12},
        ),
        (httpx.Response(200, text="<html>hi</html>"), TokenEndpointUnavailable, {"status_code": 200}),
        (httpx.Response(200, json=["access_token"]), TokenEndpointUnavailable, {}),
        (httpx.Response(200, json={"refresh_token": "R"}), TokenEndpointUnavailable, {}),
        (httpx.Response(200, json={"access_token": "A"}), TokenEndpointUnavailable, {}),
        (httpx.ReadTimeout("slow"), TokenEndpointUnavailable, {"timed_out": True}),
        (httpx.ConnectError("refused"), TokenEndpointUnavailable, {"timed_out": False}),
    ],
)
async def test_token_endpoint_errors(
    reply: httpx.Response | Exception,
    error: type[Exception],
    checks: dict[str, object],
    endpoint: TokenEndpoint,
    oauth: WebexOAuth,
) -> None:
    endpoint.replies.append(reply)
    with pytest.raises(error) as caught:
        await oauth.exchange_code("CODE-1", "verifier01")
    assert type(caught.value) is error
    for name, value in checks.items():
        assert getattr(caught.value, name) == value, name


async def test_secrets_stay_out_of_logs_and_errors(
    endpoint: TokenEndpoint, oauth: WebexOAuth, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint.replies += [
        httpx.Response(200, json=FULL_GRANT),
        httpx.Response(400, json={"error": "invalid_grant"}),
        httpx.Response(503),
    ]
    await oauth.exchange_code("CODE-1", "verifier01")
    errors = []
    for _ in range(2):
        with pytest.raises(OAuthError) as caught:
            await oauth.refresh("acme_refresh-token-1")
        errors.append(f"{caught.value!r} {caught.value}")
    text = caplog.text + " ".join(errors) + repr(oauth)
    assert "status=200" in caplog.text
    for secret in ("very-secret-client-secret", "AT-1", "acme_refresh-token-1", "CODE-1", "verifier01"):
        assert secret not in text
