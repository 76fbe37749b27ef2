"""Reminders: each user's lead time, and one row per reminder of a meeting the bot made."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reminders"
down_revision: str | None = "0005_channel_cards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_choices",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_reminder_choices")),
    )
    op.create_table(
        "meeting_reminders",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("meeting_id", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("host_user_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('host', 'channel')", name=op.f("ck_meeting_reminders_kind")),
        sa.PrimaryKeyConstraint("team_id", "meeting_id", "recipient", name=op.f("pk_meeting_reminders")),
    )
    op.create_index("ix_meeting_reminders_due_at", "meeting_reminders", ["due_at"])
    op.create_index(
        "ix_meeting_reminders_team_id_host_user_id", "meeting_reminders", ["team_id", "host_user_id"]
    )


def downgrade() -> None:
    op.drop_table("meeting_reminders")
    op.drop_table("reminder_choices")
