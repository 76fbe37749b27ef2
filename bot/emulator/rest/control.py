"""HTTP control of the REST side under `/_emulator/rest`: strict mode, tokens, meetings, the REST log."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.emulator.rest.errors import RestError
from bot.emulator.rest.oauth import DEFAULT_SCOPES

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

PREFIX = "/_emulator/rest"

Handler = Callable[["Emulator", dict[str, Any], Request], object]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        emulator: Emulator = request.app.state.emulator
        raw = await request.body()
        try:
            data = json.loads(raw) if raw.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object")
            return JSONResponse(handler(emulator, data, request))
        except RestError as error:
            return JSONResponse({"error": " ".join((error.message, *error.descriptions))}, status_code=400)
        except KeyError as error:
            return JSONResponse({"error": str(error.args[0] if error.args else error)}, status_code=400)
        except (ValueError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)

    return endpoint


def _summary(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    return {"base_path": "/v1", "strict": emulator.rest.strict, "violations": emulator.rest.violations}


def _settings(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    if "strict" in data:
        emulator.rest.strict = bool(data["strict"])
    return {"strict": emulator.rest.strict}


def _tokens(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    scopes = data.get("scopes", list(DEFAULT_SCOPES))
    if not isinstance(scopes, list):
        raise ValueError("scopes must be a list")
    return emulator.rest.issue_tokens(str(data["site"]), str(data["user"]), scopes=tuple(scopes))


def _meetings(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    if request.method == "POST":
        meeting = data.get("meeting")
        if not isinstance(meeting, dict):
            raise ValueError('send {"site", "host", "meeting": {...POST /v1/meetings body...}}')
        return emulator.rest.add_meeting(str(data["site"]), str(data["host"]), meeting)
    return {"meetings": emulator.rest.meetings(request.query_params.get("site"))}


def _requests(emulator: Emulator, data: dict[str, Any], request: Request) -> object:
    return {
        "requests": [
            entry.as_dict() for entry in emulator.rest.requests(request.query_params.get("operation"))
        ]
    }


def rest_control_routes() -> list[Route]:
    return [
        Route(PREFIX, _endpoint(_summary), methods=["GET"]),
        Route(f"{PREFIX}/settings", _endpoint(_settings), methods=["GET", "POST"]),
        Route(f"{PREFIX}/tokens", _endpoint(_tokens), methods=["POST"]),
        Route(f"{PREFIX}/meetings", _endpoint(_meetings), methods=["GET", "POST"]),
        Route(f"{PREFIX}/requests", _endpoint(_requests), methods=["GET"]),
    ]
