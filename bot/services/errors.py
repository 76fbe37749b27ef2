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


class NeedsScope(NeedsConnect):
    """The link works but lacks a permission this needs: Webex must be asked for `scopes` as well
    (incremental consent), then the work resumes."""

    def __init__(self, message: str, scopes: tuple[str, ...], what: str) -> None:
        super().__init__(message)
        self.scopes = scopes
        self.what = what  # what the permission is for, in the person's words: "rename recordings"


class AnsweredElsewhere(Exception):
    """Another delivery of the same request (a button or Save pressed twice, a request Slack sent again)
    carried it out, or failed to, while this one waited: that delivery is telling the person, so this
    one has nothing to add."""
