"""The Webex XML API backend: OAuth, XML API operations and their typed errors (no Slack here).

`xml_backend` adapts it to the ports the use cases speak (bot/services/ports.py); only
bot/bootstrap.py imports from here.
"""

from bot.webex.client import WebexClient, WebexCredentials, normalize_meeting_key
from bot.webex.errors import (
    AccessDenied,
    AccessTokenInvalid,
    InvalidGrant,
    InvalidRequest,
    MeetingNotFound,
    NoRecordsFound,
    OAuthError,
    PasswordRequired,
    TokenEndpointUnavailable,
    UserNotFound,
    WebexError,
    WebexFailure,
    WebexRateLimited,
    WebexTimeout,
    WebexUnavailable,
)
from bot.webex.http import TRANSPORTS, new_webex_http_client
from bot.webex.oauth import WebexOAuth, new_code_verifier

__all__ = [
    "TRANSPORTS",
    "AccessDenied",
    "AccessTokenInvalid",
    "InvalidGrant",
    "InvalidRequest",
    "MeetingNotFound",
    "NoRecordsFound",
    "OAuthError",
    "PasswordRequired",
    "TokenEndpointUnavailable",
    "UserNotFound",
    "WebexClient",
    "WebexCredentials",
    "WebexError",
    "WebexFailure",
    "WebexOAuth",
    "WebexRateLimited",
    "WebexTimeout",
    "WebexUnavailable",
    "new_code_verifier",
    "new_webex_http_client",
    "normalize_meeting_key",
]
