"""What the emulated Webex knows: sites, users, OAuth clients, codes, tokens, meetings and recordings."""

from __future__ import annotations

import random
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.emulator.rest.details import RestDetails
from bot.emulator.timezones import zone_by_id

SCOPES: tuple[str, ...] = ("all_read", "user_modify", "meeting_modify", "recording_modify", "setting_modify")

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "all_read": "See your meetings, recordings and profile",
    "user_modify": "Change your profile details",
    "meeting_modify": "Schedule, change and cancel meetings for you",
    "recording_modify": "Change the details of your recordings",
    "setting_modify": "Change site settings (site administrators only)",
    # The REST API's integration scopes (GET /v1/authorize shows the same consent page).
    "meeting:schedules_read": "See your scheduled meetings",
    "meeting:schedules_write": "Schedule, change and cancel meetings for you",
    "meeting:recordings_read": "See your meeting recordings",
    "meeting:recordings_write": "Change and delete your meeting recordings",
    "meeting:preferences_read": "See your meeting preferences",
    "meeting:preferences_write": "Change your meeting preferences",
    "meeting:participants_read": "See who took part in your meetings",
    "spark:people_read": "See your name, e-mail address and time zone",
    "spark:kms": "Use your encryption keys",
}

ACCESS_TOKEN_LIFETIME = timedelta(hours=2)
REFRESH_TOKEN_LIFETIME = timedelta(days=60)
AUTHORIZATION_CODE_LIFETIME = timedelta(minutes=5)
CONSENT_LIFETIME = timedelta(minutes=15)

MIN_MEETING_KEY = 100_000_000
MAX_MEETING_KEY = 99_999_999_999


@dataclass(frozen=True)
class Site:
    name: str
    site_id: int
    require_meeting_password: bool = False


@dataclass(frozen=True)
class User:
    site: str
    webex_id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    time_zone_id: int = 20
    user_id: int = 0
    site_admin: bool = False
    password: str | None = None  # only for password-based securityContext (the captured requests use it)
    meeting_types: tuple[int, ...] = (3,)

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.webex_id

    def matches(self, name: str) -> bool:
        lowered = name.strip().lower()
        return lowered in (self.webex_id.lower(), self.email.lower())


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    name: str
    site: str
    redirect_uris: tuple[str, ...] = ()
    allow_any_loopback_redirect: bool = False

    def accepts_redirect(self, uri: str) -> bool:
        if uri in self.redirect_uris:
            return True
        if not self.allow_any_loopback_redirect:
            return False
        parts = urlsplit(uri)
        return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1") and not parts.fragment


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""


@dataclass(frozen=True)
class StoredMeeting:
    """A scheduled meeting; `start` is an aware UTC instant, shown in `time_zone_id`."""

    key: int
    site: str
    host_webex_id: str
    conf_name: str
    start: datetime
    duration_minutes: int
    time_zone_id: int
    agenda: str = ""
    password: str = ""
    attendees: tuple[Attendee, ...] = ()
    meeting_type: int = 3
    guest_token: str = ""
    host_key: str = ""
    event_id: int = 0
    uuid: str = ""
    list_status: str = "PUBLIC"
    open_time: int = 900
    join_before_host: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    rest: RestDetails | None = None  # set once the REST API created or changed the meeting

    @property
    def time_zone_name(self) -> str:
        return zone_by_id(self.time_zone_id).name


@dataclass(frozen=True)
class Recording:
    recording_id: int
    site: str
    host_webex_id: str
    name: str
    created: datetime  # aware UTC
    duration_seconds: int
    time_zone_id: int = 20
    description: str = ""
    meeting_key: int | None = None
    size_mb: float = 12.5
    stream_url: str = ""
    file_url: str = ""
    format: str = "MP4"


@dataclass(frozen=True)
class PendingConsent:
    consent_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    code_challenge: str
    code_challenge_method: str
    expires_at: datetime


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str
    code_challenge_method: str
    site: str
    webex_id: str
    expires_at: datetime
    used: bool = False


@dataclass
class IssuedToken:
    """An access or refresh token; `code` ties tokens to the authorization code that produced them."""

    token: str
    kind: str  # "access" or "refresh"
    client_id: str
    site: str
    webex_id: str
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    code: str = ""
    revoked: bool = False

    def usable(self, now: datetime) -> bool:
        return not self.revoked and now < self.expires_at


@dataclass
class Counters:
    token_refreshes: int = 0
    codes_exchanged: int = 0
    xml_requests: int = 0


@dataclass
class SiteState:
    site: Site
    users: dict[str, User] = field(default_factory=dict)  # by lower-cased webExID
    meetings: dict[int, StoredMeeting] = field(default_factory=dict)
    recordings: dict[int, Recording] = field(default_factory=dict)


class EmulatorState:
    """All mutable state behind one re-entrant lock: the server thread and a test thread may both touch it."""

    def __init__(self, *, seed: int | None = None) -> None:
        self.lock = threading.RLock()
        self.sites: dict[str, SiteState] = {}
        self.clients: dict[str, Client] = {}
        self.consents: dict[str, PendingConsent] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.counters = Counters()
        self._random = random.Random(seed)
        self._next_user_id = 100_000_001
        self._next_recording_id = 5_000_001

    # seeding -----------------------------------------------------------------------------------

    def add_site(self, site: Site) -> Site:
        with self.lock:
            self.sites[site.name.lower()] = SiteState(site)
            return site

    def add_user(self, user: User) -> User:
        with self.lock:
            site = self.site_state(user.site)
            if site is None:
                raise KeyError(f"no site named {user.site!r}; add it first")
            if not user.user_id:
                user = replace(user, user_id=self._next_user_id)
                self._next_user_id += 1
            site.users[user.webex_id.lower()] = user
            return user

    def add_client(self, client: Client) -> Client:
        with self.lock:
            if self.site_state(client.site) is None:
                raise KeyError(f"no site named {client.site!r}; add it first")
            self.clients[client.client_id] = client
            return client

    def add_recording(self, recording: Recording) -> Recording:
        with self.lock:
            site = self.site_state(recording.site)
            if site is None:
                raise KeyError(f"no site named {recording.site!r}; add it first")
            if not recording.recording_id:
                recording = replace(recording, recording_id=self._next_recording_id)
                self._next_recording_id += 1
            site.recordings[recording.recording_id] = recording
            return recording

    def clear_runtime(self) -> None:
        """Forget meetings, codes, tokens and counters; keep sites, users, clients and recordings."""
        with self.lock:
            for site in self.sites.values():
                site.meetings.clear()
            self.consents.clear()
            self.codes.clear()
            self.tokens.clear()
            self.counters = Counters()

    # lookups -----------------------------------------------------------------------------------

    def site_state(self, name: str) -> SiteState | None:
        return self.sites.get(name.strip().lower())

    def find_user(self, site: str, name: str) -> User | None:
        """A site user by webExID or e-mail, case-insensitively."""
        state = self.site_state(site)
        if state is None:
            return None
        user = state.users.get(name.strip().lower())
        if user is not None:
            return user
        return next((u for u in state.users.values() if u.matches(name)), None)

    def find_meeting(self, key: int) -> StoredMeeting | None:
        for site in self.sites.values():
            meeting = site.meetings.get(key)
            if meeting is not None:
                return meeting
        return None

    # identifiers -------------------------------------------------------------------------------

    def new_meeting_key(self) -> int:
        while True:
            key = self._random.randint(MIN_MEETING_KEY, MAX_MEETING_KEY)
            if self.find_meeting(key) is None:
                return key

    def new_digits(self, length: int) -> str:
        return f"{self._random.randrange(10**length):0{length}d}"

    def new_hex(self, length: int) -> str:
        return f"{self._random.getrandbits(4 * length):0{length}x}"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)
