"""`webex-bot serve` in its own process with WEBEX_API=rest, against the emulator served over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.e2e.meetings.conftest import shown_text
from tests.reliability.conftest import Launch, link
from tests.support.emulator import ALICE
from tests.support.slack import DriverFactory


async def test_serve_on_rest_links_a_user_and_makes_what_get_v1_meetings_shows(
    launch: Launch, slack_driver: DriverFactory, emulator_server: Any
) -> None:
    bot = await launch(webex_api="rest")
    alice = slack_driver(bot.events_url, user_id="U_ALICE")
    await link(alice, ALICE)
    exchange = await alice.command("schedule Planning tomorrow 11am for 50m with ops@example.com", replies=1)
    assert "Scheduled" in shown_text(exchange.replies[0])
    assert not emulator_server.emulator.xml_requests()  # REST only
    base = emulator_server.url
    async with httpx.AsyncClient(timeout=10) as client:
        grant = (
            await client.post(f"{base}/_emulator/rest/tokens", json={"site": "sandbox", "user": ALICE})
        ).json()
        headers = {"authorization": f"Bearer {grant['access_token']}"}
        now = datetime.now(UTC)
        window = {"from": now.isoformat(), "to": (now + timedelta(days=3)).isoformat()}
        [meeting] = (await client.get(f"{base}/v1/meetings", params=window, headers=headers)).json()["items"]
        invitees = await client.get(
            f"{base}/v1/meetingInvitees", params={"meetingId": meeting["id"]}, headers=headers
        )
    start, end = datetime.fromisoformat(meeting["start"]), datetime.fromisoformat(meeting["end"])
    assert (meeting["title"], meeting["timezone"], end - start) == (
        "Planning",
        "America/New_York",
        timedelta(minutes=50),
    )
    new_york = ZoneInfo("America/New_York")
    tomorrow = (datetime.now(new_york) + timedelta(days=1)).date()
    assert start == datetime.combine(tomorrow, time(11, 0), new_york)
    assert [i["email"] for i in invitees.json()["items"]] == ["ops@example.com"]
    assert meeting["meetingNumber"] in shown_text(exchange.replies[0])
