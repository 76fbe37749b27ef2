"""Settings: the only place that reads the environment (and an optional .env file)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from cryptography.fernet import Fernet
from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_XML_URL = "https://{site}.webex.com/WBXService/XMLService"
DEFAULT_REST_URL = "https://webexapis.com/v1"
# What each API asks for when WEBEX_SCOPES is unset. REST: read and write the person's meetings,
# read who they are (GET /people/me, for the email check), and read their recordings.
DEFAULT_SCOPES = {
    "xml": "all_read meeting_modify",
    "rest": "meeting:schedules_read meeting:schedules_write spark:people_read meeting:recordings_read",
}


class WebexApi(StrEnum):
    """Which Webex API the bot speaks."""

    XML = "xml"  # the Meetings XML API, as the product was specified (sites that keep it)
    REST = "rest"  # the Meetings REST API at webexapis.com: what Webex's cloud answers today


class EmailPolicy(StrEnum):
    """What to do when the Webex account's email differs from the Slack profile's (case aside)."""

    # Link nothing: the person must sign in to Webex with the account under their Slack email.
    REFUSE = "refuse"
    # Link only after the browser proves with Sign in with Slack that it is the Slack user who asked.
    SIGN_IN_WITH_SLACK = "sign-in-with-slack"


# Values accepted before: both stored whoever signed in to Webex, so a Connect link sent to someone else
# gave the sender that person's account. They are refused at start-up rather than quietly reinterpreted.
RETIRED_EMAIL_POLICIES = {
    "warn": "warn linked whoever signed in to Webex",
    "off": "off linked whoever signed in to Webex",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = Field(
        default=None,
        description="Bot token (xoxb-...) from Slack's 'Install App' page, for one workspace; unset: the app "
        "installs to any number of workspaces through /slack/install",
    )
    slack_signing_secret: SecretStr = Field(
        description="Signing secret from Slack's 'Basic Information' page"
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="App-level token (xapp-...) with connections:write, for Socket Mode only"
    )
    slack_api_url: str = Field(default="https://slack.com/api/", description="Slack Web API base URL")

    webex_client_id: str = Field(min_length=1, description="Client ID of the Webex integration")
    webex_client_secret: SecretStr = Field(description="Client secret of the Webex integration")
    public_base_url: AnyHttpUrl = Field(
        description="Where people's browsers reach this bot, e.g. https://bot.example.com"
    )
    webex_site: str | None = Field(
        default=None, description="Default Webex site name, e.g. acme for acme.webex.com"
    )
    webex_api: WebexApi = Field(
        default=WebexApi.XML, description="Which Webex API: xml (the specified one) or rest (webexapis.com)"
    )
    webex_rest_url: AnyHttpUrl = Field(
        default=AnyHttpUrl(DEFAULT_REST_URL),
        description="Webex REST API base URL (WEBEX_API=rest); OAuth is at its /authorize and /access_token",
    )
    webex_scopes: str | None = Field(
        default=None, description="Webex scopes, space separated; unset: the chosen API's default"
    )
    webex_oauth_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://api.webex.com/v1/oauth2"), description="Webex OAuth base URL"
    )
    webex_xml_url: str = Field(default=DEFAULT_XML_URL, description="Webex XML API URL; {site} is replaced")
    webex_timeout_seconds: float = Field(default=15.0, gt=0, le=120, description="Timeout of one Webex call")
    webex_http_transport: str = Field(default="aiohttp", pattern="^(aiohttp|httpx)$")
    webex_max_connections: int = Field(
        default=500, ge=1, le=5000, description="Connections to Webex open at once (one process)"
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///./webex-bot.db", description="SQLAlchemy async URL"
    )
    token_keys: Annotated[list[SecretStr], NoDecode] = Field(
        description="Fernet keys, comma separated, newest first"
    )

    email_mismatch_policy: EmailPolicy = Field(
        default=EmailPolicy.REFUSE,
        description="Webex email differs from the Slack email: refuse, or sign-in-with-slack",
    )
    slack_client_id: str | None = Field(
        default=None,
        validate_default=True,
        description="The Slack app's client ID (Basic Information), for Sign in with Slack",
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="The Slack app's client secret (Basic Information), for Sign in with Slack",
    )
    slack_state_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Installing to any number of workspaces: the key of the install `state`s' digests",
    )
    oauth_state_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    connect_link_ttl_hours: int = Field(default=168, ge=1, le=24 * 90)
    user_rate_limit_per_minute: int = Field(
        default=30, ge=0, le=10_000, description="Meetings one Slack user may create per minute; 0: no limit"
    )
    user_max_in_flight: int = Field(
        default=5,
        ge=0,
        le=1_000,
        description="Meeting creations one Slack user may have running at once; 0: no limit",
    )
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    log_format: str = Field(
        default="text", pattern="^(text|json)$", description="text, or json: one JSON object a line"
    )
    otel_exporter_otlp_endpoint: AnyHttpUrl | None = Field(
        default=None,
        description="OTLP/HTTP collector for OpenTelemetry traces (needs the otel extra); unset: no traces",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="When set, GET /metrics needs the header Authorization: Bearer <this token>",
    )
    reminder_default_minutes: int = Field(
        default=10,
        description="Minutes before each meeting a person hosts that the bot reminds them, until they choose "
        "(5, 10 or 15; 0: off until they turn reminders on)",
    )
    reminder_check_seconds: float = Field(
        default=30.0, ge=1, le=300, description="How often the bot looks for reminders that are due"
    )
    card_check_minutes: int = Field(
        default=10,
        ge=0,
        le=1440,
        description="How often one process checks the meetings posted in channels against Webex, so their "
        "cards follow a change or a delete made on Webex itself (0: off)",
    )
    max_request_bytes: int = Field(
        default=1024 * 1024,
        ge=16 * 1024,
        le=64 * 1024 * 1024,
        description="Largest request body accepted on any route; a larger one gets 413 before it is read",
    )
    shutdown_grace_seconds: float = Field(
        default=25.0,
        ge=0,
        le=300,
        description="On SIGTERM, how long commands in flight may take to finish before they are cut short",
    )
    command_recovery_seconds: int = Field(
        default=30,
        ge=3,
        le=3600,
        description="Seconds without a heartbeat before a process counts as dead and others finish its work",
    )
    web_concurrency: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes `webex-bot serve` starts on its port (each its own event loop); "
        "`--workers` overrides it",
    )
    housekeeping_interval_seconds: float = Field(
        default=3600.0,
        ge=1,
        le=7 * 24 * 3600,
        description="How often one of the processes removes old sign-in attempts and command records",
    )

    @field_validator("reminder_default_minutes")
    @classmethod
    def _a_lead_time(cls, value: int) -> int:
        if value not in (0, 5, 10, 15):
            raise ValueError("must be 5, 10, 15, or 0 for off")
        return value

    @field_validator("email_mismatch_policy", mode="before")
    @classmethod
    def _refuse_retired_policy(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in RETIRED_EMAIL_POLICIES:
            raise ValueError(f"{RETIRED_EMAIL_POLICIES[value.strip().lower()]}, so it is no longer accepted")
        return value

    @field_validator("slack_client_id", "slack_client_secret")
    @classmethod
    def _needed_for_sign_in_with_slack(cls, value: Any, info: ValidationInfo) -> Any:
        empty = (
            value is None
            or not (value.get_secret_value() if isinstance(value, SecretStr) else str(value)).strip()
        )
        if empty and info.data.get("email_mismatch_policy") is EmailPolicy.SIGN_IN_WITH_SLACK:
            raise ValueError("EMAIL_MISMATCH_POLICY=sign-in-with-slack needs it")
        return None if empty else value

    @field_validator("token_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("token_keys")
    @classmethod
    def _check_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        if not keys:
            raise ValueError("at least one key is needed")
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key.get_secret_value().encode())
            except (ValueError, TypeError):
                raise ValueError(
                    f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        return keys

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, url: str) -> str:
        if not url.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return url

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_in_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_workspace_or_installs(self) -> Settings:
        if self.slack_bot_token is not None:
            return self
        missing = [
            name.upper()
            for name in ("slack_client_id", "slack_client_secret", "slack_state_secret")
            if getattr(self, name) is None
        ]
        if missing:
            raise ValueError(
                "SLACK_BOT_TOKEN is missing: set it (xoxb-...) to serve one workspace, or set "
                f"{', '.join(missing)} too to install to any number of workspaces through /slack/install"
            )
        return self

    @field_validator(
        "metrics_token", "otel_exporter_otlp_endpoint", "slack_bot_token", "slack_state_secret", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # `METRICS_TOKEN=` in an env file means "none", not "a token of no characters".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, url: str) -> str:
        # slack_sdk joins the base URL with method names, so it must end with a slash.
        return url if url.endswith("/") else url + "/"

    @field_validator("webex_api", mode="before")
    @classmethod
    def _api_in_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("webex_scopes", mode="before")
    @classmethod
    def _blank_scopes_are_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.replace("+", " ").strip() else value

    @property
    def installs_to_any_workspace(self) -> bool:
        """No bot token of its own: every workspace installs the app through Slack's OAuth flow."""
        return self.slack_bot_token is None

    @property
    def slack_install_callback_url(self) -> str:
        """Where Slack sends the browser back after an install (the manifest's redirect URL)."""
        return f"{self.base_url}/slack/oauth_redirect"

    @property
    def slack_install_authorize_url(self) -> str:
        """Slack's install (authorize) page, on the host of SLACK_API_URL (a stand-in in tests)."""
        return self.slack_api_url.removesuffix("/").removesuffix("/api") + "/oauth/v2/authorize"

    @property
    def scopes(self) -> tuple[str, ...]:
        chosen = self.webex_scopes if self.webex_scopes is not None else DEFAULT_SCOPES[self.webex_api]
        return tuple(scope for scope in chosen.replace("+", " ").split() if scope)

    @property
    def webex_rest_base(self) -> str:
        return str(self.webex_rest_url).rstrip("/")

    @property
    def base_url(self) -> str:
        return str(self.public_base_url).rstrip("/")

    @property
    def callback_url(self) -> str:
        return f"{self.base_url}/webex/oauth/callback"

    @property
    def slack_sign_in_url(self) -> str:
        """Slack's Sign in with Slack authorize page, on the host of SLACK_API_URL (a stand-in in tests)."""
        return self.slack_api_url.removesuffix("/").removesuffix("/api") + "/openid/connect/authorize"

    @property
    def slack_sign_in_callback_url(self) -> str:
        return f"{self.base_url}/slack/sign-in/callback"

    @property
    def summary(self) -> str:
        """What this process serves, for the operator's log when it is ready (no secret in it)."""
        if self.webex_api is WebexApi.REST:
            webex = f"Webex REST API at {self.webex_rest_base}"
        else:
            site = self.webex_site or "<each person's site>"
            webex = f"Webex XML API at {self.webex_xml_url.replace('{site}', site)}"
        slack = "one workspace" if self.slack_bot_token is not None else "any workspace that installs it"
        return (
            f"{webex}; {self._database_summary}; Slack requests at {self.base_url}/slack/events for {slack}"
        )

    @property
    def _database_summary(self) -> str:
        try:
            database = make_url(self.database_url)
        except ArgumentError:
            return "the database at DATABASE_URL"
        backend = database.get_backend_name()
        if backend == "sqlite":
            return f"sqlite database file {database.database}"
        return f"{backend} database {database.host or 'localhost'}/{database.database}"

    @property
    def webex_token_url(self) -> str:
        if self.webex_api is WebexApi.REST:
            return self.webex_rest_base + "/access_token"
        return str(self.webex_oauth_url).rstrip("/") + "/token"


_HINTS = {
    "slack_bot_token": "the bot token, xoxb-...",
    "slack_signing_secret": "the signing secret from the Slack app's Basic Information page",
    "webex_client_id": "the Webex integration's client ID",
    "webex_client_secret": "the Webex integration's client secret",
    "public_base_url": "the bot's public URL, e.g. https://bot.example.com",
    "token_keys": 'one or more Fernet keys, comma separated; make one with python -c "from '
    'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"',
    "database_url": "sqlite+aiosqlite:///./webex-bot.db or postgresql+asyncpg://user@host/db",
    "email_mismatch_policy": "refuse or sign-in-with-slack",
    "slack_client_id": "the Slack app's client ID (Basic Information page)",
    "slack_client_secret": "the Slack app's client secret (Basic Information page)",
    "log_format": "text or json",
    "webex_api": "xml or rest",
    "webex_rest_url": "the REST API's base URL, e.g. https://webexapis.com/v1",
    "otel_exporter_otlp_endpoint": "the collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318",
    "metrics_token": "at least 16 characters, or leave it unset",
    "slack_state_secret": 'at least 32 random characters, e.g. python -c "import secrets; '
    'print(secrets.token_urlsafe(32))"',
    "user_rate_limit_per_minute": "a whole number, 0 for no limit",
    "user_max_in_flight": "a whole number, 0 for no limit",
    "reminder_default_minutes": "5, 10, 15, or 0 for off",
    "card_check_minutes": "a whole number of minutes up to 1440, or 0 for off",
    "max_request_bytes": "a number of bytes from 16384 to 67108864 (the default is 1048576, 1 MiB)",
}


class SettingsError(Exception):
    """A missing or malformed setting, described in one line."""


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or raise SettingsError naming every bad variable and what each should be: an
    operator fixes them all in one go, rather than one per start."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = [_problem(found) for found in error.errors()]
        if len(problems) == 1:
            raise SettingsError(problems[0]) from None
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise SettingsError(f"{len(problems)} settings need fixing:\n{lines}") from None


def _problem(found: Any) -> str:
    """One setting's problem in one line."""
    if not found["loc"]:
        # A rule across settings: its message names the variables itself.
        return str(found["msg"]).removeprefix("Value error, ")
    field = str(found["loc"][0])
    hint = _HINTS.get(field, "")
    problem = "is missing" if found["type"] == "missing" else f"is not valid ({found['msg']})"
    suffix = f"; expected {hint}" if hint else ""
    return f"{field.upper()} {problem}{suffix}"
