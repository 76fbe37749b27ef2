"""The one mapper from errors to what the user is told: what happened and what to do next."""

from __future__ import annotations

from collections.abc import Callable

from bot.services import ports
from bot.services.errors import TokenRefreshUnavailable
from bot.slack import texts
from bot.store.database import DatabaseUnavailable

Explainer = Callable[[Exception], str | None]

_GENERAL: list[tuple[type[Exception], str]] = [
    (
        ports.MeetingNotFound,
        "Webex has no meeting with that number (it may have been cancelled). "
        "Check the number with `/webex list`.",
    ),
    (
        ports.NotPermitted,
        "Webex says your account may not do that: the meeting may belong to someone else, or your link "
        "lacks a permission. Run `/webex status` to see what the bot may do, "
        "or `/webex connect` to grant more.",
    ),
    (
        ports.PasswordRequired,
        "Your Webex site requires a meeting password. Add one in the form (`/webex schedule` with no text) "
        "and try again.",
    ),
    (
        ports.RateLimited,
        "Webex is asking us to slow down. Nothing was changed; please try again in a minute.",
    ),
    (
        ports.BackendUnavailable,
        "Webex did not answer in time or answered with an error, so nothing was changed. "
        "Please try again in a minute.",
    ),
    (
        TokenRefreshUnavailable,
        "Webex's sign-in service is not answering, so your session could not be renewed. Nothing was "
        "changed; please try again in a minute.",
    ),
    (
        DatabaseUnavailable,
        "The bot's database is not answering, so nothing was changed. Please try again in a minute.",
    ),
    (ports.RequestRejected, "Webex refused the request: {reason}. Nothing was changed."),
    (ports.BackendRefused, "Webex refused the request ({reason}). Nothing was changed."),
]

_extra: list[Explainer] = []


def add_explainer(explainer: Explainer) -> None:
    """Let a feature explain its own errors first (e.g. meetings-specific wording)."""
    _extra.append(explainer)


def explain(error: Exception) -> str:
    for explainer in _extra:
        text = explainer(error)
        if text:
            return text
    for kind, text in _GENERAL:
        if isinstance(error, kind):
            reason = getattr(error, "reason", "") or str(error)
            return text.format(reason=reason.rstrip("."))
    return texts.SOMETHING_WENT_WRONG
