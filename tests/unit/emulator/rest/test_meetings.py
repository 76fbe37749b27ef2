"""REST meetings: create, get, put, patch and delete, with Webex's checks and error bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.emulator import Emulator
from tests.unit.emulator.rest.conftest import NOW, Rest, meeting_body


def _error(response_json: dict[str, object]) -> str:
    errors = response_json.get("errors") or [{}]
    assert isinstance(errors, list)
    return str(errors[0].get("description", ""))


async def test_people_me_is_the_signed_in_user(rest: Rest) -> None:
    me = (await rest.get("/v1/people/me")).json()
    assert me["emails"] == ["alice@sandbox.example"]
    assert me["displayName"] == "Alice Archer"
    assert me["timezone"] == "America/New_York"  # timeZoneID 11
    assert me["siteUrls"] == ["sandbox.webex.com#attendee"]


async def test_people_me_needs_its_scope(rest: Rest, emulator: Emulator) -> None:
    token = emulator.rest.issue_tokens("sandbox", "alice@sandbox.example", scopes=["meeting:schedules_read"])
    response = await rest.get("/v1/people/me", token=str(token["access_token"]))
    assert response.status_code == 403
    assert "missing required scopes" in response.json()["message"]


async def test_create_answers_the_series_in_its_own_zone(rest: Rest) -> None:
    body = meeting_body(zone="America/New_York", agenda="Plans", invitees=[{"email": "bob@sandbox.example"}])
    body["start"], body["end"] = "2031-03-10T10:00:00-04:00", "2031-03-10T10:45:00-04:00"
    created = await rest.create()
    response = await rest.post("/v1/meetings", json=body)
    assert response.status_code == 200
    meeting = response.json()
    assert meeting["meetingType"] == "meetingSeries" and meeting["state"] == "active"
    assert (meeting["start"], meeting["end"]) == ("2031-03-10T10:00:00-04:00", "2031-03-10T10:45:00-04:00")
    assert meeting["timezone"] == "America/New_York"
    assert meeting["title"] == "Standup" and meeting["agenda"] == "Plans"
    assert len(meeting["id"]) == 32 and meeting["id"] != created["id"]
    assert 9 <= len(meeting["meetingNumber"]) <= 10
    assert meeting["hostEmail"] == "alice@sandbox.example"
    assert meeting["webLink"].endswith(f"/sandbox/j.php?MTID=m{meeting['id']}")
    assert response.headers["TrackingID"]
    password = meeting["password"]
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password)


async def test_a_naive_start_is_read_in_the_given_zone(rest: Rest) -> None:
    body = meeting_body(zone="Asia/Tokyo")
    body["start"], body["end"] = "2031-03-10 09:00:00", "2031-03-10 09:30:00"
    meeting = (await rest.post("/v1/meetings", json=body)).json()
    assert meeting["start"] == "2031-03-10T09:00:00+09:00"
    stored = await rest.get(f"/v1/meetings/{meeting['id']}")
    assert stored.json()["start"] == "2031-03-10T00:00:00Z"  # reads answer in UTC without a timezone header


async def test_start_keeps_minutes_and_one_in_the_current_minute_moves_to_the_next(rest: Rest) -> None:
    body = meeting_body()
    body["start"], body["end"] = "2031-03-04T09:00:42Z", "2031-03-04T09:30:59Z"
    meeting = (await rest.post("/v1/meetings", json=body)).json()
    assert (meeting["start"], meeting["end"]) == ("2031-03-04T09:00:00Z", "2031-03-04T09:30:00Z")
    now = NOW.replace(second=45)
    body["start"], body["end"] = now.isoformat(), (now + timedelta(minutes=20)).isoformat()
    soon = (await rest.post("/v1/meetings", json=body)).json()
    assert soon["start"] == "2031-03-03T12:01:00Z"


async def test_bad_meetings_are_refused_with_what_to_fix(rest: Rest, emulator: Emulator) -> None:
    cases = {
        "start cannot be before": meeting_body(days=-1),
        "10 minutes to 23 hours 59 minutes": meeting_body(minutes=5),
        "10 minutes to 23 hours 59 minutes ": meeting_body(minutes=24 * 60),
        "title can be a maximum of 128": meeting_body(title="x" * 129),
        "agenda can be a maximum of 1300": meeting_body(agenda="x" * 1301),
        "not an IANA time zone": meeting_body(zone="Mars/Olympus"),
        "10 years or more": meeting_body(days=3700),
        "Meeting password validation failed": meeting_body(password="short"),
        "joinBeforeHostMinutes": meeting_body(joinBeforeHostMinutes=7),
        "FREQ=DAILY, WEEKLY": meeting_body(recurrence="FREQ=HOURLY"),
        "COUNT must be between 1 and 261": meeting_body(recurrence="FREQ=WEEKLY;COUNT=300"),
        "valid email": meeting_body(invitees=[{"email": "nobody"}]),
    }
    for expected, body in cases.items():
        response = await rest.post("/v1/meetings", json=body)
        assert response.status_code == 400, (expected, response.text)
        answer = response.json()
        assert answer["message"] == "The input parameters contain invalid items."
        assert expected.strip() in _error(answer), (expected, answer)
        assert answer["trackingId"]
    end_first = meeting_body()
    end_first["end"] = (NOW + timedelta(hours=1)).isoformat()
    assert "end cannot be before start" in _error((await rest.post("/v1/meetings", json=end_first)).json())
    assert emulator.meetings() == []


async def test_an_offset_that_disagrees_with_the_timezone_is_refused(rest: Rest) -> None:
    body = meeting_body(zone="Asia/Kolkata")
    body["start"], body["end"] = "2031-03-21T05:00:00Z", "2031-03-21T06:00:00Z"
    response = await rest.post("/v1/meetings", json=body)
    assert response.status_code == 400
    assert _error(response.json()) == (
        "timezone 'Asia/Kolkata' and timezone offset in '2031-03-21T05:00:00Z' do not match"
    )


async def test_unreadable_bodies_are_malformed(rest: Rest, emulator: Emulator) -> None:
    emulator.rest.strict = False  # the emulator's own reading, not the description's
    not_json = await rest.post(
        "/v1/meetings", content=b"{title", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert (
        not_json.json()["message"]
        == "The request could not be understood by the server due to malformed syntax."
    )
    wrong_type = await rest.post("/v1/meetings", json={**meeting_body(), "title": 5})
    assert wrong_type.status_code == 400 and "title" in _error(wrong_type.json())


async def test_writing_needs_the_write_scope(rest: Rest, emulator: Emulator) -> None:
    token = emulator.rest.issue_tokens("sandbox", "alice@sandbox.example", scopes=["meeting:schedules_read"])
    response = await rest.post("/v1/meetings", json=meeting_body(), token=str(token["access_token"]))
    assert response.status_code == 403
    assert emulator.meetings() == []


async def test_no_or_a_made_up_token_is_401(rest: Rest) -> None:
    assert (await rest.client.get("/v1/meetings")).status_code == 401
    assert (await rest.get("/v1/meetings", token="made-up")).status_code == 401
    basic = await rest.client.get("/v1/meetings", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401 and basic.json()["trackingId"]


async def test_get_series_and_occurrence_and_404(rest: Rest) -> None:
    created = await rest.create(recurrence="FREQ=DAILY;COUNT=3")
    series = (await rest.get(f"/v1/meetings/{created['id']}")).json()
    assert series["recurrence"] == "FREQ=DAILY;COUNT=3" and series["start"] == "2031-03-04T12:00:00Z"
    second = f"{created['id']}_20310305T120000Z"
    occurrence = (await rest.get(f"/v1/meetings/{second}")).json()
    assert occurrence["meetingType"] == "scheduledMeeting"
    assert occurrence["meetingSeriesId"] == created["id"]
    assert (occurrence["start"], occurrence["state"]) == ("2031-03-05T12:00:00Z", "scheduled")
    for missing in ("0" * 32, f"{created['id']}_20310306T130000Z", "not-an-id"):
        response = await rest.get(f"/v1/meetings/{missing}")
        assert response.status_code == 404
        assert response.json()["message"] == "Cannot find the data"


async def test_others_cannot_see_a_meeting_but_invitees_can(
    rest: Rest, emulator: Emulator, bob_rest_token: str
) -> None:
    private = await rest.create()
    assert (await rest.get(f"/v1/meetings/{private['id']}", token=bob_rest_token)).status_code == 404
    shared = await rest.create(invitees=[{"email": "bob@sandbox.example", "displayName": "Bob"}])
    seen = await rest.get(f"/v1/meetings/{shared['id']}", token=bob_rest_token)
    assert seen.status_code == 200
    changed = await rest.patch(f"/v1/meetings/{shared['id']}", json={"title": "Mine"}, token=bob_rest_token)
    assert changed.status_code == 403
    assert (await rest.delete(f"/v1/meetings/{shared['id']}", token=bob_rest_token)).status_code == 403
    assert emulator.rest.meeting(shared["id"])["title"] == "Standup"  # type: ignore[index]


async def test_patch_changes_what_it_names_and_null_clears(rest: Rest) -> None:
    created = await rest.create(agenda="Plans", recurrence="FREQ=WEEKLY;COUNT=4", enabledJoinBeforeHost=True)
    response = await rest.patch(
        f"/v1/meetings/{created['id']}", json={"title": "Retro", "agenda": None, "recurrence": None}
    )
    assert response.status_code == 200
    patched = response.json()
    assert patched["title"] == "Retro" and patched["agenda"] == "" and "recurrence" not in patched
    assert patched["start"] == created["start"] and patched["enabledJoinBeforeHost"] is True
    assert patched["meetingSeriesId"] == created["id"]


async def test_patch_moves_the_meeting_and_checks_the_new_times(rest: Rest) -> None:
    created = await rest.create()
    moved = await rest.patch(
        f"/v1/meetings/{created['id']}", json={"start": "2031-03-06T15:00:00Z", "end": "2031-03-06T16:00:00Z"}
    )
    assert (moved.json()["start"], moved.json()["end"]) == ("2031-03-06T15:00:00Z", "2031-03-06T16:00:00Z")
    past = await rest.patch(f"/v1/meetings/{created['id']}", json={"start": "2031-03-01T15:00:00Z"})
    assert past.status_code == 400
    again = (await rest.get(f"/v1/meetings/{created['id']}")).json()
    assert again["start"] == "2031-03-06T15:00:00Z"  # nothing half-written


async def test_put_replaces_the_meeting_and_needs_title_start_end(rest: Rest) -> None:
    created = await rest.create(agenda="Plans", publicMeeting=True)
    partial = await rest.put(f"/v1/meetings/{created['id']}", json={"title": "Only"})
    assert partial.status_code == 400 and "start is required" in _error(partial.json())
    body = meeting_body(title="Replaced", days=2)
    replaced = (await rest.put(f"/v1/meetings/{created['id']}", json=body)).json()
    assert replaced["title"] == "Replaced" and replaced["agenda"] == "" and replaced["publicMeeting"] is False
    assert replaced["start"] == "2031-03-05T12:00:00Z"
    assert replaced["password"] == created["password"]  # kept when not sent


async def test_one_occurrence_can_change_on_its_own(rest: Rest) -> None:
    created = await rest.create(recurrence="FREQ=DAILY;COUNT=3")
    second = f"{created['id']}_20310305T120000Z"
    changed = await rest.patch(
        f"/v1/meetings/{second}",
        json={"title": "Moved", "start": "2031-03-05T14:00:00Z", "end": "2031-03-05T14:30:00Z"},
    )
    assert changed.status_code == 200
    assert changed.json()["isModified"] is True and changed.json()["start"] == "2031-03-05T14:00:00Z"
    listed = await rest.get(
        "/v1/meetings", params={"meetingType": "scheduledMeeting", "meetingSeriesId": created["id"]}
    )
    titles = [(item["title"], item["start"], item["isModified"]) for item in listed.json()["items"]]
    assert titles == [
        ("Standup", "2031-03-04T12:00:00Z", False),
        ("Moved", "2031-03-05T14:00:00Z", True),
        ("Standup", "2031-03-06T12:00:00Z", False),
    ]
    refused = await rest.patch(f"/v1/meetings/{second}", json={"recurrence": "FREQ=DAILY"})
    assert refused.status_code == 400


async def test_delete_is_204_then_404_and_an_occurrence_goes_alone(rest: Rest, emulator: Emulator) -> None:
    single = await rest.create()
    deleted = await rest.delete(f"/v1/meetings/{single['id']}")
    assert deleted.status_code == 204 and deleted.content == b"" and deleted.headers["TrackingID"]
    again = await rest.delete(f"/v1/meetings/{single['id']}")
    assert again.status_code == 404 and again.json()["message"] == "Meeting data not found(or null)"
    series = await rest.create(recurrence="FREQ=DAILY;COUNT=3")
    assert (await rest.delete(f"/v1/meetings/{series['id']}_20310305T120000Z")).status_code == 204
    listed = await rest.get("/v1/meetings", params={"meetingType": "scheduledMeeting"})
    assert [item["start"] for item in listed.json()["items"]] == [
        "2031-03-04T12:00:00Z",
        "2031-03-06T12:00:00Z",
    ]
    assert len(emulator.meetings()) == 1


async def test_recurrence_keeps_the_wall_clock_across_daylight_saving(rest: Rest) -> None:
    body = meeting_body(zone="America/New_York", recurrence="FREQ=WEEKLY;BYDAY=TU;COUNT=3")
    body["start"], body["end"] = "2031-03-04T09:00:00", "2031-03-04T09:30:00"  # DST starts 9 March 2031
    created = (await rest.post("/v1/meetings", json=body)).json()
    listed = await rest.get(
        "/v1/meetings",
        params={
            "meetingType": "scheduledMeeting",
            "from": "2031-03-01T00:00:00Z",
            "to": "2031-03-31T00:00:00Z",
        },
        headers={"timezone": "America/New_York"},
    )
    starts = [item["start"] for item in listed.json()["items"] if item["meetingSeriesId"] == created["id"]]
    assert starts == ["2031-03-04T09:00:00-05:00", "2031-03-11T09:00:00-04:00", "2031-03-18T09:00:00-04:00"]


def test_the_python_api_seeds_a_past_meeting(emulator: Emulator) -> None:
    start = datetime(2031, 2, 1, 9, tzinfo=UTC)
    seeded = emulator.rest.add_meeting(
        "sandbox",
        "alice@sandbox.example",
        {"title": "Old", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
    )
    assert seeded["state"] == "expired"
    assert emulator.rest.meeting(str(seeded["id"]))["title"] == "Old"  # type: ignore[index]


async def test_another_user_can_neither_read_change_nor_cancel_a_meeting(
    rest: Rest, emulator: Emulator, bob_rest_token: str
) -> None:
    mine = await rest.create(title="Private", agenda="Salaries")
    path = f"/v1/meetings/{mine['id']}"
    for method, body in (("GET", None), ("PATCH", {"title": "Hijacked"}), ("PUT", meeting_body(title="X"))):
        response = await rest.request(method, path, json=body, token=bob_rest_token)
        assert response.status_code == 404, method
        assert "Salaries" not in response.text
    assert (await rest.delete(path, token=bob_rest_token)).status_code == 404
    join = await rest.post("/v1/meetings/join", json={"meetingId": mine["id"]}, token=bob_rest_token)
    assert join.status_code == 404
    listed = await rest.get(
        "/v1/meetings", params={"meetingNumber": mine["meetingNumber"]}, token=bob_rest_token
    )
    assert listed.json() == {"items": []}
    kept = emulator.rest.meeting(mine["id"])
    assert kept is not None and kept["title"] == "Private" and kept["agenda"] == "Salaries"


async def test_scheduling_for_someone_else_needs_an_admin(rest: Rest, emulator: Emulator) -> None:
    response = await rest.post("/v1/meetings", json=meeting_body(hostEmail="bob@sandbox.example"))
    assert response.status_code == 403
    assert emulator.meetings() == []
    listed = await rest.get("/v1/meetings", params={"hostEmail": "bob@sandbox.example"})
    assert listed.status_code == 403
