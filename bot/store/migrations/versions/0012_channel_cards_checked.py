"""Channel cards follow changes made on Webex itself: each copy keeps what it shows; when last checked."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_channel_cards_checked"
down_revision: str | None = "0011_admit_in_one_statement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("shown", "checked_at")


def upgrade() -> None:
    # Copies already posted show what is not known: NULL, so the first check writes each of them once.
    op.add_column("channel_cards", sa.Column("shown", sa.String(64), nullable=True))
    op.add_column("channel_cards", sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_cards") as batch:
        for name in _COLUMNS:
            batch.drop_column(name)
