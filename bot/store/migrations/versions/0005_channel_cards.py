"""Remember where each meeting card was posted in a channel, so edits and cancellations update every copy."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_channel_cards"
down_revision: str | None = "0004_job_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_cards",
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("meeting_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("shared_by", sa.String(64), nullable=False),
        sa.Column("user_tz", sa.String(64), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "meeting_id", "channel_id", "ts", name=op.f("pk_channel_cards")),
    )
    op.create_index("ix_channel_cards_team_id_shared_by", "channel_cards", ["team_id", "shared_by"])


def downgrade() -> None:
    op.drop_index("ix_channel_cards_team_id_shared_by", table_name="channel_cards")
    op.drop_table("channel_cards")
