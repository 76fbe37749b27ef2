"""The one mapper from errors to what the user is told (what happened, what to do next) and how
each is logged: a person's mistake or a Webex refusal in one line, a bug with its traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.domain.meeting_rules import MeetingRequestInvalid
from bot.services import ports
from bot.services.errors import NeedsConnect, TokenRefreshUnavailable
from bot.services.meeting_changes import ChangeInProgress
from bot.services.scheduling import ScheduleInProgress
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
        ports.TimedOut,
        "Webex did not answer in time. Please try again in a minute; `/webex list` shows what Webex has.",
    ),
    (
        ports.BackendUnavailable,
        "Webex could not be reached or answered with an error, so nothing was changed. "
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
    (
        # Where a Connect button cannot go (an open form): the guard sends the button in the conversation.
        NeedsConnect,
        "Your Webex account needs linking first, so nothing was changed. Use the button in the message "
        "I just sent you, or run `/webex connect`, then try again.",
    ),
    (ports.RequestRejected, "Webex refused the request: {reason}. Nothing was changed."),
    (ports.BackendRefused, "Webex refused the request ({reason}). Nothing was changed."),
]

_extra: list[Explainer] = []

# What people and Webex do in the ordinary course of things, logged in one line without a traceback.
# A mistake in the request, or Webex refusing it (no such meeting, another host's, a bad value):
_REFUSALS: tuple[type[Exception], ...] = (
    MeetingRequestInvalid,
    ScheduleInProgress,
    ChangeInProgress,
    ports.BackendRefused,
    ports.AuthorizationFailed,
)
# Something the bot depends on is down or slow (Webex, its sign-in service, the database):
_OUTAGES: tuple[type[Exception], ...] = (
    ports.BackendUnavailable,
    ports.AuthorizationServerUnavailable,
    TokenRefreshUnavailable,
    DatabaseUnavailable,
)


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
            # What the backend said in words fit to show, where it said more than its reason for the logs.
            reason = getattr(error, "said", "") or getattr(error, "reason", "") or str(error)
            return text.format(reason=reason.rstrip("."))
    return texts.SOMETHING_WENT_WRONG


def log_failure(logger: logging.Logger, error: BaseException, what: str) -> None:
    """How a failed piece of work is logged: a refusal at INFO and an outage at WARNING, each in one
    line naming the error; anything else is a bug, at ERROR with its traceback. `what` says which
    work for whom (`/webex cancel for team=T1 user=U1`)."""
    if isinstance(error, _OUTAGES):
        logger.warning("%s: %s", what, _one_line(error))
    elif isinstance(error, _REFUSALS):
        logger.info("%s: %s", what, _one_line(error))
    else:
        logger.error("%s failed", what, exc_info=error)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
