"""The Home tab's upcoming-meetings section."""

from __future__ import annotations

from typing import Any

from bot.domain.clock import Clock
from bot.services.meetings import ListWindow, MeetingService
from bot.slack.meetings import blocks
from bot.slack.meetings.answers import Answers

HOME_PAGE_SIZE = 5


async def home_section(
    team_id: str, user_id: str, *, meetings: MeetingService, answers: Answers, clock: Clock
) -> list[dict[str, Any]]:
    """The next few meetings of `/webex week` with their buttons, or how to schedule one."""
    tz = await answers.user_tz(team_id, user_id)
    page = await meetings.list_upcoming(
        team_id, user_id, user_tz=tz, window=ListWindow.WEEK, page_size=HOME_PAGE_SIZE
    )
    links = answers.join_urls(team_id, user_id, page.meetings)
    now = clock.now()
    section: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "header", "block_id": "home_meetings", "text": blocks.plain("Your next meetings")},
    ]
    if not page.meetings:
        section.append(
            {
                "type": "section",
                "block_id": "home_empty",
                "text": blocks.mrkdwn(
                    f"Nothing from now to the end of {blocks.week_last_day(now, tz)}. "
                    "Type `/webex schedule` in any channel to plan one."
                ),
            }
        )
        return section
    for meeting in page.meetings:
        row = blocks.meeting_row(meeting, links.get(meeting.meeting_id, ""), tz, now)
        section.extend(answers.seal(row, team_id, user_id))
    if page.next_cursor is not None:
        section.append(
            {
                "type": "context",
                "elements": [
                    blocks.mrkdwn(
                        f"{how_many(page.total)} from today to {blocks.week_last_day(now, tz)}; "
                        "`/webex week` lists them all."
                    )
                ],
            }
        )
    return section


def how_many(total: int | None) -> str:
    """The week's count when the backend says it, else just that there are more."""
    return f"{total} meetings" if total is not None else "More meetings"
