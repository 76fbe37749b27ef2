"""A stand-in for Slack's Web API and response URLs on loopback, recording every call it answers."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web

from bot.sandbox.install import INSTALL_AUTHORIZE_PATH, INSTALL_METHODS, InstallProvider
from bot.sandbox.openid import (
    AUTHORIZE_PATH,
    OPENID_METHODS,
    SANDBOX_SLACK_CLIENT_ID,
    SANDBOX_SLACK_CLIENT_SECRET,
    OpenIDProvider,
    PageAnswer,
)
from bot.sandbox.workspace import (
    JsonObject,
    RecordedCall,
    ResponseTarget,
    SlackApiError,
    SlackUser,
    SlackWorkspace,
    _Outcome,
)

__all__ = ["Fault", "SlackStandIn", "StandInTimeout"]

T = TypeVar("T")

# Parameters slack_sdk sends as JSON strings inside a form body; they are decoded so tests see objects.
_JSON_PARAMS = ("blocks", "attachments", "view", "metadata")
# Every call whose method matches this name is subject to the fault.
ANY_METHOD = "*"


class StandInTimeout(AssertionError):
    """What a test waited for never reached the stand-in; the message lists what did."""


@dataclass
class Fault:
    """How the next `remaining` calls to `method` go wrong (None: every call until cleared)."""

    method: str
    status: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    remaining: int | None = 1

    def describe(self) -> str:
        if self.status == 429:
            return f"429 retry-after {self.retry_after}"
        if self.status is not None:
            return f"HTTP {self.status}"
        return f"delay {self.delay}s"


@dataclass
class _Waiter:
    on_call: Callable[[RecordedCall], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


class SlackStandIn:
    """A fake Slack Web API server: answers like Slack from a pretend workspace and records every call.

    Run it on the current event loop (`async with SlackStandIn(...) as slack`) or on a thread of its own
    (`with SlackStandIn(...) as slack`), then point slack_sdk at `slack.url`.
    """

    def __init__(
        self,
        users: Iterable[SlackUser] = (),
        *,
        team_id: str = "T_SANDBOX",
        team_domain: str = "sandbox",
        bot_user_id: str = "U_BOT",
        bot_id: str = "B_BOT",
        app_id: str = "A_SANDBOX",
        bot_token: str | None = None,
        client_id: str = SANDBOX_SLACK_CLIENT_ID,
        client_secret: str = SANDBOX_SLACK_CLIENT_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.workspace = SlackWorkspace(
            team_id=team_id, team_domain=team_domain, bot_user_id=bot_user_id, bot_id=bot_id, app_id=app_id
        )
        self.workspace.add_users(users)
        # More workspaces join with add_workspace; the first one answers the static bot token.
        self.workspaces: dict[str, SlackWorkspace] = {team_id: self.workspace}
        # Sign in with Slack for the app with this client id and secret.
        self.openid = OpenIDProvider(self.workspace, client_id=client_id, client_secret=client_secret)
        # Installing the app (OAuth v2) to any of the workspaces, each install with a bot token of its own.
        self.installs = InstallProvider(
            lambda: self.workspaces, client_id=client_id, client_secret=client_secret
        )
        self.bot_token = bot_token
        self._host = host
        self._port = port
        self._lock = threading.Condition()
        self._calls: list[RecordedCall] = []
        self._seq = 0
        self._by_method: dict[str, list[RecordedCall]] = {}
        self._faults: list[Fault] = []
        self._waiters: list[_Waiter] = []
        self._revoked = False
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    # Addresses.

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>/`, once started."""
        if self._bound_port is None:
            raise RuntimeError("the Slack stand-in is not running")
        return f"http://{self._host}:{self._bound_port}/"

    @property
    def url(self) -> str:
        """The Web API base URL for slack_sdk (`WebClient(base_url=...)`); it ends with '/'."""
        return self.base_url + "api/"

    @property
    def sign_in_url(self) -> str:
        """Sign in with Slack's authorize page (Slack's https://slack.com/openid/connect/authorize)."""
        return self.base_url.rstrip("/") + AUTHORIZE_PATH

    @property
    def install_url(self) -> str:
        """Slack's install (authorize) page, https://slack.com/oauth/v2/authorize on Slack."""
        return self.base_url.rstrip("/") + INSTALL_AUTHORIZE_PATH

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1].rstrip("/"))

    # Lifecycle.

    async def start(self) -> None:
        """Listen on the current event loop."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{response_id}", self._handle_response)
        app.router.add_get(AUTHORIZE_PATH, self._handle_sign_in_page)
        app.router.add_post(AUTHORIZE_PATH, self._handle_sign_in_decision)
        app.router.add_get(INSTALL_AUTHORIZE_PATH, self._handle_install_page)
        app.router.add_post(INSTALL_AUTHORIZE_PATH, self._handle_install_decision)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        # A burst of hundreds of simultaneous posts must not overflow the accept queue.
        site = web.SockSite(runner, sock, backlog=2048)
        await site.start()
        self._runner = runner
        self._bound_port = sock.getsockname()[1]

    async def close(self) -> None:
        """Stop listening; recorded calls stay readable."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def start_in_thread(self) -> None:
        """Listen on an event loop in a daemon thread of its own (for sync code and the sandbox)."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._thread_loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as error:  # surfaced to the starting thread below
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.close())
                loop.close()

        self._thread = threading.Thread(target=serve, name="slack-standin", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]

    def stop_thread(self) -> None:
        thread, loop = self._thread, self._thread_loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None
        self._thread_loop = None

    def __enter__(self) -> Self:
        self.start_in_thread()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_thread()

    # Workspace set-up and what the stand-in hands out with requests.

    def add_users(self, users: Iterable[SlackUser]) -> None:
        with self._lock:
            self.workspace.add_users(users)

    def add_workspace(
        self,
        team_id: str,
        users: Iterable[SlackUser] = (),
        *,
        team_domain: str | None = None,
        enterprise_id: str | None = None,
        bot_user_id: str = "U_BOT",
        bot_id: str = "B_BOT",
    ) -> SlackWorkspace:
        """Another workspace the app can be installed to; the same user ids may be other people there."""
        with self._lock:
            workspace = SlackWorkspace(
                team_id=team_id,
                team_domain=team_domain or team_id.lower(),
                bot_user_id=bot_user_id,
                bot_id=bot_id,
                app_id=self.workspace.app_id,
                enterprise_id=enterprise_id,
            )
            workspace.add_users(users)
            self.workspaces[team_id] = workspace
            return workspace

    def uninstall(self, team_id: str) -> None:
        """Remove the app from a workspace: its installed bot tokens answer `token_revoked` from now on."""
        with self._lock:
            self.installs.uninstall(team_id)

    def ids_for(self, team_id: str) -> WorkspaceIds:
        """Response URLs and trigger ids issued by one workspace, for a signer or driver of its requests."""
        return WorkspaceIds(self, self.workspaces[team_id])

    def user(self, user_id: str) -> SlackUser:
        return self.workspace.users[user_id]

    def issue_response_url(
        self,
        *,
        user_id: str,
        channel_id: str,
        command: str | None = None,
        text: str | None = None,
        message_ts: str | None = None,
    ) -> ResponseTarget:
        """A fresh response_url for one request; posts to it are recorded as method "response_url"."""
        with self._lock:
            return self.workspace.issue_response_url(
                self.base_url,
                user_id=user_id,
                channel_id=channel_id,
                command=command,
                text=text,
                message_ts=message_ts,
            )

    def issue_trigger_id(self, user_id: str) -> str:
        """A fresh trigger_id for one request (single use, expires after 3 s like Slack's)."""
        with self._lock:
            return self.workspace.issue_trigger_id(user_id)

    def revoke_token(self, revoked: bool = True) -> None:
        """Answer every Web API call with `token_revoked`, as after an uninstall."""
        with self._lock:
            self._revoked = revoked

    # Faults.

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int | None = 1) -> None:
        """Answer the next `times` calls to `method` with 429 and Retry-After (None: until cleared)."""
        self._add_fault(Fault(method=method, status=429, retry_after=retry_after, remaining=times))

    def fail(self, method: str, *, status: int = 500, times: int | None = 1) -> None:
        """Answer the next `times` calls to `method` with an HTTP error status (None: until cleared)."""
        if status < 400:
            raise ValueError("a failure needs an HTTP error status")
        self._add_fault(Fault(method=method, status=status, remaining=times))

    def delay(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Hold the answer to the next `times` calls to `method` for `seconds` (None: until cleared)."""
        self._add_fault(Fault(method=method, delay=seconds, remaining=times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method in (method, ANY_METHOD):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    # What was recorded.

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self._calls)

    @property
    def calls(self) -> list[RecordedCall]:
        """Every call so far, in arrival order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._lock:
            return list(self._by_method.get(method, ()))

    def replies_to(self, user_id: str) -> list[RecordedCall]:
        """Messages and views shown to `user_id` (ephemeral, DM, response_url answers to their requests)."""
        with self._lock:
            return [call for call in self._calls if call.is_reply and call.audience == user_id]

    def clear(self) -> None:
        """Forget recorded calls (users, messages and views stay)."""
        with self._lock:
            self._calls.clear()
            self._by_method.clear()

    async def wait_for(self, predicate: Callable[[RecordedCall], bool], timeout: float = 5.0) -> RecordedCall:
        """The first recorded call (past or future) matching `predicate`."""
        return await self._wait(
            lambda: next((c for c in self._calls if predicate(c)), None),
            lambda call: call if predicate(call) else None,
            timeout,
            "a call",
        )

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """The first `count` calls to `method`, once that many have arrived."""
        return await self._wait(
            lambda: self._first_calls(method, count),
            lambda call: self._first_calls(method, count) if call.method == method else None,
            timeout,
            f"{count} call(s) to {method}",
        )

    def wait_for_blocking(
        self, predicate: Callable[[RecordedCall], bool], timeout: float = 5.0
    ) -> RecordedCall:
        """`wait_for` for synchronous callers (not from the stand-in's own event loop)."""
        return self._wait_blocking(
            lambda: next((c for c in self._calls if predicate(c)), None), timeout, "a call"
        )

    def wait_for_calls_blocking(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[RecordedCall]:
        return self._wait_blocking(
            lambda: self._first_calls(method, count), timeout, f"{count} call(s) to {method}"
        )

    def _first_calls(self, method: str, count: int) -> list[RecordedCall] | None:
        calls = self._by_method.get(method, [])
        return list(calls[:count]) if len(calls) >= count else None

    async def _wait(
        self,
        initially: Callable[[], T | None],
        on_call: Callable[[RecordedCall], T | None],
        timeout: float,
        what: str,
    ) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            found = initially()
            if found is not None:
                return found
            # Later calls are checked one by one as they arrive, so hundreds of waiters stay cheap.
            waiter = _Waiter(on_call=on_call, loop=loop, future=future)
            self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise StandInTimeout(self._timeout_message(what, timeout)) from None
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _wait_blocking(self, condition: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = condition()
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StandInTimeout(self._timeout_message(what, timeout))
                self._lock.wait(remaining)

    def _timeout_message(self, what: str, timeout: float) -> str:
        seen = ", ".join(f"{c.method}({c.status})" for c in self.calls[-20:]) or "nothing"
        return f"waited {timeout}s for {what}; the Slack stand-in received: {seen}"

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._seq += 1
            call = replace(call, seq=self._seq)
            self._calls.append(call)
            self._by_method.setdefault(call.method, []).append(call)
            for waiter in list(self._waiters):
                if waiter.future.done():
                    continue
                found = waiter.on_call(call)
                if found is not None:
                    self._waiters.remove(waiter)
                    waiter.loop.call_soon_threadsafe(_settle, waiter.future, found)
            self._lock.notify_all()

    def next_seq(self) -> int:
        """The sequence number the next recorded call will get (to wait for calls after a point)."""
        with self._lock:
            return self._seq + 1

    # HTTP.

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        arrival = await _Arrival.read(request)
        fault = await self._fault_for(method)
        faulted = _faulted(fault)
        outcome: _Outcome | None = None
        answered_as: SlackWorkspace | None = None
        if faulted is not None:
            status, answer = faulted
        elif method in INSTALL_METHODS:
            # Authenticated as the app (client id and secret): the code becomes a workspace's bot token.
            status = 200
            with self._lock:
                try:
                    answer = self.installs.answer(method, arrival.headers, arrival.params)
                except SlackApiError as refusal:
                    answer = {"ok": False, "error": refusal.error}
        elif method in OPENID_METHODS:
            # Authenticated as the app (client id and secret) or the person (user token), not the bot.
            status = 200
            with self._lock:
                try:
                    answer = self.openid.answer(method, arrival.headers, arrival.params)
                except SlackApiError as refusal:
                    answer = {"ok": False, "error": refusal.error}
        else:
            status = 200
            with self._lock:
                error, workspace = self._authorised(arrival.headers, arrival.params)
                if error is not None:
                    answer = {"ok": False, "error": error}
                else:
                    answered_as = workspace
                    try:
                        outcome = workspace.answer(method, arrival.params)
                        answer = outcome.answer
                    except SlackApiError as refusal:
                        answer = {"ok": False, "error": refusal.error, **refusal.extra}
        return self._answered(method, request, arrival, status, answer, outcome, fault, answered_as)

    async def _handle_sign_in_page(self, request: web.Request) -> web.Response:
        with self._lock:
            return _page(self.openid.authorize(dict(request.query)))

    async def _handle_sign_in_decision(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        with self._lock:
            return _page(self.openid.decide(form))

    async def _handle_install_page(self, request: web.Request) -> web.Response:
        with self._lock:
            return _page(self.installs.authorize(dict(request.query)))

    async def _handle_install_decision(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        with self._lock:
            return _page(self.installs.decide(form))

    async def _handle_response(self, request: web.Request) -> web.Response:
        arrival = await _Arrival.read(request)
        response_id = request.match_info["response_id"]
        fault = await self._fault_for("response_url")
        faulted = _faulted(fault)
        outcome: _Outcome | None = None
        with self._lock:
            workspace = next(
                (ws for ws in self.workspaces.values() if ws.response_target(response_id) is not None),
                self.workspace,
            )
        if faulted is not None:
            status, answer = faulted
        else:
            with self._lock:
                try:
                    outcome = workspace.answer_response_url(response_id, arrival.params)
                    status, answer = 200, outcome.answer
                except SlackApiError as refusal:
                    status, answer = 404, {"ok": False, "error": refusal.error}
                if outcome is None:
                    outcome = _Outcome(answer=answer, response_target=workspace.response_target(response_id))
        return self._answered("response_url", request, arrival, status, answer, outcome, fault, workspace)

    async def _fault_for(self, method: str) -> Fault | None:
        """The fault to apply to this call, after its delay, if any."""
        with self._lock:
            fault = self._take_fault(method)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        return fault

    def _answered(
        self,
        method: str,
        request: web.Request,
        arrival: _Arrival,
        status: int,
        answer: JsonObject,
        outcome: _Outcome | None,
        fault: Fault | None,
        workspace: SlackWorkspace | None = None,
    ) -> web.Response:
        """Record the call as answered and send the answer (with Retry-After when rate limited)."""
        self._record(
            _recorded(
                workspace or self.workspace,
                method,
                request,
                arrival.params,
                arrival.raw,
                arrival.headers,
                arrival.arrived,
                arrival.received_at,
                status,
                answer,
                outcome,
                fault,
                answered_as=workspace.team_id if workspace is not None else None,
            )
        )
        extra_headers = (
            {"Retry-After": str(fault.retry_after or 1)} if fault is not None and status == 429 else {}
        )
        return web.json_response(answer, status=status, headers=extra_headers)

    def _authorised(
        self, headers: Mapping[str, str], params: Mapping[str, Any]
    ) -> tuple[str | None, SlackWorkspace]:
        """Why the call's token is refused (None: it is not), and the workspace it speaks for."""
        authorization = headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        token = token or str(params.get("token") or "")
        if not token:
            return "not_authed", self.workspace
        if self.installs.is_revoked(token):
            return "token_revoked", self.workspace
        installed = self.installs.workspace_of(token)
        if installed is not None:
            return None, self.workspaces[installed]
        if not token.startswith("xoxb-") or (self.bot_token is not None and token != self.bot_token):
            return "invalid_auth", self.workspace
        if self._revoked:
            return "token_revoked", self.workspace
        return None, self.workspace


@dataclass(frozen=True)
class _Arrival:
    """What was read off one request as it arrived."""

    arrived: float
    received_at: datetime
    raw: bytes
    params: JsonObject
    headers: dict[str, str]

    @classmethod
    async def read(cls, request: web.Request) -> _Arrival:
        arrived = time.perf_counter()
        received_at = datetime.now(UTC)
        raw = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        return cls(arrived, received_at, raw, _parse_params(request, raw), headers)


def _page(answer: PageAnswer) -> web.Response:
    if answer.location:
        return web.Response(status=answer.status, headers={"Location": answer.location})
    return web.Response(status=answer.status, text=answer.html, content_type="text/html")


def _faulted(fault: Fault | None) -> tuple[int, JsonObject] | None:
    """The status and body a fault answers with, or None when the call goes through."""
    if fault is None or fault.status is None:
        return None
    if fault.status == 429:
        return 429, {"ok": False, "error": "ratelimited"}
    return fault.status, {"ok": False, "error": "fatal_error"}


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _parse_params(request: web.Request, raw: bytes) -> JsonObject:
    params: JsonObject = dict(request.query)
    content_type = request.content_type
    if raw:
        if content_type == "application/json":
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                params.update(parsed)
        else:
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    for key in _JSON_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
    return params


def _recorded(
    workspace: SlackWorkspace,
    method: str,
    request: web.Request,
    params: JsonObject,
    raw: bytes,
    headers: dict[str, str],
    arrived: float,
    received_at: datetime,
    status: int,
    answer: Mapping[str, Any],
    outcome: _Outcome | None,
    fault: Fault | None,
    *,
    answered_as: str | None,
) -> RecordedCall:
    audience = outcome.audience if outcome else None
    channel = outcome.channel if outcome else None
    trigger_id = outcome.trigger_id if outcome else params.get("trigger_id")
    if method == "views.update" and outcome is None and isinstance(params.get("view_id"), str):
        audience = workspace.view_owner(params["view_id"])
    return RecordedCall(
        seq=0,
        method=method,
        http_method=request.method,
        path=request.path_qs,
        body=params,
        raw_body=raw,
        headers=headers,
        at=arrived,
        received_at=received_at,
        status=status,
        answer=answer,
        response_target=outcome.response_target if outcome else None,
        audience=audience,
        channel=channel,
        trigger_id=trigger_id if isinstance(trigger_id, str) else None,
        message_ts=outcome.message_ts if outcome else None,
        view_id=outcome.view_id if outcome else None,
        fault=fault.describe() if fault is not None and (fault.status is not None or fault.delay) else None,
        team_id=answered_as,
    )


class WorkspaceIds:
    """Response URLs and trigger ids from one of the stand-in's workspaces (a signer's `ids`)."""

    def __init__(self, standin: SlackStandIn, workspace: SlackWorkspace) -> None:
        self._standin = standin
        self.workspace = workspace

    def issue_response_url(
        self,
        *,
        user_id: str,
        channel_id: str,
        command: str | None = None,
        text: str | None = None,
        message_ts: str | None = None,
    ) -> ResponseTarget:
        with self._standin._lock:
            return self.workspace.issue_response_url(
                self._standin.base_url,
                user_id=user_id,
                channel_id=channel_id,
                command=command,
                text=text,
                message_ts=message_ts,
            )

    def issue_trigger_id(self, user_id: str) -> str:
        with self._standin._lock:
            return self.workspace.issue_trigger_id(user_id)
