"""A host's reminder of a meeting the bot has just made, as it is written beside the meeting's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class HostReminder:
    """Remind `host_user_id` of this meeting, as many minutes before as they chose (`default_minutes`
    when they never chose; None: no reminders unless they chose some)."""

    team_id: str
    host_user_id: str
    meeting_id: str
    topic: str
    starts_at: datetime
    ends_at: datetime
    default_minutes: int | None
