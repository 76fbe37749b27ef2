"""Create webex_links, oauth_states and operations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webex_links",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(128), nullable=False),
        sa.Column("webex_id", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        _timestamp("access_expires_at"),
        _timestamp("refresh_expires_at", nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("refresh_lease_owner", sa.String(64), nullable=True),
        _timestamp("refresh_lease_until", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("status IN ('active', 'expired')", name=op.f("ck_webex_links_status")),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_webex_links")),
    )
    op.create_table(
        "oauth_states",
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("pending_command", sa.JSON(), nullable=True),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        _timestamp("consumed_at", nullable=True),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_oauth_states")),
    )
    op.create_index("ix_oauth_states_team_id_user_id", "oauth_states", ["team_id", "user_id"])
    op.create_index("ix_oauth_states_expires_at", "oauth_states", ["expires_at"])
    op.create_table(
        "operations",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("status IN ('started', 'done', 'failed')", name=op.f("ck_operations_status")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_operations")),
    )
    op.create_index("ix_operations_team_id_user_id", "operations", ["team_id", "user_id"])
    op.create_index("ix_operations_updated_at", "operations", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_operations_updated_at", table_name="operations")
    op.drop_index("ix_operations_team_id_user_id", table_name="operations")
    op.drop_table("operations")
    op.drop_index("ix_oauth_states_expires_at", table_name="oauth_states")
    op.drop_index("ix_oauth_states_team_id_user_id", table_name="oauth_states")
    op.drop_table("oauth_states")
    op.drop_table("webex_links")
