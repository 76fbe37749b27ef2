"""Any number of workspaces: rows keyed by enterprise and team; Slack installations and install states."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_workspaces"
down_revision: str | None = "0007_command_recovery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Team-scoped tables whose primary key starts with the team: the enterprise id goes in front of it.
_PRIMARY_KEYS = {
    "webex_links": ["team_id", "user_id"],
    "throttle_users": ["team_id", "user_id"],
    "channel_cards": ["team_id", "meeting_id", "channel_id", "ts"],
    "reminder_choices": ["team_id", "user_id"],
    "meeting_reminders": ["team_id", "meeting_id", "recipient"],
}
# Team-scoped indexes: the enterprise id joins the front of each.
_INDEXES = {
    "oauth_states": ["team_id", "user_id"],
    "operations": ["team_id", "user_id"],
    "throttle_slots": ["team_id", "user_id", "started_at"],
    "host_presses": ["team_id", "user_id", "meeting_key"],
    "channel_cards": ["team_id", "shared_by"],
    "meeting_reminders": ["team_id", "host_user_id"],
}


def _index(table: str, columns: list[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def _enterprise_id() -> sa.Column[str]:
    # Rows written before are from one workspace outside Enterprise Grid: an empty enterprise id.
    return sa.Column("enterprise_id", sa.String(64), nullable=False, server_default="")


def upgrade() -> None:
    for table, columns in _INDEXES.items():
        op.drop_index(_index(table, columns), table_name=table)
    for table, key in _PRIMARY_KEYS.items():
        # SQLite cannot change a primary key in place: batch mode copies the table.
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.add_column(_enterprise_id())
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", ["enterprise_id", *key])
    for table in _INDEXES.keys() - _PRIMARY_KEYS.keys():
        op.add_column(table, _enterprise_id())
    for table, columns in _INDEXES.items():
        op.create_index(_index(table, ["enterprise_id", *columns]), table, ["enterprise_id", *columns])
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
    for table, columns in _INDEXES.items():
        op.drop_index(_index(table, ["enterprise_id", *columns]), table_name=table)
    for table in [*_INDEXES, *_PRIMARY_KEYS]:
        # Rows of an organization would collide with another's on (team, user, ...): they go with the column.
        op.execute(f"DELETE FROM {table} WHERE enterprise_id <> ''")
    for table in _INDEXES.keys() - _PRIMARY_KEYS.keys():
        with op.batch_alter_table(table) as batch:
            batch.drop_column("enterprise_id")
    for table, key in _PRIMARY_KEYS.items():
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", key)
            batch.drop_column("enterprise_id")
    for table, columns in _INDEXES.items():
        op.create_index(_index(table, columns), table, columns)
