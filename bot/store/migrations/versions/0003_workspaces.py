"""Any number of workspaces: rows keyed by enterprise and team; Slack installations and install states."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_workspaces"
down_revision: str | None = "0005_channel_cards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Team-scoped tables keyed by an index on (team, user, ...): the enterprise id joins the front of it.
_INDEXED = {
    "oauth_states": ["team_id", "user_id"],
    "operations": ["team_id", "user_id"],
    "throttle_slots": ["team_id", "user_id", "started_at"],
    "host_presses": ["team_id", "user_id", "meeting_key"],
}


_CARD_KEY = ["team_id", "meeting_id", "channel_id", "ts"]


def _enterprise_id() -> sa.Column[str]:
    # Rows written before are from one workspace outside Enterprise Grid: an empty enterprise id.
    return sa.Column("enterprise_id", sa.String(64), nullable=False, server_default="")


def upgrade() -> None:
    # SQLite cannot change a primary key in place: batch mode copies the table.
    with op.batch_alter_table("webex_links", recreate="always") as batch:
        batch.add_column(_enterprise_id())
        batch.drop_constraint("pk_webex_links", type_="primary")
        batch.create_primary_key("pk_webex_links", ["enterprise_id", "team_id", "user_id"])
    with op.batch_alter_table("throttle_users", recreate="always") as batch:
        batch.add_column(_enterprise_id())
        batch.drop_constraint("pk_throttle_users", type_="primary")
        batch.create_primary_key("pk_throttle_users", ["enterprise_id", "team_id", "user_id"])
    op.drop_index("ix_channel_cards_team_id_shared_by", table_name="channel_cards")
    with op.batch_alter_table("channel_cards", recreate="always") as batch:
        batch.add_column(_enterprise_id())
        batch.drop_constraint("pk_channel_cards", type_="primary")
        batch.create_primary_key("pk_channel_cards", ["enterprise_id", *_CARD_KEY])
    op.create_index(
        "ix_channel_cards_enterprise_id_team_id_shared_by",
        "channel_cards",
        ["enterprise_id", "team_id", "shared_by"],
    )
    for table, columns in _INDEXED.items():
        op.drop_index(f"ix_{table}_{'_'.join(columns)}", table_name=table)
        op.add_column(table, _enterprise_id())
        op.create_index(f"ix_{table}_enterprise_id_{'_'.join(columns)}", table, ["enterprise_id", *columns])
    op.create_table(
        "slack_installations",
        sa.Column("enterprise_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("enterprise_name", sa.String(255), nullable=True),
        sa.Column("team_name", sa.String(255), nullable=True),
        sa.Column("app_id", sa.String(64), nullable=True),
        sa.Column("bot_id", sa.String(64), nullable=True),
        sa.Column("bot_user_id", sa.String(64), nullable=True),
        sa.Column("bot_scopes", sa.Text(), nullable=False),
        sa.Column("bot_token", sa.Text(), nullable=False),
        sa.Column("installer_user_id", sa.String(64), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "team_id", name=op.f("pk_slack_installations")),
    )
    op.create_table(
        "slack_install_states",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_slack_install_states")),
    )
    op.create_index("ix_slack_install_states_expires_at", "slack_install_states", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_install_states_expires_at", table_name="slack_install_states")
    op.drop_table("slack_install_states")
    op.drop_table("slack_installations")
    for table, columns in _INDEXED.items():
        op.drop_index(f"ix_{table}_enterprise_id_{'_'.join(columns)}", table_name=table)
        # Rows of other organizations than the first could collide on (team, user): they go with the column.
        op.execute(f"DELETE FROM {table} WHERE enterprise_id <> ''")
        with op.batch_alter_table(table) as batch:
            batch.drop_column("enterprise_id")
        op.create_index(f"ix_{table}_{'_'.join(columns)}", table, columns)
    op.drop_index("ix_channel_cards_enterprise_id_team_id_shared_by", table_name="channel_cards")
    op.execute("DELETE FROM channel_cards WHERE enterprise_id <> ''")
    with op.batch_alter_table("channel_cards", recreate="always") as batch:
        batch.drop_constraint("pk_channel_cards", type_="primary")
        batch.create_primary_key("pk_channel_cards", _CARD_KEY)
        batch.drop_column("enterprise_id")
    op.create_index("ix_channel_cards_team_id_shared_by", "channel_cards", ["team_id", "shared_by"])
    op.execute("DELETE FROM throttle_users WHERE enterprise_id <> ''")
    with op.batch_alter_table("throttle_users", recreate="always") as batch:
        batch.drop_constraint("pk_throttle_users", type_="primary")
        batch.create_primary_key("pk_throttle_users", ["team_id", "user_id"])
        batch.drop_column("enterprise_id")
    # Links of other organizations than the first would collide on (team, user): they go with the column.
    op.execute("DELETE FROM webex_links WHERE enterprise_id <> ''")
    with op.batch_alter_table("webex_links", recreate="always") as batch:
        batch.drop_constraint("pk_webex_links", type_="primary")
        batch.create_primary_key("pk_webex_links", ["team_id", "user_id"])
        batch.drop_column("enterprise_id")
