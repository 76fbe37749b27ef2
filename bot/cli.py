"""The `webex-bot` command: serve, socket, db, emulator, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bot import version
from bot.cli_help import HelpWithDefaults
from bot.config import Settings, SettingsError, load_settings

# The distribution's name on the installer's side (pyproject's [project] name); the command is webex-bot.


def _settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"webex-bot: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if settings.otel_exporter_otlp_endpoint is not None:
        from bot.observability import INSTALL_HINT, tracing_installed

        if not tracing_installed():
            print(
                "webex-bot: OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed; "
                f"{INSTALL_HINT}, or unset the variable",
                file=sys.stderr,
            )
            raise SystemExit(2)
    return settings


def _configure_logging(settings: Settings) -> dict[str, Any]:
    """LOG_LEVEL and LOG_FORMAT for every logger, uvicorn's and its access log included; the same
    set-up goes to uvicorn, which applies it again when it starts."""
    import logging.config

    from bot.web.access_log import uvicorn_log_config

    config = uvicorn_log_config(settings.log_level, settings.log_format)
    logging.config.dictConfig(config)
    return config


def _keys(settings: Settings) -> list[str]:
    return [key.get_secret_value() for key in settings.token_keys]


async def _start_checks(settings: Settings, migrate: bool) -> None:
    from bot.domain.clock import SystemClock
    from bot.store.crypto import TokenCipher
    from bot.store.database import Database, upgrade
    from bot.store.links import LinkStore

    if migrate:
        await upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        await LinkStore(database, TokenCipher(_keys(settings)), SystemClock()).check_keys()
    finally:
        await database.dispose()


def _checked_or_exit(settings: Settings, *, migrate: bool) -> None:
    """Migrate and read a sample of the stored links before serving: a bad key or database is one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.crypto import UndecryptableToken
    from bot.store.database import DatabaseUnavailable

    try:
        asyncio.run(_start_checks(settings, migrate))
    except UndecryptableToken as error:
        print(f"webex-bot: TOKEN_KEYS cannot read the stored Webex links: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except (DatabaseUnavailable, SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"webex-bot: the database at DATABASE_URL cannot be used: {reason}", file=sys.stderr)
        raise SystemExit(1) from None


def serve(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    workers = args.workers if args.workers is not None else settings.web_concurrency
    log_config = _configure_logging(settings)
    # Migrations run here, once, before any worker starts; the workers only use the database.
    _checked_or_exit(settings, migrate=not args.no_migrate)
    import uvicorn

    options: dict[str, Any] = dict(
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        access_log=args.access_log,
        timeout_graceful_shutdown=30,
        lifespan="on",
    )
    if workers == 1:
        from bot.web.app import create_app

        uvicorn.run(create_app(settings, migrate=False, whole_process=True), log_config=log_config, **options)
        return 0
    from bot.observability.logs import with_worker_field

    with shared_metrics_folder():
        # Each worker is a fresh process that builds its own app from the same environment.
        uvicorn.run(
            "bot.web.app:create_worker_app",
            factory=True,
            workers=workers,
            log_config=with_worker_field(log_config),
            **options,
        )
    return 0


@contextlib.contextmanager
def shared_metrics_folder() -> Iterator[Path]:
    """PROMETHEUS_MULTIPROC_DIR for the workers: the operator's folder, emptied of a previous run's
    files (prometheus-client requires that), or a private one removed at exit."""
    from bot.observability.metrics import MULTIPROCESS_DIR

    given = os.environ.get(MULTIPROCESS_DIR)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="webex-bot-metrics-") as made:
        os.environ[MULTIPROCESS_DIR] = made
        try:
            yield Path(made)
        finally:
            del os.environ[MULTIPROCESS_DIR]


def socket(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    if settings.slack_app_token is None:
        print("webex-bot: SLACK_APP_TOKEN is missing; expected an app-level token, xapp-...", file=sys.stderr)
        return 2
    log_config = _configure_logging(settings)
    _checked_or_exit(settings, migrate=not args.no_migrate)
    import uvicorn

    from bot.web.app import create_app

    app = create_app(settings, migrate=False, socket_mode=True, whole_process=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        log_config=log_config,
        lifespan="on",
    )
    return 0


def db(args: argparse.Namespace) -> int:
    from bot.store.database import upgrade
    from bot.store.rotation import reencrypt_tokens

    settings = _settings_or_exit()
    _configure_logging(settings)
    if args.action == "upgrade":
        asyncio.run(upgrade(settings.database_url))
        print("database is up to date")
    else:
        from bot.store.crypto import UndecryptableToken

        try:
            count = asyncio.run(reencrypt_tokens(settings.database_url, _keys(settings)))
        except UndecryptableToken as error:
            print(f"webex-bot: TOKEN_KEYS cannot read the stored Webex links: {error}", file=sys.stderr)
            return 2
        print(f"re-encrypted {count} stored secrets with the newest key")
    return 0


def _developer_tool(command: str, argv: Sequence[str]) -> int:
    """`webex-bot emulator` and `webex-bot sandbox`, which installations without them explain."""
    try:
        if command == "emulator":
            from bot.emulator.cli import run
        else:
            from bot.sandbox.cli import run
    except ModuleNotFoundError as error:
        if error.name not in (f"bot.{command}", f"bot.{command}.cli"):
            raise
        print(
            f"webex-bot: the {command} is not part of this installation (the production image leaves out "
            "the Webex emulator and the sandbox). Run it from a clone of the repository: "
            f"pip install -e . && webex-bot {command}",
            file=sys.stderr,
        )
        return 2
    return run(list(argv))


MAX_WORKERS = 64


def positive_workers(value: str) -> int:
    """`--workers`: a whole number from 1 to MAX_WORKERS."""
    try:
        workers = int(value)
    except ValueError:
        workers = 0
    if not 1 <= workers <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a number of workers; give a whole number from 1 to {MAX_WORKERS} "
            "(about one per CPU core)"
        )
    return workers


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webex-bot", description="Run your Webex meetings from Slack.", formatter_class=HelpWithDefaults
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help, formatter_class=HelpWithDefaults)

    serve_parser = command("serve", "serve Slack's HTTP requests and the OAuth pages")
    serve_parser.add_argument("--host", default="0.0.0.0", help="address to listen on")
    serve_parser.add_argument("--port", type=int, default=3000, help="port to listen on")
    serve_parser.add_argument(
        "--no-migrate", action="store_true", help="do not apply database migrations at start"
    )
    serve_parser.add_argument("--access-log", action="store_true", help="log every HTTP request")
    serve_parser.add_argument(
        "--workers",
        type=positive_workers,
        default=None,
        metavar="N",
        help="worker processes on the port, each its own event loop (default: WEB_CONCURRENCY, else 1)",
    )
    serve_parser.set_defaults(run=serve)

    socket_parser = command("socket", "take Slack's traffic over Socket Mode (development)")
    socket_parser.add_argument("--host", default="127.0.0.1", help="where the OAuth callback is served")
    socket_parser.add_argument("--port", type=int, default=3000, help="port of the OAuth callback")
    socket_parser.add_argument(
        "--no-migrate", action="store_true", help="do not apply database migrations at start"
    )
    socket_parser.set_defaults(run=socket)

    db_parser = command("db", "database maintenance")
    db_parser.add_argument(
        "action", choices=["upgrade", "reencrypt"], help="apply migrations / re-encrypt tokens"
    )
    db_parser.set_defaults(run=db)

    command("emulator", "run a local Webex site (see webex-bot emulator --help)")
    command("sandbox", "try the bot without Slack or Webex (see webex-bot sandbox --help)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("emulator", "sandbox"):
        return _developer_tool(argv[0], argv[1:])
    args = _parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
