"""Every Webex call is reported once to the observer (the metrics): operation, outcome, seconds."""

from __future__ import annotations

import httpx
import pytest

from bot.webex.client import WebexClient
from bot.webex.errors import MeetingNotFound, TokenEndpointUnavailable, WebexTimeout, WebexUnavailable
from bot.webex.oauth import WebexOAuth
from tests.unit.webex.webex_fakes import CREDS, XML_URL, ScriptedWebex, failure, success

Observed = list[tuple[str, str, float]]


def observed_client(webex: ScriptedWebex, http: httpx.AsyncClient, seen: Observed) -> WebexClient:
    return WebexClient(http, xml_url=XML_URL, observe=lambda *call: seen.append(call))


async def test_a_success_a_webex_failure_and_a_transport_error_are_each_reported() -> None:
    webex = ScriptedWebex()
    seen: Observed = []
    webex.replies += [
        httpx.Response(200, content=success("<meet:meetingkey>123</meet:meetingkey>")),
        httpx.Response(200, content=failure("Sorry, no record found", "060001")),
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
    ]
    async with httpx.AsyncClient(transport=httpx.MockTransport(webex.handle)) as http:
        client = observed_client(webex, http, seen)
        await client.delete_meeting(CREDS, "123")
        with pytest.raises(MeetingNotFound):
            await client.delete_meeting(CREDS, "124")
        with pytest.raises(WebexUnavailable):
            await client.delete_meeting(CREDS, "125")
        with pytest.raises(WebexTimeout):
            await client.delete_meeting(CREDS, "126")
    assert [(operation, outcome) for operation, outcome, _ in seen] == [
        ("DelMeeting", "ok"),
        ("DelMeeting", "MeetingNotFound"),
        ("DelMeeting", "WebexUnavailable"),
        ("DelMeeting", "WebexTimeout"),
    ]
    assert all(seconds >= 0 for _, _, seconds in seen)


async def test_token_requests_are_reported_by_grant_type_without_the_token() -> None:
    seen: Observed = []
    answers = [
        httpx.Response(
            200, json={"access_token": "at-secret", "refresh_token": "rt-secret", "expires_in": 60}
        ),
        httpx.Response(502),
    ]
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answers.pop(0))) as http:
        oauth = WebexOAuth(
            http,
            oauth_url="https://api.webex.test/v1/oauth2",
            client_id="client-1",
            client_secret="client-secret",
            redirect_uri="https://bot.test/webex/oauth/callback",
            observe=lambda *call: seen.append(call),
        )
        await oauth.refresh("rt-old-secret")
        with pytest.raises(TokenEndpointUnavailable):
            await oauth.exchange_code("code-secret", "verifier")
    assert [(operation, outcome) for operation, outcome, _ in seen] == [
        ("token refresh_token", "ok"),
        ("token authorization_code", "TokenEndpointUnavailable"),
    ]
    assert "secret" not in repr(seen)
