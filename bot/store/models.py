"""SQLAlchemy tables: Webex links, OAuth connect attempts, idempotency records (which the per-user throttle
counts), Start as host presses, job leases, the channel copies of meeting cards and Slack installations.

Every row that belongs to a workspace is keyed by `enterprise_id` (empty outside Enterprise Grid) and
`team_id` (empty for an org-wide install); bot.store.workspaces maps a workspace key onto the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store.columns import UTCDateTime

# Named constraints keep Alembic's batch mode on SQLite able to find and alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class WebexLinkRow(Base):
    """One Slack user's link to a Webex account; both tokens are Fernet ciphertext."""

    __tablename__ = "webex_links"
    __table_args__ = (CheckConstraint("status IN ('active', 'expired')", name="status"),)

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(128))
    webex_id: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated, as OAuth writes them
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Where row locks are not available, a refresh is guarded by this short lease instead.
    refresh_lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthStateRow(Base):
    """One connect attempt: the OAuth `state`, who asked, the PKCE verifier (encrypted) and what to resume."""

    __tablename__ = "oauth_states"
    __table_args__ = (
        Index("ix_oauth_states_enterprise_id_team_id_user_id", "enterprise_id", "team_id", "user_id"),
        Index("ix_oauth_states_expires_at", "expires_at"),
        Index("ix_oauth_states_sign_in_state", "sign_in_state", unique=True),
    )

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), default="")
    team_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(Text)
    # Encrypted JSON: a command typed before linking can carry a meeting password from the form.
    pending_command: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # While the browser proves its Slack identity: the Sign in with Slack `state`, and the Webex account it
    # would link (tokens included, encrypted), kept until that step ends or `expires_at` passes.
    sign_in_state: Mapped[str | None] = mapped_column(String(64), nullable=True)
    held_link: Mapped[str | None] = mapped_column(Text, nullable=True)


class OperationRow(Base):
    """An idempotency record: the first request with a key does the work, repeats see its outcome."""

    __tablename__ = "operations"
    __table_args__ = (
        CheckConstraint("status IN ('accepted', 'started', 'done', 'failed')", name="status"),
        # A user's records by age: the throttle counts their creations of the last minutes.
        Index(
            "ix_operations_enterprise_id_team_id_user_id_created_at",
            "enterprise_id",
            "team_id",
            "user_id",
            "created_at",
        ),
        Index("ix_operations_updated_at", "updated_at"),
        Index("ix_operations_status_heartbeat_at", "status", "heartbeat_at"),
    )

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), default="")
    team_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The process carrying the work out, and when it last said it was alive: a record whose owner has
    # stopped heartbeating is finished by another process (a command "accepted" but never "done").
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HostPressRow(Base):
    """A press of a card's Start as host button in Slack: lets that host's browser open the host link
    once, within a few minutes."""

    __tablename__ = "host_presses"
    __table_args__ = (
        Index(
            "ix_host_presses_enterprise_id_team_id_user_id_meeting_key",
            "enterprise_id",
            "team_id",
            "user_id",
            "meeting_key",
        ),
        Index("ix_host_presses_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), default="")
    team_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    meeting_key: Mapped[str] = mapped_column(String(64))
    pressed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobLeaseRow(Base):
    """A background job's lease: which process runs it now, and until when nobody else may."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReminderChoiceRow(Base):
    """A Slack user's reminder lead time: minutes before each meeting they host, or NULL for off. A user
    without a row has the default."""

    __tablename__ = "reminder_choices"

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MeetingReminderRow(Base):
    """One reminder of a meeting the bot made: to its host (recipient = the host's user id) or to a
    channel it was shared in (recipient = the channel id). `due_at` is NULL while the host has reminders
    off; `sent_at` is set by the one process that sends it. A series keeps one row, at its next meeting."""

    __tablename__ = "meeting_reminders"
    __table_args__ = (
        CheckConstraint("kind IN ('host', 'channel')", name="kind"),
        Index("ix_meeting_reminders_due_at", "due_at"),
        Index(
            "ix_meeting_reminders_enterprise_id_team_id_host_user_id",
            "enterprise_id",
            "team_id",
            "host_user_id",
        ),
    )

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    host_user_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A series (NULL for one meeting): its rule, the zone it runs in and its first meeting's start; the
    # row is moved to the next meeting once this one is reminded.
    series_rule: Mapped[str | None] = mapped_column(Text, nullable=True)
    series_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    series_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChannelCardRow(Base):
    """A meeting's card posted in a channel: where it is (channel and message ts), so an edit or a cancel
    can update every copy. The time zone is the one the card was written in, kept for its updates."""

    __tablename__ = "channel_cards"
    __table_args__ = (
        Index("ix_channel_cards_enterprise_id_team_id_shared_by", "enterprise_id", "team_id", "shared_by"),
    )

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    shared_by: Mapped[str] = mapped_column(String(64))
    user_tz: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the copy shows of its meeting (bot.domain.meetings.shown_on_card); NULL: not known (posted
    # before it was kept), so the next check writes the copy once.
    shown: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # When the timed check last read the meeting from Webex for this copy; NULL: never.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SlackInstallationRow(Base):
    """The app installed in one workspace or organization: its bot and the bot token (Fernet ciphertext)."""

    __tablename__ = "slack_installations"

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    enterprise_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    team_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    app_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bot_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bot_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bot_scopes: Mapped[str] = mapped_column(Text, default="")  # comma-separated, as Slack writes them
    bot_token: Mapped[str] = mapped_column(Text)
    installer_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlackInstallStateRow(Base):
    """One install attempt's OAuth `state`, stored as a keyed digest; single use, short lived."""

    __tablename__ = "slack_install_states"
    __table_args__ = (Index("ix_slack_install_states_expires_at", "expires_at"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
