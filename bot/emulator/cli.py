"""`webex-bot emulator`: serve a ready-made Webex site on loopback, shaped by flags or a config file."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.emulator.app import create_app
from bot.emulator.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_NAME,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SITE,
    DEFAULT_USERS,
    Emulator,
    UserSeed,
)
from bot.emulator.faults import Fault
from bot.emulator.help_format import HelpWithDefaults
from bot.emulator.schema import SchemaUnavailable
from bot.emulator.timezones import UnknownTimeZone, zone_by_id

XSD_ENV = "WEBEX_XSD_DIR"


class ConfigError(ValueError):
    """A flag or config-file value the emulator cannot use."""


@dataclass
class EmulatorConfig:
    """Everything `webex-bot emulator` can be told; defaults give the sandbox site."""

    host: str = "127.0.0.1"
    port: int = 8900
    site: str = DEFAULT_SITE
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    client_name: str = DEFAULT_CLIENT_NAME
    redirect_uris: list[str] = field(default_factory=list)
    users: list[UserSeed] = field(default_factory=lambda: list(DEFAULT_USERS))
    public_url: str = ""
    xsd_dir: str | None = None
    strict: bool = False
    rest_strict: bool = False
    rotate_refresh_tokens: bool = True
    refresh_token_site_prefix: bool = True
    minimal_token_response: bool = False
    latency: float = 0.0
    seed: int | None = None
    quiet: bool = False


def parse_user(text: str) -> UserSeed:
    """`EMAIL[,First Last[,TIMEZONE_ID]]`, e.g. `carol@acme.example,Carol Chen,45`."""
    parts = [part.strip() for part in text.split(",")]
    email = parts[0]
    if "@" not in email:
        raise ConfigError(f"--user needs an e-mail first, got {text!r}")
    first, _, last = (parts[1] if len(parts) > 1 else "").partition(" ")
    zone = _zone(parts[2] if len(parts) > 2 and parts[2] else 20, f"--user {text}")
    return UserSeed(email, first, last, zone)


def _zone(value: object, where: str) -> int:
    try:
        return zone_by_id(int(str(value))).id
    except (ValueError, UnknownTimeZone):
        raise ConfigError(f"{where}: time zone must be a Webex timeZoneID 0-61, got {value!r}") from None


def _user_from_mapping(entry: dict[str, Any]) -> UserSeed:
    if "email" not in entry:
        raise ConfigError(f"every [[users]] entry needs an email, got {entry!r}")
    return UserSeed(
        email=str(entry["email"]),
        first_name=str(entry.get("first_name", "")),
        last_name=str(entry.get("last_name", "")),
        time_zone_id=_zone(entry.get("time_zone_id", 20), f"user {entry['email']}"),
        webex_id=entry.get("webex_id"),
        site_admin=bool(entry.get("site_admin", False)),
    )


def load_config_file(path: Path, config: EmulatorConfig) -> None:
    """Apply a JSON or TOML file (by extension; TOML otherwise) on top of `config`."""
    try:
        text = path.read_bytes()
        data: dict[str, Any] = (
            json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text.decode())
        )
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"{path} is not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {error}"
        ) from None
    client = data.pop("client", {})
    users = data.pop("users", None)
    for name, value in data.items():
        if not hasattr(config, name) or name == "users":
            raise ConfigError(f"{path}: unknown setting {name!r}")
        setattr(config, name, value)
    for name, value in client.items():
        attribute = {"id": "client_id", "secret": "client_secret", "name": "client_name"}.get(name, name)
        if attribute not in ("client_id", "client_secret", "client_name", "redirect_uris"):
            raise ConfigError(f"{path}: unknown client setting {name!r}")
        setattr(config, attribute, value)
    if users is not None:
        config.users = [_user_from_mapping(entry) for entry in users]


def _parser() -> argparse.ArgumentParser:
    # The flags default to None so that a config file's values are not overwritten; the help shows the
    # defaults the emulator falls back to.
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="webex-bot emulator",
        description="Run a local Webex site: the OAuth server, the XML API and the /_emulator/ controls.",
        formatter_class=HelpWithDefaults,
    )
    parser.add_argument("--config", type=Path, help="a JSON or TOML file with any of the settings below")
    parser.add_argument("--host", help=f"address to listen on (default: {defaults.host})")
    parser.add_argument(
        "--port", type=int, help=f"port to listen on; 0 picks a free one (default: {defaults.port})"
    )
    parser.add_argument("--site", help=f"the site name (default: {defaults.site})")
    parser.add_argument("--client-id", help=f"OAuth client id (default: {defaults.client_id})")
    parser.add_argument("--client-secret", help=f"OAuth client secret (default: {defaults.client_secret})")
    parser.add_argument(
        "--client-name", help=f"the app name the consent page shows (default: {defaults.client_name})"
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="an extra exact redirect URI (loopback ones always work)",
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL[,First Last[,TZ]]",
        help="a site user (repeat; replaces the default users: "
        + ", ".join(user.email for user in defaults.users)
        + ")",
    )
    parser.add_argument(
        "--public-url", help="base of the meeting links it hands out (default: its own address)"
    )
    parser.add_argument("--xsd-dir", help=f"the Webex XSD folder, for --strict (default: ${XSD_ENV})")
    parser.add_argument(
        "--strict", action="store_true", default=None, help="validate requests against the XSD"
    )
    parser.add_argument(
        "--rest-strict",
        action="store_true",
        default=None,
        help="check REST requests and responses against Cisco's OpenAPI description",
    )
    parser.add_argument(
        "--no-rotate-refresh-tokens", action="store_true", help="keep refresh tokens on refresh"
    )
    parser.add_argument(
        "--no-refresh-token-prefix", action="store_true", help="refresh tokens without 'site_'"
    )
    parser.add_argument(
        "--minimal-token-response",
        action="store_true",
        help="answer only access_token, refresh_token, expires_in",
    )
    parser.add_argument(
        "--latency", type=float, help=f"seconds added to every XML call (default: {defaults.latency})"
    )
    parser.add_argument(
        "--seed", type=int, help="seed for meeting keys, for repeatable runs (default: random)"
    )
    parser.add_argument("--quiet", action="store_true", help="no log line per request")
    return parser


def build_config(argv: Sequence[str]) -> EmulatorConfig:
    """Defaults, then the config file, then flags."""
    args = _parser().parse_args(list(argv))
    config = EmulatorConfig(xsd_dir=os.environ.get(XSD_ENV) or None)
    if args.config is not None:
        load_config_file(args.config, config)
    for name in ("host", "port", "site", "client_id", "client_secret", "client_name", "public_url"):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    for name in ("xsd_dir", "strict", "rest_strict", "latency", "seed"):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    if args.redirect_uri:
        config.redirect_uris = [*config.redirect_uris, *args.redirect_uri]
    if args.user:
        config.users = [parse_user(text) for text in args.user]
    if args.no_rotate_refresh_tokens:
        config.rotate_refresh_tokens = False
    if args.no_refresh_token_prefix:
        config.refresh_token_site_prefix = False
    if args.minimal_token_response:
        config.minimal_token_response = True
    if args.quiet:
        config.quiet = True
    if not 0 <= int(config.port) <= 65535:
        raise ConfigError(f"port must be 0-65535, got {config.port}")
    return config


def build_emulator(config: EmulatorConfig, public_url: str) -> Emulator:
    emulator = Emulator.with_defaults(
        site=config.site,
        client_id=config.client_id,
        client_secret=config.client_secret,
        client_name=config.client_name,
        users=config.users,
        redirect_uris=config.redirect_uris,
        xsd_dir=config.xsd_dir,
        strict=bool(config.strict),
        rotate_refresh_tokens=config.rotate_refresh_tokens,
        refresh_token_site_prefix=config.refresh_token_site_prefix,
        minimal_token_response=config.minimal_token_response,
        public_url=config.public_url or public_url,
        seed=config.seed,
        rest_strict=bool(config.rest_strict),
    )
    if config.latency:
        emulator.add_fault(Fault.latency(float(config.latency)))
    return emulator


def _banner(emulator: Emulator, config: EmulatorConfig, url: str) -> str:
    rows = []
    for seed in config.users:
        name = f"{seed.first_name} {seed.last_name}".strip()
        rows.append(f"    {seed.email:<32} {name:<20} {zone_by_id(seed.time_zone_id).name}")
    users = "\n".join(rows)
    return (
        f"Webex emulator listening on {url}  (site {config.site}; this is not Cisco Webex)\n"
        f"  authorize   {url}/v1/oauth2/authorize\n"
        f"  token       {url}/v1/oauth2/token\n"
        f"  XML API     {url}/WBXService/XMLService\n"
        f"  REST API    {url}/v1  (authorize {url}/v1/authorize, token {url}/v1/access_token)\n"
        f"  controls    {url}/_emulator\n"
        f"  client      {config.client_id} / {config.client_secret}"
        " (any http://localhost or http://127.0.0.1 redirect URI)\n"
        f"  strict      {'on' if emulator.strict else 'off'}"
        f" (REST strict {'on' if emulator.rest.strict else 'off'})\n"
        f"  users\n{users}"
    )


def run(argv: list[str]) -> int:
    """The body of `webex-bot emulator`; returns the exit status."""
    import uvicorn

    sock: socket.socket | None = None
    try:
        config = build_config(argv)
        sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((config.host, int(config.port)))
            # Listening before uvicorn starts lets clients that read the banner connect at once.
            sock.listen(2048)
        except OSError as error:
            raise ConfigError(f"cannot listen on {config.host}:{config.port}: {error.strerror}") from None
        port = sock.getsockname()[1]
        shown_host = f"[{config.host}]" if ":" in config.host else config.host
        url = f"http://{shown_host}:{port}"
        emulator = build_emulator(config, url)
    except (ConfigError, SchemaUnavailable, ValueError, KeyError) as error:
        if sock is not None:
            sock.close()
        print(f"webex-bot emulator: {error}", file=sys.stderr)
        return 2
    level = logging.WARNING if config.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(message)s", stream=sys.stdout)
    print(_banner(emulator, config, url), flush=True)
    server = uvicorn.Server(
        uvicorn.Config(create_app(emulator), log_level="warning", access_log=False, lifespan="off", ws="none")
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0
