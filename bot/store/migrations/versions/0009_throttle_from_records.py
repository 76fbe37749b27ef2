"""The throttle counts the idempotency records: its tables go, the records get an index by user and age."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_throttle_from_records"
down_revision: str | None = "0008_workspaces"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BY_USER = ["enterprise_id", "team_id", "user_id"]


def upgrade() -> None:
    # The new index starts with the old one's columns, so it serves every query the old one did.
    op.create_index(
        "ix_operations_enterprise_id_team_id_user_id_created_at", "operations", [*_BY_USER, "created_at"]
    )
    op.drop_index("ix_operations_enterprise_id_team_id_user_id", table_name="operations")
    op.drop_index("ix_throttle_slots_enterprise_id_team_id_user_id_started_at", table_name="throttle_slots")
    op.drop_table("throttle_slots")
    op.drop_table("throttle_users")


def downgrade() -> None:
    # Places taken before the downgrade are not brought back: the throttle starts counting afresh.
    op.create_table(
        "throttle_users",
        sa.Column("enterprise_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*_BY_USER, name=op.f("pk_throttle_users")),
    )
    op.create_table(
        "throttle_slots",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_slots")),
    )
    op.create_index(
        "ix_throttle_slots_enterprise_id_team_id_user_id_started_at",
        "throttle_slots",
        [*_BY_USER, "started_at"],
    )
    op.create_index("ix_operations_enterprise_id_team_id_user_id", "operations", _BY_USER)
    op.drop_index("ix_operations_enterprise_id_team_id_user_id_created_at", table_name="operations")
