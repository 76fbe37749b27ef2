"""The shortcuts end to end: signed shortcut payloads open the schedule form, filled as the message says."""

from __future__ import annotations

from typing import Any

from bot.slack.meetings import blocks
from bot.slack.meetings.shortcuts import MESSAGE_SHORTCUT, SCHEDULE_SHORTCUT
from tests.e2e.meetings.conftest import Stage, button, shown_text
from tests.support.emulator import ALICE


def form_fields(view: Any) -> dict[str, Any]:
    return {b["block_id"]: b for b in (view or {}).get("blocks", [])}


async def test_the_global_shortcut_opens_the_schedule_form(linked: Stage) -> None:
    opened = await linked.alice.driver.shortcut(SCHEDULE_SHORTCUT, replies=1)
    assert opened.status == 200
    [form] = opened.replies
    assert form.method == "views.open" and (form.view or {}).get("callback_id") == blocks.SCHEDULE_VIEW
    fields = form_fields(form.view)
    assert fields[blocks.TOPIC]["element"].get("initial_value", "") == ""
    # Filled in and submitted like the form from /webex schedule, it makes the meeting.
    submitted = await linked.alice.driver.submit(
        form, {blocks.TOPIC: "From the shortcut", blocks.DATE: "2027-05-04", blocks.TIME: "10:00"}, replies=1
    )
    assert "From the shortcut" in shown_text(submitted.replies[0])
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "From the shortcut"


async def test_the_message_shortcut_fills_topic_and_invitees_from_the_message(linked: Stage) -> None:
    message = {
        "user": "U_BOB",
        "text": "Quarterly <@U_ANA> review &amp; plan\nsecond line with <@U_LI> and <@U_ALICE>",
        "ts": "1700000000.000100",
    }
    opened = await linked.alice.driver.message_shortcut(MESSAGE_SHORTCUT, message, replies=1)
    [form] = opened.replies
    assert form.method == "views.open"
    fields = form_fields(form.view)
    topic = fields[blocks.TOPIC]["element"]["initial_value"]
    assert topic.startswith("Quarterly @") and topic.endswith("review & plan") and "second" not in topic
    assert "U_ANA" not in topic  # the mention reads as the person's name
    # The author and everyone mentioned, except the person asking (the host).
    assert fields[blocks.INVITEES]["element"]["initial_users"] == ["U_BOB", "U_ANA", "U_LI"]
    # The form remembers the message's channel: "Post the meeting in this channel" posts it there.
    submitted = await linked.alice.driver.submit(
        form, {blocks.DATE: "2027-05-04", blocks.TIME: "10:00", blocks.POST: ["post"]}, replies=1
    )
    [posted] = [c for c in linked.bot_calls("chat.postMessage", after=submitted.first_seq) if c.ok]
    assert posted.channel == linked.alice.driver.channel_id and "Quarterly" in shown_text(posted)
    [meeting] = linked.emulator.meetings()
    assert {a.email for a in meeting.attendees} == {
        "bob@sandbox.example",
        "ana@sandbox.example",
        "li@sandbox.example",
    }


async def test_a_bot_author_is_not_invited(linked: Stage) -> None:
    message = {"user": "U_BOT", "bot_id": "B_BOT", "text": "Deploy finished, ping <@U_BOB>"}
    [form] = (await linked.alice.driver.message_shortcut(MESSAGE_SHORTCUT, message, replies=1)).replies
    assert form_fields(form.view)[blocks.INVITEES]["element"]["initial_users"] == ["U_BOB"]


async def test_before_linking_the_shortcut_asks_to_connect_then_offers_the_filled_form(stage: Stage) -> None:
    message = {"user": "U_BOB", "text": "Budget sync"}
    exchange = await stage.alice.driver.message_shortcut(MESSAGE_SHORTCUT, message, replies=1)
    prompt = exchange.replies[0]
    assert "link your Webex account" in shown_text(prompt) and "I will finish" in shown_text(prompt)
    assert not stage.alice.driver.standin.calls_to("views.open")
    await stage.follow_connect(button(prompt.blocks, "connect_webex")["url"], ALICE)
    offer = await stage.alice.driver.standin.wait_for(
        lambda c: c.seq > prompt.seq and blocks.OPEN_FORM in str(c.blocks)
    )
    # Nothing failed: the form cannot open by itself after linking, so the button is offered.
    assert "Your form is ready: press the button to open it." in shown_text(offer)
    assert "could not" not in shown_text(offer)
    opened = await stage.alice.driver.click(offer, blocks.OPEN_FORM, replies=1)
    fields = form_fields(opened.replies[0].view)
    assert fields[blocks.TOPIC]["element"]["initial_value"] == "Budget sync"
    assert fields[blocks.INVITEES]["element"]["initial_users"] == ["U_BOB"]


async def test_a_shortcut_not_signed_by_slack_opens_nothing(linked: Stage) -> None:
    first = linked.alice.driver.standin.next_seq()
    for signature in ("wrong", "missing"):
        forged = await linked.alice.driver.shortcut(SCHEDULE_SHORTCUT, signature=signature)
        assert forged.status == 401
    # A genuine one afterwards is answered, so nothing was merely slow: the forged ones did nothing.
    await linked.alice.driver.shortcut(SCHEDULE_SHORTCUT, replies=1)
    opened = [c for c in linked.alice.driver.standin.calls if c.seq >= first]
    assert [c.method for c in opened] == ["views.open"]


async def test_the_global_shortcut_offers_no_channel_post_and_its_card_says_how_to_share(
    linked: Stage,
) -> None:
    # Chosen from Slack's shortcuts menu there is no channel: the card comes in a direct message.
    [form] = (await linked.alice.driver.shortcut(SCHEDULE_SHORTCUT, replies=1)).replies
    assert blocks.POST not in form_fields(form.view)
    assert "Post the meeting in this channel" not in shown_text(form)
    submitted = await linked.alice.driver.submit(
        form, {blocks.TOPIC: "No channel", blocks.DATE: "2027-05-04", blocks.TIME: "10:00"}, replies=1
    )
    [card] = submitted.replies
    assert card.method == "chat.postMessage" and str(card.channel).startswith("D")  # her DM with the bot
    said = shown_text(card)
    assert "Scheduled." in said and "paste its meeting number in the channel" in said
    assert "posts it for everyone" not in said and "Invite me" not in said
    assert [m.conf_name for m in linked.emulator.meetings()] == ["No channel"]


async def test_the_message_shortcut_in_a_direct_message_offers_no_channel_post(linked: Stage) -> None:
    message = {"user": "U_BOB", "text": "Shall we talk about the budget?"}
    opened = await linked.alice.driver.message_shortcut(
        MESSAGE_SHORTCUT, message, channel_id="D_ALICE_BOB", replies=1
    )
    [form] = opened.replies
    fields = form_fields(form.view)
    assert blocks.POST not in fields
    assert fields[blocks.TOPIC]["element"]["initial_value"] == "Shall we talk about the budget?"
    assert fields[blocks.INVITEES]["element"]["initial_users"] == ["U_BOB"]
