"""The declared dependencies are the ones the code uses, and constraints.txt pins every one of them."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REFRESH = "run `pip-compile` in the checkout (pip-tools, in the dev extra) and commit constraints.txt"

# Runtime dependencies that no module imports by name, and why they are needed all the same.
USED_WITHOUT_IMPORT = {
    "aiosqlite": "SQLAlchemy's driver for sqlite+aiosqlite:// URLs",
    "asyncpg": "SQLAlchemy's driver for postgresql+asyncpg:// URLs",
    "tzdata": "the time-zone data zoneinfo reads where the system has none (slim images, Windows)",
    "httptools": "uvicorn's fast HTTP parser, picked up when installed",
    "uvloop": "uvicorn's fast event loop, picked up when installed",
}


def requirements(*extras: str) -> list[Requirement]:
    listed = list(PROJECT["dependencies"])
    for extra in extras:
        listed += PROJECT["optional-dependencies"][extra]
    return [Requirement(line) for line in listed]


def imported_providers() -> dict[str, set[str]]:
    """Each top-level name bot/ imports, with the installed distributions that provide it.

    A namespace package (``opentelemetry``) is provided by several distributions at once.
    """
    top_level: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                top_level.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                top_level.add(node.module.split(".")[0])
    providers = importlib.metadata.packages_distributions()
    # The project itself provides `bot` (under any name it was installed as, old checkouts included).
    top_level.discard("bot")
    return {
        name: {canonicalize_name(dist) for dist in providers.get(name, [])}
        for name in top_level - set(sys.stdlib_module_names)
    }


def imported_distributions() -> set[str]:
    """The distributions whose modules bot/ imports, by the installed packages' own top-level names."""
    return set().union(*imported_providers().values())


def pins() -> dict[str, str]:
    pinned: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"constraints.txt: {line!r} is not an exact pin"
            pinned[canonicalize_name(requirement.name)] = specifier.version
    return pinned


def test_every_runtime_dependency_is_used() -> None:
    imported = imported_distributions()
    unused = [
        requirement.name
        for requirement in requirements()
        if canonicalize_name(requirement.name) not in imported and requirement.name not in USED_WITHOUT_IMPORT
    ]
    assert not unused, (
        f"declared in pyproject.toml but never imported by bot/ (or not installed here: "
        f"pip install -e '.[dev]'): {unused}"
    )


def test_nothing_is_imported_that_is_not_declared() -> None:
    # Optional features (the otel extra) may import what only their extra declares.
    extras = [extra for extra in PROJECT["optional-dependencies"] if extra != "dev"]
    declared = {canonicalize_name(requirement.name) for requirement in requirements(*extras)}
    undeclared = {
        name for name, providers in imported_providers().items() if providers and not providers & declared
    }
    # A distribution the code imports but gets only through another one breaks when that one drops it.
    assert not undeclared, (
        f"bot/ imports these without declaring them in pyproject.toml: {sorted(undeclared)}"
    )


def test_constraints_pin_every_declared_dependency_within_its_range() -> None:
    pinned = pins()
    for requirement in requirements(*PROJECT["optional-dependencies"]):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"constraints.txt does not pin {requirement.name}: {REFRESH}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pinned[name]}, outside {requirement}: {REFRESH}"
        )


def test_constraints_carry_no_machine_specific_index() -> None:
    # An index or find-links line from one machine's pip set-up would break installs everywhere else.
    text = (ROOT / "constraints.txt").read_text()
    assert "--index-url" not in text
    assert "--extra-index-url" not in text
    assert "--find-links" not in text
    assert canonicalize_name(PROJECT["name"]) not in pins(), "the project itself must not be pinned"


def test_unused_dependencies_stay_out() -> None:
    # dateparser (with regex, pytz, tzlocal) and python-multipart were once declared and never imported.
    everything = {canonicalize_name(r.name) for r in requirements(*PROJECT["optional-dependencies"])}
    assert not everything & {"dateparser", "types-dateparser", "python-multipart"}
    assert not set(pins()) & {"dateparser", "python-multipart", "regex", "tzlocal"}
