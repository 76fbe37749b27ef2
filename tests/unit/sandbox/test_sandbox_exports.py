"""The sandbox package's public surface is what `__all__` says, sorted, and every name resolves."""

from __future__ import annotations

import bot.sandbox


def test_all_is_sorted_and_complete() -> None:
    exported = bot.sandbox.__all__
    assert exported == sorted(exported, key=lambda name: (not name.isupper(), name))
    for name in exported:
        assert getattr(bot.sandbox, name) is not None
