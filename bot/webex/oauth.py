"""A Webex OAuth integration: authorize URL, code exchange and refresh (client_secret_post).

The XML API's server (`{oauth_url}/authorize`, `/token`, PKCE plain, scopes joined by `+`) by default;
the REST API's (`/authorize`, `/access_token`, PKCE S256, scopes joined by spaces) with its options.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from bot.domain.accounts import TokenGrant
from bot.webex.errors import InvalidGrant, OAuthError, TokenEndpointUnavailable
from bot.webex.http import RESENDABLE

logger = logging.getLogger("bot.webex.oauth")

MAX_CODE_CHALLENGE_LENGTH = 10  # Webex's limit for the plain PKCE challenge
DEFAULT_EXPIRES_IN = 3600  # used only when a server leaves expires_in out; refreshing early is harmless
_MAX_BODY = 64 * 1024
_SITE_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
_SITE_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def new_code_verifier() -> str:
    """A random PKCE verifier: 10 URL-safe characters (56 bits), the most Webex's plain method takes."""
    return secrets.token_urlsafe(7)


class WebexOAuth:
    """The integration's side of the OAuth flow against `{oauth_url}/authorize` and `{oauth_url}/token`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        observe: Callable[[str, str, float], None] | None = None,
        token_path: str = "/token",
        pkce_method: str = "plain",
        scope_separator: str = "+",
    ) -> None:
        """`observe` is told of every token request: `token <grant_type>`, its outcome, its seconds.
        `pkce_method` names how `authorize_url`'s challenge was made (`plain` or `S256`)."""
        if pkce_method not in ("plain", "S256") or scope_separator not in ("+", " "):
            raise ValueError("pkce_method is plain or S256; scope_separator is '+' or ' '")
        self._http = http
        self._observe = observe
        self._authorize_endpoint = oauth_url.rstrip("/") + "/authorize"
        self._token_endpoint = oauth_url.rstrip("/") + token_path
        self._pkce_method = pkce_method
        self._scope_separator = scope_separator
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri

    def __repr__(self) -> str:
        return f"WebexOAuth(token_endpoint={self._token_endpoint!r}, client_id={self._client_id!r})"

    def authorize_url(self, *, state: str, code_challenge: str, scopes: Sequence[str]) -> str:
        """The URL that asks the user for consent.

        Scopes are joined by `+` and the `+` is percent-encoded, so a server that decodes the query
        as a form (where a bare `+` means a space) still reads `all_read+meeting_modify`. Joined by
        spaces (REST), they are sent as `%20`, never `+`, as Webex's authorize page expects.
        """
        if self._pkce_method == "plain" and not 1 <= len(code_challenge) <= MAX_CODE_CHALLENGE_LENGTH:
            raise ValueError(f"code_challenge must be 1 to {MAX_CODE_CHALLENGE_LENGTH} characters")
        if self._pkce_method == "S256" and len(code_challenge) != 43:
            raise ValueError("an S256 code_challenge is 43 characters")
        if not scopes or any(not scope or "+" in scope or " " in scope for scope in scopes):
            raise ValueError(f"scopes must be non-empty names without '+' or spaces, got {list(scopes)!r}")
        query = urlencode(
            [
                ("response_type", "code"),
                ("client_id", self._client_id),
                ("redirect_uri", self._redirect_uri),
                ("scope", self._scope_separator.join(scopes)),
                ("state", state),
                ("code_challenge", code_challenge),
                ("code_challenge_method", self._pkce_method),
            ],
            quote_via=quote,
            safe="",
        )
        return f"{self._authorize_endpoint}?{query}"

    async def exchange_code(self, code: str, code_verifier: str) -> TokenGrant:
        """grant_type=authorization_code with the PKCE verifier."""
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "code": code,
                "redirect_uri": self._redirect_uri,
                "code_verifier": code_verifier,
            },
            previous_refresh_token=None,
        )

    async def refresh(self, refresh_token: str) -> TokenGrant:
        """grant_type=refresh_token. A server may leave the refresh token out: the old one then stays."""
        return await self._token_request(
            {
                "grant_type": "refresh_token",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "refresh_token": refresh_token,
                "redirect_uri": self._redirect_uri,
            },
            previous_refresh_token=refresh_token,
        )

    async def _token_request(
        self, form: Mapping[str, str], *, previous_refresh_token: str | None
    ) -> TokenGrant:
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await self._ask_token_endpoint(form, previous_refresh_token=previous_refresh_token)
        except BaseException as error:
            outcome = type(error).__name__
            raise
        finally:
            if self._observe is not None:
                self._observe(f"token {form['grant_type']}", outcome, time.perf_counter() - started)

    async def _ask_token_endpoint(
        self, form: Mapping[str, str], *, previous_refresh_token: str | None
    ) -> TokenGrant:
        grant_type = form["grant_type"]
        try:
            # Resendable: a request that died on a dropped keep-alive connection almost surely never
            # reached the endpoint; if it did, its answer is lost either way and the next use of the
            # same code or refresh token meets the same refusal, sent now or a minute later.
            response = await self._http.post(
                self._token_endpoint,
                data=dict(form),
                headers={"accept": "application/json"},
                extensions={RESENDABLE: True},
            )
        except httpx.TimeoutException:
            raise TokenEndpointUnavailable(
                "the token endpoint did not answer in time", timed_out=True
            ) from None
        except (httpx.HTTPError, OSError) as exc:
            raise TokenEndpointUnavailable(
                f"the token endpoint could not be reached ({type(exc).__name__})"
            ) from None
        status = response.status_code
        logger.info("webex token request grant_type=%s status=%s", grant_type, status)
        body = _json_object(response.content[:_MAX_BODY]) if len(response.content) <= _MAX_BODY else None
        if status == 429 or status >= 500:
            raise TokenEndpointUnavailable(
                f"the token endpoint answered HTTP {status}",
                status_code=status,
                retry_after=_seconds(response.headers.get("retry-after")),
            )
        if status != 200 or (body is not None and "error" in body and "access_token" not in body):
            raise _oauth_error(status, body, response.text if body is None else "")
        if body is None:
            raise TokenEndpointUnavailable(
                "the token endpoint's answer is not a JSON object", status_code=status
            )
        return _grant(body, previous_refresh_token=previous_refresh_token)


def _json_object(content: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _oauth_error(status: int, body: Mapping[str, Any] | None, raw_text: str) -> OAuthError:
    if body is not None and isinstance(body.get("error"), str):
        error = body["error"]
        description = body.get("error_description")
        description = description if isinstance(description, str) else ""
    else:
        # Some servers answer a refusal with plain text ("Invalid client secret").
        error, description = f"http_{status}", raw_text.strip()[:300]
    if error == "invalid_grant":
        return InvalidGrant(error, description[:300], status_code=status)
    return OAuthError(error, description[:300], status_code=status)


def _seconds(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _grant(body: Mapping[str, Any], *, previous_refresh_token: str | None) -> TokenGrant:
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise TokenEndpointUnavailable("the token endpoint's answer has no access_token", status_code=200)
    refresh_token = body.get("refresh_token")
    if not isinstance(refresh_token, str) or not refresh_token:
        if previous_refresh_token is None:
            raise TokenEndpointUnavailable(
                "the token endpoint's answer has no refresh_token", status_code=200
            )
        refresh_token = previous_refresh_token
    expires_in = _seconds(body.get("expires_in"))
    scope = body.get("scope")
    return TokenGrant(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=expires_in if expires_in is not None and expires_in > 0 else DEFAULT_EXPIRES_IN,
        refresh_expires_in=_seconds(body.get("refresh_token_expires_in")),
        scopes=tuple(part for part in re.split(r"[\s+,]+", scope) if part) if isinstance(scope, str) else (),
        user_name=_string(body.get("user_name")),
        email=_string(body.get("email")),
        site=_site_from_iss(body.get("iss")) or _site_from_refresh_token(refresh_token),
    )


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _site_from_iss(iss: Any) -> str:
    """`https://acme.webex.com` -> `acme`: the issuer's subdomain is the site name."""
    if not isinstance(iss, str) or not iss.strip():
        return ""
    value = iss.strip()
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    try:
        ipaddress.ip_address(host)
        return ""
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 3 or not _SITE_LABEL.match(labels[0]):
        return ""
    return labels[0].lower()


def _site_from_refresh_token(refresh_token: str) -> str:
    """`acme_...` -> `acme`: Webex prefixes refresh tokens with the site name and `_`.

    A server that does not add the prefix sends a random URL-safe token, which may contain `_` too,
    so only a plausible site name (lower case, 2+ characters) before a long enough rest counts. It
    is still a hint: `iss`, when present, wins.
    """
    prefix, separator, rest = refresh_token.partition("_")
    if not separator or len(rest) < 8 or not _SITE_PREFIX.match(prefix):
        return ""
    return prefix
