"""Values the bot writes into Slack and reads back on a click or a submit, sealed and bound to one person.

A button's `value` and a form's `private_metadata` come back in the request Slack sends when someone
presses the button or submits the form. The bot does not take them at their word: before a message or a
form goes out, `SealedValues` replaces each with a signed token (bot/services/signed_tokens.py, a key of
its own derived from TOKEN_KEYS) that names the workspace, the person it was shown to and the button or
form it belongs to. `CheckSealedValues`, a Bolt middleware, opens them again before any listener runs:
a value that was changed, made up, copied from someone else's button or moved to another button is
refused with a clear message, and nothing else happens. Listeners only ever see the value the bot wrote.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeGuard

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.domain.clock import Clock
from bot.runtime import BackgroundWork
from bot.services.signed_tokens import SignedTokens, TokenExpired, TokenInvalid
from bot.slack.guard import safe_send
from bot.slack.replies import Replies
from bot.slack.workspaces import workspace_key

logger = logging.getLogger(__name__)

Block = dict[str, Any]

# A card stays in Slack's history; its buttons should keep working for as long as anyone scrolls back
# to a meeting. Rotating TOKEN_KEYS (and dropping the old key) is how to retire every sealed value at once.
SEALED_VALUE_LIFETIME = timedelta(days=365)
BUTTON_VALUE_LIMIT = 2000
# How long a value may be, JSON-escaped as the seal carries it, for its sealed form to fit in a button:
# the token adds a third (base64) and some 150 characters (ids, timestamp, signature).
ESCAPED_BUTTON_VALUE_ROOM = 1200
PRIVATE_METADATA_LIMIT = 3000

TAMPERED_BUTTON = (
    ":no_entry: That button came back from Slack changed, so I did nothing. "
    "Use the buttons on a fresh `/webex list`."
)
SOMEONE_ELSES_BUTTON = ":no_entry: That button was made for someone else, so I did nothing."
EXPIRED_BUTTON = (
    ":hourglass: That button is too old to use, so I did nothing. Run `/webex list` for fresh buttons."
)
TAMPERED_FORM = (
    "This form came back from Slack changed, so nothing was scheduled or changed. "
    "Close it and run `/webex schedule` (or press Edit on the meeting) again."
)
EXPIRED_FORM = "This form is too old to use, so nothing was scheduled or changed. Close it and open it again."


class ValueRefused(Exception):
    """A value that came back is not one the bot wrote for this person and this button or form."""

    expired = False


class ValueExpired(ValueRefused):
    """A genuine value, older than SEALED_VALUE_LIFETIME."""

    expired = True


class ValueForSomeoneElse(ValueRefused):
    """A genuine value for this button, sealed for another person of the workspace (a colleague pressed
    a card shown to someone else): refused all the same, but nothing was changed on the way."""


class SealedValues:
    """Seals what the bot writes into buttons and forms, and opens what comes back."""

    def __init__(
        self, keys: Sequence[str], clock: Clock, *, lifetime: timedelta = SEALED_VALUE_LIFETIME
    ) -> None:
        self._tokens = SignedTokens(keys, purpose="slack echoed value", ttl=lifetime, clock=clock)

    def seal(self, value: str, *, team_id: str, user_id: str, used_by: str) -> str:
        """`value` as it may travel through Slack: readable back only for this person and `used_by`
        (the action_id of a button, the callback_id of a form)."""
        return self._tokens.issue({"v": value, "t": team_id, "u": user_id, "b": used_by})

    def open(self, sealed: str, *, team_id: str, user_id: str, used_by: str) -> str:
        """The value the bot wrote, or ValueRefused (ValueExpired when it is merely too old)."""
        try:
            payload = self._tokens.read(sealed)
        except TokenExpired:
            raise ValueExpired("the value is older than its lifetime") from None
        except TokenInvalid:
            raise ValueRefused("the value is not one the bot sealed") from None
        value = payload.get("v")
        if (payload.get("t"), payload.get("b")) == (team_id, used_by) and payload.get("u") != user_id:
            raise ValueForSomeoneElse("the value was sealed for another person")
        if (payload.get("t"), payload.get("u"), payload.get("b")) != (team_id, user_id, used_by):
            raise ValueRefused("the value was sealed for another person, button or form")
        if not isinstance(value, str):
            raise ValueRefused("the sealed value is not text")
        return value

    def buttons(self, blocks: list[Block], *, team_id: str, user_id: str) -> list[Block]:
        """A copy of `blocks` in which every button value the bot will read back is sealed for this person.

        Link buttons (those with a `url`) keep their value: the browser follows the link, and the bot
        never reads what Slack reports about the click."""
        sealed: list[Block] = []
        for block in blocks:
            elements, accessory = block.get("elements"), block.get("accessory")
            if _sealable(accessory) or (
                isinstance(elements, list) and any(_sealable(element) for element in elements)
            ):
                # Only the path to a sealed value is copied: the caller's blocks are never changed,
                # and the rest (texts, fields, link buttons) is shared, as nothing writes to it.
                block = dict(block)
                if _sealable(accessory):
                    block["accessory"] = self._sealed_button(accessory, team_id, user_id)
                if isinstance(elements, list):
                    block["elements"] = [
                        self._sealed_button(element, team_id, user_id) if _sealable(element) else element
                        for element in elements
                    ]
            sealed.append(block)
        return sealed

    def _sealed_button(self, button: dict[str, Any], team_id: str, user_id: str) -> dict[str, Any]:
        action_id = str(button.get("action_id") or "")
        value = self.seal(button["value"], team_id=team_id, user_id=user_id, used_by=action_id)
        if len(value) > BUTTON_VALUE_LIMIT:
            raise ValueError(f"the sealed value of {action_id} is over Slack's 2000 characters")
        return {**button, "value": value}

    def view(self, view: dict[str, Any], *, team_id: str, user_id: str) -> dict[str, Any]:
        """A copy of a form whose private_metadata is sealed for this person and this form."""
        sealed = dict(view)
        value = self.seal(
            str(view.get("private_metadata") or ""),
            team_id=team_id,
            user_id=user_id,
            used_by=str(view.get("callback_id") or ""),
        )
        if len(value) > PRIVATE_METADATA_LIMIT:
            raise ValueError("the sealed private_metadata is over Slack's 3000 characters")
        sealed["private_metadata"] = value
        return sealed


def fits_in_a_button(value: str) -> bool:
    """Whether `value` still fits in a button value once sealed."""
    return len(json.dumps(value)) <= ESCAPED_BUTTON_VALUE_ROOM


def _sealable(element: Any) -> TypeGuard[dict[str, Any]]:
    """A button whose value the bot reads back. Link buttons (with a `url`) keep theirs: the browser
    follows the link, and the bot never reads what Slack reports about the click."""
    return (
        isinstance(element, dict)
        and element.get("type") == "button"
        and not element.get("url")
        and isinstance(element.get("value"), str)
    )


class CheckSealedValues(AsyncMiddleware):
    """Bolt middleware: opens the sealed value of a click on `actions` or a submit of `views`, in place,
    before any listener runs; refuses the request when the value is not the bot's."""

    def __init__(
        self,
        sealed: SealedValues,
        replies: Replies,
        work: BackgroundWork,
        *,
        actions: frozenset[str],
        views: frozenset[str],
    ) -> None:
        self._sealed = sealed
        self._replies = replies
        self._work = work
        self._actions = actions
        self._views = views

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        body = req.body
        kind = body.get("type")
        if kind == "block_actions":
            return await self._click(body, resp, next)
        if kind == "view_submission":
            return await self._submission(body, next)
        return await next()

    async def _click(
        self, body: dict[str, Any], resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        # Over HTTP the shape check before Bolt guarantees one action; Socket Mode has no such door.
        action = (body.get("actions") or [{}])[0]
        if not isinstance(action, dict) or action.get("action_id") not in self._actions:
            return await next()
        team_id, user_id = _who(body)
        try:
            action["value"] = self._sealed.open(
                str(action.get("value") or ""), team_id=team_id, user_id=user_id, used_by=action["action_id"]
            )
        except ValueRefused as refused:
            self._log(refused, f"button {action['action_id']}", team_id, user_id)
            channel_id = (body.get("channel") or {}).get("id") or None
            reply = self._replies.to(body.get("response_url"), user_id, channel_id)
            text = (
                EXPIRED_BUTTON
                if refused.expired
                else SOMEONE_ELSES_BUTTON
                if isinstance(refused, ValueForSomeoneElse)
                else TAMPERED_BUTTON
            )
            self._work.spawn(safe_send(reply, text), name="refused button")
            return BoltResponse(status=200, body="")  # the click is acknowledged; nothing else happens
        return await next()

    async def _submission(
        self, body: dict[str, Any], next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        view = body.get("view")
        callback_id = view.get("callback_id") if isinstance(view, dict) else None
        if not isinstance(view, dict) or not isinstance(callback_id, str) or callback_id not in self._views:
            return await next()
        team_id, user_id = _who(body)
        try:
            view["private_metadata"] = self._sealed.open(
                str(view.get("private_metadata") or ""), team_id=team_id, user_id=user_id, used_by=callback_id
            )
        except ValueRefused as refused:
            self._log(refused, f"form {callback_id}", team_id, user_id)
            text = EXPIRED_FORM if refused.expired else TAMPERED_FORM
            answer = {"response_action": "update", "view": _message_view(text)}
            return BoltResponse(status=200, body=answer)  # a dict goes out as JSON
        return await next()

    def _log(self, refused: ValueRefused, what: str, team_id: str, user_id: str) -> None:
        if refused.expired:
            logger.info("refused an expired %s from team=%s user=%s", what, team_id, user_id)
        else:
            logger.warning("refused a %s not sealed for team=%s user=%s", what, team_id, user_id)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    # The workspace key the listeners sealed the value with (enterprise and team, see bot.slack.workspaces).
    return workspace_key(body), user.get("id") or ""


def _message_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Nothing was done"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }
