"""What a Slack request must look like before Bolt dispatches it (pure: no I/O).

Slack sends slash commands and interactivity as forms (interactivity as JSON in `payload=`) and the Events
API as a JSON object. Anything else, or one of those missing what the listeners read, is malformed:
`check_request` raises `MalformedRequest` with one line saying what is wrong, and the caller answers 400.
Fields the bot does not read are let through untouched, so a new field from Slack never breaks a request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class MalformedRequest(Exception):
    """A request that is not one Slack sends to this bot; the message says why, in one line."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class Named(_Loose):
    id: str


class Action(_Loose):
    type: str
    action_id: str
    block_id: str | None = None
    value: str | None = None


class ViewState(_Loose):
    values: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)


class View(_Loose):
    id: str | None = None
    type: str | None = None
    callback_id: str = ""
    private_metadata: str = ""
    state: ViewState = Field(default_factory=ViewState)


class BlockActions(_Loose):
    type: Literal["block_actions"]
    user: Named
    team: Named | None = None
    channel: Named | None = None
    view: View | None = None
    actions: list[Action] = Field(min_length=1)
    response_url: str | None = None
    trigger_id: str | None = None


class ViewSubmission(_Loose):
    type: Literal["view_submission"]
    user: Named
    team: Named | None = None
    view: View


class ViewClosed(_Loose):
    type: Literal["view_closed"]
    user: Named
    team: Named | None = None
    view: View


class Shortcut(_Loose):
    """A global shortcut: who chose it, which one; no channel and no response_url."""

    type: Literal["shortcut"]
    callback_id: str
    trigger_id: str
    user: Named
    team: Named | None = None


class Message(_Loose):
    text: str = ""
    user: str | None = None
    bot_id: str | None = None


class MessageAction(_Loose):
    """A message shortcut: the message it was chosen on comes with it."""

    type: Literal["message_action"]
    callback_id: str
    trigger_id: str
    user: Named
    team: Named | None = None
    channel: Named | None = None
    message: Message
    response_url: str | None = None


Interactive = Annotated[
    BlockActions | ViewSubmission | ViewClosed | Shortcut | MessageAction, Field(discriminator="type")
]


class Event(_Loose):
    type: str


class HomeOpened(Event):
    user: str
    tab: str = "home"


class Tokens(_Loose):
    oauth: list[str] = Field(default_factory=list)
    bot: list[str] = Field(default_factory=list)


class TokensRevoked(Event):
    tokens: Tokens


EVENTS: dict[str, type[Event]] = {"app_home_opened": HomeOpened, "tokens_revoked": TokensRevoked}


class EventCallback(_Loose):
    type: Literal["event_callback"]
    team_id: str | None = None
    event: Event


class UrlVerification(_Loose):
    type: Literal["url_verification"]
    challenge: str


EventsApi = Annotated[EventCallback | UrlVerification, Field(discriminator="type")]

_INTERACTIVE: TypeAdapter[Any] = TypeAdapter(Interactive)
_EVENTS_API: TypeAdapter[Any] = TypeAdapter(EventsApi)

# Form input state of a submitted view, by callback_id: a model of `view.state.values`.
FormStates = Mapping[str, type[BaseModel]]


def check_request(body: bytes, content_type: str, *, forms: FormStates | None = None) -> dict[str, Any]:
    """The request's payload as the bot's listeners read it (a command's fields, an interactive payload,
    an Events API envelope); MalformedRequest unless it is a Slack request they can read safely."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == JSON:
        envelope = _json_object(body, "the body")
        _check_events_api(envelope)
        return envelope
    if media_type != FORM:
        raise MalformedRequest(f"Slack sends {FORM} or {JSON}, not {media_type or 'no content type'}")
    fields = _form(body)
    if "payload" in fields:
        payload = _json_object(fields["payload"].encode(), "payload=")
        _check_interactive(payload, forms or {})
        return payload
    if "command" in fields:
        _check_command(fields)
    elif "ssl_check" not in fields:
        raise MalformedRequest("a form with neither payload= nor command= is not a Slack request")
    return dict(fields)


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise MalformedRequest(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedRequest(f"{what} is JSON but not an object")
    return data


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise MalformedRequest("the form is not valid URL-encoded UTF-8") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        # Slack sends each field once; which of two copies a reader took would be anyone's guess.
        repeated = next(name for index, (name, _) in enumerate(pairs) if name in dict(pairs[:index]))
        raise MalformedRequest(f"the form sends {repeated} more than once")
    return fields


# A slash command's fields the listeners read, all text (a form has nothing else): a plain check does.
_COMMAND_FIELDS = ("command", "team_id", "user_id")


def _check_command(fields: Mapping[str, str]) -> None:
    for name in _COMMAND_FIELDS:
        if name not in fields:
            raise MalformedRequest(f"slash command: {name} field required")


def _check_interactive(payload: dict[str, Any], forms: FormStates) -> None:
    kind = payload.get("type")
    if kind not in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action"):
        raise MalformedRequest(f"the bot handles no interactive payload of type {kind!r}")
    parsed = _validate(_INTERACTIVE, payload, str(kind))
    if isinstance(parsed, ViewSubmission) and parsed.view.callback_id in forms:
        form = forms[parsed.view.callback_id]
        _validate(form, parsed.view.state.values, f"the {parsed.view.callback_id} form")


def _check_events_api(envelope: dict[str, Any]) -> None:
    kind = envelope.get("type")
    if kind not in ("event_callback", "url_verification"):
        raise MalformedRequest(f"the bot handles no Events API request of type {kind!r}")
    parsed = _validate(_EVENTS_API, envelope, str(kind))
    if isinstance(parsed, EventCallback) and parsed.event.type in EVENTS:
        _validate(EVENTS[parsed.event.type], envelope["event"], f"the {parsed.event.type} event")


def _validate(model: TypeAdapter[Any] | type[BaseModel], data: Any, what: str) -> Any:
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(data)
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"] if not str(part).startswith("function-"))
        raise MalformedRequest(f"{what}: {where or 'the whole'} {first['msg'].lower()}") from None
