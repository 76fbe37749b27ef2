"""The composition root: builds every part from the settings; tests pass fakes or loopback servers.

The one place that picks the meeting backend (the Webex XML API adapter today) behind the ports of
bot/services/ports.py; everything else is given the ports.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from aiohttp import ClientSession
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, WebexApi
from bot.domain.clock import Clock, SystemClock
from bot.observability import Metrics, Tracing
from bot.runtime import BackgroundWork
from bot.services.accounts import TokenService
from bot.services.keep_alive import LinkKeeper
from bot.services.linking import ConnectTokens, LinkingService
from bot.services.meeting_links import MeetingLinks
from bot.services.meetings import MeetingService
from bot.services.ports import AuthorizationServer, MeetingBackend
from bot.services.recordings import RecordingService
from bot.services.reminders import ReminderService
from bot.slack.profiles import SlackProfiles
from bot.slack.sealed import SealedValues
from bot.slack.sign_in import SlackSignIn
from bot.slack.workspaces import BotTokens, WorkspaceWebClient
from bot.store.channel_cards import ChannelCardStore
from bot.store.crypto import TokenCipher
from bot.store.database import Database
from bot.store.host_presses import HostPressStore
from bot.store.installations import InstallationStore, InstallStateStore
from bot.store.links import LinkStore
from bot.store.operations import OperationStore
from bot.store.reminders import ReminderStore
from bot.store.states import OAuthStateStore
from bot.store.throttle import ThrottleLimits
from bot.webex.client import CallObserver, WebexClient
from bot.webex.http import new_webex_http_client
from bot.webex.oauth import WebexOAuth
from bot.webex.rest_backend import (
    RestApi,
    RestAuthorizationServer,
    RestMeetingBackend,
)
from bot.webex.xml_backend import RENAME_RECORDING_SCOPE, XmlAuthorizationServer, XmlMeetingBackend


@dataclass
class Services:
    """Everything a request needs, built once per process."""

    settings: Settings
    clock: Clock
    database: Database
    links: LinkStore
    states: OAuthStateStore
    operations: OperationStore
    tokens: TokenService
    oauth: AuthorizationServer
    webex: MeetingBackend
    linking: LinkingService
    meetings: MeetingService
    meeting_links: MeetingLinks
    reminders: ReminderService
    keeper: LinkKeeper
    slack: AsyncWebClient
    slack_session: ClientSession
    slack_retry_handlers: list[AsyncRetryHandler]
    profiles: SlackProfiles
    sealed: SealedValues
    work: BackgroundWork
    webex_http: httpx.AsyncClient
    channel_cards: ChannelCardStore
    recordings: RecordingService
    metrics: Metrics = field(default_factory=Metrics)
    tracing: Tracing = field(default_factory=Tracing)
    # Installed to any number of workspaces (no SLACK_BOT_TOKEN): where each one's bot token is kept.
    installations: InstallationStore | None = None
    install_states: InstallStateStore | None = None
    bot_tokens: BotTokens | None = None

    async def close(self) -> None:
        await self.webex_http.aclose()
        await self.slack_session.close()
        await self.database.dispose()
        if self.tracing.enabled:
            # Sends the last batch of spans over HTTP: from a thread, so the event loop is not held up.
            await asyncio.to_thread(self.tracing.shutdown)


def pick_backend(
    settings: Settings, webex_http: httpx.AsyncClient, observe: CallObserver
) -> tuple[AuthorizationServer, MeetingBackend]:
    """The Webex API the settings name (WEBEX_API), as the two ports, over the one pooled client."""
    if settings.webex_api is WebexApi.REST:
        base = settings.webex_rest_base
        api = RestApi(webex_http, base_url=base, deadline=settings.webex_timeout_seconds, observe=observe)
        rest_oauth = WebexOAuth(
            webex_http,
            oauth_url=base,
            client_id=settings.webex_client_id,
            client_secret=settings.webex_client_secret.get_secret_value(),
            redirect_uri=settings.callback_url,
            observe=observe,
            token_path="/access_token",
            pkce_method="S256",
            scope_separator=" ",
        )
        return RestAuthorizationServer(rest_oauth, api), RestMeetingBackend(api)
    xml_oauth = WebexOAuth(
        webex_http,
        oauth_url=str(settings.webex_oauth_url).rstrip("/"),
        client_id=settings.webex_client_id,
        client_secret=settings.webex_client_secret.get_secret_value(),
        redirect_uri=settings.callback_url,
        observe=observe,
    )
    client = WebexClient(
        webex_http, xml_url=settings.webex_xml_url, deadline=settings.webex_timeout_seconds, observe=observe
    )
    return XmlAuthorizationServer(xml_oauth), XmlMeetingBackend(client)


def slack_retry_handlers() -> list[AsyncRetryHandler]:
    """Slack 429s are retried after Retry-After, 5xx and dropped connections a couple of times."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ]


async def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    webex_http: httpx.AsyncClient | None = None,
    slack_session: ClientSession | None = None,
) -> Services:
    clock = clock or SystemClock()
    metrics = Metrics()
    endpoint = settings.otel_exporter_otlp_endpoint
    tracing = Tracing.to_otlp(str(endpoint) if endpoint is not None else None)

    def webex_call(operation: str, outcome: str, seconds: float) -> None:
        metrics.webex_call(operation, outcome, seconds)
        tracing.finished(f"webex {operation}", outcome, seconds, **{"webex.operation": operation})

    keys = [key.get_secret_value() for key in settings.token_keys]
    database = Database(settings.database_url)
    cipher = TokenCipher(keys)
    links = LinkStore(database, cipher, clock)
    states = OAuthStateStore(database, cipher, clock)
    # Records this process owns carry its name; the random part tells a restart apart (same host and pid).
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    # A request left "started" by a killed process is taken over only after the longest a live one can
    # take (a refresh, the create, up to four looks and the description, each bounded by the timeout).
    stale_after = timedelta(seconds=8 * settings.webex_timeout_seconds + 5)
    # The per-user throttle counts the records; a creation's place left by a killed process lapses after
    # the same time.
    limits = ThrottleLimits(
        per_minute=settings.user_rate_limit_per_minute,
        in_flight=settings.user_max_in_flight,
        slot_lifetime=stale_after,
    )
    operations = OperationStore(database, clock, owner=owner, cipher=cipher, limits=limits)
    webex_http = webex_http or new_webex_http_client(
        timeout=settings.webex_timeout_seconds,
        transport=settings.webex_http_transport,
        max_connections=settings.webex_max_connections,
    )
    # The one place that picks the meeting backend and its authorization server.
    oauth, webex = pick_backend(settings, webex_http, webex_call)
    tokens = TokenService(
        links, oauth, clock, states=states, operations=operations, on_refresh=metrics.token_refresh
    )
    retry_handlers = slack_retry_handlers()
    slack_session = slack_session or ClientSession()
    installations = install_states = bot_tokens = None
    slack: AsyncWebClient
    if settings.slack_bot_token is not None:
        slack = AsyncWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            session=slack_session,
            retry_handlers=retry_handlers,
        )
    else:
        assert settings.slack_state_secret is not None  # the settings require it without a bot token
        installations = InstallationStore(database, cipher, clock)
        install_states = InstallStateStore(
            database,
            clock,
            settings.slack_state_secret.get_secret_value(),
            ttl=timedelta(seconds=settings.oauth_state_ttl_seconds),
        )
        # Each call goes out with the bot token of the workspace it is made for.
        bot_tokens = BotTokens(installations)
        slack = WorkspaceWebClient(
            bot_tokens,
            base_url=settings.slack_api_url,
            session=slack_session,
            retry_handlers=retry_handlers,
        )
    profiles = SlackProfiles(slack, clock)
    sign_in = None
    if settings.slack_client_id is not None and settings.slack_client_secret is not None:
        sign_in = SlackSignIn(
            # Without the bot token: these calls authenticate as the app (token) and the person (userInfo).
            # A code is spent once, so an exchange is not retried after a 5xx (a refused connection is).
            AsyncWebClient(base_url=settings.slack_api_url, session=slack_session),
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            redirect_uri=settings.slack_sign_in_callback_url,
            authorize_url=settings.slack_sign_in_url,
        )
    linking = LinkingService(
        links=links,
        states=states,
        oauth=oauth,
        webex=webex,
        profiles=profiles,
        connect_tokens=ConnectTokens(keys, timedelta(hours=settings.connect_link_ttl_hours), clock),
        clock=clock,
        base_url=settings.base_url,
        scopes=settings.scopes,
        default_site=settings.webex_site,
        email_policy=settings.email_mismatch_policy,
        state_ttl=timedelta(seconds=settings.oauth_state_ttl_seconds),
        sign_in=sign_in,
    )
    reminders = ReminderService(
        ReminderStore(database, clock), clock, default_minutes=settings.reminder_default_minutes or None
    )
    meetings = MeetingService(tokens, webex, operations, clock, stale_after=stale_after, reminders=reminders)
    work = BackgroundWork()
    metrics.watch(in_flight=lambda: work.in_flight, pool=database.pool_use)
    return Services(
        settings=settings,
        clock=clock,
        database=database,
        links=links,
        states=states,
        operations=operations,
        tokens=tokens,
        oauth=oauth,
        webex=webex,
        linking=linking,
        meetings=meetings,
        meeting_links=MeetingLinks(
            keys, meetings, clock, settings.base_url, presses=HostPressStore(database, clock)
        ),
        reminders=reminders,
        keeper=LinkKeeper(links, tokens, clock),
        slack=slack,
        slack_session=slack_session,
        slack_retry_handlers=retry_handlers,
        profiles=profiles,
        sealed=SealedValues(keys, clock),
        work=work,
        webex_http=webex_http,
        channel_cards=ChannelCardStore(database, clock),
        recordings=RecordingService(
            tokens,
            webex,
            clock,
            # The REST API has no way to rename a recording: the list then offers Share only.
            rename_scope=None if settings.webex_api is WebexApi.REST else RENAME_RECORDING_SCOPE,
        ),
        metrics=metrics,
        tracing=tracing,
        installations=installations,
        install_states=install_states,
        bot_tokens=bot_tokens,
    )
