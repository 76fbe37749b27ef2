"""Encrypt the pending command of a connect attempt; add the per-user throttle and Start as host presses.

A pending command stored before this revision was plain JSON and cannot be encrypted here (migrations
have no keys), so it is dropped: the person links as usual and types the command again. Such a row lives
at most OAUTH_STATE_TTL_SECONDS (10 minutes by default) anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003_data_hardening"
down_revision: str | None = "0002_slack_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("oauth_states") as batch:
        batch.drop_column("pending_command")
    with op.batch_alter_table("oauth_states") as batch:
        batch.add_column(sa.Column("pending_command", sa.Text(), nullable=True))
    op.create_table(
        "throttle_users",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        _timestamp("checked_at"),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_throttle_users")),
    )
    op.create_table(
        "throttle_slots",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        _timestamp("started_at"),
        _timestamp("expires_at"),
        _timestamp("released_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_slots")),
    )
    op.create_index(
        "ix_throttle_slots_team_id_user_id_started_at", "throttle_slots", ["team_id", "user_id", "started_at"]
    )
    op.create_table(
        "host_presses",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("meeting_key", sa.String(64), nullable=False),
        _timestamp("pressed_at"),
        _timestamp("expires_at"),
        _timestamp("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_presses")),
    )
    op.create_index(
        "ix_host_presses_team_id_user_id_meeting_key", "host_presses", ["team_id", "user_id", "meeting_key"]
    )
    op.create_index("ix_host_presses_expires_at", "host_presses", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_host_presses_expires_at", table_name="host_presses")
    op.drop_index("ix_host_presses_team_id_user_id_meeting_key", table_name="host_presses")
    op.drop_table("host_presses")
    op.drop_index("ix_throttle_slots_team_id_user_id_started_at", table_name="throttle_slots")
    op.drop_table("throttle_slots")
    op.drop_table("throttle_users")
    # Encrypted pending commands mean nothing to the older code: they are dropped again.
    with op.batch_alter_table("oauth_states") as batch:
        batch.drop_column("pending_command")
    with op.batch_alter_table("oauth_states") as batch:
        batch.add_column(sa.Column("pending_command", sa.JSON(), nullable=True))
