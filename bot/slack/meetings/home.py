"""The Home tab's upcoming-meetings section."""

from __future__ import annotations

import logging
from typing import Any

from bot.domain.clock import Clock
from bot.services.errors import TokenRefreshUnavailable
from bot.services.meetings import ListWindow, MeetingService
from bot.services.ports import BackendUnavailable, RateLimited
from bot.slack.errors import log_failure
from bot.slack.meetings import blocks
from bot.slack.meetings.answers import Answers

logger = logging.getLogger(__name__)

HOME_PAGE_SIZE = 5
AGAIN_IN_A_MINUTE = "Nothing is lost: open this tab again in a minute."


async def home_section(
    team_id: str, user_id: str, *, meetings: MeetingService, answers: Answers, clock: Clock
) -> list[dict[str, Any]]:
    """The next few meetings of `/webex week` with their buttons, or how to schedule one."""
    tz = await answers.user_tz(team_id, user_id)
    section: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "header", "block_id": "home_meetings", "text": blocks.plain("Your next meetings")},
    ]
    try:
        page = await meetings.list_upcoming(
            team_id, user_id, user_tz=tz, window=ListWindow.WEEK, page_size=HOME_PAGE_SIZE
        )
    except (BackendUnavailable, TokenRefreshUnavailable) as error:
        # Webex being down is nobody's doing here, and the meetings are safe in Webex: the tab says so
        # and when to look again, rather than that part of it is broken.
        log_failure(logger, error, f"the Home tab's meetings for team={team_id} user={user_id}")
        section.append(
            {"type": "section", "block_id": "home_webex_down", "text": blocks.mrkdwn(webex_down(error))}
        )
        return section
    links = answers.join_urls(team_id, user_id, page.meetings)
    now = clock.now()
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


def webex_down(error: Exception) -> str:
    """Why the meetings are not shown when Webex could not give them, in the person's words."""
    if isinstance(error, RateLimited):
        why = "Webex is asking the bot to slow down, so your meetings cannot be shown just now."
    else:
        why = "Webex did not answer just now, so your meetings cannot be shown."
    return f"{why} {AGAIN_IN_A_MINUTE}"


def how_many(total: int | None) -> str:
    """The week's count when the backend says it, else just that there are more."""
    return f"{total} meetings" if total is not None else "More meetings"
