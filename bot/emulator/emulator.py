"""The `Emulator` object: seed it, move its clock, inject faults, read its request log, reset it."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypedDict, Unpack

from bot.emulator.clock import AdjustableClock, MovableClock
from bot.emulator.faults import Fault, FaultPlan
from bot.emulator.requestlog import RequestRecord
from bot.emulator.rest.side import RestApi
from bot.emulator.schema import RequestSchema, SchemaUnavailable, request_schema
from bot.emulator.state import (
    SCOPES,
    Attendee,
    Client,
    EmulatorState,
    Recording,
    Site,
    StoredMeeting,
    User,
)
from bot.emulator.timezones import zone_by_id
from bot.emulator.tokens import TokenOptions, mint

DEFAULT_SITE = "sandbox"
DEFAULT_CLIENT_ID = "sandbox-client"
DEFAULT_CLIENT_SECRET = "sandbox-secret"
DEFAULT_CLIENT_NAME = "webex-bot (sandbox)"
DEFAULT_PUBLIC_URL = "https://{site}.webex.com"


class EmulatorOptions(TypedDict, total=False):
    """The keyword options of `Emulator(...)`, for `Emulator.with_defaults(**options)`."""

    clock: AdjustableClock | None
    xsd_dir: Path | str | None
    strict: bool
    rotate_refresh_tokens: bool
    refresh_token_site_prefix: bool
    minimal_token_response: bool
    public_url: str
    seed: int | None
    log_size: int
    rest_strict: bool


@dataclass(frozen=True)
class UserSeed:
    email: str
    first_name: str
    last_name: str
    time_zone_id: int
    webex_id: str | None = None
    site_admin: bool = False


DEFAULT_USERS: tuple[UserSeed, ...] = (
    UserSeed("alice@sandbox.example", "Alice", "Archer", 11),  # Eastern (New York)
    UserSeed("bob@sandbox.example", "Bob", "Baker", 25),  # Europe (Berlin)
)


class Emulator:
    """A local Webex site: OAuth server and XML API state, plus the controls tests and demos use."""

    def __init__(
        self,
        *,
        clock: AdjustableClock | None = None,
        xsd_dir: Path | str | None = None,
        strict: bool = False,
        rotate_refresh_tokens: bool = True,
        refresh_token_site_prefix: bool = True,
        minimal_token_response: bool = False,
        public_url: str = DEFAULT_PUBLIC_URL,
        seed: int | None = None,
        log_size: int = 10_000,
        rest_strict: bool = False,
    ) -> None:
        self.clock: AdjustableClock = clock if clock is not None else MovableClock()
        self.state = EmulatorState(seed=seed)
        self.faults = FaultPlan()
        self.token_options = TokenOptions(
            rotate_refresh_tokens=rotate_refresh_tokens,
            refresh_token_site_prefix=refresh_token_site_prefix,
            minimal_response=minimal_token_response,
        )
        self.public_url = public_url
        self.xsd_dir = Path(xsd_dir) if xsd_dir is not None else None
        self._request_schema: RequestSchema | None = None
        self._strict = False
        self._log: deque[RequestRecord] = deque(maxlen=log_size)
        self._log_lock = threading.Lock()
        self.hang_release = threading.Event()
        self.strict = strict
        # The REST API (`/v1/...`) over the same store; its strict mode checks Cisco's OpenAPI description.
        self.rest = RestApi(self, strict=rest_strict)

    @classmethod
    def with_defaults(
        cls,
        *,
        site: str = DEFAULT_SITE,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        client_name: str = DEFAULT_CLIENT_NAME,
        users: Iterable[UserSeed] = DEFAULT_USERS,
        redirect_uris: Iterable[str] = (),
        **options: Unpack[EmulatorOptions],
    ) -> Emulator:
        """The ready-made sandbox: one site, one client for any loopback redirect URI, Alice and Bob."""
        emulator = cls(**options)
        emulator.add_site(site)
        for seed in users:
            emulator.add_user(
                site,
                seed.email,
                webex_id=seed.webex_id,
                first_name=seed.first_name,
                last_name=seed.last_name,
                time_zone_id=seed.time_zone_id,
                site_admin=seed.site_admin,
            )
        emulator.add_client(
            client_id,
            client_secret,
            site=site,
            name=client_name,
            redirect_uris=tuple(redirect_uris),
            allow_any_loopback_redirect=True,
        )
        return emulator

    # strict mode -------------------------------------------------------------------------------

    @property
    def strict(self) -> bool:
        return self._strict

    @strict.setter
    def strict(self, value: bool) -> None:
        if value:
            self._request_schema = self.request_schema()
        self._strict = value

    def request_schema(self) -> RequestSchema:
        """The cached request validator; SchemaUnavailable says why when there is no XSD folder."""
        if self._request_schema is None:
            if self.xsd_dir is None:
                raise SchemaUnavailable(
                    "strict mode needs the Webex XSD folder: pass xsd_dir=, --xsd-dir or set WEBEX_XSD_DIR"
                )
            self._request_schema = request_schema(self.xsd_dir.resolve())
        return self._request_schema

    # seeding -----------------------------------------------------------------------------------

    def add_site(
        self, name: str, *, site_id: int | None = None, require_meeting_password: bool = False
    ) -> Site:
        if not name or not name.replace("-", "").isalnum():
            raise ValueError(f"{name!r} is not a site name (letters, digits and dashes)")
        number = site_id if site_id is not None else 700_000 + len(self.state.sites) + 1
        return self.state.add_site(Site(name, number, require_meeting_password))

    def add_user(
        self,
        site: str,
        email: str,
        *,
        webex_id: str | None = None,
        first_name: str = "",
        last_name: str = "",
        time_zone_id: int = 20,
        site_admin: bool = False,
        password: str | None = None,
        meeting_types: tuple[int, ...] = (3,),
    ) -> User:
        """A site user; the webExID defaults to the e-mail, as on Common Identity sites."""
        zone_by_id(time_zone_id)
        return self.state.add_user(
            User(
                site=site,
                webex_id=webex_id or email,
                email=email,
                first_name=first_name,
                last_name=last_name,
                time_zone_id=time_zone_id,
                site_admin=site_admin,
                password=password,
                meeting_types=meeting_types or (3,),
            )
        )

    def add_client(
        self,
        client_id: str,
        secret: str,
        *,
        site: str = DEFAULT_SITE,
        name: str = "",
        redirect_uris: tuple[str, ...] = (),
        allow_any_loopback_redirect: bool = False,
    ) -> Client:
        return self.state.add_client(
            Client(
                client_id, secret, name or client_id, site, tuple(redirect_uris), allow_any_loopback_redirect
            )
        )

    def add_recording(
        self,
        site: str,
        host_webex_id: str,
        name: str,
        *,
        created: datetime | None = None,
        duration_seconds: int = 1800,
        meeting_key: int | None = None,
        time_zone_id: int = 20,
        description: str = "",
    ) -> Recording:
        host = self.state.find_user(site, host_webex_id)
        if host is None:
            raise KeyError(f"no user {host_webex_id!r} on site {site!r}")
        return self.state.add_recording(
            Recording(
                recording_id=0,
                site=site,
                host_webex_id=host.webex_id,
                name=name,
                created=created or self.clock.now(),
                duration_seconds=duration_seconds,
                time_zone_id=time_zone_id,
                description=description,
                meeting_key=meeting_key,
            )
        )

    def add_meeting(
        self,
        site: str,
        host: str,
        topic: str,
        start: datetime,
        *,
        duration_minutes: int = 60,
        time_zone_id: int | None = None,
        key: int | None = None,
        attendees: Iterable[Attendee] = (),
        agenda: str = "",
        password: str = "",
    ) -> StoredMeeting:
        """A meeting that exists before the test starts (as if the host had scheduled it on the web)."""
        if start.tzinfo is None:
            raise ValueError("a meeting start must be an aware datetime")
        owner = self.user(site, host)
        state = self.state
        with state.lock:
            number = key if key is not None else state.new_meeting_key()
            meeting = StoredMeeting(
                key=number,
                site=owner.site,
                host_webex_id=owner.webex_id,
                conf_name=topic,
                start=start.astimezone(UTC),
                duration_minutes=duration_minutes,
                time_zone_id=time_zone_id if time_zone_id is not None else owner.time_zone_id,
                agenda=agenda,
                password=password,
                attendees=tuple(attendees),
                meeting_type=owner.meeting_types[0],
                guest_token=state.new_hex(32),
                host_key=state.new_digits(6),
                event_id=int(state.new_digits(9)) + 100_000_000,
                uuid=state.new_hex(32),
                created_at=self.now(),
                updated_at=self.now(),
            )
            site_state = state.site_state(owner.site)
            if site_state is None:
                raise KeyError(f"no site named {site!r}")
            site_state.meetings[number] = meeting
            return meeting

    def user(self, site: str, name: str) -> User:
        found = self.state.find_user(site, name)
        if found is None:
            raise KeyError(f"no user {name!r} on site {site!r}")
        return found

    # time --------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, delta: timedelta) -> None:
        """Move the emulator's clock forward (tokens, codes and "now" follow)."""
        self.clock.advance(delta)

    # faults ------------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()
        self.hang_release.set()
        self.hang_release = threading.Event()

    # tokens ------------------------------------------------------------------------------------

    def issue_tokens(
        self,
        site: str,
        user: str,
        *,
        scopes: Iterable[str] = ("all_read", "meeting_modify"),
        client_id: str | None = None,
    ) -> dict[str, object]:
        """Tokens for a user without the consent dance (the same JSON the token endpoint returns)."""
        found = self.user(site, user)
        wanted = tuple(scopes)
        unknown = [scope for scope in wanted if scope not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(unknown)}")
        client = (
            self.state.clients.get(client_id)
            if client_id
            else next((c for c in self.state.clients.values() if c.site.lower() == site.lower()), None)
        )
        if client is None:
            raise KeyError(f"no OAuth client for site {site!r}")
        return mint(
            self.state, now=self.now(), client=client, user=found, scopes=wanted, options=self.token_options
        )

    def revoke_tokens(
        self, *, token: str | None = None, site: str | None = None, user: str | None = None
    ) -> int:
        """Revoke one token, or every token of a user (or of a site); returns how many were revoked."""
        count = 0
        with self.state.lock:
            for issued in self.state.tokens.values():
                if issued.revoked:
                    continue
                if token is not None and issued.token != token:
                    continue
                if site is not None and issued.site.lower() != site.lower():
                    continue
                if user is not None:
                    owner = self.state.find_user(issued.site, user)
                    if owner is None or owner.webex_id != issued.webex_id:
                        continue
                issued.revoked = True
                count += 1
        return count

    @property
    def token_refreshes(self) -> int:
        """How many refresh_token grants succeeded since the last reset."""
        return self.state.counters.token_refreshes

    # observation -------------------------------------------------------------------------------

    def record(self, entry: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(entry)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._log)

    def xml_requests(self, operation: str | None = None) -> list[RequestRecord]:
        return [
            entry
            for entry in self.requests
            if entry.endpoint == "xml" and (operation is None or entry.operation == operation)
        ]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def meetings(self, site: str | None = None) -> list[StoredMeeting]:
        with self.state.lock:
            return [
                meeting
                for state in self.state.sites.values()
                if site is None or state.site.name.lower() == site.lower()
                for meeting in state.meetings.values()
            ]

    def meeting(self, key: int | str) -> StoredMeeting | None:
        with self.state.lock:
            return self.state.find_meeting(int(key))

    def reset(self) -> None:
        """Back to the seeded state: no meetings, codes, tokens, faults, log entries or counters.

        Its own clock goes back to real time; a clock passed in by the caller is left alone.
        """
        if isinstance(self.clock, MovableClock):
            self.clock.reset()
        self.clear_faults()
        self.state.clear_runtime()
        self.clear_requests()
        self.rest.reset()
