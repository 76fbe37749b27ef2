"""When things go wrong: not linked, tokens rejected, every mapped Webex failure, and timeouts on create."""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator import (
    ACCESS_DENIED_EXCEPTION_ID,
    INVALID_ACCESS_TOKEN_EXCEPTION_ID,
    INVALID_ACCESS_TOKEN_REASON,
    INVALID_REQUEST_EXCEPTION_ID,
    MEETING_NOT_FOUND_EXCEPTION_ID,
    PASSWORD_REQUIRED_EXCEPTION_ID,
    Fault,
)
from bot.slack.meetings import blocks
from tests.e2e.meetings.conftest import Stage, button, on_both_databases, shown_text
from tests.support.emulator import ALICE


async def test_not_linked_gets_connect_and_the_command_finishes_after_linking(stage: Stage) -> None:
    exchange = await stage.alice.driver.command("schedule Kickoff tomorrow 10am", replies=1)
    prompt = exchange.replies[0]
    assert "link your Webex account" in shown_text(prompt) and stage.emulator.meetings() == []
    await stage.follow_connect(button(prompt.blocks, "connect_webex")["url"], ALICE)
    card = await stage.alice.driver.standin.wait_for(
        lambda c: c.seq >= exchange.first_seq and "Kickoff" in shown_text(c) and c.method.startswith("chat.")
    )
    [meeting] = stage.emulator.meetings()
    assert meeting.conf_name == "Kickoff" and str(meeting.key) in shown_text(card)


async def test_a_form_submitted_after_disconnecting_is_scheduled_after_linking_again(stage: Stage) -> None:
    await stage.link(stage.alice)
    form = (await stage.alice.driver.command("schedule", replies=1)).replies[0]
    await stage.alice.driver.command("disconnect", replies=1)
    submitted = await stage.alice.driver.submit(
        form, {blocks.TOPIC: "From the form", blocks.DATE: "2027-04-06", blocks.TIME: "10:00"}, replies=1
    )
    prompt = submitted.replies[0]
    assert "link your Webex account" in shown_text(prompt)
    await stage.follow_connect(button(prompt.blocks, "connect_webex")["url"], ALICE)
    # Linking, the announcement, then the resumed creation: a chain that can take a while on a busy machine.
    await stage.alice.driver.standin.wait_for(
        lambda c: c.seq > prompt.seq and "From the form" in shown_text(c) and c.method.startswith("chat."),
        timeout=20,
    )
    [meeting] = stage.emulator.meetings()
    assert meeting.conf_name == "From the form"


async def test_a_rejected_access_token_is_refreshed_once_and_the_command_succeeds(linked: Stage) -> None:
    refreshes = linked.emulator.token_refreshes
    linked.emulator.add_fault(
        linked.pick(
            Fault.failure(
                INVALID_ACCESS_TOKEN_EXCEPTION_ID,
                INVALID_ACCESS_TOKEN_REASON,
                operation="CreateMeeting",
                count=1,
            ),
            Fault.http_error(401, operation="POST /v1/meetings", count=1),
        )
    )
    exchange = await linked.alice.driver.command("schedule Refreshed tomorrow 2pm", replies=1)
    assert "Refreshed" in shown_text(exchange.replies[0])
    assert len(linked.emulator.meetings()) == 1
    assert linked.emulator.token_refreshes == refreshes + 1


@on_both_databases
async def test_a_refused_refresh_asks_to_reconnect_and_resumes(linked: Stage) -> None:
    linked.emulator.revoke_tokens(user=ALICE)
    exchange = await linked.alice.driver.command("schedule After reconnect tomorrow 1pm", replies=1)
    prompt = exchange.replies[0]
    assert "expired" in shown_text(prompt) and linked.emulator.meetings() == []
    await linked.follow_connect(button(prompt.blocks, "connect_webex")["url"], ALICE)
    await linked.alice.driver.standin.wait_for(
        lambda c: c.seq > prompt.seq and "After reconnect" in shown_text(c) and c.method.startswith("chat.")
    )
    assert [m.conf_name for m in linked.emulator.meetings()] == ["After reconnect"]


CREATE = "POST /v1/meetings"


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        (
            (
                Fault.failure(ACCESS_DENIED_EXCEPTION_ID, operation="CreateMeeting"),
                Fault.http_error(403, operation=CREATE),
            ),
            "may not do that",
        ),
        (
            (
                Fault.failure(PASSWORD_REQUIRED_EXCEPTION_ID, operation="CreateMeeting"),
                Fault.failure("", "Meeting password validation failed.", operation=CREATE),
            ),
            "password",
        ),
        (
            (
                Fault.failure(INVALID_REQUEST_EXCEPTION_ID, "Invalid start date", operation="CreateMeeting"),
                Fault.failure("", "Invalid start date", operation=CREATE),
            ),
            "refused",
        ),
        (
            (
                Fault.rate_limited(operation="CreateMeeting"),
                Fault.rate_limited(style="http", operation=CREATE),
            ),
            "slow down",
        ),
        (
            (Fault.http_error(503, operation="CreateMeeting"), Fault.http_error(503, operation=CREATE)),
            "try again",
        ),
        (
            (Fault.malformed(operation="CreateMeeting"), Fault.malformed(operation=CREATE)),
            "has not appeared in your Webex list",
        ),
    ],
    ids=["access-denied", "password-refused", "invalid-request", "rate-limited", "http-503", "bad-answer"],
)
async def test_each_webex_failure_gets_a_clear_answer_and_creates_nothing(
    linked: Stage, faults: tuple[Fault, Fault], expected: str
) -> None:
    linked.emulator.add_fault(linked.pick(*faults))
    exchange = await linked.alice.driver.command("schedule Doomed tomorrow 5pm", replies=1)
    answer = shown_text(exchange.replies[0])
    assert expected in answer, answer
    assert linked.emulator.meetings() == []


GET = "GET /v1/meetings/{meetingId}"
JOIN = "POST /v1/meetings/join"
LIST = "GET /v1/meetings"


@pytest.mark.parametrize(
    ("command", "faults", "expected"),
    [
        (
            "cancel {key}",
            (
                Fault.failure(MEETING_NOT_FOUND_EXCEPTION_ID, operation="GetMeeting"),
                Fault.http_error(404, operation=GET),
            ),
            "no meeting",
        ),
        (
            "cancel {key}",
            (
                Fault.failure(ACCESS_DENIED_EXCEPTION_ID, operation="GetMeeting"),
                Fault.http_error(403, operation=GET),
            ),
            "another host",
        ),
        (
            "join {key}",
            (
                Fault.failure(MEETING_NOT_FOUND_EXCEPTION_ID, operation="GetjoinurlMeeting"),
                Fault.http_error(404, operation=JOIN),
            ),
            "no meeting",
        ),
        (
            "list",
            (Fault.http_error(502, operation="LstsummaryMeeting"), Fault.http_error(502, operation=LIST)),
            "try again",
        ),
        (
            "list",
            (
                Fault.rate_limited(style="webex", operation="LstsummaryMeeting"),
                Fault.rate_limited(style="webex", retry_after=60, operation=LIST),
            ),
            "slow down",
        ),
    ],
)
async def test_failures_of_other_commands_are_explained_and_change_nothing(
    linked: Stage, command: str, faults: tuple[Fault, Fault], expected: str
) -> None:
    card = (await linked.alice.driver.command("schedule Stays tomorrow 5pm", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    assert str(meeting.key) in shown_text(card)
    linked.emulator.add_fault(linked.pick(*faults))
    exchange = await linked.alice.driver.command(command.format(key=meeting.key), replies=1)
    answer = shown_text(exchange.replies[0])
    assert expected in answer, answer
    assert [m.key for m in linked.emulator.meetings()] == [meeting.key]


async def test_a_meeting_made_while_webex_cannot_describe_it_is_still_shown(linked: Stage) -> None:
    linked.emulator.add_fault(Fault.http_error(503, operation=linked.operation("get"), count=1))
    exchange = await linked.alice.driver.command("schedule Made anyway tomorrow 5pm", replies=1)
    [meeting] = linked.emulator.meetings()
    answer = shown_text(exchange.replies[0])
    assert "Scheduled" in answer and str(meeting.key) in answer and "Made anyway" in answer


async def test_a_site_that_requires_a_password_gets_one_from_the_form(linked: Stage) -> None:
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    # The emulator's REST site wants 8-16 characters mixing cases and digits, as Webex sites do.
    password = linked.pick("Secr3t!", "Secr3tPass1")
    await linked.alice.driver.submit(
        form,
        {blocks.TOPIC: "Locked", blocks.DATE: "2027-05-04", blocks.TIME: "10:00", blocks.PASSWORD: password},
        replies=1,
    )
    [meeting] = linked.emulator.meetings()
    assert meeting.password == password


@on_both_databases
async def test_a_create_that_times_out_but_happens_is_found_not_doubled(linked: Stage) -> None:
    # Webex carries the create out after the bot stopped waiting (its timeout is 2 s here).
    linked.emulator.add_fault(Fault.latency(2.5, operation=linked.operation("create"), count=1))
    exchange = await linked.alice.driver.command("schedule Slow create tomorrow 8am", replies=1, timeout=10)
    [meeting] = linked.emulator.meetings()
    assert str(meeting.key) in shown_text(exchange.replies[0])
    assert len(linked.calls("create")) == 1


async def test_a_create_that_never_happens_says_so_and_nothing_is_made(linked: Stage) -> None:
    linked.emulator.add_fault(Fault.hang(operation=linked.operation("create"), count=1, seconds=10))
    exchange = await linked.alice.driver.command("schedule Lost create tomorrow 8am", replies=1, timeout=15)
    assert "did not give a usable answer" in shown_text(exchange.replies[0])
    assert "/webex list" in shown_text(exchange.replies[0])
    await asyncio.sleep(0)
    assert linked.emulator.meetings() == []


async def test_unclear_text_resumed_after_linking_offers_the_form_with_a_button(stage: Stage) -> None:
    exchange = await stage.alice.driver.command("schedule Planning session", replies=1)
    prompt = exchange.replies[0]
    await stage.follow_connect(button(prompt.blocks, "connect_webex")["url"], ALICE)
    # After linking there is no trigger left to open a form with: the answer carries a button instead.
    offer = await stage.alice.driver.standin.wait_for(
        lambda c: (
            c.seq > prompt.seq
            and any(e.get("action_id") == blocks.OPEN_FORM for b in c.blocks for e in b.get("elements", []))
        )
    )
    assert "date or time" in shown_text(offer)
    opened = await stage.alice.driver.click(offer, blocks.OPEN_FORM, replies=1)
    view = opened.replies[0].view or {}
    by_id = {b["block_id"]: b for b in view.get("blocks", [])}
    assert by_id[blocks.TOPIC]["element"]["initial_value"] == "Planning session"


async def test_now_resumed_after_linking_posts_in_the_channel_and_tells_the_host(stage: Stage) -> None:
    exchange = await stage.alice.driver.command("now Standup", replies=1)
    prompt = exchange.replies[0]
    await stage.follow_connect(button(prompt.blocks, "connect_webex")["url"], ALICE)
    host = await stage.alice.driver.standin.wait_for(
        lambda c: c.seq > prompt.seq and c.method == "chat.postEphemeral" and "Standup" in shown_text(c)
    )
    [meeting] = stage.emulator.meetings()
    assert button(host.blocks, blocks.START)["url"]
    [public] = [
        c
        for c in stage.bot_calls("chat.postMessage", after=prompt.seq)
        if c.channel == stage.alice.driver.channel_id
    ]
    assert meeting.host_key not in shown_text(public) and button(public.blocks, blocks.JOIN)["url"]


async def test_slack_not_telling_an_invitees_email_schedules_nothing_and_says_why(linked: Stage) -> None:
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    linked.alice.driver.standin.fail("users.info", status=500, times=None)
    done = await linked.alice.driver.submit(
        form,
        {
            blocks.TOPIC: "With Carol",
            blocks.DATE: "2027-06-01",
            blocks.TIME: "10:00",
            blocks.INVITEES: ["U_CAROL"],
        },
        replies=1,
        timeout=10,
    )
    told = shown_text(done.replies[0])
    assert "did not give me the email address" in told and "nothing was sent to Webex" in told
    # Slack failing for longer than the form may wait, the form has closed: it comes back as typed.
    assert button(done.replies[0].blocks, blocks.REOPEN_FORM)
    assert linked.emulator.meetings() == []


async def test_a_changed_meeting_link_gets_a_clear_page_and_asks_webex_nothing(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Tampered tomorrow 9am", replies=1)).replies[0]
    url = button(card.blocks, blocks.JOIN)["url"]
    tampered = url[:-6] + ("A" if url[-6] != "A" else "B") + url[-5:]
    asked = len(linked.calls())
    for bad in (tampered, url[:-20], linked.bot.url + "/webex/meetings/not-a-link"):
        opened = await linked.open_in_browser(bad)
        assert opened.status_code == 400 and "location" not in opened.headers
        assert "This meeting link is not valid" in opened.text and "press the button" in opened.text
    assert len(linked.calls()) == asked


async def test_the_buttons_of_a_cancelled_meeting_say_it_is_gone(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Called off tomorrow 9am", replies=1)).replies[0]
    [meeting] = linked.emulator.meetings()
    confirm = (await linked.alice.driver.command(f"cancel {meeting.key}", replies=1)).replies[0]
    await linked.alice.driver.click(confirm, blocks.CANCEL, replies=1)
    assert linked.emulator.meeting(meeting.key) is None
    await linked.alice.driver.click(card, blocks.START)  # Start as host opens once per press
    for action_id in (blocks.JOIN, blocks.START):
        opened = await linked.open_in_browser(button(card.blocks, action_id)["url"])
        assert opened.status_code == 404 and "location" not in opened.headers
        assert "no longer on Webex" in opened.text and str(meeting.key) in opened.text
        assert "Traceback" not in opened.text


async def test_a_meeting_link_while_webex_is_down_says_to_try_again(linked: Stage) -> None:
    card = (await linked.alice.driver.command("schedule Outage tomorrow 9am", replies=1)).replies[0]
    linked.emulator.add_fault(Fault.http_error(502, operation=linked.operation("join")))
    opened = await linked.open_in_browser(button(card.blocks, blocks.JOIN)["url"])
    assert opened.status_code == 503 and "location" not in opened.headers
    assert "Webex is not answering" in opened.text and "press the button in Slack again" in opened.text


@pytest.mark.parametrize("fault", ["http_error", "slow", "rate_limited"])
async def test_home_tab_with_webex_down_says_webex_did_not_answer_and_when_to_look_again(
    linked: Stage, fault: str
) -> None:
    list_call = linked.operation("list")
    linked.emulator.add_fault(
        {
            "http_error": Fault.http_error(503, operation=list_call),
            "slow": Fault.latency(2.5, operation=list_call),  # past the bot's 2 s timeout here
            "rate_limited": Fault.rate_limited(operation=list_call),
        }[fault]
    )
    home = (await linked.alice.driver.open_home(replies=1, timeout=10)).replies[0]
    shown = shown_text(home)
    assert "Your next meetings" in shown and "Linked as" in shown
    assert "Nothing is lost: open this tab again in a minute." in shown
    assert ("asking the bot to slow down" if fault == "rate_limited" else "Webex did not answer") in shown
    assert "could not be loaded" not in shown
