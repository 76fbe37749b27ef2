"""Test fixtures: emulator (filled in by its area)."""
