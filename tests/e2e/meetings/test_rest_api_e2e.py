"""WEBEX_API=rest end to end: the served bot against the served emulator's REST API, seen through /v1.

What a person makes with a command must be exactly what Webex's REST API then shows: the title, the
start and end instants, the time zone and the invitees, read back over HTTP with a REST token from
the emulator's control API (not from the bot's database or the emulator's Python objects).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.meetings.conftest import Stage, button, shown_text
from tests.support.emulator import ALICE


@pytest.fixture
def webex_api() -> str:
    return "rest"


async def rest_token(client: httpx.AsyncClient, emulator_url: str, user: str) -> str:
    answer = await client.post(
        f"{emulator_url}/_emulator/rest/tokens", json={"site": "sandbox", "user": user}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def test_a_meeting_scheduled_over_rest_is_what_get_v1_meetings_shows(linked: Stage) -> None:
    assert linked.bot.settings.webex_api == "rest"
    link = await linked.bot.services.links.get(linked.alice.driver.standin.workspace.team_id, "U_ALICE")
    # Linked through /v1/authorize and /v1/access_token; GET /people/me named the account.
    assert link is not None and link.email == ALICE and link.site == "sandbox"
    assert link.webex_id and link.webex_id != ALICE  # the REST person id, not the email
    assert "meeting:schedules_write" in link.scopes

    exchange = await linked.alice.driver.command(
        "schedule Design review tomorrow 3pm for 45m with ops@example.com", replies=1
    )
    card = exchange.replies[0]
    # Only the REST API was used for it: no XML call at all.
    assert not linked.emulator.xml_requests()

    async with httpx.AsyncClient(timeout=10) as client:
        token = await rest_token(client, linked.emulator_url, ALICE)
        headers = {"authorization": f"Bearer {token}"}
        now = datetime.now(ZoneInfo("America/New_York"))
        listed = await client.get(
            f"{linked.emulator_url}/v1/meetings",
            params={"from": now.isoformat(), "to": (now + timedelta(days=3)).isoformat()},
            headers=headers,
        )
        assert listed.status_code == 200, listed.text
        [meeting] = listed.json()["items"]
        invitees = await client.get(
            f"{linked.emulator_url}/v1/meetingInvitees", params={"meetingId": meeting["id"]}, headers=headers
        )
    assert meeting["title"] == "Design review"
    # Alice lives in New York: 3 pm tomorrow there, 45 minutes, scheduled in her zone.
    start = datetime.fromisoformat(meeting["start"])
    end = datetime.fromisoformat(meeting["end"])
    tomorrow = (now + timedelta(days=1)).date()
    assert start.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None) == datetime(
        tomorrow.year, tomorrow.month, tomorrow.day, 15, 0
    )
    assert end - start == timedelta(minutes=45)
    assert meeting["timezone"] == "America/New_York"
    assert [i["email"] for i in invitees.json()["items"]] == ["ops@example.com"]
    # The card shows the number people type and the same instant; its buttons carry the REST id.
    text = shown_text(card)
    assert meeting["meetingNumber"] in text and "45 min" in text
    assert f"<!date^{int(start.timestamp())}^" in text
    sealed = button(card.blocks, "meeting.cancel")["value"]
    team_id = linked.alice.driver.standin.workspace.team_id
    opened = linked.bot.services.sealed.open(
        sealed, team_id=team_id, user_id="U_ALICE", used_by="meeting.cancel"
    )
    assert opened == meeting["id"]


async def test_cancel_by_number_over_rest_deletes_it_from_v1_meetings(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("schedule Retro tomorrow 4pm", replies=1)
    assert "Scheduled" in shown_text(exchange.replies[0])
    [stored] = linked.emulator.rest.meetings("sandbox")
    asked = await linked.alice.driver.command(f"cancel {stored['meetingNumber']}", replies=1)
    assert "Retro" in shown_text(asked.replies[0])
    done = await linked.alice.driver.click(asked.replies[0], "meeting.cancel", replies=1)
    assert "cancelled" in shown_text(done.replies[0])
    async with httpx.AsyncClient(timeout=10) as client:
        token = await rest_token(client, linked.emulator_url, ALICE)
        gone = await client.get(
            f"{linked.emulator_url}/v1/meetings/{stored['id']}", headers={"authorization": f"Bearer {token}"}
        )
    assert gone.status_code == 404
    # The number was resolved with GET /v1/meetings?meetingNumber=..., then DELETE by id.
    assert linked.emulator.rest.requests("DELETE /v1/meetings/{meetingId}")
