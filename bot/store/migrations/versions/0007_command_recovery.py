"""operations: an "accepted" state for commands acked but not yet answered, the process that owns each
record and its last heartbeat, so another process can finish the work of one that died."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_command_recovery"
down_revision: str | None = "0006_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operations") as batch:
        batch.drop_constraint(op.f("ck_operations_status"), type_="check")
        batch.create_check_constraint("status", "status IN ('accepted', 'started', 'done', 'failed')")
        batch.add_column(sa.Column("owner", sa.String(128), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_operations_status_heartbeat_at", "operations", ["status", "heartbeat_at"])


def downgrade() -> None:
    op.drop_index("ix_operations_status_heartbeat_at", table_name="operations")
    op.execute("DELETE FROM operations WHERE status = 'accepted'")
    with op.batch_alter_table("operations") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
        batch.drop_constraint(op.f("ck_operations_status"), type_="check")
        batch.create_check_constraint("status", "status IN ('started', 'done', 'failed')")
