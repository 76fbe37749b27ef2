"""Recordings end to end: the list from LstRecording, Share posts the playback link, and Rename asks
for permission to change recordings the first time (incremental consent), then finishes by itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.slack import recordings
from tests.e2e.meetings.conftest import Stage, button, iter_elements, shown_text
from tests.support.emulator import ALICE, BOB, SITE, approve_consent


def seed(stage: Stage, name: str, *, days_ago: float, minutes: int, host: str = ALICE) -> str:
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    made = stage.emulator.add_recording(SITE, host, name, created=created, duration_seconds=minutes * 60)
    return str(made.recording_id)


def stored_name(stage: Stage, recording_id: str) -> str:
    site = stage.emulator.state.site_state(SITE)
    assert site is not None
    return site.recordings[int(recording_id)].name


async def test_recordings_lists_the_recent_ones_newest_first_with_their_buttons(linked: Stage) -> None:
    seed(linked, "Old all-hands", days_ago=45, minutes=50)
    seed(linked, "Design review", days_ago=3, minutes=62)
    seed(linked, "Standup", days_ago=1, minutes=15)
    seed(linked, "Bob's demo", days_ago=1, minutes=20, host=BOB)
    exchange = await linked.alice.driver.command("recordings", replies=1)
    assert exchange.ack_text == recordings.LOOKING
    text = shown_text(exchange.replies[0])
    assert text.index("Standup") < text.index("Design review")
    assert "15 min" in text and "1 h 2 min" in text
    assert "Old all-hands" not in text and "Bob's demo" not in text
    kinds = [e.get("action_id") for e in iter_elements(exchange.replies[0].blocks)]
    assert kinds.count(recordings.SHARE_RECORDING) == 2
    # Rename only where the API can rename (the REST API cannot): no button that could only fail.
    assert kinds.count(recordings.RENAME_RECORDING) == (0 if linked.api == "rest" else 2)
    asked = linked.pick(
        linked.emulator.xml_requests("LstRecording"), linked.emulator.rest.requests("GET /v1/recordings")
    )
    assert asked


def skip_renaming_on_rest(linked: Stage) -> None:
    if linked.api == "rest":
        pytest.skip("the Webex REST API has no operation that renames a recording, so no Rename button")


async def test_no_recordings_says_so(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("recordings", replies=1)
    assert "no recordings from the last 30 days" in shown_text(exchange.replies[0])


async def test_share_posts_the_playback_link_in_the_channel(linked: Stage) -> None:
    seed(linked, "Design review", days_ago=2, minutes=30)
    listed = (await linked.alice.driver.command("recordings", replies=1)).replies[0]
    shared = await linked.alice.driver.click(listed, recordings.SHARE_RECORDING, replies=1)
    [post] = shared.replies
    assert post.method == "chat.postMessage" and post.channel == linked.alice.driver.channel_id
    assert "Design review" in shown_text(post) and "<@U_ALICE> shared a Webex recording" in shown_text(post)
    play = button(post.blocks, "recording.play")["url"]
    assert "RCID=" in play and play in (post.text or "")
    # Nothing in the post lets anyone else rename it.
    assert recordings.RENAME_RECORDING not in {e.get("action_id") for e in iter_elements(post.blocks)}


async def test_rename_asks_for_the_permission_once_then_finishes_by_itself(linked: Stage) -> None:
    skip_renaming_on_rest(linked)
    recording_id = seed(linked, "Design review", days_ago=2, minutes=30)
    driver = linked.alice.driver
    listed = (await driver.command("recordings", replies=1)).replies[0]
    opened = await driver.click(listed, recordings.RENAME_RECORDING, replies=1)
    [form] = opened.replies
    assert form.method == "views.open"
    name_block = (form.view or {})["blocks"][0]
    assert name_block["element"]["initial_value"] == "Design review"
    submitted = await driver.submit(form, {recordings.NAME: "Design review (final)"}, replies=1)
    prompt = submitted.replies[0]
    assert "rename recordings" in shown_text(prompt) and "Reconnect" in shown_text(prompt)
    assert stored_name(linked, recording_id) == "Design review"  # nothing changed yet
    assert not linked.emulator.xml_requests("SetRecordingInfo")

    # The Reconnect link asks Webex for the usual scopes and recording_modify.
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(button(prompt.blocks, "connect_webex")["url"], follow_redirects=False)
        authorize = start.headers["location"]
        scopes = parse_qs(urlsplit(authorize).query)["scope"][0].replace("+", " ").split()
        assert "recording_modify" in scopes and "meeting_modify" in scopes and "all_read" in scopes
        callback = await approve_consent(browser, authorize, user=ALICE)
        done = await browser.get(callback, follow_redirects=False)
        assert done.status_code == 200
    renamed = await driver.standin.wait_for(
        lambda c: c.seq > prompt.seq and "Renamed the recording" in shown_text(c)
    )
    assert "Design review (final)" in shown_text(renamed)
    assert stored_name(linked, recording_id) == "Design review (final)"

    # From now on a rename asks for nothing more.
    listed = (await driver.command("recordings", replies=1)).replies[0]
    form = (await driver.click(listed, recordings.RENAME_RECORDING, replies=1)).replies[0]
    again = await driver.submit(form, {recordings.NAME: "Design review v3"}, replies=1)
    assert "Renamed the recording to *Design review v3*" in shown_text(again.replies[0])
    assert stored_name(linked, recording_id) == "Design review v3"


async def test_an_empty_name_is_refused_in_the_form(linked: Stage) -> None:
    skip_renaming_on_rest(linked)
    recording_id = seed(linked, "Keep me", days_ago=1, minutes=5)
    listed = (await linked.alice.driver.command("recordings", replies=1)).replies[0]
    form = (await linked.alice.driver.click(listed, recordings.RENAME_RECORDING, replies=1)).replies[0]
    answer = await linked.alice.driver.submit(form, {recordings.NAME: "   "})
    assert answer.json()["response_action"] == "errors" and recordings.NAME in answer.json()["errors"]
    assert stored_name(linked, recording_id) == "Keep me"


async def test_another_persons_button_renames_nothing(linked: Stage) -> None:
    skip_renaming_on_rest(linked)
    recording_id = seed(linked, "Alice's talk", days_ago=1, minutes=5)
    listed = (await linked.alice.driver.command("recordings", replies=1)).replies[0]
    # Bob presses a Rename button copied from Alice's list: the sealed value is not his.
    pressed = await linked.bob.driver.click(listed, recordings.RENAME_RECORDING, replies=1)
    assert not [c for c in pressed.replies if c.method == "views.open"]
    assert stored_name(linked, recording_id) == "Alice's talk"
    assert not linked.emulator.xml_requests("SetRecordingInfo")
