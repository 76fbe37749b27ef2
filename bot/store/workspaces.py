"""The columns that key a row by workspace: a workspace key is stored as its enterprise and team ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from bot.domain.workspaces import Workspace


def columns(key: str) -> dict[str, str]:
    """The values of `enterprise_id` and `team_id` for a workspace key."""
    workspace = Workspace.from_key(key)
    return {"enterprise_id": workspace.enterprise_id, "team_id": workspace.team_id}


def where(table: Any, key: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Conditions that select the rows of one workspace (`table`: a mapped class or a table's columns)."""
    workspace = Workspace.from_key(key)
    return (table.enterprise_id == workspace.enterprise_id, table.team_id == workspace.team_id)


def key_of(row: Any) -> str:
    """The workspace key of a stored row."""
    return Workspace(str(row.enterprise_id or ""), str(row.team_id or "")).key
