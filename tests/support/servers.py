"""Test fixtures: servers (filled in by its area)."""
