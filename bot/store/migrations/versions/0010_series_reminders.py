"""A reminder of a series keeps its rule, zone and first start, so it moves on to each next meeting."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_series_reminders"
down_revision: str | None = "0009_throttle_from_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("series_rule", "series_zone", "series_starts_at")


def upgrade() -> None:
    # Rows already kept are of single meetings (or a series' first meeting): NULL keeps them so.
    table = "meeting_reminders"
    op.add_column(table, sa.Column("series_rule", sa.Text(), nullable=True))
    op.add_column(table, sa.Column("series_zone", sa.String(64), nullable=True))
    op.add_column(table, sa.Column("series_starts_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A series' row stays at the meeting it is at, reminded once more at most, as before.
    with op.batch_alter_table("meeting_reminders") as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
