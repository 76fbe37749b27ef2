"""The ASGI application: Slack's endpoint, the connect and callback pages, meeting links, health checks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.bootstrap import Services, build
from bot.config import Settings
from bot.services.linking import ConnectProblem, Linked
from bot.services.meeting_links import MeetingLinkProblem
from bot.slack.app import build_slack_app
from bot.slack.meetings.submitted import FORM_STATES
from bot.slack.router import CommandRouter
from bot.store.database import DatabaseUnavailable, upgrade
from bot.web.body_limit import BodyLimit
from bot.web.pages import page
from bot.web.slack_gate import SlackGate

logger = logging.getLogger(__name__)


ServicesFactory = Callable[[Settings], Awaitable[Services]]


def create_app(
    settings: Settings,
    *,
    migrate: bool = True,
    socket_mode: bool = False,
    services_factory: ServicesFactory | None = None,
) -> Starlette:
    """The whole bot as one ASGI app; the services are built at start-up, in the server's event loop."""
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await upgrade(settings.database_url)
        services = await (services_factory or build)(settings)
        try:
            # A key missing from TOKEN_KEYS must stop start-up, not surface later as broken commands.
            await services.links.check_keys()
        except BaseException:
            await services.close()
            raise
        slack_app, router = build_slack_app(services)
        gate = SlackGate(
            AsyncSlackRequestHandler(slack_app),
            settings.slack_signing_secret.get_secret_value(),
            forms=FORM_STATES,
        )
        state.update(services=services, router=router, slack=gate)
        app.state.services = services
        socket_handler = None
        if socket_mode and settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(slack_app, settings.slack_app_token.get_secret_value())
            await socket_handler.connect_async()  # type: ignore[no-untyped-call]
        housekeeping = asyncio.create_task(keep_tidy(services), name="housekeeping")
        logger.info("webex-bot ready")
        try:
            yield
        finally:
            housekeeping.cancel()
            if socket_handler is not None:
                await socket_handler.close_async()  # type: ignore[no-untyped-call]
            cut = await services.work.drain(settings.shutdown_grace_seconds)
            if cut:
                logger.warning("shut down with %s commands cut short; their users were told", cut)
            await services.close()

    def services() -> Services:
        result: Services = state["services"]
        return result

    async def slack_events(request: Request) -> Response:
        gate: SlackGate = state["slack"]
        return await gate.handle(request)

    async def connect(request: Request) -> Response:
        try:
            url = await services().linking.begin(request.path_params["token"])
        except ConnectProblem as problem:
            return page(problem.title, problem.detail, next_step=problem.next_step, ok=False, status_code=400)
        except DatabaseUnavailable:
            logger.warning("the connect route cannot reach the database")
            return database_unavailable_page()
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})

    async def callback(request: Request) -> Response:
        params = {key: value for key, value in request.query_params.items()}
        try:
            linked = await services().linking.complete(params)
        except ConnectProblem as problem:
            return page(problem.title, problem.detail, next_step=problem.next_step, ok=False, status_code=400)
        except DatabaseUnavailable:
            logger.warning("the OAuth callback cannot reach the database")
            return database_unavailable_page()
        except Exception:
            logger.exception("the OAuth callback failed")
            return page(
                "Something went wrong",
                "Your Webex account could not be linked because of a problem on our side.",
                next_step="Run /webex connect in Slack to try again in a minute.",
                ok=False,
                status_code=500,
            )
        router: CommandRouter = state["router"]
        services().work.spawn(announce_link(router, services(), linked), name="announce link")
        link = linked.link
        resumes = (
            " I'm finishing the command you started, and the answer will appear in Slack."
            if linked.pending
            else ""
        )
        who = f"Your Slack account ({linked.slack_name})" if linked.slack_name else "Your Slack account"
        return page(
            "Your Webex account is linked",
            f"{who} is now linked to the Webex account {link.email or link.webex_id} "
            f"on the site {link.site}.{resumes}",
            next_step="Go back to Slack. Try /webex schedule, or /webex status to see the link.",
            ok=True,
            warning=linked.warning,
        )

    async def meeting(request: Request) -> Response:
        """A card's Join or Start as host button: ask Webex for the link now and send the browser there."""
        try:
            url = await services().meeting_links.webex_url(request.path_params["token"])
        except MeetingLinkProblem as problem:
            return page(
                problem.title,
                problem.detail,
                next_step=problem.next_step,
                ok=False,
                status_code=problem.status_code,
            )
        except DatabaseUnavailable:
            logger.warning("a meeting link cannot reach the database")
            return page(
                "webex-bot is briefly unavailable",
                "webex-bot cannot reach its database right now, so it cannot fetch the meeting link.",
                next_step="Wait a minute, then press the button in Slack again.",
                ok=False,
                status_code=503,
            )
        except Exception:
            logger.exception("a meeting link failed")
            return page(
                "Something went wrong",
                "The meeting link could not be fetched because of a problem on our side.",
                next_step="Press the button in Slack again in a minute.",
                ok=False,
                status_code=500,
            )
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        if "services" not in state:
            return JSONResponse({"status": "starting"}, status_code=503)
        database = services().database
        if not await database.ping():
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        if not await database.is_current():
            return JSONResponse({"status": "unavailable", "database": "migrations pending"}, status_code=503)
        if not services().work.accepting:
            return JSONResponse({"status": "stopping"}, status_code=503)
        return JSONResponse({"status": "ready", "in_flight": services().work.in_flight})

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/webex/connect/{token:path}", connect, methods=["GET"]),
            Route("/webex/oauth/callback", callback, methods=["GET"]),
            Route("/webex/meetings/{token:path}", meeting, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        # First in the list, so outermost of the routes: no handler (Bolt's included) reads a larger body.
        middleware=[Middleware(BodyLimit, max_bytes=settings.max_request_bytes)],
        lifespan=lifespan,
    )


HOUSEKEEPING_INTERVAL_SECONDS = 3600


async def keep_tidy(services: Services, interval: float = HOUSEKEEPING_INTERVAL_SECONDS) -> None:
    """Hourly: drop used or expired sign-in attempts and old finished command records."""
    while True:
        await asyncio.sleep(interval)
        try:
            states = await services.states.purge(older_than=timedelta(days=1))
            operations = await services.operations.purge(older_than=timedelta(days=7))
            logger.info("housekeeping removed %s sign-in attempts and %s command records", states, operations)
        except Exception:
            logger.warning("housekeeping could not reach the database; will try again", exc_info=True)


def database_unavailable_page() -> Response:
    return page(
        "webex-bot is briefly unavailable",
        "webex-bot cannot reach its database right now, so nothing was linked.",
        next_step="Wait a minute, then click the Connect Webex button in Slack again.",
        ok=False,
        status_code=503,
    )


async def announce_link(router: CommandRouter, services: Services, linked: Linked) -> None:
    """Tell the user in Slack that the link is made, then finish what they had started."""
    link = linked.link
    account = link.email or link.webex_id
    text = f":white_check_mark: Your Webex account *{account}* on site *{link.site}* is linked."
    if linked.warning:
        text += f"\n:warning: {linked.warning}"
    try:
        await services.slack.chat_postMessage(channel=link.user_id, text=text)
    except Exception:
        logger.exception("could not tell team=%s user=%s about their new link", link.team_id, link.user_id)
    if linked.pending:
        await router.resume(linked.pending, link.team_id, link.user_id)
