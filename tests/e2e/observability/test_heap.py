"""The garbage collector and the app: only a process that is nothing but the bot freezes its heap."""

from __future__ import annotations

import gc
from typing import Any


async def test_an_app_built_inside_another_program_leaves_its_heap_alone(bot_factory: Any) -> None:
    # Freezing a test runner's whole heap at every app start made each start walk all of it.
    frozen = gc.get_freeze_count()
    bot = await bot_factory()
    assert (await bot.get("/readyz")).status_code == 200
    assert gc.get_freeze_count() == frozen
