"""The ASGI application: Slack's endpoint, the connect and callback pages, meeting links, health checks."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot import version
from bot.bootstrap import Services, build
from bot.config import Settings
from bot.observability import CONTENT_TYPE_LATEST, Metrics, Tracing, current
from bot.observability.asgi import RequestTracking
from bot.observability.logs import lean_log_records
from bot.observability.metrics import SAMPLE_SECONDS
from bot.services.calendar_file import CalendarFile
from bot.services.card_check import CardCheck
from bot.services.linking import ConnectProblem, Linked, OwnerNotice, SlackSignInNeeded
from bot.services.meeting_links import MeetingLinkProblem
from bot.slack.app import build_slack_app, followed_cards
from bot.slack.instant import InstantAnswers
from bot.slack.lapsed_link import LapsedLinkNotice
from bot.slack.meetings.submitted import FORM_STATES
from bot.slack.recovery import CommandRecovery
from bot.slack.reminders import ReminderPoster
from bot.slack.router import CommandRouter
from bot.slack.workspaces import speaking_for
from bot.store.database import DatabaseUnavailable, upgrade
from bot.store.leases import JobLeases
from bot.web import heap
from bot.web.body_limit import BodyLimit
from bot.web.jobs import TimedJobs
from bot.web.pages import page
from bot.web.slack_gate import SlackEndpoint, SlackGate

logger = logging.getLogger(__name__)

SIGN_IN_CALLBACK_PATH = "/slack/sign-in/callback"
SIGN_IN_COOKIE = "webex_bot_slack_sign_in"


ServicesFactory = Callable[[Settings], Awaitable[Services]]


def create_app(
    settings: Settings,
    *,
    migrate: bool = True,
    socket_mode: bool = False,
    services_factory: ServicesFactory | None = None,
    whole_process: bool = False,
) -> Starlette:
    """The whole bot as one ASGI app; the services are built at start-up, in the server's event loop.

    `whole_process`: the app is all the process serves (`webex-bot serve`), so what start-up made leaves
    the garbage collector once ready (`heap.settle`); an app built inside another program (tests) leaves
    that program's heap alone."""
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
        bolt = AsyncSlackRequestHandler(slack_app)
        secret = settings.slack_signing_secret.get_secret_value()
        instant = InstantAnswers(router, services.tracing)
        gate = SlackGate(slack_app.async_dispatch, secret, forms=FORM_STATES, instant=instant)
        state.update(services=services, router=router, slack=gate, bolt=bolt)
        app.state.services = services
        socket_handler = None
        if socket_mode and settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(slack_app, settings.slack_app_token.get_secret_value())
            await socket_handler.connect_async()  # type: ignore[no-untyped-call]
        leases = JobLeases(services.database, services.clock, owner=process_name())
        recovery = CommandRecovery(
            services.operations,
            leases,
            router,
            router.replies,
            services.clock,
            silent_for=timedelta(seconds=settings.command_recovery_seconds),
        )
        jobs = TimedJobs(
            reminders=services.reminders,
            send_reminder=ReminderPoster(services.slack, services.meeting_links, services.profiles),
            keeper=services.keeper,
            tell_refused=LapsedLinkNotice(services.slack, services.linking.connect_url),
            leases=leases,
            reminder_every=timedelta(seconds=settings.reminder_check_seconds),
            card_check=CardCheck(services.meetings, services.channel_cards, services.clock),
            card_writer=followed_cards(services),
            card_check_every=timedelta(minutes=settings.card_check_minutes)
            if settings.card_check_minutes
            else None,
            look_up_meeting=services.meetings.get,
        )
        app.state.jobs = jobs
        background = [
            asyncio.create_task(
                keep_tidy(services, leases, settings.housekeeping_interval_seconds), name="housekeeping"
            ),
            asyncio.create_task(recovery.run(), name="command recovery"),
            asyncio.create_task(jobs.run_forever(), name="timed jobs"),
        ]
        if services.metrics.shared:
            background.append(asyncio.create_task(sample_metrics(services), name="metrics sampling"))
        if whole_process:
            heap.settle()
            background.append(
                asyncio.create_task(
                    heap.collect_when_quiet(lambda: services.work.in_flight), name="full collections"
                )
            )
        lean_log_records()
        logger.info("webex-bot ready (version %s): %s", version(), settings.summary)
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            if socket_handler is not None:
                await socket_handler.close_async()  # type: ignore[no-untyped-call]
            cut = await services.work.drain(settings.shutdown_grace_seconds)
            if cut:
                logger.warning("shut down with %s commands cut short; their users were told", cut)
            await services.close()
            if whole_process:
                heap.unsettle()

    def services() -> Services:
        result: Services = state["services"]
        return result

    async def slack_events(request: Request) -> Response:
        gate: SlackGate = state["slack"]
        return await gate.handle(request)

    async def slack_install(request: Request) -> Response:
        """The install page and Slack's redirect back: a browser's GET, so no Slack signature to check;
        Bolt's OAuth flow checks the `state` (issued here, single use, bound to this browser's cookie)."""
        handler: AsyncSlackRequestHandler = state["bolt"]
        return await handler.handle(request)

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
            outcome = await services().linking.complete(params)
        except ConnectProblem as problem:
            return refused(problem)
        except DatabaseUnavailable:
            logger.warning("the OAuth callback cannot reach the database")
            return database_unavailable_page()
        except Exception:
            logger.exception("the OAuth callback failed")
            return went_wrong_page()
        if isinstance(outcome, SlackSignInNeeded):
            redirect = RedirectResponse(outcome.url, status_code=302, headers={"Cache-Control": "no-store"})
            # Ties the Sign in with Slack step to this browser: its address alone cannot finish elsewhere.
            redirect.set_cookie(
                SIGN_IN_COOKIE,
                outcome.sign_in_state,
                max_age=outcome.max_age,
                path=SIGN_IN_CALLBACK_PATH,
                secure=settings.base_url.startswith("https://"),
                httponly=True,
                samesite="lax",
            )
            return redirect
        return linked_page(outcome)

    async def slack_sign_in_callback(request: Request) -> Response:
        params = {key: value for key, value in request.query_params.items()}
        try:
            linked = await services().linking.finish_sign_in(params, request.cookies.get(SIGN_IN_COOKIE))
        except ConnectProblem as problem:
            response = refused(problem)
        except DatabaseUnavailable:
            logger.warning("the Sign in with Slack callback cannot reach the database")
            return database_unavailable_page()
        except Exception:
            logger.exception("the Sign in with Slack callback failed")
            return went_wrong_page()
        else:
            response = linked_page(linked)
        response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_CALLBACK_PATH)
        return response

    def refused(problem: ConnectProblem) -> Response:
        if problem.notice is not None:
            services().work.spawn(tell_owner(services(), problem.notice), name="tell connect owner")
        return page(problem.title, problem.detail, next_step=problem.next_step, ok=False, status_code=400)

    def linked_page(linked: Linked) -> Response:
        router: CommandRouter = state["router"]
        context = current()
        if context is not None:
            # The link names who this request was for; announcing it and resuming their command follow.
            context.team, context.user = linked.link.team_id, linked.link.user_id
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
        """A card's Join or Start as host button: ask Webex for the link now and send the browser there;
        its Add to calendar button: the meeting's calendar file, made from what Webex has now."""
        try:
            opened = await services().meeting_links.open(request.path_params["token"])
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
        if isinstance(opened, CalendarFile):
            return Response(
                opened.content,
                media_type=opened.media_type,
                headers={
                    "Cache-Control": "no-store",
                    "Content-Disposition": f'attachment; filename="{opened.filename}"',
                },
            )
        return RedirectResponse(opened, status_code=302, headers={"Cache-Control": "no-store"})

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

    link_counts = LinkCounts()

    async def metrics(request: Request) -> Response:
        """Prometheus's text format; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
        if settings.metrics_token is not None:
            expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return PlainTextResponse(
                    "Send METRICS_TOKEN as Authorization: Bearer <token>.\n",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        if "services" not in state:
            return PlainTextResponse("starting\n", status_code=503)
        found = services()
        await link_counts.refresh(found)
        return Response(found.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    def current_metrics() -> Metrics | None:
        found: Services | None = state.get("services")
        return found.metrics if found is not None else None

    def current_tracing() -> Tracing | None:
        found: Services | None = state.get("services")
        return found.tracing if found is not None else None

    # Installed to any number of workspaces: Bolt's OAuth flow serves the install page and Slack's redirect.
    installs = (
        [
            Route("/slack/install", slack_install, methods=["GET"]),
            Route("/slack/oauth_redirect", slack_install, methods=["GET"]),
        ]
        if settings.installs_to_any_workspace
        else []
    )
    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            *installs,
            Route("/webex/connect/{token:path}", connect, methods=["GET"]),
            Route("/webex/oauth/callback", callback, methods=["GET"]),
            Route(SIGN_IN_CALLBACK_PATH, slack_sign_in_callback, methods=["GET"]),
            Route("/webex/meetings/{token:path}", meeting, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        # BodyLimit first in the list, so outermost: no handler (Bolt's included) reads a larger body.
        middleware=[
            Middleware(BodyLimit, max_bytes=settings.max_request_bytes),
            Middleware(RequestTracking, metrics=current_metrics, tracing=current_tracing),
            # Innermost: Slack's requests (the bot's busiest route) skip Starlette's routing.
            Middleware(SlackEndpoint, gate=lambda: state.get("slack")),
        ],
        lifespan=lifespan,
    )


class LinkCounts:
    """The link gauge, read from the database at scrape time: one grouped count, at most every
    `max_age` seconds however often (or by however many scrapers) /metrics is asked."""

    def __init__(self, max_age: float = 10.0, timeout: float = 2.0) -> None:
        self._max_age = max_age
        self._timeout = timeout
        self._read_at: float | None = None

    async def refresh(self, services: Services) -> None:
        now = time.monotonic()
        if self._read_at is not None and now - self._read_at < self._max_age:
            return
        self._read_at = now
        try:
            async with asyncio.timeout(self._timeout):
                counts = await services.links.count_by_status()
        except (DatabaseUnavailable, TimeoutError):
            # The gauge keeps its last value; /readyz is where an unreachable database shows.
            logger.warning("metrics could not count the links; the database did not answer")
            return
        services.metrics.set_links(counts)


def create_worker_app() -> Starlette:
    """One worker of `webex-bot serve --workers N`: uvicorn calls this factory in each worker process,
    which reads its settings from the environment it inherited (checked, and migrated, by the parent)."""
    from bot.config import load_settings

    return create_app(load_settings(), migrate=False, whole_process=True)


def process_name() -> str:
    """This process among all that share the database: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Turns(Protocol):
    """Where a periodic job learns whether this process runs its next turn (the job lease)."""

    async def take_turn(self, name: str, every: timedelta) -> datetime | None: ...


HOUSEKEEPING_JOB = "housekeeping"
# How often a process looks whether housekeeping is due; at most this late after it falls due.
HOUSEKEEPING_POLL_SECONDS = 60.0


async def keep_tidy(services: Services, leases: Turns, interval: float) -> None:
    """Every `interval` seconds (hourly by default), in one process whatever their number (the one that
    takes the turn in the job lease): drop used or expired sign-in attempts and old command records."""
    every = timedelta(seconds=interval)
    while True:
        await asyncio.sleep(min(interval, HOUSEKEEPING_POLL_SECONDS))
        try:
            next_turn = await leases.take_turn(HOUSEKEEPING_JOB, every)
            if next_turn is None:
                continue  # not due yet, or another process has this turn
            states = await services.states.purge(older_than=timedelta(days=1))
            operations = await services.operations.purge(older_than=timedelta(days=7))
            logger.info(
                "housekeeping removed %s sign-in attempts and %s command records",
                states,
                operations,
                extra={"next_turn": next_turn.isoformat()},
            )
        except Exception:
            logger.warning("housekeeping could not reach the database; will try again", exc_info=True)


async def sample_metrics(services: Services) -> None:
    """With workers: write this worker's in-flight and pool gauges to the shared metric files."""
    while True:
        await asyncio.sleep(SAMPLE_SECONDS)
        services.metrics.sample()


def went_wrong_page() -> Response:
    return page(
        "Something went wrong",
        "Your Webex account could not be linked because of a problem on our side.",
        next_step="Run /webex connect in Slack to try again in a minute.",
        ok=False,
        status_code=500,
    )


async def tell_owner(services: Services, notice: OwnerNotice) -> None:
    """Tell the Slack user whose Connect link was used that nothing was linked, and what to do."""
    try:
        with speaking_for(notice.team_id):
            await services.slack.chat_postMessage(channel=notice.user_id, text=f":no_entry: {notice.text}")
    except Exception:
        logger.exception(
            "could not tell team=%s user=%s that nothing was linked", notice.team_id, notice.user_id
        )


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
    # This starts from a web page, not a Slack request: Slack is spoken to as the link's workspace's bot.
    with speaking_for(linked.link.team_id):
        await _announce_link(router, services, linked)


async def _announce_link(router: CommandRouter, services: Services, linked: Linked) -> None:
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
