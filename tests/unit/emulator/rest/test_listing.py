"""GET /v1/meetings, /v1/recordings and /v1/meetingInvitees: windows, filters and Link paging."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from bot.emulator import Emulator
from tests.unit.emulator.rest.conftest import Rest, meeting_body

_NEXT = re.compile(r'^<([^>]+)>; rel="next"$')


async def _all_pages(
    rest: Rest, path: str, params: dict[str, str]
) -> tuple[list[dict[str, object]], list[str]]:
    """Follow `Link: rel="next"` to the end, as clients do; the items and the next URLs seen."""
    response = await rest.get(path, params=params)
    items, links = [], []
    while True:
        assert response.status_code == 200, response.text
        items.extend(response.json()["items"])
        link = response.headers.get("link")
        if link is None:
            return items, links
        match = _NEXT.match(link)
        assert match is not None, link
        links.append(match.group(1))
        response = await rest.get(match.group(1))


async def test_default_window_is_the_next_seven_days(rest: Rest) -> None:
    soon = await rest.create(days=2)
    await rest.create(days=9)
    items = (await rest.get("/v1/meetings")).json()["items"]
    assert [item["id"] for item in items] == [soon["id"]]
    assert items[0]["meetingSeriesId"] == soon["id"]


async def test_paging_follows_absolute_next_links_that_keep_every_filter(rest: Rest) -> None:
    made = [await rest.create(title=f"M{n}", days=1 + n / 4) for n in range(5)]
    await rest.create(title="Other", days=1.9, integrationTags=["other"])
    for meeting in made:
        assert (
            await rest.patch(f"/v1/meetings/{meeting['id']}", json={"integrationTags": ["team"]})
        ).status_code == 200
    items, links = await _all_pages(rest, "/v1/meetings", {"max": "2", "integrationTag": "team"})
    assert [item["title"] for item in items] == ["M0", "M1", "M2", "M3", "M4"]
    assert len(links) == 2
    for link in links:
        assert link.startswith("http://emulator.test/v1/meetings?")
        assert "integrationTag=team" in link and "max=2" in link and "from=" in link and "to=" in link


async def test_a_page_link_still_works_after_the_clock_moves(rest: Rest, emulator: Emulator) -> None:
    for n in range(3):
        await rest.create(title=f"M{n}", days=6 + n / 10)
    first = await rest.get("/v1/meetings", params={"max": "2"})
    emulator.advance(timedelta(days=2))  # the default window would now be different; the link pins it
    rest_of = await rest.get(_NEXT.match(first.headers["link"]).group(1))  # type: ignore[union-attr]
    assert [item["title"] for item in rest_of.json()["items"]] == ["M2"]


async def test_series_overlap_and_occurrence_expansion(rest: Rest) -> None:
    weekly = await rest.create(title="Weekly", days=1, recurrence="FREQ=WEEKLY;COUNT=10")
    window = {"from": "2031-03-20T00:00:00Z", "to": "2031-04-05T00:00:00Z"}
    series = (await rest.get("/v1/meetings", params=window)).json()["items"]
    assert [item["id"] for item in series] == [weekly["id"]]  # listed though its first occurrence is earlier
    assert series[0]["start"] == "2031-03-04T12:00:00Z"  # current=true: the next occurrence (none has ended)
    occurrences = (
        await rest.get("/v1/meetings", params={**window, "meetingType": "scheduledMeeting"})
    ).json()
    assert [item["id"] for item in occurrences["items"]] == [
        f"{weekly['id']}_20310325T120000Z",
        f"{weekly['id']}_20310401T120000Z",
    ]
    assert all(item["meetingType"] == "scheduledMeeting" for item in occurrences["items"])


async def test_filters_by_number_state_and_type(rest: Rest, emulator: Emulator) -> None:
    meeting = await rest.create(days=20)
    by_number = await rest.get("/v1/meetings", params={"meetingNumber": meeting["meetingNumber"]})
    assert [item["id"] for item in by_number.json()["items"]] == [
        meeting["id"]
    ]  # outside the window, still found
    ended = await rest.get("/v1/meetings", params={"meetingType": "meeting"})
    assert ended.json() == {"items": []}  # the emulator runs no meetings
    scheduled = await rest.get(
        "/v1/meetings",
        params={"meetingType": "scheduledMeeting", "state": "scheduled", "to": "2031-03-30T00:00:00Z"},
    )
    assert [item["meetingSeriesId"] for item in scheduled.json()["items"]] == [meeting["id"]]


async def test_bad_list_parameters_are_400(rest: Rest, emulator: Emulator) -> None:
    emulator.rest.strict = False  # the emulator's own checks (strict mode catches some earlier)
    for params in (
        {"max": "0"},
        {"max": "101"},
        {"meetingType": "webinar"},
        {"from": "2031-03-10T00:00:00Z", "to": "2031-03-01T00:00:00Z"},
        {"from": "yesterday"},
        {"meetingNumber": "1", "webLink": "x"},
        {"current": "maybe"},
    ):
        response = await rest.get("/v1/meetings", params=params)
        assert response.status_code == 400, params
        assert response.json()["trackingId"]


async def test_the_timezone_header_sets_the_zone_of_answers(rest: Rest) -> None:
    await rest.create()
    items = (await rest.get("/v1/meetings", headers={"timezone": "Europe/Berlin"})).json()["items"]
    assert items[0]["start"] == "2031-03-04T13:00:00+01:00"
    bad = await rest.get("/v1/meetings", headers={"timezone": "Nowhere/Else"})
    assert bad.status_code == 400


async def test_join_links_for_the_host_and_an_invitee(rest: Rest, bob_rest_token: str) -> None:
    meeting = await rest.create(invitees=[{"email": "bob@sandbox.example"}])
    host = await rest.post("/v1/meetings/join", json={"meetingId": meeting["id"], "joinDirectly": False})
    assert host.status_code == 200
    links = host.json()
    assert set(links) == {"startLink", "joinLink", "expiration"}
    assert links["expiration"] == "2031-03-03T13:00:30Z" or links["expiration"].startswith(
        "2031-03-03T13:00:"
    )
    guest = await rest.post(
        "/v1/meetings/join",
        json={
            "meetingNumber": meeting["meetingNumber"],
            "joinDirectly": False,
            "email": "bob@sandbox.example",
            "displayName": "Bob",
            "expirationMinutes": 5,
        },
        token=bob_rest_token,
    )
    assert "startLink" not in guest.json()
    assert "email=bob%40sandbox.example" in guest.json()["joinLink"]
    direct = await rest.post("/v1/meetings/join", json={"webLink": meeting["webLink"]})
    assert direct.status_code == 302 and direct.headers["location"].startswith(meeting["webLink"])


async def test_join_links_by_number_for_someone_else_need_the_password_of_a_protected_meeting(
    rest: Rest, emulator: Emulator, bob_rest_token: str
) -> None:
    protected = await rest.create(title="Protected")  # Webex gives every meeting a password
    asked = {"meetingNumber": protected["meetingNumber"], "joinDirectly": False}
    refused = await rest.post("/v1/meetings/join", json=asked, token=bob_rest_token)
    assert refused.status_code == 404 and "Protected" not in refused.text
    wrong = await rest.post("/v1/meetings/join", json={**asked, "password": "guess"}, token=bob_rest_token)
    assert wrong.status_code == 404
    given = {**asked, "password": protected["password"]}
    joined = await rest.post("/v1/meetings/join", json=given, token=bob_rest_token)
    assert joined.status_code == 200 and set(joined.json()) == {"joinLink", "expiration"}
    start = datetime(2031, 3, 5, 9, tzinfo=UTC)
    open_meeting = emulator.add_meeting("sandbox", "alice@sandbox.example", "Open", start, password="")
    asked = {"meetingNumber": str(open_meeting.key), "joinDirectly": False}
    assert (await rest.post("/v1/meetings/join", json=asked, token=bob_rest_token)).status_code == 200


async def test_join_links_open_the_emulators_meeting_page(rest: Rest, emulator: Emulator) -> None:
    emulator.public_url = "http://emulator.test"
    meeting = await rest.create(title="Design review")
    links = (
        await rest.post("/v1/meetings/join", json={"meetingId": meeting["id"], "joinDirectly": False})
    ).json()
    for link, role in ((links["joinLink"], "You joined meeting"), (links["startLink"], "as its host")):
        page = await rest.client.get(link)
        assert page.status_code == 200 and "Design review" in page.text and role in page.text


async def test_bad_join_requests(rest: Rest, emulator: Emulator) -> None:
    meeting = await rest.create()
    emulator.rest.strict = False
    cases = [
        {},
        {"meetingId": meeting["id"], "meetingNumber": meeting["meetingNumber"]},
        {"meetingId": meeting["id"], "expirationMinutes": 61},
        {"meetingId": meeting["id"], "displayName": "No email"},
        {"meetingId": f"{meeting['id']}_I_123"},
    ]
    for body in cases:
        assert (await rest.post("/v1/meetings/join", json=body)).status_code == 400, body
    assert (await rest.post("/v1/meetings/join", json={"meetingNumber": "123"})).status_code == 404


async def test_invitees_list(rest: Rest, emulator: Emulator) -> None:
    meeting = await rest.create(
        invitees=[{"email": "bob@sandbox.example", "displayName": "Bob", "coHost": True}]
    )
    items = (await rest.get("/v1/meetingInvitees", params={"meetingId": meeting["id"]})).json()["items"]
    assert [(i["email"], i["displayName"], i["coHost"]) for i in items] == [
        ("bob@sandbox.example", "Bob", True)
    ]
    assert (await rest.get("/v1/meetingInvitees")).status_code == 400  # strict: the description requires it
    emulator.rest.strict = False
    missing = await rest.get("/v1/meetingInvitees")
    assert missing.status_code == 400
    assert missing.json()["errors"] == [{"description": "Invalid value on 'meetingId' field."}]


async def test_recordings_newest_first_in_the_default_week(rest: Rest, emulator: Emulator) -> None:
    now = emulator.now()
    for days, name in ((1, "Older"), (0.5, "Newer"), (10, "Too old")):
        emulator.add_recording("sandbox", "alice@sandbox.example", name, created=now - timedelta(days=days))
    emulator.add_recording("sandbox", "bob@sandbox.example", "Bob's", created=now - timedelta(hours=1))
    items, _ = await _all_pages(rest, "/v1/recordings", {"max": "1"})
    assert [item["topic"] for item in items] == ["Newer", "Older"]
    assert items[0]["hostEmail"] == "alice@sandbox.example" and items[0]["status"] == "available"


async def test_recordings_need_their_scope(emulator_client: httpx.AsyncClient, emulator: Emulator) -> None:
    token = emulator.rest.issue_tokens("sandbox", "alice@sandbox.example")["access_token"]
    response = await emulator_client.get("/v1/recordings", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_reset_forgets_rest_meetings(emulator: Emulator) -> None:
    start = datetime(2031, 4, 1, 9, tzinfo=UTC)
    emulator.rest.add_meeting(
        "sandbox",
        "alice@sandbox.example",
        {"title": "T", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
    )
    emulator.reset()
    assert emulator.rest.meetings() == []


async def test_a_site_admin_with_admin_scopes_lists_and_schedules_for_another_host(
    rest: Rest, emulator: Emulator
) -> None:
    emulator.add_user("sandbox", "carol@sandbox.example", first_name="Carol", site_admin=True)
    scopes = ["meeting:schedules_read", "meeting:admin_schedule_read", "meeting:admin_schedule_write"]
    admin = str(emulator.rest.issue_tokens("sandbox", "carol@sandbox.example", scopes=scopes)["access_token"])
    made = await rest.post("/v1/meetings", json=meeting_body(hostEmail="bob@sandbox.example"), token=admin)
    assert made.status_code == 403  # scheduling also needs meeting:schedules_write
    scopes.append("meeting:schedules_write")
    admin = str(emulator.rest.issue_tokens("sandbox", "carol@sandbox.example", scopes=scopes)["access_token"])
    made = await rest.post("/v1/meetings", json=meeting_body(hostEmail="bob@sandbox.example"), token=admin)
    assert made.status_code == 200 and made.json()["hostEmail"] == "bob@sandbox.example"
    listed = await rest.get("/v1/meetings", params={"hostEmail": "bob@sandbox.example"}, token=admin)
    assert [item["id"] for item in listed.json()["items"]] == [made.json()["id"]]


async def test_adding_an_invitee_twice_is_409_and_the_xml_api_sees_the_new_one(
    rest: Rest, emulator: Emulator
) -> None:
    meeting = await rest.create()
    body = {
        "meetingId": meeting["id"],
        "email": "bob@sandbox.example",
        "displayName": "Bob",
        "panelist": True,
    }
    added = await rest.post("/v1/meetingInvitees", json=body)
    assert added.status_code == 200
    assert (added.json()["email"], added.json()["panelist"]) == ("bob@sandbox.example", True)
    again = await rest.post("/v1/meetingInvitees", json={**body, "email": "BOB@sandbox.example"})
    assert again.status_code == 409 and again.json()["message"] == "User is already a meeting invitee"
    (stored,) = emulator.meetings()
    assert [(a.email, a.name) for a in stored.attendees] == [("bob@sandbox.example", "Bob")]


async def test_removing_an_invitee_by_its_id_uninvites_them_for_both_apis(
    rest: Rest, emulator: Emulator
) -> None:
    meeting = await rest.create(
        invitees=[
            {"email": "bob@sandbox.example", "displayName": "Bob"},
            {"email": "carol@example.com", "displayName": "Carol", "panelist": True},
        ]
    )
    listed = (await rest.get("/v1/meetingInvitees", params={"meetingId": meeting["id"]})).json()["items"]
    bob = next(item for item in listed if item["email"] == "bob@sandbox.example")
    read = await rest.get(f"/v1/meetingInvitees/{bob['id']}")
    assert read.status_code == 200 and read.json() == bob
    # Bob, invited but not a co-host, sees the meeting and may not change who is invited.
    bobs_token = emulator.rest.issue_tokens("sandbox", "bob@sandbox.example")["access_token"]
    carol = next(item for item in listed if item["email"] == "carol@example.com")
    refused = await rest.delete(f"/v1/meetingInvitees/{carol['id']}", token=bobs_token)
    assert refused.status_code == 403

    removed = await rest.delete(f"/v1/meetingInvitees/{bob['id']}")
    assert removed.status_code == 204
    left = (await rest.get("/v1/meetingInvitees", params={"meetingId": meeting["id"]})).json()["items"]
    assert [item["email"] for item in left] == ["carol@example.com"]
    (stored,) = emulator.meetings()  # the XML API's attendees lose him too
    assert [a.email for a in stored.attendees] == ["carol@example.com"]
    assert (await rest.delete(f"/v1/meetingInvitees/{bob['id']}")).status_code == 404
    assert (await rest.get(f"/v1/meetingInvitees/{'0' * 32}")).status_code == 404
