"""The Dockerfile, .dockerignore and compose.yaml build and run the image README's Deploying section promises.

No container engine runs where these tests run, so they read the files; CI also lints the Dockerfile with
hadolint.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[3]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def stages() -> dict[str, list[tuple[str, str]]]:
    """Each build stage's instructions by its name, in order (the global ARGs under "")."""
    named: dict[str, list[tuple[str, str]]] = {"": []}
    current = ""
    for keyword, rest in instructions():
        if keyword == "FROM":
            current = rest.split(" AS ")[-1] if " AS " in rest else rest
            named[current] = []
        named[current].append((keyword, rest))
    return named


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_the_base_image_is_pinned_by_version_and_digest() -> None:
    (arg,) = [rest for keyword, rest in stages()[""] if keyword == "ARG"]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", arg)
    bases = [rest.split()[0] for keyword, rest in instructions() if keyword == "FROM"]
    # Every stage starts from the pinned base or from another stage, never from a floating tag.
    assert all(base == "${PYTHON_IMAGE}" or base in stages() for base in bases)


def test_dependencies_install_from_the_constraints_before_the_code_is_copied() -> None:
    dependencies = stages()["dependencies"]
    copied = [rest for keyword, rest in dependencies if keyword == "COPY"]
    assert copied == ["pyproject.toml constraints.txt ./"]
    (install,) = [rest for keyword, rest in dependencies if keyword == "RUN"]
    assert "--constraint constraints.txt" in install
    # The runtime image takes its packages from that stage: a code change leaves the layer cached.
    runtime = stages()["runtime"]
    assert ("COPY", "--from=dependencies /opt/webex-bot /opt/webex-bot") in runtime
    assert not any(keyword == "COPY" and "bot" in rest.split()[0] for keyword, rest in runtime)


def test_the_production_image_leaves_out_the_emulator_and_the_sandbox() -> None:
    assert list(stages())[-1] == "production", "docker build without --target must give the production image"
    (remove,) = [rest for keyword, rest in stages()["wheel-production"] if keyword == "RUN"]
    assert remove.startswith("rm -r bot/emulator bot/sandbox &&")
    production = " ".join(rest for _, rest in stages()["production"])
    assert "from=wheel-production" in production
    assert "wheel-full" not in production


def test_the_production_image_labels_stop_signal_user_and_health() -> None:
    production = stages()["production"]
    labels = " ".join(rest for keyword, rest in production if keyword == "LABEL")
    for key in ("title", "description", "version", "revision", "licenses", "base.name"):
        assert f"org.opencontainers.image.{key}=" in labels
    assert ("ARG", f"VERSION={VERSION}") in production, "the image's version label must follow pyproject's"
    assert ("STOPSIGNAL", "SIGTERM") in production
    assert ("USER", "10001:10001") in production
    assert any(keyword == "HEALTHCHECK" and "/healthz" in rest for keyword, rest in production)
    assert production[-1] == ("CMD", '["webex-bot", "serve", "--host", "0.0.0.0", "--port", "3000"]')


def test_the_build_context_is_an_allowlist_without_secrets() -> None:
    rules = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert rules[0] == "*", "everything is left out unless named, so .env and databases never reach a build"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert allowed == {"bot", "pyproject.toml", "constraints.txt", "README.md", "LICENSE"}
    copied = " ".join(rest for keyword, rest in instructions() if keyword == "COPY" and "--from" not in rest)
    for name in allowed:
        assert name in copied, f"{name} is in the build context but no COPY uses it"


def test_compose_runs_the_bot_on_postgresql_with_health_checks() -> None:
    services = compose()["services"]
    assert set(services) == {"bot", "postgres", "emulator"}
    bot, postgres = services["bot"], services["postgres"]
    assert bot["build"]["target"] == "production"
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://webexbot:")
    assert "@postgres:5432/webexbot" in bot["environment"]["DATABASE_URL"]
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert re.fullmatch(r"postgres:\d+\.\d+-bookworm", postgres["image"]), (
        "PostgreSQL pinned to a minor release"
    )
    assert "postgres-data" in compose()["volumes"]
    # No password in the file: compose stops with this message when .env does not set one.
    assert (
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}" in postgres["environment"]["POSTGRES_PASSWORD"]
    )


def test_compose_gives_the_bot_time_to_drain() -> None:
    grace = compose()["services"]["bot"]["stop_grace_period"]
    seconds = int(grace.removesuffix("s"))
    defaults = Settings.model_fields
    # A request in flight may wait for one Webex call, then running commands get the shutdown grace.
    needed = defaults["webex_timeout_seconds"].default + defaults["shutdown_grace_seconds"].default
    assert seconds >= needed + 5
    readme = (ROOT / "README.md").read_text()
    assert f"--stop-timeout {seconds}" in readme, "README's docker run line must use the same stop timeout"


def test_the_emulator_is_an_opt_in_profile() -> None:
    emulator = compose()["services"]["emulator"]
    assert emulator["profiles"] == ["emulator"]
    assert emulator["build"]["target"] == "emulator"
    assert emulator["network_mode"] == "service:bot"
    assert "/healthz" in " ".join(emulator["healthcheck"]["test"])
    assert "127.0.0.1:8900:8900" in compose()["services"]["bot"]["ports"], (
        "the consent page, on loopback only"
    )


@pytest.mark.parametrize("service", ["bot", "postgres", "emulator"])
def test_every_service_has_a_health_check(service: str) -> None:
    check = compose()["services"][service]["healthcheck"]
    assert check["test"][0] == "CMD"
    assert {"interval", "timeout", "retries"} <= set(check)
