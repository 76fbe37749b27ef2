"""The README's settings table names every setting the bot reads, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings

README = Path(__file__).resolve().parents[3] / "README.md"


def test_every_setting_is_documented_in_the_readme_table() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(), flags=re.MULTILINE)
    assert sorted(rows) == sorted(name.upper() for name in Settings.model_fields)
