"""Test fixtures: slack (filled in by its area)."""
