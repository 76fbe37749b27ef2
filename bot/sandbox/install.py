"""Installing the app on the stand-in: Slack's OAuth v2 authorize page and oauth.v2.access.

Each install gives the workspace picked on the page a bot token of its own; Web API calls made with it
are answered as that workspace. Uninstalling revokes the workspace's tokens.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.openid import (
    _STYLE,
    CODE_LIFETIME_SECONDS,
    PageAnswer,
    _client_credentials,
    _error_page,
    _redirect,
)
from bot.sandbox.workspace import JsonObject, SlackApiError, SlackWorkspace

__all__ = ["INSTALL_AUTHORIZE_PATH", "INSTALL_METHODS", "InstallProvider"]

INSTALL_AUTHORIZE_PATH = "/oauth/v2/authorize"
INSTALL_METHODS = frozenset({"oauth.v2.access"})


@dataclass(frozen=True)
class _Request:
    client_id: str
    redirect_uri: str
    state: str
    scopes: str
    created: float


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    team_id: str
    installer: str
    scopes: str
    expires: float
    org_wide: bool = False


class InstallProvider:
    """Slack's install side for the stand-in's workspaces; called under the stand-in's lock.

    An org-wide install (Enterprise Grid) gets one token for the organization; the stand-in answers
    calls made with it as the workspace it was installed from (put the organization's people there).

    The admin "installs" by picking a workspace on the authorize page, as a browser signed in to Slack
    as an admin of several workspaces would.
    """

    def __init__(
        self,
        workspaces: Callable[[], Mapping[str, SlackWorkspace]],
        *,
        client_id: str,
        client_secret: str,
    ) -> None:
        self._workspaces = workspaces
        self._clients = {client_id: client_secret}
        self._requests: dict[str, _Request] = {}
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, str] = {}  # bot token -> team id
        self._revoked: set[str] = set()

    # The browser's side.

    def authorize(self, query: Mapping[str, str]) -> PageAnswer:
        """GET /oauth/v2/authorize: check the app's request and show where it can be installed."""
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id not in self._clients:
            return _error_page("This app is not known to Slack (client_id is wrong).")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            return _error_page("The app gave no valid redirect_uri.")
        scopes = query.get("scope", "")
        if not scopes.strip():
            return _redirect(redirect_uri, error="invalid_scope", state=query.get("state", ""))
        request_id = secrets.token_urlsafe(16)
        self._requests[request_id] = _Request(
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=query.get("state", ""),
            scopes=scopes,
            created=time.time(),
        )
        return PageAnswer(html=_install_page(request_id, scopes, list(self._workspaces().values())))

    def decide(self, form: Mapping[str, str]) -> PageAnswer:
        """POST /oauth/v2/authorize: the admin picked a workspace and allowed (or cancelled)."""
        request = self._requests.pop(form.get("request_id", ""), None)
        if request is None or time.time() - request.created > CODE_LIFETIME_SECONDS:
            return _error_page("This install page is out of date. Go back to the app and start again.")
        if form.get("decision") != "allow":
            return _redirect(request.redirect_uri, error="access_denied", state=request.state)
        workspace = self._workspaces().get(form.get("team", ""))
        if workspace is None:
            return _error_page("Pick the workspace to install the app to.")
        members = [user.id for user in workspace.users.values() if not user.is_bot]
        org_wide = form.get("org_wide") == "yes"
        if org_wide and not workspace.enterprise_id:
            return _error_page("Only a workspace of an Enterprise Grid organization can install org-wide.")
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            team_id=workspace.team_id,
            installer=form.get("user") or (members[0] if members else ""),
            scopes=request.scopes,
            expires=time.time() + CODE_LIFETIME_SECONDS,
            org_wide=org_wide,
        )
        return _redirect(request.redirect_uri, code=code, state=request.state)

    # The app's side.

    def answer(self, method: str, headers: Mapping[str, str], params: Mapping[str, Any]) -> JsonObject:
        """oauth.v2.access: a code for the workspace's new bot token; raises SlackApiError as Slack does."""
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
        workspace = self._workspaces()[code.team_id]
        token = f"xoxb-{workspace.team_id}-{secrets.token_hex(12)}"
        self._tokens[token] = workspace.team_id
        return {
            "ok": True,
            "app_id": workspace.app_id,
            "authed_user": {"id": code.installer},
            "scope": code.scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": workspace.bot_user_id,
            # An org-wide install belongs to the organization, not to the workspace it was made from.
            "team": None
            if code.org_wide
            else {"id": workspace.team_id, "name": workspace.team_domain.title()},
            "enterprise": {"id": workspace.enterprise_id, "name": workspace.enterprise_id}
            if workspace.enterprise_id
            else None,
            "is_enterprise_install": code.org_wide,
        }

    # What the stand-in asks.

    def workspace_of(self, token: str) -> str | None:
        """The team a bot token issued here speaks for (None: not issued here, or revoked)."""
        return self._tokens.get(token)

    def is_revoked(self, token: str) -> bool:
        return token in self._revoked

    def tokens_of(self, team_id: str) -> list[str]:
        return [token for token, team in self._tokens.items() if team == team_id]

    def uninstall(self, team_id: str) -> None:
        """Revoke every bot token of the workspace, as removing the app does."""
        for token in self.tokens_of(team_id):
            del self._tokens[token]
            self._revoked.add(token)


def _install_page(request_id: str, scopes: str, workspaces: list[SlackWorkspace]) -> str:
    choices = "".join(
        f'<label class="user"><input type="radio" name="team" value="{escape(workspace.team_id)}"'
        f"{' checked' if position == 0 else ''}> {escape(workspace.team_domain)}"
        f" <small>({escape(workspace.team_id)})</small></label>"
        for position, workspace in enumerate(workspaces)
    )
    asked = "".join(f"<li>{escape(scope)}</li>" for scope in scopes.replace(",", " ").split())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Install app (Slack stand-in)</title><style>{_STYLE}</style></head>
<body><div class="banner">Slack stand-in: no real Slack account is used</div>
<main><div class="card"><h1>Install this app</h1>
<p>The app asks to:</p><ul>{asked}</ul>
<form method="post" action="{INSTALL_AUTHORIZE_PATH}">
<input type="hidden" name="request_id" value="{escape(request_id)}">
<p>Install it to which workspace?</p>
<fieldset>{choices}</fieldset>
<label><input type="checkbox" name="org_wide" value="yes"> For the whole organization</label>
<div class="actions"><button class="deny" name="decision" value="deny">Cancel</button>
<button class="allow" name="decision" value="allow">Allow</button></div></form></div></main></body></html>
"""
