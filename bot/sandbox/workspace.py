"""The pretend Slack workspace behind the stand-in: users, messages, views, response URLs, triggers."""

from __future__ import annotations

import itertools
import json
import secrets
import string
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

JsonObject = dict[str, Any]

# Web API methods whose answer the workspace produces; anything else is `unknown_method`.
REPLY_METHODS = frozenset(
    {
        "response_url",
        "chat.postEphemeral",
        "chat.postMessage",
        "chat.update",
        "chat.delete",
        "views.open",
        "views.push",
        "views.update",
        "views.publish",
    }
)

# The bot scopes manifest.yml asks for, which the workspace grants when the app is installed.
BOT_SCOPES = frozenset({"commands", "chat:write", "chat:write.public", "users:read", "users:read.email"})

# Slack lets a response_url be used this many times, for this long, after the request that carried it.
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60
# trigger_ids expire after 3 s and work once (https://api.slack.com/docs/triggers).
TRIGGER_TTL_SECONDS = 3.0
# views.push may stack at most two views above the root one.
MAX_VIEW_STACK = 3


@dataclass(frozen=True)
class SlackUser:
    """A member of the pretend workspace, as users.info describes them."""

    id: str
    name: str
    real_name: str
    email: str | None
    tz: str = "UTC"
    tz_label: str | None = None
    display_name: str | None = None
    is_bot: bool = False

    def tz_offset(self, at: datetime | None = None) -> int:
        """Seconds east of UTC at `at` (now by default), as Slack's `tz_offset`."""
        offset = (at or datetime.now(UTC)).astimezone(ZoneInfo(self.tz)).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    def as_slack(self, team_id: str) -> JsonObject:
        """The `user` object of a users.info answer."""
        now = datetime.now(UTC)
        label = self.tz_label or now.astimezone(ZoneInfo(self.tz)).tzname() or self.tz
        display = self.display_name if self.display_name is not None else self.name
        profile: JsonObject = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": display,
            "display_name_normalized": display,
            "first_name": self.real_name.split(" ")[0],
            "last_name": " ".join(self.real_name.split(" ")[1:]),
            "team": team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": label,
            "tz_offset": self.tz_offset(now),
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": int(now.timestamp()),
            "profile": profile,
        }


@dataclass(frozen=True)
class SlackChannel:
    """A channel of the pretend workspace: whether it is private and whether the bot was invited."""

    id: str
    name: str
    is_private: bool = False
    bot_is_member: bool = True


# The sandbox's channels: commands are typed in #sandbox (the bot is in it); #general is public and
# the bot was never invited; #design is private and the bot is not in it.
SANDBOX_CHANNELS: tuple[SlackChannel, ...] = (
    SlackChannel(id="C_SANDBOX", name="sandbox"),
    SlackChannel(id="C_GENERAL", name="general", bot_is_member=False),
    SlackChannel(id="C_DESIGN", name="design", is_private=True, bot_is_member=False),
)


@dataclass(frozen=True)
class ResponseTarget:
    """A response_url handed out with a request, and what it answers."""

    id: str
    url: str
    user_id: str
    channel_id: str
    command: str | None = None
    text: str | None = None
    message_ts: str | None = None


@dataclass(frozen=True)
class RecordedCall:
    """One request that reached the stand-in, in arrival order, with what it was answered."""

    seq: int
    method: str
    http_method: str
    path: str
    body: Mapping[str, Any]
    raw_body: bytes
    headers: Mapping[str, str]
    at: float
    received_at: datetime
    status: int
    answer: Mapping[str, Any]
    response_target: ResponseTarget | None = None
    audience: str | None = None
    channel: str | None = None
    trigger_id: str | None = None
    message_ts: str | None = None
    view_id: str | None = None
    fault: str | None = None

    @property
    def ok(self) -> bool:
        """Whether Slack would have accepted the call."""
        return self.status == 200 and bool(self.answer.get("ok"))

    @property
    def is_reply(self) -> bool:
        """Whether this call shows something to someone (a message or a view), rather than a lookup."""
        return self.method in REPLY_METHODS

    @property
    def text(self) -> str | None:
        value = self.body.get("text")
        return value if isinstance(value, str) else None

    @property
    def blocks(self) -> list[JsonObject]:
        """The message blocks, or the view's blocks for views.* calls."""
        view = self.body.get("view")
        source = view if isinstance(view, Mapping) else self.body
        blocks = source.get("blocks")
        return list(blocks) if isinstance(blocks, list) else []

    @property
    def view(self) -> Mapping[str, Any] | None:
        """The view as the stand-in stored it (with its id), for views.* calls."""
        view = self.answer.get("view")
        return view if isinstance(view, Mapping) else None


class SlackApiError(Exception):
    """A Web API call Slack would refuse with `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _Trigger:
    user_id: str
    issued: float
    used: bool = False


@dataclass
class _Response:
    target: ResponseTarget
    issued: float
    uses: int = 0


@dataclass
class _Outcome:
    answer: JsonObject
    audience: str | None = None
    channel: str | None = None
    trigger_id: str | None = None
    message_ts: str | None = None
    view_id: str | None = None
    response_target: ResponseTarget | None = None


@dataclass
class SlackWorkspace:
    """Slack's side of the conversation, without any HTTP: answers Web API calls like Slack would.

    Not thread-safe by itself; the server calls it under one lock.
    """

    team_id: str = "T_SANDBOX"
    team_domain: str = "sandbox"
    bot_user_id: str = "U_BOT"
    bot_id: str = "B_BOT"
    app_id: str = "A_SANDBOX"
    users: dict[str, SlackUser] = field(default_factory=dict)
    channels: dict[str, SlackChannel] = field(
        default_factory=lambda: {channel.id: channel for channel in SANDBOX_CHANNELS}
    )
    bot_scopes: frozenset[str] = BOT_SCOPES
    messages: dict[tuple[str, str], JsonObject] = field(default_factory=dict)
    views: dict[str, JsonObject] = field(default_factory=dict)
    home_views: dict[str, str] = field(default_factory=dict)
    view_stacks: dict[str, list[str]] = field(default_factory=dict)
    trigger_ttl: float = TRIGGER_TTL_SECONDS
    _triggers: dict[str, _Trigger] = field(default_factory=dict)
    _responses: dict[str, _Response] = field(default_factory=dict)
    _view_owner: dict[str, str] = field(default_factory=dict)
    _ts_counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_users(self, users: Iterable[SlackUser]) -> None:
        for user in users:
            self.users[user.id] = user

    def add_channels(self, channels: Iterable[SlackChannel]) -> None:
        for channel in channels:
            self.channels[channel.id] = channel

    def check_bot_may_post(self, channel_id: str) -> None:
        """Refuse as Slack does a bot post in a channel the bot has not joined.

        A public channel takes it with `chat:write.public`; a private one the bot is not in looks to the
        bot as if it did not exist. Channels the workspace does not list are taken as joined.
        """
        channel = self.channels.get(channel_id)
        if channel is None or channel.bot_is_member:
            return
        if channel.is_private:
            raise SlackApiError("channel_not_found")
        if "chat:write.public" not in self.bot_scopes:
            raise SlackApiError("not_in_channel")

    # Things the stand-in hands out with each request it sends to the bot.

    def issue_trigger_id(self, user_id: str) -> str:
        trigger_id = f"{int(time.time())}.{_digits(13)}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = _Trigger(user_id=user_id, issued=time.monotonic())
        return trigger_id

    def issue_response_url(
        self,
        base_url: str,
        *,
        user_id: str,
        channel_id: str,
        command: str | None = None,
        text: str | None = None,
        message_ts: str | None = None,
    ) -> ResponseTarget:
        response_id = secrets.token_urlsafe(12)
        target = ResponseTarget(
            id=response_id,
            url=f"{base_url}response/{response_id}",
            user_id=user_id,
            channel_id=channel_id,
            command=command,
            text=text,
            message_ts=message_ts,
        )
        self._responses[response_id] = _Response(target=target, issued=time.monotonic())
        return target

    def response_target(self, response_id: str) -> ResponseTarget | None:
        entry = self._responses.get(response_id)
        return entry.target if entry else None

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts_counter):06d}"

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id.removeprefix("U")

    def user_of_channel(self, channel: str) -> str | None:
        """The user a DM channel (or a user id used as a channel) talks to."""
        if channel.startswith("U") and channel in self.users:
            return channel
        if channel.startswith("D"):
            candidate = "U" + channel[1:]
            return candidate if candidate in self.users else None
        return None

    # Answers.

    def answer_response_url(self, response_id: str, body: Mapping[str, Any]) -> _Outcome:
        entry = self._responses.get(response_id)
        if entry is None:
            raise SlackApiError("no_service")
        if time.monotonic() - entry.issued > RESPONSE_URL_TTL_SECONDS:
            raise SlackApiError("expired_url")
        if entry.uses >= RESPONSE_URL_USES:
            raise SlackApiError("used_url")
        entry.uses += 1
        target = entry.target
        ts = target.message_ts if body.get("replace_original") and target.message_ts else self.next_ts()
        if body.get("response_type") == "in_channel" and not body.get("delete_original"):
            self.messages[(target.channel_id, ts)] = self._message(body, ts)
        return _Outcome(
            answer={"ok": True},
            audience=None if body.get("response_type") == "in_channel" else target.user_id,
            channel=target.channel_id,
            message_ts=ts,
            response_target=target,
        )

    def answer(self, method: str, params: Mapping[str, Any]) -> _Outcome:
        """The answer to one authorised Web API call; raises SlackApiError where Slack says ok:false."""
        handler = _HANDLERS.get(method)
        if handler is None:
            raise SlackApiError("unknown_method")
        return handler(self, params)

    def _auth_test(self, params: Mapping[str, Any]) -> _Outcome:
        return _Outcome(
            answer={
                "ok": True,
                "url": f"https://{self.team_domain}.slack.com/",
                "team": self.team_domain.title(),
                "user": "webex",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        )

    def _users_info(self, params: Mapping[str, Any]) -> _Outcome:
        user_id = _required(params, "user")
        user = self.users.get(user_id)
        if user is None:
            raise SlackApiError("user_not_found")
        return _Outcome(answer={"ok": True, "user": user.as_slack(self.team_id)})

    def _users_lookup_by_email(self, params: Mapping[str, Any]) -> _Outcome:
        email = _required(params, "email").lower()
        for user in self.users.values():
            if user.email is not None and user.email.lower() == email:
                return _Outcome(answer={"ok": True, "user": user.as_slack(self.team_id)})
        raise SlackApiError("users_not_found")

    def _conversations_open(self, params: Mapping[str, Any]) -> _Outcome:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise SlackApiError("users_list_not_supplied")
        for user_id in users:
            if user_id not in self.users:
                raise SlackApiError("user_not_found")
        channel_id = self.dm_channel(users[0])
        return _Outcome(answer={"ok": True, "channel": {"id": channel_id}}, channel=channel_id)

    def _post_ephemeral(self, params: Mapping[str, Any]) -> _Outcome:
        channel = _required(params, "channel", error="channel_not_found")
        user_id = _required(params, "user", error="user_not_in_channel")
        if user_id not in self.users:
            raise SlackApiError("user_not_in_channel")
        hidden = self.channels.get(channel)
        if hidden is not None and hidden.is_private and not hidden.bot_is_member:
            raise SlackApiError("channel_not_found")
        _require_content(params)
        ts = self.next_ts()
        return _Outcome(
            answer={"ok": True, "message_ts": ts}, audience=user_id, channel=channel, message_ts=ts
        )

    def _post_message(self, params: Mapping[str, Any]) -> _Outcome:
        channel = _required(params, "channel", error="channel_not_found")
        _require_content(params)
        dm_user = self.user_of_channel(channel)
        channel_id = self.dm_channel(dm_user) if dm_user else channel
        if dm_user is None:
            self.check_bot_may_post(channel_id)
        ts = self.next_ts()
        message = self._message(params, ts)
        self.messages[(channel_id, ts)] = message
        return _Outcome(
            answer={"ok": True, "channel": channel_id, "ts": ts, "message": message},
            audience=dm_user,
            channel=channel_id,
            message_ts=ts,
        )

    def _chat_update(self, params: Mapping[str, Any]) -> _Outcome:
        channel = _required(params, "channel", error="channel_not_found")
        ts = _required(params, "ts", error="message_not_found")
        dm_user = self.user_of_channel(channel)
        channel_id = self.dm_channel(dm_user) if dm_user else channel
        if (channel_id, ts) not in self.messages:
            raise SlackApiError("message_not_found")
        message = self._message(params, ts)
        self.messages[(channel_id, ts)] = message
        answer = {
            "ok": True,
            "channel": channel_id,
            "ts": ts,
            "text": message.get("text", ""),
            "message": message,
        }
        return _Outcome(answer=answer, audience=dm_user, channel=channel_id, message_ts=ts)

    def _chat_delete(self, params: Mapping[str, Any]) -> _Outcome:
        channel = _required(params, "channel", error="channel_not_found")
        ts = _required(params, "ts", error="message_not_found")
        dm_user = self.user_of_channel(channel)
        channel_id = self.dm_channel(dm_user) if dm_user else channel
        if self.messages.pop((channel_id, ts), None) is None:
            raise SlackApiError("message_not_found")
        return _Outcome(
            answer={"ok": True, "channel": channel_id, "ts": ts},
            audience=dm_user,
            channel=channel_id,
            message_ts=ts,
        )

    def _views_open(self, params: Mapping[str, Any]) -> _Outcome:
        trigger_id = _required(params, "trigger_id", error="invalid_trigger_id")
        user_id = self._use_trigger(trigger_id)
        view = self._new_view(_view_param(params), user_id)
        self.view_stacks[user_id] = [view["id"]]
        return _Outcome(
            answer={"ok": True, "view": view}, audience=user_id, trigger_id=trigger_id, view_id=view["id"]
        )

    def _views_push(self, params: Mapping[str, Any]) -> _Outcome:
        trigger_id = _required(params, "trigger_id", error="invalid_trigger_id")
        user_id = self._use_trigger(trigger_id)
        stack = self.view_stacks.get(user_id) or []
        if not stack:
            raise SlackApiError("not_found")
        if len(stack) >= MAX_VIEW_STACK:
            raise SlackApiError("push_limit_reached")
        view = self._new_view(_view_param(params), user_id, root_view_id=stack[0], previous_view_id=stack[-1])
        stack.append(view["id"])
        return _Outcome(
            answer={"ok": True, "view": view}, audience=user_id, trigger_id=trigger_id, view_id=view["id"]
        )

    def _views_update(self, params: Mapping[str, Any]) -> _Outcome:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        current: JsonObject | None = None
        if isinstance(view_id, str) and view_id:
            current = self.views.get(view_id)
        elif isinstance(external_id, str) and external_id:
            current = next((v for v in self.views.values() if v.get("external_id") == external_id), None)
        else:
            raise SlackApiError("invalid_arguments")
        if current is None:
            raise SlackApiError("not_found")
        expected_hash = params.get("hash")
        if expected_hash and expected_hash != current["hash"]:
            raise SlackApiError("hash_conflict")
        user_id = self._view_owner[current["id"]]
        view = self._render_view(_view_param(params), current["id"], user_id, previous=current)
        return _Outcome(answer={"ok": True, "view": view}, audience=user_id, view_id=view["id"])

    def _views_publish(self, params: Mapping[str, Any]) -> _Outcome:
        user_id = _required(params, "user_id", error="invalid_arguments")
        if user_id not in self.users:
            raise SlackApiError("user_not_found")
        raw = _view_param(params)
        if raw.get("type") != "home":
            raise SlackApiError("invalid_arguments")
        current_id = self.home_views.get(user_id)
        if current_id is None:
            view = self._new_view(raw, user_id)
            self.home_views[user_id] = view["id"]
        else:
            expected_hash = params.get("hash")
            if expected_hash and expected_hash != self.views[current_id]["hash"]:
                raise SlackApiError("hash_conflict")
            view = self._render_view(raw, current_id, user_id, previous=self.views[current_id])
        return _Outcome(answer={"ok": True, "view": view}, audience=user_id, view_id=view["id"])

    # Helpers.

    def _use_trigger(self, trigger_id: str) -> str:
        trigger = self._triggers.get(trigger_id)
        if trigger is None or trigger.used:
            raise SlackApiError("invalid_trigger_id")
        trigger.used = True
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackApiError("expired_trigger_id")
        return trigger.user_id

    def _new_view(
        self,
        raw: Mapping[str, Any],
        user_id: str,
        *,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> JsonObject:
        view_id = "V" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))
        self._view_owner[view_id] = user_id
        return self._render_view(
            raw, view_id, user_id, previous=None, root_view_id=root_view_id, previous_view_id=previous_view_id
        )

    def _render_view(
        self,
        raw: Mapping[str, Any],
        view_id: str,
        user_id: str,
        *,
        previous: Mapping[str, Any] | None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> JsonObject:
        if raw.get("type") not in ("modal", "home"):
            raise SlackApiError("invalid_arguments")
        blocks = raw.get("blocks")
        if not isinstance(blocks, list):
            raise SlackApiError("invalid_arguments")
        view: JsonObject = {
            "id": view_id,
            "team_id": self.team_id,
            "type": raw["type"],
            "blocks": blocks,
            "private_metadata": raw.get("private_metadata", ""),
            "callback_id": raw.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": raw.get("title"),
            "close": raw.get("close"),
            "submit": raw.get("submit"),
            "clear_on_close": bool(raw.get("clear_on_close", False)),
            "notify_on_close": bool(raw.get("notify_on_close", False)),
            "external_id": raw.get("external_id", ""),
            "root_view_id": (previous or {}).get("root_view_id") or root_view_id or view_id,
            "previous_view_id": (previous or {}).get("previous_view_id") or previous_view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self.views[view_id] = view
        return view

    def view_owner(self, view_id: str) -> str | None:
        return self._view_owner.get(view_id)

    def _message(self, params: Mapping[str, Any], ts: str) -> JsonObject:
        message: JsonObject = {
            "type": "message",
            "subtype": "bot_message",
            "text": params.get("text") or "",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message


def _required(params: Mapping[str, Any], name: str, *, error: str | None = None) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise SlackApiError(error or "invalid_arguments", detail=f"missing {name}")
    return value


def _require_content(params: Mapping[str, Any]) -> None:
    if not (params.get("text") or params.get("blocks") or params.get("attachments")):
        raise SlackApiError("no_text")


def _view_param(params: Mapping[str, Any]) -> Mapping[str, Any]:
    view = params.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError as error:
            raise SlackApiError("invalid_arguments") from error
    if not isinstance(view, Mapping):
        raise SlackApiError("invalid_arguments")
    return view


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


_HANDLERS = {
    "auth.test": SlackWorkspace._auth_test,
    "users.info": SlackWorkspace._users_info,
    "users.lookupByEmail": SlackWorkspace._users_lookup_by_email,
    "conversations.open": SlackWorkspace._conversations_open,
    "chat.postEphemeral": SlackWorkspace._post_ephemeral,
    "chat.postMessage": SlackWorkspace._post_message,
    "chat.update": SlackWorkspace._chat_update,
    "chat.delete": SlackWorkspace._chat_delete,
    "views.open": SlackWorkspace._views_open,
    "views.push": SlackWorkspace._views_push,
    "views.update": SlackWorkspace._views_update,
    "views.publish": SlackWorkspace._views_publish,
}
