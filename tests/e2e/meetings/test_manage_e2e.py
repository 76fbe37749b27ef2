"""Managing meetings end to end: list and paging, cancel, edit, share, now, join, and the Home tab."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.meetings import ScheduledMeeting, ScheduleRequest
from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import Person, Stage, button, iter_elements, on_both_databases, shown_text
from tests.support.emulator import ALICE

DAY = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0) + timedelta(days=2)


async def seed(
    stage: Stage, person: Person, topic: str, start: datetime, minutes: int = 30
) -> ScheduledMeeting:
    """A meeting made through the bot's own service, as if scheduled earlier."""
    services = stage.bot.services
    request = ScheduleRequest(topic=topic, start=start, user_tz="UTC", duration_minutes=minutes)
    return await services.meetings.schedule("T_SANDBOX", person.user_id, request, request_key=f"seed:{topic}")


async def test_list_shows_upcoming_meetings_with_buttons_and_pages(linked: Stage) -> None:
    for i in range(12):
        await seed(linked, linked.alice, f"Meeting {i:02}", DAY + timedelta(hours=i))
    await seed(linked, linked.bob, "Bob's own", DAY)
    first = await linked.alice.driver.command("list", replies=1)
    assert first.ack_text == "Looking up your meetings…"
    page = first.replies[0]
    text = shown_text(page)
    assert "Meeting 00" in text and "Meeting 09" in text and "Meeting 10" not in text
    assert "Bob's own" not in text
    joins = [e for e in iter_elements(page.blocks) if e.get("action_id") == blocks.JOIN]
    assert len(joins) == 10
    # Listing asks Webex for nothing per meeting: a Join link is fetched when it is clicked.
    assert not linked.calls("join")
    opened = await linked.open_in_browser(joins[0]["url"])
    assert opened.status_code == 302
    assert len(linked.calls("join")) == 1
    more = await linked.alice.driver.click(page, blocks.MORE, replies=1)
    rest = shown_text(more.replies[0])
    assert "Meeting 10" in rest and "Meeting 11" in rest and "Meeting 09" not in rest
    assert more.replies[0].body.get("replace_original") is True
    assert blocks.MORE not in {e.get("action_id") for e in iter_elements(more.replies[0].blocks)}


async def test_an_empty_list_is_not_an_error(linked: Stage) -> None:
    for word in ("list", "today", "week"):
        exchange = await linked.alice.driver.command(word, replies=1)
        assert "no" in shown_text(exchange.replies[0]) and "/webex schedule" in shown_text(
            exchange.replies[0]
        )


async def test_week_leaves_out_what_comes_later(linked: Stage) -> None:
    await seed(linked, linked.alice, "Soon", DAY)
    await seed(linked, linked.alice, "Far away", DAY + timedelta(days=20))
    text = shown_text((await linked.alice.driver.command("week", replies=1)).replies[0])
    assert "Soon" in text and "Far away" not in text


async def test_the_week_heading_names_the_days_the_list_covers(linked: Stage) -> None:
    new_york = ZoneInfo("America/New_York")  # alice's Slack time zone
    today = datetime.now(new_york).date()
    last, after = today + timedelta(days=7), today + timedelta(days=8)
    await seed(
        linked,
        linked.alice,
        "Last day",
        datetime.combine(last, datetime.min.time(), new_york).replace(hour=12),
    )
    await seed(
        linked,
        linked.alice,
        "Day after",
        datetime.combine(after, datetime.min.time(), new_york).replace(hour=12),
    )
    listed = (await linked.alice.driver.command("week", replies=1)).replies[0]
    [header] = [b for b in listed.blocks if b["type"] == "header"]
    assert header["text"]["text"] == f"Your meetings, today to {last:%a} {last.day} {last:%b}"
    text = shown_text(listed)
    assert "Last day" in text and "Day after" not in text


async def test_cancel_by_number_asks_first_then_deletes_and_updates_the_message(linked: Stage) -> None:
    made = await seed(linked, linked.alice, "Retro", DAY)
    key = made.meeting.number
    asked = await linked.alice.driver.command(f"cancel {key}", replies=1)
    question = asked.replies[0]
    assert "Retro" in shown_text(question) and linked.emulator.meeting(key) is not None
    done = await linked.alice.driver.click(question, blocks.CANCEL, replies=1)
    assert linked.emulator.meeting(key) is None
    assert "cancelled" in shown_text(done.replies[0])
    assert done.replies[0].body.get("replace_original") is True
    again = await linked.alice.driver.click(question, blocks.CANCEL, replies=1)
    assert "already cancelled" in shown_text(again.replies[0])


async def test_keep_it_changes_nothing(linked: Stage) -> None:
    made = await seed(linked, linked.alice, "Keep me", DAY)
    question = (await linked.alice.driver.command(f"cancel {made.meeting.number}", replies=1)).replies[0]
    kept = await linked.alice.driver.click(question, blocks.KEEP, replies=1)
    assert "nothing was cancelled" in shown_text(kept.replies[0])
    assert linked.emulator.meeting(made.meeting.number) is not None


async def test_a_missing_or_wrong_meeting_number_is_answered_in_the_ack(linked: Stage) -> None:
    driver = linked.alice.driver
    asked = []
    for text, expected in (
        ("cancel", "Which meeting?"),
        ("cancel tomorrow", "is not a meeting number"),
        ("join", "Which meeting?"),
        ("join 12", "is not a meeting number"),
        ("edit", "Which meeting?"),
        # What was typed is echoed escaped and short, as the help echoes an unknown word.
        ("join R&D <2>", "“R&amp;D &lt;2&gt;” is not a meeting number"),
        ("cancel " + "9x" * 2000, "“" + "9x" * 19 + "9…” is not a meeting number"),
    ):
        exchange = await driver.command(text)
        assert expected in exchange.ack_text and exchange.json()["response_type"] == "ephemeral"
        asked.append(exchange)
    # Nothing ran after those acks: once a later command is answered, none of them has a reply.
    await driver.command("list", replies=1)
    assert [call for exchange in asked for call in driver.replies_so_far(exchange)] == []


async def test_two_meeting_numbers_in_one_command_do_nothing_and_say_how_to_type_them(linked: Stage) -> None:
    made = await seed(linked, linked.alice, "Keep me", DAY)
    number = made.meeting.number
    driver = linked.alice.driver
    two = await driver.command(f"cancel {number} 987654321")
    assert two.ack_text == (
        "One command takes one meeting, and I read 2 meeting numbers there, so I did nothing. "
        f"Type them one at a time: `/webex cancel {number}`, then `/webex cancel 987654321`."
    )
    # Groups of four cannot be told apart, but 20 digits are more than any one meeting number.
    grouped = await driver.command("join 1234 5678 9012 3456 7890")
    assert grouped.ack_text.startswith("“1234 5678 9012 3456 7890” has 20 digits, more than one meeting")
    # A number grouped as Webex shows it ("2345 678 901") is still one number.
    shown = f"{number[:4]} {number[4:7]} {number[7:]}"
    joined = await driver.command(f"join {shown}", replies=1)
    assert f"Meeting *{number}* is ready to join." in shown_text(joined.replies[0])
    # The two refused commands ran nothing after their answer, and nothing was cancelled.
    assert driver.replies_so_far(two) == [] and driver.replies_so_far(grouped) == []
    assert linked.calls("cancel") == [] and linked.emulator.meeting(number) is not None


async def test_cancel_from_the_card_button(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Standup tomorrow 9am", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    assert "confirm" in button(card.blocks, blocks.CANCEL)
    done = await linked.alice.driver.click(card, blocks.CANCEL, replies=1)
    assert linked.emulator.meetings() == [] and "cancelled" in shown_text(done.replies[0])
    assert str(meeting.key) in shown_text(done.replies[0])


async def test_edit_opens_a_prefilled_form_and_changes_only_what_changed(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Planning tomorrow 11am for 30m", replies=1)).replies[
        0
    ]
    [before] = linked.emulator.meetings()
    clicked = await linked.alice.driver.click(card, blocks.EDIT, replies=2)
    assert [c.method for c in clicked.replies] == ["views.open", "views.update"]
    form = clicked.replies[1]
    by_id = {b["block_id"]: b for b in (form.view or {}).get("blocks", [])}
    assert by_id[blocks.TOPIC]["element"]["initial_value"] == "Planning"
    local = before.start.astimezone(ZoneInfo("America/New_York"))
    assert by_id[blocks.TIME]["element"]["initial_time"] == local.strftime("%H:%M")
    saved = await linked.alice.driver.submit(
        form,
        {
            blocks.TOPIC: "Planning",
            blocks.DATE: local.strftime("%Y-%m-%d"),
            blocks.TIME: local.strftime("%H:%M"),
            blocks.DURATION: "60",
        },
    )
    assert saved.status == 200
    updated = await linked.alice.driver.standin.wait_for(
        lambda c: c.method == "response_url" and c.seq >= saved.first_seq
    )
    assert "Updated the duration" in shown_text(updated) and updated.body.get("replace_original") is True
    # The edited card keeps every button of the card it replaces; its calendar file has the new end.
    kept = {e.get("action_id") for e in iter_elements(updated.blocks) if e.get("type") == "button"}
    assert kept == {e.get("action_id") for e in iter_elements(card.blocks) if e.get("type") == "button"}
    calendar = await linked.open_in_browser(button(updated.blocks, blocks.CALENDAR)["url"])
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert f"DTEND:{(before.start + timedelta(minutes=60)):%Y%m%dT%H%M%SZ}" in calendar.text
    [after] = linked.emulator.meetings()
    assert after.duration_minutes == 60 and after.start == before.start and after.conf_name == "Planning"
    [sent] = linked.calls("change")
    body = sent.body.decode() if isinstance(sent.body, bytes) else str(sent.body)
    if linked.api == "xml":
        assert "<duration>60</duration>" in body and "confName" not in body and "startDate" not in body
    else:
        # REST takes a new end with the start it belongs to, and nothing else was sent.
        assert set(json.loads(body)) == {"start", "end", "timezone"}


@on_both_databases
async def test_an_edit_saved_twice_reaches_webex_once_and_is_answered_once(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Planning tomorrow 11am", replies=1)).replies[0]
    [before] = linked.emulator.meetings()
    form = (await linked.alice.driver.click(card, blocks.EDIT, replies=2)).replies[1]
    local = before.start.astimezone(ZoneInfo("America/New_York"))
    values = {
        blocks.TOPIC: "Planning v2",
        blocks.DATE: local.strftime("%Y-%m-%d"),
        blocks.TIME: local.strftime("%H:%M"),
        blocks.DURATION: "30",
        blocks.EMAILS: "ops@example.com",
    }
    # Save pressed twice quickly: Slack delivers the same view twice.
    first, second = await asyncio.gather(
        linked.alice.driver.submit(form, values), linked.alice.driver.submit(form, values)
    )
    assert first.status == second.status == 200
    begun = min(first.first_seq, second.first_seq)
    await settled(linked)
    [answer] = [c for c in linked.alice.driver.standin.calls if c.seq >= begun and c.is_reply]
    assert answer.method == "response_url" and answer.body.get("replace_original") is True
    assert "Updated the topic, invitees." in shown_text(answer)
    assert len(linked.calls("change")) == 1
    if linked.api == "rest":  # the invitee is added by a call of its own, once too
        assert len(linked.emulator.rest.requests("POST /v1/meetingInvitees")) == 1
    [after] = linked.emulator.meetings()
    assert after.conf_name == "Planning v2" and [a.email for a in after.attendees] == ["ops@example.com"]

    # A late retry of the same view: nothing is sent to Webex again, and it says so.
    third = await linked.alice.driver.submit(form, values)
    again = await linked.alice.driver.standin.wait_for(lambda c: c.seq >= third.first_seq and c.is_reply)
    assert "Already saved" in shown_text(again) and "Planning v2" in shown_text(again)
    assert again.body.get("replace_original") is True  # the card stays one card
    assert len(linked.calls("change")) == 1


async def settled(stage: Stage) -> None:
    """Wait until the bot has finished all work after its acks (answers sent or decided against)."""
    for _ in range(500):
        if stage.bot.services.work.in_flight == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot's work after the ack did not finish")


async def test_edit_by_command_for_an_unknown_meeting_explains(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("edit 999999999", replies=2)
    assert [c.method for c in exchange.replies] == ["views.open", "views.update"]
    assert "no meeting with that number" in shown_text(exchange.replies[1])


async def test_share_posts_the_channel_copy_without_host_details(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Demo tomorrow 4pm", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    shared = await linked.alice.driver.click(card, blocks.SHARE, replies=1)
    post = shared.replies[0]
    # Posted by the bot (chat.postMessage), so the copy can be updated later.
    assert post.method == "chat.postMessage" and post.channel == linked.alice.driver.channel_id
    assert "Demo" in shown_text(post) and meeting.host_key not in shown_text(post)
    assert {e.get("action_id") for e in iter_elements(post.blocks) if e.get("type") == "button"} == {
        blocks.JOIN,
        blocks.CALENDAR,
    }
    # Add to calendar downloads the meeting as a calendar file, with none of the host's details.
    calendar = await linked.open_in_browser(button(post.blocks, blocks.CALENDAR)["url"])
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert 'filename="webex-meeting-' in calendar.headers["content-disposition"]
    assert "SUMMARY:Demo" in calendar.text and f"DTSTART:{meeting.start:%Y%m%dT%H%M%SZ}" in calendar.text
    assert meeting.host_key not in calendar.text


async def test_now_starts_a_meeting_posted_to_the_channel_with_the_host_link_only_to_the_host(
    linked: Stage,
) -> None:
    exchange = await linked.alice.driver.command("now Quick sync", replies=2)
    public, private = exchange.replies
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "Quick sync"
    assert abs((meeting.start - datetime.now(UTC)).total_seconds()) < 120
    assert public.method == "chat.postMessage" and public.channel == linked.alice.driver.channel_id
    assert button(public.blocks, blocks.JOIN)["url"]
    assert blocks.START not in {e.get("action_id") for e in iter_elements(public.blocks)}
    assert private.body.get("response_type") == "ephemeral"
    assert button(private.blocks, blocks.START)["url"]


async def test_now_keeps_the_topic_as_typed(linked: Stage) -> None:
    # Slack sends "Q&amp;A &lt;v2&gt; with <@U_BOB|bob>"; Webex must get what was typed.
    await linked.alice.driver.command("now Q&A <v2> with @bob in #general", replies=2)
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "Q&A <v2> with @bob in #general"


async def test_join_gives_the_join_link(linked: Stage) -> None:
    made = await seed(linked, linked.bob, "Bob's talk", DAY)
    exchange = await linked.bob.driver.command(f"join {made.meeting.number}", replies=1)
    assert button(exchange.replies[0].blocks, blocks.JOIN)["url"].startswith("http")
    unknown = await linked.bob.driver.command("join 999999999", replies=1)
    assert "no meeting with that number" in shown_text(unknown.replies[0])


async def test_join_gives_the_link_of_someone_elses_meeting_when_webex_lets_the_person_join(
    linked: Stage,
) -> None:
    # Alice hosts both; Bob is not invited. The XML API gives anyone on the site a join link (Webex's
    # page asks for a password). The REST API's link skips the password, so it gives a meeting with a
    # password only to its host and invitees, and one without a password to anyone.
    open_talk = linked.emulator.add_meeting("sandbox", ALICE, "Open talk", DAY, password="")
    protected = linked.emulator.add_meeting("sandbox", ALICE, "Protected", DAY, password="Secret123")
    joined = await linked.bob.driver.command(f"join {open_talk.key}", replies=1)
    assert f"Meeting *{open_talk.key}* is ready to join." in shown_text(joined.replies[0])
    url = button(joined.replies[0].blocks, blocks.JOIN)["url"]
    assert linked.pick(f"MK={open_talk.key}", f"MTID=m{open_talk.uuid}") in url
    answer = shown_text((await linked.bob.driver.command(f"join {protected.key}", replies=1)).replies[0])
    if linked.api == "xml":
        assert f"Meeting *{protected.key}* is ready to join." in answer
    else:
        assert answer == (
            "Webex shows you no meeting with that number: the number may be mistyped or the meeting "
            "cancelled, or it is someone else's meeting that you are not invited to (Webex gives me the "
            "join link of those only with the meeting password). Open the link in the invitation "
            "instead, or ask the host to invite you."
        )


async def test_a_pasted_webex_link_is_read_when_it_shows_the_number(linked: Stage) -> None:
    made = await seed(linked, linked.bob, "Bob's talk", DAY)
    number = made.meeting.number
    # Slack sends a pasted link as `<https://...&amp;MK=...>`, or with the label a client gave it.
    for pasted in (
        f"https://sandbox.webex.com/sandbox/e.php?AT=SI&MK={number}",
        f"<https://sandbox.webex.com/sandbox/e.php?AT=SI&MK={number}|Join Bob's talk>",
    ):
        exchange = await linked.bob.driver.command(f"join {pasted}", replies=1)
        assert f"Meeting *{number}* is ready to join." in shown_text(exchange.replies[0])
    invitation = "https://sandbox.webex.com/sandbox/j.php?MTID=m3881b2c4d5e6"
    for word in ("join", "edit", "cancel"):
        exchange = await linked.bob.driver.command(f"{word} {invitation}")  # answered in the ack
        assert exchange.ack_text.startswith("I cannot read a meeting number from that link.")
    assert linked.emulator.meeting(number) is not None


async def test_home_tab_lists_the_next_meetings(linked: Stage) -> None:
    await seed(linked, linked.alice, "On the home tab", DAY)
    opened = await linked.alice.driver.open_home(replies=1)
    home = opened.replies[0]
    assert home.method == "views.publish"
    assert "On the home tab" in shown_text(home)
    assert button((home.view or {}).get("blocks", []), blocks.CANCEL)


async def test_cancel_from_the_home_tab_refreshes_it(linked: Stage) -> None:
    made = await seed(linked, linked.alice, "Cancel me at home", DAY)
    home = (await linked.alice.driver.open_home(replies=1)).replies[0]
    clicked = await linked.alice.driver.click(home, blocks.CANCEL)
    assert clicked.status == 200
    republished = await linked.alice.driver.standin.wait_for(
        lambda c: c.method == "views.publish" and c.seq >= clicked.first_seq
    )
    assert linked.emulator.meeting(made.meeting.number) is None
    assert "Cancel me at home" not in shown_text(republished)
    told = [
        c
        for c in linked.alice.driver.standin.calls
        if c.seq >= clicked.first_seq and "cancelled" in shown_text(c)
    ]
    assert told, "the person is told the meeting was cancelled"


async def test_help_lists_the_meeting_commands(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("help")  # answered in the ack itself
    text = exchange.ack_text
    for usage in (
        "/webex schedule",
        "/webex list",
        "/webex cancel",
        "/webex now",
        "/webex join",
        "/webex edit",
    ):
        assert usage in text
    # Every other word that works is named too, from the same list the router dispatches on.
    for line, aliases in (
        ("/webex list | today | week", "(also `upcoming`)"),
        ("/webex schedule", "(also `new`, `create`)"),
        ("/webex cancel", "(also `delete`)"),
        ("/webex disconnect", "(also `signout`, `logout`, `unlink`)"),
        ("/webex status", "(also `whoami`)"),
    ):
        [shown] = [
            row for row in exchange.ack_blocks[0]["text"]["text"].splitlines() if row.startswith(f"• `{line}")
        ]
        assert shown.endswith(aliases), shown


async def test_an_unknown_word_is_echoed_escaped_and_short(linked: Stage) -> None:
    for typed, echoed in (("R&D plans", "`R&amp;D`"), ("x" * 5000, "`" + "x" * 39 + "…`")):
        exchange = await linked.alice.driver.command(typed)  # the help, in the ack
        assert exchange.status == 200
        text = exchange.ack_blocks[0]["text"]["text"]
        assert text.startswith(f"I don't know {echoed}. Here is what I can do:")
        assert len(text) <= blocks.SECTION_TEXT_LIMIT


async def test_cancel_from_the_list_shows_the_list_again_without_it(linked: Stage) -> None:
    gone = await seed(linked, linked.alice, "Goes away", DAY)
    await seed(linked, linked.alice, "Stays", DAY + timedelta(hours=1))
    listed = (await linked.alice.driver.command("list", replies=1)).replies[0]
    row = next(b for b in listed.blocks if b.get("block_id") == f"list:{gone.meeting.meeting_id}")
    done = await linked.alice.driver.click([row], blocks.CANCEL, replies=1)
    after = done.replies[0]
    assert after.body.get("replace_original") is True
    text = shown_text(after)
    assert "Goes away" in text and "cancelled" in text and "Stays" in text
    assert f"list:{gone.meeting.meeting_id}" not in {b.get("block_id") for b in after.blocks}
    assert linked.emulator.meeting(gone.meeting.number) is None


async def test_link_buttons_are_acknowledged(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Links tomorrow 9am", replies=1)).replies[0]
    for action_id in (blocks.JOIN, blocks.START):
        clicked = await linked.alice.driver.click(card, action_id)
        assert clicked.status == 200


async def test_edit_after_unlinking_says_to_link_in_the_form_not_that_something_broke(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Planning tomorrow 11am", replies=1)).replies[0]
    await linked.alice.driver.command("disconnect", replies=1)
    clicked = await linked.alice.driver.click(card, blocks.EDIT, replies=3)
    form = next(c for c in clicked.replies if c.method == "views.update")
    assert "Your Webex account needs linking first" in shown_text(form)
    assert "went wrong" not in shown_text(form)
    # The Connect button itself comes in the conversation, where a button can be pressed.
    prompt = next(c for c in clicked.replies if c.method == "response_url")
    assert button(prompt.blocks, "connect_webex")
    assert "When you are done, press *Edit* again." in shown_text(prompt)


async def test_edit_from_the_home_tab_publishes_it_again(linked: Stage) -> None:
    made = await seed(linked, linked.alice, "Home edit", DAY)
    home = (await linked.alice.driver.open_home(replies=1)).replies[0]
    clicked = await linked.alice.driver.click(home, blocks.EDIT, replies=2)
    form = clicked.replies[1]
    local = made.meeting.start.astimezone(ZoneInfo("America/New_York"))
    saved = await linked.alice.driver.submit(
        form,
        {
            blocks.TOPIC: "Home edit renamed",
            blocks.DATE: local.strftime("%Y-%m-%d"),
            blocks.TIME: local.strftime("%H:%M"),
            blocks.DURATION: "30",
        },
    )
    republished = await linked.alice.driver.standin.wait_for(
        lambda c: c.method == "views.publish" and c.seq >= saved.first_seq
    )
    assert "Home edit renamed" in shown_text(republished)
    assert linked.emulator.meeting(made.meeting.number).conf_name == "Home edit renamed"  # type: ignore[union-attr]


async def test_edit_removes_an_invitee_on_either_api(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("schedule", replies=1)
    scheduled = await linked.alice.driver.submit(
        exchange.replies[0],
        {
            blocks.TOPIC: "Invitee review",
            blocks.DATE: "2027-01-12",
            blocks.TIME: "09:30",
            blocks.DURATION: "30",
            blocks.INVITEES: ["U_BOB"],
            blocks.EMAILS: "ops@example.com",
        },
        replies=1,
    )
    card = scheduled.replies[0]
    [before] = linked.emulator.meetings()
    assert {a.email for a in before.attendees} == {"bob@sandbox.example", "ops@example.com"}
    clicked = await linked.alice.driver.click(card, blocks.EDIT, replies=2)
    form = clicked.replies[1]
    by_id = {b["block_id"]: b for b in (form.view or {}).get("blocks", [])}
    # The edit form lists every invitee by address, with the name Webex shows; the person deletes one.
    shown = by_id[blocks.EMAILS]["element"]["initial_value"]
    assert shown == "Bob Baker <bob@sandbox.example>, ops@example.com"
    saved = await linked.alice.driver.submit(
        form,
        {
            blocks.TOPIC: "Invitee review",
            blocks.DATE: "2027-01-12",
            blocks.TIME: "09:30",
            blocks.DURATION: "30",
            blocks.EMAILS: "bob@sandbox.example",
        },
    )
    assert saved.status == 200
    updated = await linked.alice.driver.standin.wait_for(
        lambda c: c.method in ("response_url", "chat.postEphemeral") and c.seq >= saved.first_seq
    )
    assert "Updated" in shown_text(updated)
    [after] = linked.emulator.meetings()
    assert [a.email for a in after.attendees] == ["bob@sandbox.example"]
    if linked.api == "rest":
        # REST keeps invitees apart from the meeting: the one left out is removed by its own id.
        removed = linked.emulator.rest.requests("DELETE /v1/meetingInvitees/{meetingInviteeId}")
        assert [entry.status for entry in removed] == [204]


async def test_an_edit_that_adds_an_invitee_keeps_the_names_of_the_others(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("schedule", replies=1)
    values = {blocks.TOPIC: "Names", blocks.DATE: "2027-01-12", blocks.TIME: "09:30", blocks.DURATION: "30"}
    scheduled = await linked.alice.driver.submit(
        exchange.replies[0], {**values, blocks.EMAILS: '"Lima, Ana" <ana@x.io>'}, replies=1
    )
    clicked = await linked.alice.driver.click(scheduled.replies[0], blocks.EDIT, replies=2)
    form = clicked.replies[1]
    by_id = {b["block_id"]: b for b in (form.view or {}).get("blocks", [])}
    shown = by_id[blocks.EMAILS]["element"]["initial_value"]
    assert shown == '"Lima, Ana" <ana@x.io>'
    saved = await linked.alice.driver.submit(form, {**values, blocks.EMAILS: f"{shown}, li@y.io"})
    await linked.alice.driver.standin.wait_for(
        lambda c: c.method in ("response_url", "chat.postEphemeral") and c.seq >= saved.first_seq
    )
    [meeting] = linked.emulator.meetings()
    assert {(a.email, a.name) for a in meeting.attendees} == {("ana@x.io", "Lima, Ana"), ("li@y.io", "")}


async def test_the_edit_form_refuses_a_topic_longer_than_webex_stores_beside_the_field(linked: Stage) -> None:
    limit = linked.pick(512, 128)
    card = (await linked.alice.driver.command("schedule Planning tomorrow 11am", replies=1)).replies[0]
    [before] = linked.emulator.meetings()
    form = (await linked.alice.driver.click(card, blocks.EDIT, replies=2)).replies[1]
    local = before.start.astimezone(ZoneInfo("America/New_York"))
    values = {
        blocks.DATE: local.strftime("%Y-%m-%d"),
        blocks.TIME: local.strftime("%H:%M"),
        blocks.DURATION: "30",
    }
    refused = await linked.alice.driver.submit(form, {**values, blocks.TOPIC: "p" * (limit + 1)})
    assert refused.json()["errors"] == {
        blocks.TOPIC: f"The topic is {limit + 1} characters long; Webex takes at most {limit}."
    }
    assert linked.calls("change") == [] and linked.emulator.meetings()[0].conf_name == "Planning"


async def test_a_button_pressed_after_unlinking_asks_to_press_it_again_once_linked(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Planning tomorrow 11am", replies=1)).replies[0]
    await linked.alice.driver.command("disconnect", replies=1)
    for action_id, label in ((blocks.SHARE, "Share in channel"), (blocks.CANCEL, "Cancel")):
        clicked = await linked.alice.driver.click(card, action_id, replies=1)
        prompt = clicked.replies[0]
        assert button(prompt.blocks, "connect_webex")
        told = shown_text(prompt)
        # A press is not carried out by itself after linking, as a command is: the prompt says so.
        assert f"When you are done, press *{label}* again." in told
        assert "/webex schedule" not in told and "I will finish" not in told
    assert len(linked.emulator.meetings()) == 1  # nothing was done


async def test_saving_an_edit_after_unlinking_asks_to_press_edit_again_once_linked(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Planning tomorrow 11am", replies=1)).replies[0]
    form = (await linked.alice.driver.click(card, blocks.EDIT, replies=2)).replies[1]
    await linked.alice.driver.command("disconnect", replies=1)
    [meeting] = linked.emulator.meetings()
    values = {
        blocks.TOPIC: "Planning v2",
        blocks.DATE: "2027-03-02",
        blocks.TIME: "10:00",
        blocks.DURATION: "30",
    }
    saved = await linked.alice.driver.submit(form, values)
    # It answers where the card is (the card's own reply address), not to the closed form.
    prompt = await linked.alice.driver.standin.wait_for(
        lambda c: c.seq >= saved.first_seq and "connect_webex" in str(c.blocks)
    )
    told = shown_text(prompt)
    # The form is closed and its changes are not kept for after linking: the prompt says so.
    assert "When you are done, press *Edit* on the meeting again." in told
    assert "/webex schedule" not in told and "I will finish" not in told
    [still] = linked.emulator.meetings()
    assert still.conf_name == meeting.conf_name


async def test_share_on_the_card_of_a_meeting_that_is_over_posts_nothing_and_says_why(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Planning tomorrow 11am", replies=1)).replies[0]
    # A day later the meeting has come and gone (moved into yesterday in Webex, as time would).
    [meeting] = linked.emulator.meetings()
    site = linked.emulator.state.site_state("sandbox")
    assert site is not None
    with linked.emulator.state.lock:
        site.meetings[meeting.key] = replace(meeting, start=datetime.now(UTC) - timedelta(days=1))
    clicked = await linked.alice.driver.click(card, blocks.SHARE, replies=1)
    told = shown_text(clicked.replies[0])
    assert "I posted nothing: this meeting is over" in told
    assert not [c for c in linked.bot_calls("chat.postMessage", after=clicked.first_seq) if c.ok]
