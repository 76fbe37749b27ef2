"""Channel cards that stay true: every posted copy follows an edit, and a cancel, of its meeting."""

from __future__ import annotations

import asyncio

from bot.sandbox.workspace import RecordedCall
from bot.slack.meetings import blocks
from bot.slack.meetings.shortcuts import SCHEDULE_SHORTCUT
from tests.e2e.meetings.conftest import Stage, iter_elements, on_both_databases, shown_text


def action_ids(blocks_: list[dict[str, object]]) -> set[object]:
    return {e.get("action_id") for e in iter_elements(blocks_)}  # type: ignore[arg-type]


async def shared_twice(linked: Stage) -> tuple[RecordedCall, list[tuple[str, str]]]:
    """Alice schedules with "Post the meeting in this channel" from #general, then shares the same card
    in #sandbox: two copies, in two channels. Returns her card and where the copies are."""
    driver = linked.alice.driver
    form = (await driver.command("schedule", channel_id="C_GENERAL", replies=1)).replies[0]
    values = {blocks.TOPIC: "Roadmap", blocks.DATE: "2027-03-02", blocks.TIME: "10:00", blocks.POST: ["post"]}
    submitted = await driver.submit(form, values, replies=1)
    [first] = [c for c in linked.bot_calls("chat.postMessage", after=submitted.first_seq) if c.ok]
    card = submitted.replies[0]
    # The same card's Share in channel, pressed where the driver types (#sandbox).
    shared = await driver.click(card.blocks, blocks.SHARE, replies=1)
    [second] = shared.replies
    assert second.method == "chat.postMessage" and second.ok
    copies = [(str(first.channel), str(first.message_ts)), (str(second.channel), str(second.message_ts))]
    assert {channel for channel, _ in copies} == {"C_GENERAL", "C_SANDBOX"}
    return card, copies


def delete_in_webex(linked: Stage) -> None:
    """The one meeting deleted on the Webex site, behind the bot's back."""
    [meeting] = linked.emulator.meetings()
    site = linked.emulator.state.site_state("sandbox")
    assert site is not None
    with linked.emulator.state.lock:
        del site.meetings[meeting.key]


async def answer_after(linked: Stage, seq: int) -> RecordedCall:
    """The first answer through the response_url after `seq` (the host's own card, replaced)."""
    return await linked.alice.driver.standin.wait_for(lambda c: c.seq >= seq and c.method == "response_url")


async def copies_updated_after(linked: Stage, seq: int, copies: list[tuple[str, str]]) -> list[str]:
    """What each channel copy shows, once every one of them has been updated after `seq`."""
    updates = await linked.alice.driver.standin.wait_for_calls("chat.update", count=2)
    updates = [u for u in updates if u.seq >= seq]
    assert {(u.body["channel"], u.body["ts"]) for u in updates} == set(copies)
    workspace = linked.alice.driver.standin.workspace
    return [str(workspace.messages[(channel, ts)]["blocks"]) for channel, ts in copies]


async def edit_time(linked: Stage, card: RecordedCall, hour: str) -> int:
    driver = linked.alice.driver
    form = (await driver.click(card, blocks.EDIT, replies=2)).replies[1]
    saved = await driver.submit(
        form,
        {blocks.TOPIC: "Roadmap v2", blocks.DATE: "2027-03-02", blocks.TIME: hour, blocks.DURATION: "30"},
    )
    return saved.first_seq


@on_both_databases
async def test_an_edit_updates_every_posted_copy(linked: Stage) -> None:
    card, copies = await shared_twice(linked)
    after = await edit_time(linked, card, "11:30")
    updates = await linked.alice.driver.standin.wait_for_calls("chat.update", count=2)
    updates = [u for u in updates if u.seq >= after]
    assert {(u.body["channel"], u.body["ts"]) for u in updates} == set(copies)
    for update in updates:
        assert update.ok and "Roadmap v2" in shown_text(update) and "11:30" in shown_text(update)
        assert blocks.JOIN in action_ids(update.blocks) and blocks.START not in action_ids(update.blocks)
    # Slack shows the updated card where the old one was.
    workspace = linked.alice.driver.standin.workspace
    for channel, ts in copies:
        assert "Roadmap v2" in str(workspace.messages[(channel, ts)]["blocks"])
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "Roadmap v2"


async def test_a_cancel_says_who_cancelled_it_and_drops_join_in_every_copy(linked: Stage) -> None:
    card, copies = await shared_twice(linked)
    meeting_id = str(linked.emulator.meetings()[0].key)
    cancelled = await linked.alice.driver.click(card, blocks.CANCEL, replies=1)
    assert linked.emulator.meetings() == []
    updates = await linked.alice.driver.standin.wait_for_calls("chat.update", count=2)
    updates = [u for u in updates if u.seq >= cancelled.first_seq]
    assert {(u.body["channel"], u.body["ts"]) for u in updates} == set(copies)
    workspace = linked.alice.driver.standin.workspace
    for update in updates:
        assert "Cancelled by <@U_ALICE>" in shown_text(update)
        assert not {e.get("type") for e in iter_elements(update.blocks)} & {"button"}
        channel, ts = update.body["channel"], update.body["ts"]
        assert "Cancelled by <@U_ALICE>" in str(workspace.messages[(channel, ts)]["blocks"])
        assert blocks.JOIN not in str(workspace.messages[(channel, ts)]["blocks"])
    # Nothing is left to update: the copies are forgotten with the meeting (just after the updates).
    for _ in range(100):
        if not await linked.bot.services.channel_cards.copies("T_SANDBOX", meeting_id):
            break
        await asyncio.sleep(0.05)
    assert await linked.bot.services.channel_cards.copies("T_SANDBOX", meeting_id) == []


@on_both_databases
async def test_a_deleted_copy_is_forgotten_and_the_others_still_follow(linked: Stage) -> None:
    card, copies = await shared_twice(linked)
    workspace = linked.alice.driver.standin.workspace
    gone = copies[0]
    del workspace.messages[gone]  # someone deleted the post in the channel
    after = await edit_time(linked, card, "12:00")
    updates = await linked.alice.driver.standin.wait_for_calls("chat.update", count=2)
    updates = [u for u in updates if u.seq >= after]
    refused = [u for u in updates if not u.ok]
    assert [(u.body["channel"], u.body["ts"]) for u in refused] == [gone]
    assert refused[0].answer["error"] == "message_not_found"
    assert "12:00" in str(workspace.messages[copies[1]]["blocks"])
    meeting_id = linked.meeting_id(linked.emulator.meetings()[0].key)
    left = await linked.bot.services.channel_cards.copies("T_SANDBOX", meeting_id)
    assert [(c.channel_id, c.ts) for c in left] == [copies[1]]
    # The host's own card still said it was saved: a missing copy is no failure of the edit.
    host_card = await linked.alice.driver.standin.wait_for(
        lambda c: (
            c.seq >= after
            and c.method in ("chat.postEphemeral", "response_url")
            and "Roadmap v2" in shown_text(c)
        )
    )
    assert host_card.ok


async def test_a_meeting_deleted_in_webex_loses_join_in_every_copy_when_the_host_presses_cancel(
    linked: Stage,
) -> None:
    card, copies = await shared_twice(linked)
    # The host deletes the meeting on the Webex site, behind the bot's back, then presses Cancel.
    [meeting] = linked.emulator.meetings()
    rest_id = linked.meeting_id(meeting.key) if linked.api == "rest" else None
    delete_in_webex(linked)
    cancelled = await linked.alice.driver.click(card, blocks.CANCEL)
    host_card = await answer_after(linked, cancelled.first_seq)
    told = shown_text(host_card)
    # Her card says so; on the REST API never by the API's own id, a name she has never seen.
    assert "was already cancelled; Webex no longer has it" in told
    assert rest_id is None or rest_id not in told
    for shown in await copies_updated_after(linked, cancelled.first_seq, copies):
        assert blocks.JOIN not in shown and blocks.CALENDAR not in shown
        assert "was cancelled" in shown and "Webex no longer has this meeting" in shown


async def test_share_in_channel_from_a_direct_message_posts_nothing_and_says_how_to_share(
    linked: Stage,
) -> None:
    # The global shortcut has no channel, so its card comes in Alice's DM with the bot.
    opened = await linked.alice.driver.shortcut(SCHEDULE_SHORTCUT, replies=1)
    values = {blocks.TOPIC: "From the shortcut", blocks.DATE: "2027-05-04", blocks.TIME: "10:00"}
    card = (await linked.alice.driver.submit(opened.replies[0], values, replies=1)).replies[0]
    assert str(card.channel).startswith("D")
    shared = await linked.alice.driver.click(card, blocks.SHARE, replies=1)
    [answer] = shared.replies
    assert "I posted nothing: this card is in a direct message" in shown_text(answer)
    assert "shared a Webex meeting" not in shown_text(answer)
    posted = [c for c in linked.bot_calls("chat.postMessage", after=shared.first_seq) if c is not answer]
    assert posted == []
    meeting_id = linked.meeting_id(linked.emulator.meetings()[0].key)
    assert await linked.bot.services.channel_cards.copies("T_SANDBOX", meeting_id) == []


async def test_share_on_a_meeting_deleted_in_webex_turns_the_card_and_every_copy_into_gone(
    linked: Stage,
) -> None:
    card, copies = await shared_twice(linked)
    # Deleted on the Webex site; then the host presses Share in channel on her card once more.
    delete_in_webex(linked)
    pressed = await linked.alice.driver.click(card, blocks.SHARE)
    host_card = await answer_after(linked, pressed.first_seq)
    # Her card itself says the meeting is gone, and offers nothing left to press; nothing was posted.
    assert host_card.body.get("replace_original") is True
    assert "was already cancelled; Webex no longer has it" in shown_text(host_card)
    assert not action_ids(host_card.blocks) - {None}
    assert not [c for c in linked.bot_calls("chat.postMessage", after=pressed.first_seq) if c.ok]
    for shown in await copies_updated_after(linked, pressed.first_seq, copies):
        assert blocks.JOIN not in shown and "Webex no longer has this meeting" in shown


async def test_edit_on_a_meeting_deleted_in_webex_turns_the_card_and_every_copy_into_gone(
    linked: Stage,
) -> None:
    card, copies = await shared_twice(linked)
    # Deleted on the Webex site; then the host presses Edit on her card.
    delete_in_webex(linked)
    pressed = await linked.alice.driver.click(card, blocks.EDIT, replies=2)
    # The waiting form says the meeting is gone (not "no meeting with that number"), and offers no form.
    form = next(c for c in pressed.replies if c.method == "views.update")
    shown_form = str((form.view or {}).get("blocks"))
    assert "Webex no longer has this meeting" in shown_form and "that number" not in shown_form
    assert "submit" not in form.body["view"]
    # Her card itself says the meeting is gone, and offers nothing left to press: one answer, no other.
    host_card = await answer_after(linked, pressed.first_seq)
    assert host_card.body.get("replace_original") is True
    assert "was already cancelled; Webex no longer has it" in shown_text(host_card)
    assert not action_ids(host_card.blocks) - {None}
    await asyncio.sleep(0.2)
    said = ("response_url", "chat.postEphemeral", "chat.postMessage")
    calls = linked.alice.driver.standin.calls
    answers = [c for c in calls if c.seq >= pressed.first_seq and c.method in said]
    assert answers == [host_card]
    for shown in await copies_updated_after(linked, pressed.first_seq, copies):
        assert blocks.JOIN not in shown and "Webex no longer has this meeting" in shown
