"""Shared test set-up: fixtures live in tests/support, one module per area."""

pytest_plugins = [
    "tests.support.paths",
    "tests.support.database",
    "tests.support.emulator",
    "tests.support.slack",
    "tests.support.servers",
]
