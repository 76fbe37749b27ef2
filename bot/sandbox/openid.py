"""Sign in with Slack on the stand-in: Slack's OpenID Connect authorize page, token and userInfo methods."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.sandbox.workspace import JsonObject, SlackApiError, SlackWorkspace

__all__ = [
    "AUTHORIZE_PATH",
    "OPENID_METHODS",
    "SANDBOX_SLACK_CLIENT_ID",
    "SANDBOX_SLACK_CLIENT_SECRET",
    "OpenIDProvider",
]

AUTHORIZE_PATH = "/openid/connect/authorize"
OPENID_METHODS = frozenset({"openid.connect.token", "openid.connect.userInfo"})
SANDBOX_SLACK_CLIENT_ID = "sandbox-slack-client"
SANDBOX_SLACK_CLIENT_SECRET = "sandbox-slack-secret"
# Slack's codes are short lived and single use; its user tokens here last as long as the stand-in.
CODE_LIFETIME_SECONDS = 600


@dataclass(frozen=True)
class _Request:
    """An authorize request waiting for the person to pick who they are."""

    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    created: float


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    user_id: str
    nonce: str
    expires: float


@dataclass(frozen=True)
class PageAnswer:
    """What the authorize route answers: an HTML page (status, html) or a redirect (location)."""

    status: int = 200
    html: str = ""
    location: str = ""


class OpenIDProvider:
    """Slack's OpenID Connect side of one pretend workspace; called under the stand-in's lock.

    The person "signs in" by picking a member of the workspace on the authorize page, as a browser already
    signed in to Slack as that member would.
    """

    def __init__(
        self,
        workspace: SlackWorkspace,
        *,
        client_id: str = SANDBOX_SLACK_CLIENT_ID,
        client_secret: str = SANDBOX_SLACK_CLIENT_SECRET,
    ) -> None:
        self._workspace = workspace
        self._clients = {client_id: client_secret}
        self._requests: dict[str, _Request] = {}
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, str] = {}  # user token -> user id

    # The browser's side.

    def authorize(self, query: Mapping[str, str]) -> PageAnswer:
        """GET /openid/connect/authorize: check the request and show who may sign in."""
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id not in self._clients:
            return _error_page("This app is not known to Slack (client_id is wrong).")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            return _error_page("The app gave no valid redirect_uri.")
        scopes = set(query.get("scope", "").replace(",", " ").split())
        if query.get("response_type") != "code" or "openid" not in scopes:
            return _redirect(redirect_uri, error="invalid_request", state=query.get("state", ""))
        team = query.get("team")
        if team and team != self._workspace.team_id:
            return _error_page("You are not a member of the workspace this app asked for.")
        request_id = secrets.token_urlsafe(16)
        self._requests[request_id] = _Request(
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=query.get("state", ""),
            nonce=query.get("nonce", ""),
            created=time.time(),
        )
        members = [user for user in self._workspace.users.values() if not user.is_bot]
        return PageAnswer(html=_sign_in_page(request_id, self._workspace.team_domain, members))

    def decide(self, form: Mapping[str, str]) -> PageAnswer:
        """POST /openid/connect/authorize: the person picked who they are and allowed (or cancelled)."""
        request = self._requests.pop(form.get("request_id", ""), None)
        if request is None or time.time() - request.created > CODE_LIFETIME_SECONDS:
            return _error_page("This sign-in page is out of date. Go back to the app and start again.")
        if form.get("decision") != "allow":
            return _redirect(request.redirect_uri, error="access_denied", state=request.state)
        user_id = form.get("user", "")
        if user_id not in self._workspace.users:
            return _error_page("Pick who you are signed in to Slack as.")
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            user_id=user_id,
            nonce=request.nonce,
            expires=time.time() + CODE_LIFETIME_SECONDS,
        )
        return _redirect(request.redirect_uri, code=code, state=request.state)

    # The app's side (Web API methods).

    def answer(self, method: str, headers: Mapping[str, str], params: Mapping[str, Any]) -> JsonObject:
        """openid.connect.token or openid.connect.userInfo; raises SlackApiError as Slack refuses."""
        if method == "openid.connect.token":
            return self._token(headers, params)
        return self._user_info(headers, params)

    def _token(self, headers: Mapping[str, str], params: Mapping[str, Any]) -> JsonObject:
        client_id, client_secret = _client_credentials(headers, params)
        if client_id not in self._clients:
            raise SlackApiError("invalid_client_id")
        if not hmac.compare_digest(self._clients[client_id], client_secret):
            raise SlackApiError("bad_client_secret")
        code = self._codes.pop(str(params.get("code") or ""), None)
        if code is None or code.expires < time.time() or code.client_id != client_id:
            raise SlackApiError("invalid_code")
        if str(params.get("redirect_uri") or "") != code.redirect_uri:
            raise SlackApiError("bad_redirect_uri")
        token = "xoxp-" + secrets.token_hex(16)
        self._tokens[token] = code.user_id
        return {
            "ok": True,
            "access_token": token,
            "token_type": "Bearer",
            "id_token": self._id_token(code, client_id),
        }

    def _user_info(self, headers: Mapping[str, str], params: Mapping[str, Any]) -> JsonObject:
        authorization = headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip() or str(params.get("token") or "")
        if not token:
            raise SlackApiError("not_authed")
        user_id = self._tokens.get(token)
        if user_id is None:
            raise SlackApiError("invalid_auth")
        return {"ok": True, **self._claims(user_id)}

    def _claims(self, user_id: str) -> JsonObject:
        user = self._workspace.users[user_id]
        claims: JsonObject = {
            "sub": user_id,
            "https://slack.com/user_id": user_id,
            "https://slack.com/team_id": self._workspace.team_id,
            "https://slack.com/team_domain": self._workspace.team_domain,
            "name": user.real_name or user.name,
            "given_name": (user.real_name or user.name).split(" ")[0],
        }
        if user.email:
            claims.update(email=user.email, email_verified=True)
        return claims

    def _id_token(self, code: _Code, client_id: str) -> str:
        now = int(time.time())
        claims = {"iss": "https://slack.com", "aud": client_id, "iat": now, "exp": now + 3600}
        claims.update(self._claims(code.user_id))
        if code.nonce:
            claims["nonce"] = code.nonce
        # Signed with the client secret (HS256): a well-formed JWT; Slack's own are RS256.
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        key = self._clients[client_id].encode()
        signature = _b64(hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{signature}"


def _client_credentials(headers: Mapping[str, str], params: Mapping[str, Any]) -> tuple[str, str]:
    """HTTP Basic (as slack_sdk sends them) or client_id/client_secret in the body."""
    authorization = headers.get("authorization", "")
    if authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except (ValueError, UnicodeError):
            raise SlackApiError("invalid_client_id") from None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return str(params.get("client_id") or ""), str(params.get("client_secret") or "")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _redirect(redirect_uri: str, **params: str) -> PageAnswer:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return PageAnswer(status=302, location=redirect_uri + separator + urlencode(params))


_STYLE = """
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; background: #f8f8f8; color: #1d1c1d; }
.banner { background: #fff4d6; text-align: center; font-size: 14px; padding: 8px; }
main { max-width: 460px; margin: 32px auto; padding: 0 16px; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 12px; padding: 24px; }
label.user { display: block; padding: 12px; border: 1px solid #ddd; border-radius: 8px; margin-bottom: 8px; }
.actions { display: flex; gap: 12px; margin-top: 16px; }
button { flex: 1; font: inherit; font-weight: 600; padding: 12px; border-radius: 8px;
  border: 1px solid #999; }
button.allow { background: #4a154b; color: #fff; border-color: #4a154b; }
"""


def _sign_in_page(request_id: str, team_domain: str, members: list[Any]) -> str:
    choices = "".join(
        f'<label class="user"><input type="radio" name="user" value="{escape(user.id)}"'
        f"{' checked' if position == 0 else ''}> {escape(user.real_name or user.name)}"
        f" <small>({escape(user.email or 'no email')})</small></label>"
        for position, user in enumerate(members)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in with Slack (stand-in)</title><style>{_STYLE}</style></head>
<body><div class="banner">Slack stand-in: no real Slack account is used</div>
<main><div class="card"><h1>Sign in to {escape(team_domain)}</h1>
<p>An app wants to confirm who you are on Slack. Which member of the workspace are you signed in as?</p>
<form method="post" action="{AUTHORIZE_PATH}">
<input type="hidden" name="request_id" value="{escape(request_id)}">
<fieldset>{choices}</fieldset>
<div class="actions"><button class="deny" name="decision" value="deny">Cancel</button>
<button class="allow" name="decision" value="allow">Continue</button></div></form></div></main></body></html>
"""


def _error_page(message: str) -> PageAnswer:
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in with Slack (stand-in)</title>
<style>{_STYLE}</style></head><body><main><div class="card"><h1>Sign in with Slack cannot go on</h1>
<p>{escape(message)}</p></div></main></body></html>
"""
    return PageAnswer(status=400, html=html)
