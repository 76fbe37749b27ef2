"""The emulator's ASGI application: OAuth server, XML service and the `/_emulator/` control routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.emulator.control import control_routes
from bot.emulator.oauth import authorize, decide, token
from bot.emulator.service import xml_service

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

XML_SERVICE_PATH = "/WBXService/XMLService"
AUTHORIZE_PATH = "/v1/oauth2/authorize"
TOKEN_PATH = "/v1/oauth2/token"


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "service": "webex emulator"})


def create_app(emulator: Emulator) -> Starlette:
    """A Starlette app serving `emulator`; several apps may serve one emulator."""
    app = Starlette(
        routes=[
            Route(AUTHORIZE_PATH, authorize, methods=["GET"]),
            Route(AUTHORIZE_PATH, decide, methods=["POST"]),
            Route(TOKEN_PATH, token, methods=["POST"]),
            Route(XML_SERVICE_PATH, xml_service, methods=["POST"]),
            Route("/healthz", _health, methods=["GET"]),
            *control_routes(),
        ]
    )
    app.state.emulator = emulator
    return app
