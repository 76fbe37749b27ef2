"""`emulator.rest`: the REST side of the Python controls (tokens, meetings as REST shows them, strict)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from bot.emulator.requestlog import RequestRecord
from bot.emulator.rest.contract import ContractViolation, Exchange, RestContract, rest_contract
from bot.emulator.rest.meetings import RestCall, answer_view, create_meeting
from bot.emulator.rest.oauth import DEFAULT_SCOPES, REST_SCOPES, issue
from bot.emulator.rest.views import series_view
from bot.emulator.state import StoredMeeting

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

logger = logging.getLogger("bot.emulator")


class RestApi:
    """The REST API's controls on one Emulator: it shares the emulator's sites, clock, faults and log."""

    def __init__(self, emulator: Emulator, *, strict: bool = False) -> None:
        self._emulator = emulator
        self.strict = strict
        self._violations: list[str] = []
        self._lock = threading.Lock()

    # strict mode ----------------------------------------------------------------------------------

    @staticmethod
    def contract() -> RestContract:
        """Cisco's OpenAPI description, loaded once per process on first use."""
        return rest_contract()

    def check_response(self, operation: str, exchange: Exchange, response: Response) -> None:
        """Raise ContractViolation (and remember it) when a response does not match the description."""
        from bot.emulator.rest.routes import response_answer

        problems = self.contract().response_errors(exchange, response_answer(response))
        if not problems:
            return
        message = (
            f"{operation} answered HTTP {response.status_code} outside Webex's API description: "
            + "; ".join(problems[:5])
        )
        with self._lock:
            self._violations.append(message)
        logger.error("%s", message)
        raise ContractViolation(message)

    @property
    def violations(self) -> list[str]:
        """Responses strict mode found outside the description since the last reset (a bug if any)."""
        with self._lock:
            return list(self._violations)

    # tokens ---------------------------------------------------------------------------------------

    def issue_tokens(
        self, site: str, user: str, *, scopes: Iterable[str] = DEFAULT_SCOPES, client_id: str | None = None
    ) -> dict[str, object]:
        """REST tokens for a user without the consent page (the JSON `/v1/access_token` answers)."""
        emulator = self._emulator
        found = emulator.user(site, user)
        state = emulator.state
        client = (
            state.clients.get(client_id)
            if client_id
            else next((c for c in state.clients.values() if c.site.lower() == site.lower()), None)
        )
        if client is None:
            raise KeyError(f"no OAuth client for site {site!r}")
        return issue(state, emulator.now(), client, found, tuple(scopes), emulator.token_options)

    # meetings -------------------------------------------------------------------------------------

    def _call(self, site: str, user: str) -> RestCall:
        emulator = self._emulator
        owner = emulator.user(site, user)
        site_state = emulator.state.site_state(owner.site)
        assert site_state is not None
        return RestCall(emulator.state, emulator.now(), site_state, owner, REST_SCOPES, emulator.public_url)

    def add_meeting(
        self, site: str, host: str, body: dict[str, Any], *, allow_past: bool = True
    ) -> dict[str, object]:
        """Seed a meeting as `POST /v1/meetings` makes it (past starts allowed unless `allow_past=False`)."""
        with self._emulator.state.lock:
            call = self._call(site, host)
            meeting = create_meeting(call, body, allow_past=allow_past)
            return answer_view(call, meeting, None)

    def meeting(self, meeting_id: str) -> dict[str, object] | None:
        """A series as its host sees it through `GET /v1/meetings/{id}` (times in UTC), or None."""
        found = self._stored(meeting_id)
        if found is None:
            return None
        with self._emulator.state.lock:
            call = self._call(found.site, found.host_webex_id)
            return series_view(found, call.host_of(found), call.link_base, call.now, zone=None, current=False)

    def meetings(self, site: str | None = None) -> list[dict[str, object]]:
        """Every stored series (made through either API) as REST shows it."""
        return [
            view
            for meeting in self._emulator.meetings(site)
            if (view := self.meeting(meeting.uuid)) is not None
        ]

    def _stored(self, meeting_id: str) -> StoredMeeting | None:
        series = meeting_id.split("_", 1)[0]
        return next((m for m in self._emulator.meetings() if m.uuid == series), None)

    # observation ----------------------------------------------------------------------------------

    def requests(self, operation: str | None = None) -> list[RequestRecord]:
        """REST entries of the request log, e.g. `requests("POST /v1/meetings")`."""
        return [
            entry
            for entry in self._emulator.requests
            if entry.endpoint == "rest" and (operation is None or entry.operation == operation)
        ]

    def reset(self) -> None:
        with self._lock:
            self._violations.clear()
