"""Test fixtures for the Webex emulator: in process, over loopback, and linking an account by script."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest
import uvicorn
from lxml import etree
from starlette.applications import Starlette

from bot.emulator import (
    AUTHORIZE_PATH,
    INVALID_ACCESS_TOKEN_EXCEPTION_ID,
    TOKEN_PATH,
    XML_SERVICE_PATH,
    Emulator,
    create_app,
)
from bot.emulator.faults import Fault, FaultKind
from bot.emulator.requestlog import RequestRecord
from bot.emulator.rest.contract import rest_contract
from bot.emulator.rest.routes import REST_AUTHORIZE_PATH, REST_TOKEN_PATH
from bot.emulator.wire import SERV, XSI
from tests.support.paths import XSD_AVAILABLE, XSD_DIR

ALICE = "alice@sandbox.example"
BOB = "bob@sandbox.example"
SITE = "sandbox"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
# Every scope the REST side's tests link with (the bot's REST default plus recordings).
REST_SCOPES = (
    "meeting:schedules_read",
    "meeting:schedules_write",
    "spark:people_read",
    "meeting:recordings_read",
)
REDIRECT_URI = "http://127.0.0.1:3000/webex/oauth/callback"

_CONSENT_ID = re.compile(r'name="consent_id" value="([^"]*)"')
_PACKAGES = {"GetUser": "user", "LstRecording": "ep", "SetRecordingInfo": "ep", "GetAPIVersion": "ep"}


def new_emulator(**options: Any) -> Emulator:
    """The default sandbox emulator; strict (requests checked against the XSD) when the schemas exist.

    REST strict mode is always on: Cisco's OpenAPI description ships with the emulator, so every REST
    request is checked and every REST response it sends must match it.
    """
    if XSD_AVAILABLE:
        options.setdefault("xsd_dir", XSD_DIR)
        options.setdefault("strict", True)
    options.setdefault("rest_strict", True)
    options.setdefault("seed", 1234)
    return Emulator.with_defaults(**options)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An in-process Emulator with the defaults (site sandbox, alice and bob, sandbox-client)."""
    instance = new_emulator()
    yield instance
    instance.clear_faults()
    # A REST answer outside Cisco's description is an emulator bug, even when the test did not look.
    assert not instance.rest.violations, instance.rest.violations


@pytest.fixture
async def emulator_client(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to `emulator` in process (base URL http://emulator.test)."""
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
        yield client


@dataclass
class EmulatorServer:
    """The emulator served by uvicorn on 127.0.0.1 in a background thread."""

    url: str
    app: Starlette

    @property
    def emulator(self) -> Emulator:
        emulator: Emulator = self.app.state.emulator
        return emulator

    def use(self, emulator: Emulator) -> Emulator:
        """Serve another Emulator from now on (for example one built with a shared FakeClock)."""
        self.app.state.emulator = emulator
        return emulator

    @property
    def xml_url(self) -> str:
        return self.url + XML_SERVICE_PATH

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def oauth_url(self) -> str:
        return self.url + "/v1/oauth2"

    def authorize_url(self, **params: str) -> str:
        return authorize_url(self.url, **params)


class _ThreadedServer:
    def __init__(self, app: Starlette) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="webex-emulator", daemon=True)

    def start(self) -> str:
        self.thread.start()
        for _ in range(1000):
            if self.server.started:
                break
            if not self.thread.is_alive():
                raise RuntimeError("the emulator server stopped during start-up")
            threading.Event().wait(0.005)
        else:
            raise RuntimeError("the emulator server did not start within 5 s")
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def _shared_emulator_server() -> Iterator[EmulatorServer]:
    # Cisco's description is read once per process on the first strict REST check (about a second):
    # read it now, so that the first REST call of a test with a short Webex timeout is not the one.
    rest_contract()
    app = create_app(new_emulator())
    served = _ThreadedServer(app)
    url = served.start()
    yield EmulatorServer(url=url, app=app)
    app.state.emulator.clear_faults()
    served.stop()


@pytest.fixture
def emulator_server(_shared_emulator_server: EmulatorServer, emulator: Emulator) -> Iterator[EmulatorServer]:
    """A real HTTP server (uvicorn, 127.0.0.1, a free port) serving this test's `emulator`.

    `.url` is the base URL; `.emulator` is the same object as the `emulator` fixture. One server runs
    for the whole test run and each test gets a fresh Emulator, so tests never see each other's state.
    """
    _shared_emulator_server.use(emulator)
    yield _shared_emulator_server
    emulator.clear_faults()


def rest_authorize_url(
    base_url: str,
    *,
    client_id: str = CLIENT_ID,
    redirect_uri: str = REDIRECT_URI,
    scope: str = " ".join(REST_SCOPES),
    state: str = "state-123",
    code_challenge: str | None = None,
    code_challenge_method: str = "S256",
    **extra: str,
) -> str:
    """A REST authorize URL (`/v1/authorize`, scopes joined by %20, PKCE S256 when a challenge is given)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        **extra,
    }
    if code_challenge is not None:
        params["code_challenge"] = code_challenge
        params["code_challenge_method"] = code_challenge_method
    query = urlencode(params, quote_via=quote)
    return f"{base_url.rstrip('/')}{REST_AUTHORIZE_PATH}?{query}"


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def link_rest_account(
    client: httpx.AsyncClient,
    base_url: str,
    *,
    user: str = ALICE,
    scope: str = " ".join(REST_SCOPES),
    verifier: str = "v" * 43,
) -> dict[str, Any]:
    """The REST OAuth dance (`/v1/authorize`, consent, `/v1/access_token` with PKCE S256): the token JSON."""
    location = await approve_consent(
        client, rest_authorize_url(base_url, scope=scope, code_challenge=s256(verifier)), user=user
    )
    response = await client.post(
        f"{base_url.rstrip('/')}{REST_TOKEN_PATH}",
        data={
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": query_of(location)["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    response.raise_for_status()
    grant: dict[str, Any] = response.json()
    return grant


def authorize_url(
    base_url: str,
    *,
    client_id: str = CLIENT_ID,
    redirect_uri: str = REDIRECT_URI,
    scope: str = "all_read+meeting_modify",
    state: str = "state-123",
    code_challenge: str = "verifier1",
    code_challenge_method: str = "plain",
    **extra: str,
) -> str:
    """An authorize URL as the bot builds it (scopes joined by '+', PKCE plain)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": code_challenge_method,
        **extra,
    }
    query = urlencode(params).replace("%2B", "+")
    return f"{base_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


class ConsentError(AssertionError):
    """The authorize URL did not lead to a consent page."""


async def approve_consent(
    client: httpx.AsyncClient, url: str, *, user: str = ALICE, decision: str = "allow"
) -> str:
    """Open the consent page at `url` as a browser would, submit it as `user`, return the redirect Location.

    The Location is the app's redirect URI with `code` and `state` (or `error=access_denied` on deny,
    or an OAuth error when the authorize request itself was refused).
    """
    page = await client.get(url, follow_redirects=False)
    if page.status_code in (301, 302, 303, 307):
        return page.headers["location"]
    match = _CONSENT_ID.search(page.text)
    if page.status_code != 200 or match is None:
        raise ConsentError(f"no consent page (HTTP {page.status_code}): {page.text[:300]}")
    form = {"consent_id": unescape(match.group(1)), "user": user, "decision": decision}
    action = str(page.url.copy_with(query=None))
    answer = await client.post(action, data=form, follow_redirects=False)
    if answer.status_code not in (302, 303):
        raise ConsentError(f"the consent form answered HTTP {answer.status_code}: {answer.text[:300]}")
    return answer.headers["location"]


def approve_consent_sync(url: str, *, user: str = ALICE, decision: str = "allow") -> str:
    """`approve_consent` for synchronous code, over real HTTP."""

    async def run() -> str:
        async with httpx.AsyncClient(timeout=10) as client:
            return await approve_consent(client, url, user=user, decision=decision)

    return asyncio.run(run())


def query_of(location: str) -> dict[str, str]:
    """The query parameters of a redirect Location, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def xml_request(
    operation: str,
    body: str = "",
    *,
    token: str | None = None,
    webex_id: str = ALICE,
    site: str = SITE,
    package: str | None = None,
    password: str | None = None,
) -> bytes:
    """A request document as real clients send it: unprefixed children, the operation in xsi:type.

    `body` is the inner XML of bodyContent, e.g. "<meetingKey>123</meetingKey>".
    """
    security = [f"<siteName>{site}</siteName>"]
    if webex_id:
        security.insert(0, f"<webExID>{webex_id}</webExID>")
    if token is not None:
        security.append(f"<webExAccessToken>{token}</webExAccessToken>")
    if password is not None:
        security.append(f"<password>{password}</password>")
    kind = f"java:com.webex.service.binding.{package or _PACKAGES.get(operation, 'meeting')}.{operation}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<serv:message xmlns:serv="{SERV}" xmlns:xsi="{XSI}">'
        f"<header><securityContext>{''.join(security)}</securityContext></header>"
        f'<body><bodyContent xsi:type="{kind}">{body}</bodyContent></body></serv:message>'
    ).encode()


@dataclass(frozen=True)
class XmlAnswer:
    """A parsed XML API answer: result, exceptionID, reason and the bodyContent element."""

    status: int
    result: str
    exception_id: str
    reason: str
    body: etree._Element
    raw: bytes

    def text(self, name: str) -> str:
        """The text of the first element with local name `name` in the body ('' when absent)."""
        found = self.body.xpath(f".//*[local-name()='{name}']")
        return (found[0].text or "") if found else ""

    def texts(self, name: str) -> list[str]:
        return [element.text or "" for element in self.body.xpath(f".//*[local-name()='{name}']")]


def read_answer(response: httpx.Response) -> XmlAnswer:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(response.content, parser)
    namespaces = {"serv": SERV}
    return XmlAnswer(
        status=response.status_code,
        result=root.findtext("serv:header/serv:response/serv:result", namespaces=namespaces) or "",
        exception_id=root.findtext("serv:header/serv:response/serv:exceptionID", namespaces=namespaces) or "",
        reason=root.findtext("serv:header/serv:response/serv:reason", namespaces=namespaces) or "",
        body=root.find("serv:body/serv:bodyContent", namespaces=namespaces),
        raw=response.content,
    )


async def link_account(
    client: httpx.AsyncClient,
    base_url: str,
    *,
    user: str = ALICE,
    scope: str = "all_read+meeting_modify",
    verifier: str = "verifier1",
) -> dict[str, Any]:
    """The whole OAuth dance against the emulator (authorize, consent, code exchange): the token JSON."""
    location = await approve_consent(
        client, authorize_url(base_url, scope=scope, code_challenge=verifier), user=user
    )
    code = query_of(location)["code"]
    response = await client.post(
        f"{base_url.rstrip('/')}{TOKEN_PATH}",
        data={
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    response.raise_for_status()
    grant: dict[str, Any] = response.json()
    return grant


# The same Webex call on each API, by the emulator's names (faults' `operation`, the request log).
OPERATIONS: dict[str, dict[str, str]] = {
    "xml": {
        "token": "token",
        "create": "CreateMeeting",
        "get": "GetMeeting",
        "change": "SetMeeting",
        "cancel": "DelMeeting",
        "list": "LstsummaryMeeting",
        "join": "GetjoinurlMeeting",
        "host": "GethosturlMeeting",
    },
    "rest": {
        "token": "POST /v1/access_token",
        "create": "POST /v1/meetings",
        "get": "GET /v1/meetings/{meetingId}",
        "change": "PATCH /v1/meetings/{meetingId}",
        "cancel": "DELETE /v1/meetings/{meetingId}",
        "list": "GET /v1/meetings",
        "join": "POST /v1/meetings/join",
        "host": "POST /v1/meetings/join",
    },
}
# How long an access token lives on each API's side of the emulator.
ACCESS_TOKEN_LIFETIME = {"xml": timedelta(hours=2), "rest": timedelta(days=14)}


def webex_calls(emulator: Emulator, api: str, call: str | None = None) -> list[RequestRecord]:
    """The meeting API calls the emulator answered on `api` (`call`: a key of OPERATIONS): the sign-in
    (tokens, and REST's GET /people/me, which names who signed in as the XML token answer does) aside."""
    if api == "xml":
        return emulator.xml_requests(OPERATIONS["xml"][call] if call else None)
    wanted = OPERATIONS["rest"][call] if call else None
    return [
        entry
        for entry in emulator.rest.requests(wanted)
        if entry.operation not in (OPERATIONS["rest"]["token"], "GET /v1/people/me")
        and not entry.operation.endswith("/authorize")
    ]


def on_api(fault: Fault, api: str) -> Fault:
    """The same fault for a bot on `api`: an XML operation's name becomes its REST route, an invalid-token
    FAILURE a 401, and a rate limit asks to wait long enough for the REST adapter to report it (it
    waits out a few seconds itself)."""
    if api == "xml":
        return fault
    call = {name: call for call, name in OPERATIONS["xml"].items()}.get(fault.operation or "")
    operation = OPERATIONS["rest"][call] if call else fault.operation
    if fault.kind is FaultKind.FAILURE and fault.exception_id == INVALID_ACCESS_TOKEN_EXCEPTION_ID:
        return Fault.http_error(401, operation=operation, count=fault.count)
    changed = replace(fault, operation=operation)
    if fault.kind is FaultKind.RATE_LIMITED and call != "token":
        changed = replace(changed, retry_after=max(fault.retry_after, 60))
    return changed
