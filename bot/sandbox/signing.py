"""Slack-signed requests to the bot, byte for byte as Slack sends them: commands, actions, views, events."""

from __future__ import annotations

import json
import secrets
import string
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.sandbox.workspace import JsonObject, ResponseTarget

__all__ = [
    "IdIssuer",
    "SignatureMode",
    "SignedRequest",
    "SlackSigner",
    "find_action",
    "iter_elements",
    "sign",
    "view_state",
]

SignatureMode = Literal["valid", "wrong", "missing"]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
# Where a request built without a stand-in points its response_url: nothing listens on port 9 (discard).
UNROUTED_RESPONSE_URL = "http://127.0.0.1:9/response/unrouted"


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of `body` sent at `timestamp`, computed by slack_sdk as Bolt checks it."""
    signature: str | None = SignatureVerifier(signing_secret).generate_signature(
        timestamp=timestamp, body=body
    )
    if signature is None:  # slack_sdk answers None only for a missing timestamp
        raise ValueError("a Slack signature needs a timestamp")
    return signature


@dataclass(frozen=True)
class SignedRequest:
    """One request as Slack would POST it to the bot's request URL."""

    body: bytes
    headers: Mapping[str, str]
    payload: Mapping[str, Any]
    response_url: str | None = None
    trigger_id: str | None = None

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def content_type(self) -> str:
        return self.headers["content-type"]


class IdIssuer(Protocol):
    """What a signer needs from the Slack stand-in: fresh response URLs and trigger ids per request."""

    def issue_response_url(
        self,
        *,
        user_id: str,
        channel_id: str,
        command: str | None = None,
        text: str | None = None,
        message_ts: str | None = None,
    ) -> ResponseTarget: ...

    def issue_trigger_id(self, user_id: str) -> str: ...


class SlackSigner:
    """Builds signed slash commands, block_actions, view submissions and Events API deliveries.

    With `ids` (a SlackStandIn), each request gets a fresh response_url and trigger_id the stand-in knows;
    without, they are random and the response_url leads nowhere.
    """

    def __init__(
        self,
        signing_secret: str,
        *,
        ids: IdIssuer | None = None,
        team_id: str = "T_SANDBOX",
        team_domain: str = "sandbox",
        api_app_id: str = "A_SANDBOX",
        bot_user_id: str = "U_BOT",
        verification_token: str = "sandbox-verification-token",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signing_secret = signing_secret
        self._ids = ids
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.verification_token = verification_token
        self._clock = clock

    # The envelope shared by every request.

    def signed(
        self,
        body: bytes,
        content_type: str,
        payload: Mapping[str, Any],
        *,
        signature: SignatureMode = "valid",
        age: float = 0.0,
        response_url: str | None = None,
        trigger_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SignedRequest:
        """Sign `body` as sent `age` seconds ago; `signature` "wrong" or "missing" builds forgeries."""
        timestamp = str(int(self._clock() - age))
        headers = {
            "content-type": content_type,
            "user-agent": USER_AGENT,
            "x-slack-request-timestamp": timestamp,
        }
        if signature == "valid":
            headers["x-slack-signature"] = sign(self.signing_secret, timestamp, body)
        elif signature == "wrong":
            headers["x-slack-signature"] = sign(self.signing_secret + "-not", timestamp, body)
        headers.update(extra_headers or {})
        return SignedRequest(
            body=body, headers=headers, payload=payload, response_url=response_url, trigger_id=trigger_id
        )

    # Slash commands.

    def slash_command(
        self,
        text: str,
        *,
        user_id: str,
        user_name: str | None = None,
        command: str = "/webex",
        channel_id: str = "C_SANDBOX",
        channel_name: str = "sandbox",
        response_url: str | None = None,
        trigger_id: str | None = None,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> SignedRequest:
        response_url = response_url or self._response_url(user_id, channel_id, command=command, text=text)
        trigger_id = trigger_id or self._trigger_id(user_id)
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        return self.signed(
            urlencode(fields).encode(),
            FORM,
            fields,
            signature=signature,
            age=age,
            response_url=response_url,
            trigger_id=trigger_id,
        )

    # Interactivity.

    def block_actions(
        self,
        blocks: Sequence[Mapping[str, Any]],
        action_id: str,
        *,
        user_id: str,
        user_name: str | None = None,
        value: str | None = None,
        channel_id: str = "C_SANDBOX",
        channel_name: str = "sandbox",
        message_ts: str | None = None,
        message: Mapping[str, Any] | None = None,
        is_ephemeral: bool = True,
        view: Mapping[str, Any] | None = None,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> SignedRequest:
        """A click on the element `action_id` among `blocks` (of a message, or of `view` when given).

        `value` picks an option of a select or overflow by its value; buttons carry their own value.
        """
        block_id, element = find_action(blocks, action_id)
        trigger_id = self._trigger_id(user_id)
        now = self._clock()
        payload: JsonObject = {
            "type": "block_actions",
            "user": self._user(user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [_action(element, block_id, value, now)],
        }
        response_url: str | None = None
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = dict(view)
        else:
            message_ts = message_ts or (str(message.get("ts")) if message and message.get("ts") else None)
            message_ts = message_ts or f"{int(now)}.{secrets.randbelow(10**6):06d}"
            response_url = self._response_url(user_id, channel_id, message_ts=message_ts)
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            }
            payload["channel"] = {"id": channel_id, "name": channel_name}
            payload["response_url"] = response_url
            if not is_ephemeral:
                payload["message"] = dict(
                    message or {"type": "message", "ts": message_ts, "blocks": list(blocks)}
                )
        return self._interactive(payload, signature, age, response_url=response_url, trigger_id=trigger_id)

    def shortcut(
        self,
        callback_id: str,
        *,
        user_id: str,
        user_name: str | None = None,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> SignedRequest:
        """A global shortcut chosen from Slack's shortcuts menu: no channel and no response_url."""
        trigger_id = self._trigger_id(user_id)
        payload: JsonObject = {
            "type": "shortcut",
            "callback_id": callback_id,
            "trigger_id": trigger_id,
            "action_ts": f"{self._clock():.6f}",
            "user": self._user(user_id, user_name),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return self._interactive(payload, signature, age, trigger_id=trigger_id)

    def message_action(
        self,
        callback_id: str,
        message: Mapping[str, Any],
        *,
        user_id: str,
        user_name: str | None = None,
        channel_id: str = "C_SANDBOX",
        channel_name: str = "sandbox",
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> SignedRequest:
        """A message shortcut chosen from a message's "More actions" menu: the message comes along."""
        trigger_id = self._trigger_id(user_id)
        ts = str(message.get("ts") or f"{int(self._clock())}.{secrets.randbelow(10**6):06d}")
        response_url = self._response_url(user_id, channel_id, message_ts=ts)
        payload: JsonObject = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": trigger_id,
            "action_ts": f"{self._clock():.6f}",
            "message_ts": ts,
            "message": {"type": "message", "ts": ts, **dict(message)},
            "user": self._user(user_id, user_name),
            "channel": {"id": channel_id, "name": channel_name},
            "team": {"id": self.team_id, "domain": self.team_domain},
            "response_url": response_url,
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return self._interactive(payload, signature, age, response_url=response_url, trigger_id=trigger_id)

    def view_submission(
        self,
        view: Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        *,
        user_id: str,
        user_name: str | None = None,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> SignedRequest:
        """The user pressing Submit on `view` (as views.open answered it) with `values` typed in.

        `values` maps an input's action_id (or its block_id) to what the user chose: text for text inputs,
        an option value for selects, "YYYY-MM-DD" / "HH:MM" for date and time pickers, user ids for user
        selects (a list for multi selects). Inputs left out are submitted empty.
        """
        trigger_id = self._trigger_id(user_id)
        submitted = dict(view)
        submitted["state"] = {"values": view_state(view.get("blocks") or [], values or {})}
        payload: JsonObject = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user(user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id,
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interactive(payload, signature, age, trigger_id=trigger_id)

    def view_closed(
        self,
        view: Mapping[str, Any],
        *,
        user_id: str,
        user_name: str | None = None,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> SignedRequest:
        payload: JsonObject = {
            "type": "view_closed",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user(user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "view": dict(view),
            "is_cleared": False,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interactive(payload, signature, age)

    # Events API.

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        signature: SignatureMode = "valid",
        age: float = 0.0,
    ) -> SignedRequest:
        """An `event_callback` delivery; `retry_num` adds Slack's retry headers for a redelivery."""
        now = int(self._clock())
        envelope: JsonObject = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or "Ev" + _random_upper(10),
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_urlsafe(24),
        }
        extra = (
            {"x-slack-retry-num": str(retry_num), "x-slack-retry-reason": "http_timeout"}
            if retry_num
            else None
        )
        return self.signed(
            json.dumps(envelope).encode(), JSON, envelope, signature=signature, age=age, extra_headers=extra
        )

    def app_home_opened(
        self, user_id: str, *, view: Mapping[str, Any] | None = None, **options: Any
    ) -> SignedRequest:
        event: JsonObject = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": "D" + user_id.removeprefix("U"),
            "tab": "home",
            "event_ts": f"{self._clock():.6f}",
        }
        if view is not None:
            event["view"] = dict(view)
        return self.event(event, **options)

    def app_uninstalled(self, **options: Any) -> SignedRequest:
        return self.event({"type": "app_uninstalled", "event_ts": f"{self._clock():.6f}"}, **options)

    def tokens_revoked(
        self, *, user_ids: Sequence[str] = (), bot_ids: Sequence[str] = (), **options: Any
    ) -> SignedRequest:
        event = {
            "type": "tokens_revoked",
            "tokens": {"oauth": list(user_ids), "bot": list(bot_ids)},
            "event_ts": f"{self._clock():.6f}",
        }
        return self.event(event, **options)

    def url_verification(
        self, challenge: str | None = None, *, signature: SignatureMode = "valid", age: float = 0.0
    ) -> SignedRequest:
        envelope = {
            "token": self.verification_token,
            "challenge": challenge or secrets.token_urlsafe(32),
            "type": "url_verification",
        }
        return self.signed(json.dumps(envelope).encode(), JSON, envelope, signature=signature, age=age)

    # Helpers.

    def _interactive(
        self,
        payload: JsonObject,
        signature: SignatureMode,
        age: float,
        *,
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> SignedRequest:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.signed(
            body,
            FORM,
            payload,
            signature=signature,
            age=age,
            response_url=response_url,
            trigger_id=trigger_id,
        )

    def _user(self, user_id: str, user_name: str | None) -> JsonObject:
        name = user_name or user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _response_url(
        self,
        user_id: str,
        channel_id: str,
        *,
        command: str | None = None,
        text: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        if self._ids is None:
            return UNROUTED_RESPONSE_URL
        target = self._ids.issue_response_url(
            user_id=user_id, channel_id=channel_id, command=command, text=text, message_ts=message_ts
        )
        return target.url

    def _trigger_id(self, user_id: str) -> str:
        if self._ids is None:
            return f"{int(self._clock())}.{_random_digits(13)}.{secrets.token_hex(16)}"
        return self._ids.issue_trigger_id(user_id)


def iter_elements(blocks: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every interactive element in `blocks` with the block_id it sits in."""
    for index, block in enumerate(blocks):
        block_id = str(block.get("block_id") or f"b{index}")
        kind = block.get("type")
        if kind == "actions":
            for element in block.get("elements") or []:
                yield block_id, element
        elif kind == "section" and isinstance(block.get("accessory"), Mapping):
            yield block_id, block["accessory"]
        elif kind == "input" and isinstance(block.get("element"), Mapping):
            yield block_id, block["element"]


def find_action(blocks: Sequence[Mapping[str, Any]], action_id: str) -> tuple[str, Mapping[str, Any]]:
    """The (block_id, element) whose action_id is `action_id`; KeyError listing the ones there are."""
    found = [(block_id, element) for block_id, element in iter_elements(blocks)]
    for block_id, element in found:
        if element.get("action_id") == action_id:
            return block_id, element
    known = ", ".join(str(element.get("action_id")) for _, element in found) or "none"
    raise KeyError(f"no element with action_id {action_id!r} in these blocks (there are: {known})")


def _action(element: Mapping[str, Any], block_id: str, value: str | None, now: float) -> JsonObject:
    kind = element.get("type")
    action: JsonObject = {
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "type": kind,
        "action_ts": f"{now:.6f}",
    }
    if kind == "button":
        action["text"] = element.get("text")
        if "value" in element:
            action["value"] = element["value"]
        if "url" in element:
            action["url"] = element["url"]
        if "style" in element:
            action["style"] = element["style"]
    elif "options" in element or "option_groups" in element:
        action["selected_option"] = _pick_option(element, value)
    elif kind == "datepicker":
        action["selected_date"] = value
    elif kind == "timepicker":
        action["selected_time"] = value
    elif kind in ("users_select", "conversations_select", "channels_select"):
        action["selected_" + kind.removesuffix("s_select").removesuffix("_select")] = value
    return action


def _options(element: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _pick_option(element: Mapping[str, Any], value: str | None) -> Mapping[str, Any]:
    options = _options(element)
    if not options:
        raise KeyError(f"element {element.get('action_id')!r} has no options")
    if value is None:
        return options[0]
    for option in options:
        if option.get("value") == value:
            return option
    known = ", ".join(str(o.get("value")) for o in options)
    raise KeyError(f"no option with value {value!r} in {element.get('action_id')!r} (there are: {known})")


def view_state(blocks: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> JsonObject:
    """`view.state.values` as Slack fills it for the input blocks of a submitted view."""
    state: JsonObject = {}
    for block_id, element in iter_elements(blocks):
        if element.get("type") in _STATELESS:
            continue
        action_id = str(element.get("action_id") or "")
        given = values.get(action_id, values.get(block_id))
        state.setdefault(block_id, {})[action_id] = _element_state(element, given)
    unknown = set(values) - {key for block_id, actions in state.items() for key in (block_id, *actions)}
    if unknown:
        raise KeyError(f"no input for {sorted(unknown)} in this view (there are: {sorted(state)})")
    return state


# Elements that keep no value in view.state (pressing them sends block_actions instead).
_STATELESS = frozenset({"button", "overflow", "workflow_button"})


def _element_state(element: Mapping[str, Any], given: Any) -> JsonObject:
    """One input's state; an input the user left alone keeps its initial value, as in Slack."""
    kind = str(element.get("type"))
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"):
        value = element.get("initial_value") if given is None else str(given)
        return {"type": kind, "value": value}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date") if given is None else given}
    if kind == "timepicker":
        return {"type": kind, "selected_time": element.get("initial_time") if given is None else given}
    if kind == "datetimepicker":
        chosen = element.get("initial_date_time") if given is None else given
        return {"type": kind, "selected_date_time": chosen}
    if kind == "users_select":
        return {"type": kind, "selected_user": element.get("initial_user") if given is None else given}
    if kind == "multi_users_select":
        chosen = element.get("initial_users") if given is None else given
        return {"type": kind, "selected_users": list(chosen or [])}
    if kind == "conversations_select":
        chosen = element.get("initial_conversation") if given is None else given
        return {"type": kind, "selected_conversation": chosen}
    if kind in ("static_select", "radio_buttons", "external_select"):
        if given is None:
            return {"type": kind, "selected_option": element.get("initial_option")}
        return {"type": kind, "selected_option": dict(_pick_option(element, given))}
    if kind in ("multi_static_select", "checkboxes"):
        if given is None:
            return {"type": kind, "selected_options": list(element.get("initial_options") or [])}
        return {"type": kind, "selected_options": [dict(_pick_option(element, v)) for v in given]}
    return {"type": kind, "value": given}


def _random_upper(count: int) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(count))


def _random_digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))
