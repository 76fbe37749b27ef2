"""`/webex schedule` end to end: text, the form, invitees, double submits, time zones and daylight saving."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import Stage, button, on_both_databases, shown_text


async def test_schedule_from_text_creates_the_meeting_and_answers_with_the_card(linked: Stage) -> None:
    exchange = await linked.alice.driver.command(
        "schedule Design review tomorrow 3pm for 45m with ops@example.com", replies=1
    )
    assert exchange.status == 200 and exchange.ack_text == "Scheduling…"
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "Design review"
    assert meeting.duration_minutes == 45
    assert [a.email for a in meeting.attendees] == ["ops@example.com"]
    # 3 pm in New York, in the New York Webex zone.
    local = meeting.start.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (15, 0) and meeting.time_zone_name.endswith("(New York)")
    card = exchange.replies[0]
    text = shown_text(card)
    assert str(meeting.key) in text and "45 min" in text
    assert f"<!date^{int(meeting.start.timestamp())}^" in text
    team_id = linked.alice.driver.standin.workspace.team_id
    for action_id in (blocks.SHARE, blocks.EDIT, blocks.CANCEL):
        # Each button carries the meeting number sealed for Alice and that button alone.
        value = button(card.blocks, action_id)["value"]
        assert str(meeting.key) not in value
        opened = linked.bot.services.sealed.open(value, team_id=team_id, user_id="U_ALICE", used_by=action_id)
        assert opened == linked.meeting_id(meeting.key)
    # One call to Webex: the card is made from what it accepted; links are asked for at the click.
    assert [r.operation for r in linked.calls()] == [linked.operation("create")]


async def test_an_address_typed_as_mail_clients_copy_it_invites_that_person_by_name(linked: Stage) -> None:
    # Slack sends `"Ana Lima" &lt;<mailto:ana@x.io|ana@x.io>&gt;`: the name and brackets are not the topic.
    await linked.alice.driver.command('schedule Sync tomorrow 3pm with "Ana Lima" <ana@x.io>', replies=1)
    await linked.alice.driver.command("schedule Retro tomorrow 4pm with Li <li@y.io>", replies=1)
    made = {m.conf_name: [(a.email, a.name) for a in m.attendees] for m in linked.emulator.meetings()}
    assert made == {"Sync": [("ana@x.io", "Ana Lima")], "Retro": [("li@y.io", "Li")]}


async def test_the_cards_join_button_opens_the_join_link_webex_gives(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Links tomorrow 9am", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    url = button(card.blocks, blocks.JOIN)["url"]
    assert url.startswith(linked.bot.url + "/webex/meetings/") and str(meeting.key) not in url
    opened = await linked.open_in_browser(url)
    assert opened.status_code == 302 and opened.headers["cache-control"] == "no-store"
    webex = await linked.webex_link("GetjoinurlMeeting", str(meeting.key), linked.alice)
    assert without_ticket(opened.headers["location"]) == without_ticket(webex)
    assert (await linked.open_in_browser(url)).status_code == 302  # a button works more than once


async def test_the_start_button_opens_a_fresh_host_link_from_webex(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Host link tomorrow 9am", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    asked_before = len(linked.calls("host"))
    await linked.alice.driver.click(card, blocks.START)  # Slack reports the press as the browser opens
    opened = await linked.open_in_browser(button(card.blocks, blocks.START)["url"])
    assert opened.status_code == 302 and opened.headers["cache-control"] == "no-store"
    assert len(linked.calls("host")) == asked_before + 1
    webex = await linked.webex_link("GethosturlMeeting", str(meeting.key), linked.alice)
    # Each link Webex gives carries its own one-time ticket (TK; ticket on REST); the rest is the same.
    assert without_ticket(opened.headers["location"]) == without_ticket(webex)


def without_ticket(host_url: str) -> str:
    return re.sub(r"(TK|ticket)=[^&]*", r"\1=", host_url)


async def test_the_host_key_is_on_the_edit_form(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Keyed tomorrow 9am", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    clicked = await linked.alice.driver.click(card, blocks.EDIT, replies=2)
    assert meeting.host_key in shown_text(clicked.replies[1])


async def test_text_is_carried_exactly_into_webex(linked: Stage) -> None:
    topic = 'Q&A "<b>" ]]> 🚀 ревью 審査'
    await linked.alice.driver.command(f"schedule {topic} tomorrow 10am", replies=1)
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == topic


async def test_unclear_text_opens_the_form_filled_with_what_was_understood(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("schedule Planning for 1h", replies=1)
    opened = exchange.replies[0]
    assert opened.method == "views.open"
    view = opened.view
    assert view is not None
    by_id = {b["block_id"]: b for b in view["blocks"]}
    assert by_id[blocks.TOPIC]["element"]["initial_value"] == "Planning"
    assert by_id[blocks.DURATION]["element"]["initial_option"]["value"] == "60"
    assert "date or time" in shown_text(opened)
    assert linked.emulator.meetings() == []


async def test_a_time_in_the_past_is_never_guessed(linked: Stage) -> None:
    exchange = await linked.alice.driver.command("schedule Sync 2020-01-05 15:00", replies=1)
    assert exchange.replies[0].method == "views.open"
    assert "past" in shown_text(exchange.replies[0])
    assert linked.emulator.meetings() == []


async def test_the_form_opens_without_text_and_schedules_with_invitees_and_a_channel_post(
    linked: Stage,
) -> None:
    exchange = await linked.alice.driver.command("schedule", replies=1)
    form = exchange.replies[0]
    assert form.method == "views.open"
    submitted = await linked.alice.driver.submit(
        form,
        {
            blocks.TOPIC: "Roadmap <2027> & more",
            blocks.DATE: "2027-01-12",
            blocks.TIME: "09:30",
            blocks.DURATION: "90",
            blocks.INVITEES: ["U_BOB"],
            blocks.EMAILS: "ops@example.com",
            blocks.AGENDA: "1. goals\n2. risks",
            blocks.POST: ["post"],
        },
        replies=1,
    )
    assert submitted.status == 200 and not submitted.body.strip(b"{} ")
    assert submitted.replies[0].method == "chat.postEphemeral"
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "Roadmap <2027> & more" and meeting.agenda == "1. goals\n2. risks"
    assert meeting.duration_minutes == 90
    assert {a.email for a in meeting.attendees} == {"bob@sandbox.example", "ops@example.com"}
    assert meeting.start == datetime(2027, 1, 12, 14, 30, tzinfo=UTC)
    [public] = [
        c
        for c in linked.bot_calls("chat.postMessage", after=submitted.first_seq)
        if c.channel == linked.alice.driver.channel_id
    ]
    assert meeting.host_key not in shown_text(public)
    assert all(e.get("action_id") != blocks.CANCEL for b in public.blocks for e in b.get("elements", []))


async def test_the_forms_email_field_takes_addresses_as_mail_clients_copy_them(linked: Stage) -> None:
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    values = {blocks.TOPIC: "Pasted", blocks.DATE: "2027-01-12", blocks.TIME: "09:30"}
    refused = await linked.alice.driver.submit(form, {**values, blocks.EMAILS: "Ana Lima, li@y.io"})
    assert refused.json()["errors"] == {
        blocks.EMAILS: "“Ana” is not an email address. Type addresses such as ana@example.com or "
        "Ana Lima <ana@example.com>, separated by commas."
    }
    pasted = '"Lima, Ana" <ana@x.io>; Li Wu <li@y.io> bo@z.io'
    done = await linked.alice.driver.submit(form, {**values, blocks.EMAILS: pasted}, replies=1)
    assert done.status == 200 and not done.body.strip(b"{} ")
    [meeting] = linked.emulator.meetings()
    names = {a.email: a.name for a in meeting.attendees}
    assert set(names) == {"ana@x.io", "li@y.io", "bo@z.io"}
    assert (names["ana@x.io"], names["li@y.io"]) == ("Lima, Ana", "Li Wu")


async def test_form_errors_are_shown_next_to_the_fields(linked: Stage) -> None:
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    answer = await linked.alice.driver.submit(
        form, {blocks.TOPIC: "bell\x07", blocks.DATE: "2020-01-01", blocks.TIME: "09:00"}
    )
    body = answer.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {blocks.TOPIC, blocks.TIME}
    assert linked.emulator.meetings() == []


async def test_a_topic_or_agenda_longer_than_webex_stores_is_refused_beside_the_field(linked: Stage) -> None:
    """The REST API stores a title of 128 characters and an agenda of 1300, the XML API 512 and 2500."""
    topic_limit, agenda_limit = linked.pick((512, 2500), (128, 1300))
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    values = {blocks.DATE: "2027-01-12", blocks.TIME: "09:30"}
    long = {blocks.TOPIC: "t" * (topic_limit + 1), blocks.AGENDA: "a" * (agenda_limit + 1)}
    refused = await linked.alice.driver.submit(form, {**values, **long})
    assert refused.json()["errors"] == {
        blocks.TOPIC: f"The topic is {topic_limit + 1} characters long; Webex takes at most {topic_limit}.",
        blocks.AGENDA: f"The agenda is {agenda_limit + 1} characters long; "
        f"Webex takes at most {agenda_limit}.",
    }
    assert linked.calls("create") == []
    done = await linked.alice.driver.submit(
        form, {**values, blocks.TOPIC: "t" * topic_limit, blocks.AGENDA: "a" * agenda_limit}, replies=1
    )
    assert done.status == 200 and not done.body.strip(b"{} ")
    [meeting] = linked.emulator.meetings()
    assert (len(meeting.conf_name), len(meeting.agenda)) == (topic_limit, agenda_limit)


async def test_too_many_invitees_are_refused_beside_the_field_and_the_form_stays_open(linked: Stage) -> None:
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    typed = ", ".join(f"guest{i}@example.com" for i in range(100))
    values = {blocks.TOPIC: "All hands", blocks.DATE: "2027-01-12", blocks.TIME: "09:30"}
    values[blocks.EMAILS] = typed
    refused = await linked.alice.driver.submit(form, {**values, blocks.INVITEES: ["U_BOB", "U_ANA"]})
    assert refused.json() == {
        "response_action": "errors",
        "errors": {blocks.EMAILS: "That is 102 invitees; Webex takes at most 100 at once. Remove 2 of them."},
    }
    assert linked.emulator.meetings() == []
    done = await linked.alice.driver.submit(form, values, replies=1)  # the same form, two fewer
    assert done.status == 200 and not done.body.strip(b"{} ")
    [meeting] = linked.emulator.meetings()
    assert len(meeting.attendees) == 100


@on_both_databases
async def test_a_form_submitted_twice_makes_one_meeting(linked: Stage) -> None:
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    values = {blocks.TOPIC: "Once", blocks.DATE: "2027-02-02", blocks.TIME: "10:00"}
    first, second = await asyncio.gather(
        linked.alice.driver.submit(form, values), linked.alice.driver.submit(form, values)
    )
    assert first.status == second.status == 200
    await linked.alice.driver.standin.wait_for(
        lambda c: c.method == "chat.postEphemeral" and c.seq >= min(first.first_seq, second.first_seq)
    )
    third = await linked.alice.driver.submit(form, values, replies=1)  # a late retry of the same view
    assert "Already scheduled" in shown_text(third.replies[0])
    assert len(linked.emulator.meetings()) == 1
    assert len(linked.calls("create")) == 1


async def test_scheduling_across_daylight_saving_in_two_zones(linked: Stage) -> None:
    """New York moves its clocks on 14 March 2027, Berlin on 28 March: 9:00 local either side."""
    cases = [
        (linked.alice, "2027-03-12", datetime(2027, 3, 12, 14, 0, tzinfo=UTC)),  # EST, UTC-5
        (linked.alice, "2027-03-15", datetime(2027, 3, 15, 13, 0, tzinfo=UTC)),  # EDT, UTC-4
        (linked.bob, "2027-03-26", datetime(2027, 3, 26, 8, 0, tzinfo=UTC)),  # CET, UTC+1
        (linked.bob, "2027-03-29", datetime(2027, 3, 29, 7, 0, tzinfo=UTC)),  # CEST, UTC+2
    ]
    for person, day, expected in cases:
        form = (await person.driver.command("schedule", replies=1)).replies[0]
        done = await person.driver.submit(
            form, {blocks.TOPIC: f"Standup {day}", blocks.DATE: day, blocks.TIME: "09:00"}, replies=1
        )
        [meeting] = [m for m in linked.emulator.meetings() if m.conf_name == f"Standup {day}"]
        assert meeting.start == expected, day
        zone = "(New York)" if person is linked.alice else "(Berlin)"
        assert meeting.time_zone_name.endswith(zone)
        assert f"<!date^{int(expected.timestamp())}^" in shown_text(done.replies[0])


@on_both_databases
async def test_a_command_delivered_twice_schedules_once(linked: Stage) -> None:
    first = await linked.alice.driver.command("schedule Delivered twice tomorrow 1pm", replies=1)
    again = await linked.alice.driver.send(
        first.request, user_id="U_ALICE", channel_id="C_SANDBOX", replies=1
    )
    assert "Already scheduled" in shown_text(again.replies[0])
    [meeting] = linked.emulator.meetings()
    assert str(meeting.key) in shown_text(again.replies[0])
    assert len(linked.calls("create")) == 1


async def test_the_card_says_how_a_named_time_zone_was_read(linked: Stage) -> None:
    exchange = await linked.bob.driver.command("schedule Call with NY tomorrow 3pm ET", replies=1)
    [meeting] = linked.emulator.meetings()
    local = meeting.start.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (15, 0)
    assert "America/New_York" in shown_text(exchange.replies[0])


async def test_posting_in_a_channel_the_bot_is_not_in(linked: Stage) -> None:
    values = {
        blocks.TOPIC: "Town hall",
        blocks.DATE: "2027-03-02",
        blocks.TIME: "10:00",
        blocks.POST: ["post"],
    }
    # A public channel the bot never joined: chat:write.public lets the post through.
    form = (await linked.alice.driver.command("schedule", channel_id="C_GENERAL", replies=1)).replies[0]
    submitted = await linked.alice.driver.submit(form, values, replies=1)
    [posted] = [c for c in linked.bot_calls("chat.postMessage", after=submitted.first_seq) if c.ok]
    assert posted.channel == "C_GENERAL" and "Town hall" in shown_text(posted)
    assert "posted in the channel" in shown_text(submitted.replies[0])

    # A private channel without the bot: Slack says channel_not_found; the host is told what to do.
    form = (await linked.alice.driver.command("schedule", channel_id="C_DESIGN", replies=1)).replies[0]
    submitted = await linked.alice.driver.submit(form, {**values, blocks.TOPIC: "Design crit"}, replies=2)
    assert not [c for c in linked.bot_calls("chat.postMessage", after=submitted.first_seq) if c.ok]
    # Nor can it answer there: the host's card comes in a direct message.
    card = await linked.alice.driver.standin.wait_for(
        lambda c: c.seq >= submitted.first_seq and c.method == "chat.postMessage" and c.ok
    )
    assert card.channel == "D_ALICE"
    assert "it is private, and I am not in it. Invite me there with `/invite @webex`" in shown_text(card)
    share = button(card.blocks, blocks.SHARE)["value"]
    team_id = linked.alice.driver.standin.workspace.team_id
    opened = linked.bot.services.sealed.open(share, team_id=team_id, user_id="U_ALICE", used_by=blocks.SHARE)
    assert opened == linked.meeting_id(linked.emulator.meetings()[-1].key)


async def test_without_chat_write_public_the_host_is_asked_to_invite_the_bot(linked: Stage) -> None:
    workspace = linked.alice.driver.standin.workspace
    workspace.bot_scopes = workspace.bot_scopes - {"chat:write.public"}
    values = {
        blocks.TOPIC: "Town hall",
        blocks.DATE: "2027-03-02",
        blocks.TIME: "10:00",
        blocks.POST: ["post"],
    }
    form = (await linked.alice.driver.command("schedule", channel_id="C_GENERAL", replies=1)).replies[0]
    submitted = await linked.alice.driver.submit(form, values, replies=2)
    [refused] = linked.bot_calls("chat.postMessage", after=submitted.first_seq)
    assert refused.answer["error"] == "not_in_channel"
    [card] = [c for c in submitted.replies if c.method == "chat.postEphemeral"]
    assert "I am not a member there. Invite me with `/invite @webex`" in shown_text(card)
    assert len(linked.emulator.meetings()) == 1  # the meeting itself is made
