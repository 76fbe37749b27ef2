"""oauth_states carries the Sign in with Slack step: its state and the Webex account held until it ends."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_slack_sign_in"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("oauth_states", sa.Column("sign_in_state", sa.String(64), nullable=True))
    op.add_column("oauth_states", sa.Column("held_link", sa.Text(), nullable=True))
    op.create_index("ix_oauth_states_sign_in_state", "oauth_states", ["sign_in_state"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_oauth_states_sign_in_state", table_name="oauth_states")
    with op.batch_alter_table("oauth_states") as batch:
        batch.drop_column("held_link")
        batch.drop_column("sign_in_state")
