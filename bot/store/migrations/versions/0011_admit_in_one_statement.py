"""PostgreSQL: a function that admits one more creation of a meeting for a user, or not, after waiting its
turn, so that claiming a creation is one statement instead of a transaction of four round trips.

The function takes the user's advisory lock, then counts their other creations. Being VOLATILE and in
PL/pgSQL, its count runs with a snapshot taken after the lock was granted, so it sees every creation
another process admitted meanwhile (the calling statement's own snapshot, taken before the wait, would
not). SQLite needs nothing: there the INSERT holds the database's write lock and counts in its RETURNING.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011_admit_in_one_statement"
down_revision: str | None = "0010_series_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SIGNATURE = (
    "webex_bot_admit(bigint, text, text, text, text, timestamptz, timestamptz, bigint, integer, integer)"
)

# The kinds of record that create a meeting and the status of one still running are those of
# bot/store/throttle.py and bot/store/operations.py at this revision.
_FUNCTION = """
CREATE FUNCTION webex_bot_admit(
    p_turn bigint, p_enterprise_id text, p_team_id text, p_user_id text, p_key text,
    p_minute_began timestamptz, p_lapsed_before timestamptz, p_nth bigint,
    p_per_minute integer, p_in_flight integer,
    OUT admitted boolean, OUT in_the_minute bigint, OUT running bigint, OUT nth_newest timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(p_turn);
    SELECT
        (SELECT count(*) FROM operations o
          WHERE o.enterprise_id = p_enterprise_id AND o.team_id = p_team_id AND o.user_id = p_user_id
            AND o.kind IN ('schedule', 'now') AND o.key <> p_key AND o.created_at > p_minute_began),
        (SELECT count(*) FROM operations o
          WHERE o.enterprise_id = p_enterprise_id AND o.team_id = p_team_id AND o.user_id = p_user_id
            AND o.kind IN ('schedule', 'now') AND o.key <> p_key AND o.status = 'started'
            AND o.created_at > p_lapsed_before),
        (SELECT o.created_at FROM operations o
          WHERE o.enterprise_id = p_enterprise_id AND o.team_id = p_team_id AND o.user_id = p_user_id
            AND o.kind IN ('schedule', 'now') AND o.key <> p_key AND o.created_at > p_minute_began
          ORDER BY o.created_at DESC LIMIT 1 OFFSET p_nth)
    INTO in_the_minute, running, nth_newest;
    admitted := (p_per_minute <= 0 OR in_the_minute < p_per_minute)
        AND (p_in_flight <= 0 OR running < p_in_flight);
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {_SIGNATURE}")
