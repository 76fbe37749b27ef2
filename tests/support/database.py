"""Test fixtures: database (filled in by its area)."""
