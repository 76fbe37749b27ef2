"""The lists on the emulator's clock: a meeting still running is listed, however long ago it began."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.services.meetings import ScheduleRequest
from tests.e2e.meetings.conftest import Stage, shown_text
from tests.e2e.meetings.test_reminders_e2e import make_stage
from tests.support.servers import BotFactory
from tests.support.slack import DriverFactory

NEW_YORK = ZoneInfo("America/New_York")  # alice's Slack time zone


@pytest.fixture
async def night(bot_factory: BotFactory, slack_driver: DriverFactory, emulator_server: Any) -> Stage:
    return await make_stage(bot_factory, slack_driver, emulator_server)


async def seed(stage: Stage, topic: str, start: datetime, minutes: int) -> None:
    request = ScheduleRequest(topic=topic, start=start, user_tz="America/New_York", duration_minutes=minutes)
    await stage.bot.services.meetings.schedule("T_SANDBOX", "U_ALICE", request, request_key=f"seed:{topic}")


async def test_a_meeting_that_began_before_midnight_and_still_runs_is_listed_today(night: Stage) -> None:
    today = (datetime.now(NEW_YORK) + timedelta(days=3)).date()
    midnight = datetime.combine(today, datetime.min.time(), NEW_YORK)
    # Scheduled the evening before, on the shared clock.
    night.emulator.clock.set(midnight - timedelta(hours=4))
    await seed(night, "Release night", midnight - timedelta(minutes=30), 90)  # 23:30 to 01:00
    await seed(night, "Evening sync", midnight - timedelta(hours=2), 30)  # over by 22:30
    await seed(night, "Standup", midnight + timedelta(hours=9), 15)
    # 00:20: the release is in progress; the evening sync is yesterday's and over.
    night.emulator.clock.set(midnight + timedelta(minutes=20))
    listed = (await night.alice.driver.command("today", replies=1)).replies[0]
    text = shown_text(listed)
    assert "Release night" in text and "in progress" in text and "Standup" in text
    assert "Evening sync" not in text
    # The week and the Home tab show it too, and leave out what is over.
    for word in ("week", "list"):
        text = shown_text((await night.alice.driver.command(word, replies=1)).replies[0])
        assert "Release night" in text and "in progress" in text and "Evening sync" not in text
    home = (await night.alice.driver.open_home(replies=1)).replies[0]
    assert "Release night" in shown_text(home) and "Evening sync" not in shown_text(home)


async def test_a_meeting_begun_more_than_half_a_day_ago_and_still_running_is_listed(night: Stage) -> None:
    today = (datetime.now(NEW_YORK) + timedelta(days=3)).date()
    now = datetime.combine(today, datetime.min.time(), NEW_YORK) + timedelta(hours=10)
    night.emulator.clock.set(now - timedelta(hours=16))
    # 19:00 yesterday: one for 20 hours (still running at 10:00), one for 14 hours (over at 09:00).
    await seed(night, "Hackathon", now - timedelta(hours=15), 20 * 60)
    await seed(night, "Night shift", now - timedelta(hours=15), 14 * 60)
    night.emulator.clock.set(now)
    for word in ("today", "week", "list"):
        text = shown_text((await night.alice.driver.command(word, replies=1)).replies[0])
        assert "Hackathon" in text and "in progress" in text, word
        assert "Night shift" not in text, word
    home = shown_text((await night.alice.driver.open_home(replies=1)).replies[0])
    assert "Hackathon" in home and "in progress" in home and "Night shift" not in home
