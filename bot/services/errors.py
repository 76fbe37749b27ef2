"""Errors the use cases raise that every entry point must be able to explain."""

from __future__ import annotations


class NeedsConnect(Exception):
    """The user must (re)connect their Webex account before this can run."""


class NotLinked(NeedsConnect):
    """This Slack user has not linked a Webex account yet."""


class LinkExpired(NeedsConnect):
    """Webex refused the stored refresh token: the link must be made again."""


class TokenRefreshUnavailable(Exception):
    """The Webex token endpoint could not be reached to renew an access token; the link is kept."""
