"""The emulator's ASGI application: OAuth server, XML service and the `/_emulator/` control routes."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.emulator.consent_page import error_page, meeting_page
from bot.emulator.control import control_routes
from bot.emulator.oauth import authorize, decide, token
from bot.emulator.rest.control import rest_control_routes
from bot.emulator.rest.routes import rest_routes
from bot.emulator.service import xml_service
from bot.emulator.timezones import to_webex_local

if TYPE_CHECKING:
    from bot.emulator.emulator import Emulator

XML_SERVICE_PATH = "/WBXService/XMLService"
AUTHORIZE_PATH = "/v1/oauth2/authorize"
TOKEN_PATH = "/v1/oauth2/token"
_LINK_PAGES = frozenset({"j.php", "e.php", "p.php", "m.php"})


async def _meeting_link(request: Request) -> Response:
    """The page behind the join, host and calendar links the XML API hands out."""
    emulator: Emulator = request.app.state.emulator
    params = request.query_params
    if request.path_params["page"] not in _LINK_PAGES:
        return Response("Not Found", status_code=404, media_type="text/plain")
    key_text = params.get("MK") or params.get("ED") or ""
    if not key_text and params.get("MU"):
        # A host link signs the host in, then opens the meeting page it carries (MU).
        key_text = parse_qs(urlsplit(params["MU"]).query).get("MK", [""])[0]
    meeting = None
    if key_text.isdigit():
        meeting = emulator.meeting(int(key_text))
    else:
        uuid = params.get("MTID", "")[1:]
        meeting = next(
            (m for m in emulator.meetings(request.path_params["site"]) if uuid and m.uuid == uuid), None
        )
    if meeting is None:
        page = error_page(
            "Meeting not found",
            "The meeting was cancelled or never existed on this emulator.",
            "Ask the host for the meeting's current link.",
        )
        return HTMLResponse(page, status_code=404)
    local = to_webex_local(meeting.start, meeting.time_zone_id)
    page = request.path_params["page"]
    if page in ("p.php", "m.php") or params.get("MTID", "").startswith("h"):
        role = "host"
    elif page == "e.php" or params.get("MTID", "").startswith("m"):
        # e.php is the XML API's join link; the REST API's joinLink carries MTID=m<uuid>.
        role = "join"
    else:
        role = "invitation"
    return HTMLResponse(
        meeting_page(meeting.site, meeting.conf_name, meeting.key, local, meeting.time_zone_name, role)
    )


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
            # For XML URLs written per site ("https://{site}.webex.com/..." mapped to one host).
            Route("/{site}" + XML_SERVICE_PATH, xml_service, methods=["POST"]),
            Route("/healthz", _health, methods=["GET"]),
            *control_routes(),
            *rest_routes(),
            *rest_control_routes(),
            Route("/{site}/{page:str}", _meeting_link, methods=["GET"]),
        ]
    )
    app.state.emulator = emulator
    return app
