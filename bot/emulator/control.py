"""HTTP control under `/_emulator/`: the Python API's seeding, clock, faults, log and reset, as JSON."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.emulator.faults import Fault, FaultKind
from bot.emulator.schema import SchemaUnavailable
from bot.emulator.state import StoredMeeting
from bot.emulator.timezones import UnknownTimeZone, to_webex_local

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

PREFIX = "/_emulator"


class ControlError(Exception):
    """A control request that cannot be carried out; answered 400 with the message."""


def meeting_json(meeting: StoredMeeting) -> dict[str, object]:
    return {
        "meeting_key": str(meeting.key),
        "site": meeting.site,
        "host_webex_id": meeting.host_webex_id,
        "topic": meeting.conf_name,
        "start": meeting.start.isoformat(),
        "start_local": to_webex_local(meeting.start, meeting.time_zone_id),
        "time_zone_id": meeting.time_zone_id,
        "time_zone": meeting.time_zone_name,
        "duration_minutes": meeting.duration_minutes,
        "agenda": meeting.agenda,
        "password": meeting.password,
        "attendees": [{"email": a.email, "name": a.name} for a in meeting.attendees],
    }


def _instant(value: object, name: str) -> datetime:
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        raise ControlError(f"{name} must be an ISO 8601 date and time") from None
    if instant.tzinfo is None:
        raise ControlError(f"{name} needs a UTC offset (for example 2026-03-08T09:00:00+00:00)")
    return instant


def _fault(data: dict[str, Any]) -> Fault:
    try:
        kind = FaultKind(str(data.get("kind", "")))
    except ValueError:
        kinds = ", ".join(kind.value for kind in FaultKind)
        raise ControlError(f"kind must be one of: {kinds}") from None
    if data.get("style", "http") not in ("http", "webex"):
        raise ControlError("style must be http or webex")
    count = data.get("count")
    return Fault(
        kind=kind,
        operation=data.get("operation"),
        count=int(count) if count is not None else None,
        seconds=float(data.get("seconds", 300.0 if kind is FaultKind.HANG else 0.0)),
        status=int(data.get("status", 503)),
        exception_id=str(data.get("exception_id", "")),
        reason=str(data.get("reason", "")),
        retry_after=int(data.get("retry_after", 1)),
        style=str(data.get("style", "http")),
    )


def summary(emulator: Emulator) -> dict[str, object]:
    state = emulator.state
    with state.lock:
        return {
            "now": emulator.now().isoformat(),
            "strict": emulator.strict,
            "sites": [
                {
                    "name": site.site.name,
                    "site_id": site.site.site_id,
                    "require_meeting_password": site.site.require_meeting_password,
                    "users": [
                        {
                            "webex_id": user.webex_id,
                            "email": user.email,
                            "name": user.display_name,
                            "time_zone_id": user.time_zone_id,
                            "site_admin": user.site_admin,
                        }
                        for user in site.users.values()
                    ],
                    "meetings": len(site.meetings),
                    "recordings": len(site.recordings),
                }
                for site in state.sites.values()
            ],
            "clients": [
                {
                    "client_id": client.client_id,
                    "name": client.name,
                    "site": client.site,
                    "redirect_uris": list(client.redirect_uris),
                    "allow_any_loopback_redirect": client.allow_any_loopback_redirect,
                }
                for client in state.clients.values()
            ],
            "counters": {
                "token_refreshes": state.counters.token_refreshes,
                "codes_exchanged": state.counters.codes_exchanged,
                "xml_requests": state.counters.xml_requests,
            },
            "faults": [fault.as_dict() for fault in emulator.faults.active()],
        }


Handler = Callable[["Emulator", dict[str, Any], Request], object]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        emulator: Emulator = request.app.state.emulator
        raw = await request.body()
        try:
            data = json.loads(raw) if raw.strip() else {}
            if not isinstance(data, dict):
                raise ControlError("the body must be a JSON object")
            result = handler(emulator, data, request)
        except (ControlError, KeyError, ValueError, TypeError, UnknownTimeZone, SchemaUnavailable) as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
            return JSONResponse({"error": message}, status_code=400)
        return JSONResponse(result)

    return endpoint


def _reset(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    emulator.reset()
    return {"reset": True}


def _add_site(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    site = emulator.add_site(
        str(data["name"]),
        site_id=data.get("site_id"),
        require_meeting_password=bool(data.get("require_meeting_password", False)),
    )
    return {"name": site.name, "site_id": site.site_id}


def _add_user(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    user = emulator.add_user(
        str(data["site"]),
        str(data["email"]),
        webex_id=data.get("webex_id"),
        first_name=str(data.get("first_name", "")),
        last_name=str(data.get("last_name", "")),
        time_zone_id=int(data.get("time_zone_id", 20)),
        site_admin=bool(data.get("site_admin", False)),
        password=data.get("password"),
    )
    return {"webex_id": user.webex_id, "email": user.email, "user_id": user.user_id}


def _add_client(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    client = emulator.add_client(
        str(data["client_id"]),
        str(data["secret"]),
        site=str(data.get("site", "sandbox")),
        name=str(data.get("name", "")),
        redirect_uris=tuple(data.get("redirect_uris", ())),
        allow_any_loopback_redirect=bool(data.get("allow_any_loopback_redirect", False)),
    )
    return {"client_id": client.client_id, "site": client.site}


def _add_recording(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    recording = emulator.add_recording(
        str(data["site"]),
        str(data["host"]),
        str(data["name"]),
        created=_instant(data["created"], "created") if "created" in data else None,
        duration_seconds=int(data.get("duration_seconds", 1800)),
        meeting_key=int(data["meeting_key"]) if data.get("meeting_key") else None,
        time_zone_id=int(data.get("time_zone_id", 20)),
    )
    return {"recording_id": recording.recording_id}


def _clock(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    if request.method == "POST":
        if "now" in data:
            emulator.clock.set(_instant(data["now"], "now"))
        elif "advance_seconds" in data:
            emulator.advance(timedelta(seconds=float(data["advance_seconds"])))
        else:
            raise ControlError('send {"advance_seconds": N} or {"now": "<ISO 8601>"}')
    return {"now": emulator.now().isoformat()}


def _faults(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    if request.method == "POST":
        emulator.add_fault(_fault(data))
    elif request.method == "DELETE":
        emulator.clear_faults()
    return {"faults": [fault.as_dict() for fault in emulator.faults.active()]}


def _requests(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    if request.method == "DELETE":
        emulator.clear_requests()
    return {"requests": [entry.as_dict() for entry in emulator.requests]}


def _meetings(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    site = request.query_params.get("site")
    return {"meetings": [meeting_json(meeting) for meeting in emulator.meetings(site)]}


def _issue_tokens(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    scopes = data.get("scopes", ["all_read", "meeting_modify"])
    return emulator.issue_tokens(str(data["site"]), str(data["user"]), scopes=tuple(scopes))


def _revoke_tokens(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    if not any(data.get(name) for name in ("token", "site", "user")):
        raise ControlError("name a token, a site or a user to revoke")
    return {
        "revoked": emulator.revoke_tokens(
            token=data.get("token"), site=data.get("site"), user=data.get("user")
        )
    }


def _settings(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    if "strict" in data:
        emulator.strict = bool(data["strict"])
    return {"strict": emulator.strict}


def _summary(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    return summary(emulator)


def control_routes() -> list[Route]:
    return [
        Route(PREFIX, _endpoint(_summary), methods=["GET"]),
        Route(f"{PREFIX}/reset", _endpoint(_reset), methods=["POST"]),
        Route(f"{PREFIX}/sites", _endpoint(_add_site), methods=["POST"]),
        Route(f"{PREFIX}/users", _endpoint(_add_user), methods=["POST"]),
        Route(f"{PREFIX}/clients", _endpoint(_add_client), methods=["POST"]),
        Route(f"{PREFIX}/recordings", _endpoint(_add_recording), methods=["POST"]),
        Route(f"{PREFIX}/clock", _endpoint(_clock), methods=["GET", "POST"]),
        Route(f"{PREFIX}/faults", _endpoint(_faults), methods=["GET", "POST", "DELETE"]),
        Route(f"{PREFIX}/requests", _endpoint(_requests), methods=["GET", "DELETE"]),
        Route(f"{PREFIX}/meetings", _endpoint(_meetings), methods=["GET"]),
        Route(f"{PREFIX}/tokens", _endpoint(_issue_tokens), methods=["POST"]),
        Route(f"{PREFIX}/tokens/revoke", _endpoint(_revoke_tokens), methods=["POST"]),
        Route(f"{PREFIX}/settings", _endpoint(_settings), methods=["GET", "POST"]),
    ]
