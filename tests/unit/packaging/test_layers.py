"""The seams hold: no import cycle in bot/, only the composition root picks a backend, the emulator
is an independent implementation of Webex, and the modules that change most stay small."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BOT = ROOT / "bot"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in BOT.rglob("*.py")}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, *, runtime_only: bool) -> Iterator[str]:
    """Every bot module `module` imports (function-local imports included; under TYPE_CHECKING not)."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if runtime_only and isinstance(node, ast.If) and _type_checking_only(node):
            # Drop the guarded imports from the walk by blanking the body.
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from bot.slack import accounts` imports the submodule bot.slack.accounts (the package
                # itself is already being run by then); `from bot.slack import texts, app` likewise.
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in MODULES else base


def bot_imports(module: str, *, runtime_only: bool = True) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    return {name for name in _imports(tree, module, runtime_only=runtime_only) if name in MODULES}


GRAPH = {module: bot_imports(module) - {module} for module in MODULES}


def find_cycle() -> list[str] | None:
    """One import cycle among bot's modules (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(GRAPH[module]):
            # A package's __init__ is run before its submodules: importing a.b also imports a.
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state:
                found = visit(imported)
                if found:
                    return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    GRAPH["bot.domain.clock"].add("bot.domain.meetings")
    GRAPH["bot.domain.meetings"].add("bot.domain.clock")
    try:
        assert find_cycle() is not None
    finally:
        GRAPH["bot.domain.clock"].discard("bot.domain.meetings")
        GRAPH["bot.domain.meetings"].discard("bot.domain.clock")


def test_no_module_in_bot_imports_itself_back() -> None:
    cycle = find_cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("layer", ["bot.services", "bot.slack", "bot.web", "bot.domain"])
def test_only_the_composition_root_knows_the_webex_xml_backend(layer: str) -> None:
    offenders = {
        module: sorted(
            name for name in bot_imports(module, runtime_only=False) if name.startswith("bot.webex")
        )
        for module in MODULES
        if module == layer or module.startswith(layer + ".")
    }
    assert {module: names for module, names in offenders.items() if names} == {}
    for module in offenders:
        assert "bot.webex" not in MODULES[module].read_text(), f"{module} names bot.webex"


def test_the_domain_imports_nothing_but_the_domain() -> None:
    outside = {
        module: sorted(name for name in GRAPH[module] if not name.startswith("bot.domain"))
        for module in MODULES
        if module.startswith("bot.domain.")
    }
    assert {module: names for module, names in outside.items() if names} == {}


def test_the_emulator_shares_no_code_with_the_bot() -> None:
    """A fake that imported the bot's tables would mirror the bot's mistakes and pass every test."""
    borrowed = {
        module: sorted(
            name
            for name in bot_imports(module, runtime_only=False)
            if name != "bot" and not name.startswith("bot.emulator")
        )
        for module in MODULES
        if module.startswith("bot.emulator")
    }
    assert {module: names for module, names in borrowed.items() if names} == {}


@pytest.mark.parametrize("folder", ["services", "slack"])
def test_modules_stay_small_enough_to_read(folder: str) -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (BOT / folder).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
