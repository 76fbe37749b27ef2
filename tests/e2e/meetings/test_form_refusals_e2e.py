"""Refusals of what was typed in the schedule and edit forms lose nothing: beside the field while the form
is open where the bot can tell within Slack's 3 seconds, else after it closed with an "Open the form" button
that brings the form back filled in with everything typed. Nothing reaches Webex meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.emulator import Fault
from bot.emulator.errors import PASSWORD_REQUIRED_EXCEPTION_ID, PASSWORD_REQUIRED_REASON
from bot.sandbox.workspace import RecordedCall, SlackUser
from bot.slack.meetings import blocks, texts
from tests.e2e.meetings.conftest import Stage, button, on_both_databases, shown_text

CAROL = SlackUser(id="U_CAROL", name="carol", real_name="Carol Chen", email=None)  # no email in Slack
AGENDA = "1. Where we are\n2. What is next\n" + "Notes that go on for a while. " * 40
REST_PASSWORD_RULE = (
    "Meeting password validation failed. A mix of uppercase and lowercase letters and numbers is required, "
    "8 to 16 characters long."
)


def typed(**changes: Any) -> dict[str, Any]:
    """A schedule form filled in everywhere, as a person would before pressing Schedule."""
    values: dict[str, Any] = {
        blocks.TOPIC: "Quarterly planning",
        blocks.DATE: "2027-02-02",
        blocks.TIME: "10:30",
        blocks.TIME_ZONE: "Europe/Berlin",
        blocks.DURATION: "90",
        blocks.REPEATS: "none",
        blocks.INVITEES: ["U_BOB", "U_CAROL"],
        blocks.EMAILS: "Ana Lima <ana@x.io>, li@y.io",
        blocks.AGENDA: AGENDA,
        blocks.PASSWORD: "Plan4Friday",
        blocks.POST: ["post"],
    }
    values.update(changes)
    return values


def filled_in(view: RecordedCall) -> dict[str, Any]:
    """What each input of a form shows when it opens, by block id, as the submit values name them."""
    shown: dict[str, Any] = {}
    for block in (view.view or {}).get("blocks", []):
        element: Mapping[str, Any] = block.get("element") or {}
        initial = next(
            (
                element[key]
                for key in ("initial_value", "initial_date", "initial_time", "initial_users")
                if key in element
            ),
            None,
        )
        if "initial_option" in element:
            initial = element["initial_option"]["value"]
        if "initial_options" in element:
            initial = [option["value"] for option in element["initial_options"]]
        if block.get("type") == "input" and initial is not None:
            shown[block["block_id"]] = initial
    return shown


def problem_shown(view: RecordedCall) -> str:
    """The warning above the fields of a form opened again."""
    by_id = {b.get("block_id"): b for b in (view.view or {}).get("blocks", [])}
    return str(by_id["problem"]["text"]["text"])


def webex_refuses_the_password(stage: Stage) -> None:
    """Webex refuses the next create over its password: on the XML API a site that requires one, on the
    REST API a site whose own rules are stricter than Webex's."""
    stage.emulator.add_fault(
        stage.pick(
            Fault.failure(
                PASSWORD_REQUIRED_EXCEPTION_ID, PASSWORD_REQUIRED_REASON, operation="CreateMeeting", count=1
            ),
            Fault.failure("", REST_PASSWORD_RULE, operation="POST /v1/meetings", count=1),
        )
    )


async def the_answer(stage: Stage, after: int) -> RecordedCall:
    a = await stage.alice.driver.standin.wait_for(
        lambda c: c.seq >= after and c.is_reply and blocks.REOPEN_FORM in str(c.blocks), timeout=10
    )
    print("\n=== ANSWER", a.method, shown_text(a))
    return a


@pytest.fixture
async def with_carol(linked: Stage) -> Stage:
    linked.alice.driver.standin.add_users([CAROL])
    return linked


async def test_a_picked_person_without_an_email_is_refused_beside_the_field(with_carol: Stage) -> None:
    stage = with_carol
    form = (await stage.alice.driver.command("schedule", replies=1)).replies[0]
    refused = await stage.alice.driver.submit(form, typed())
    assert refused.json() == {
        "response_action": "errors",
        "errors": {
            blocks.INVITEES: "I cannot see Carol Chen's email address in Slack, so Webex cannot invite them. "
            "Remove them from Invitees and type their address under Other invitees."
        },
    }
    assert stage.calls("create") == []
    # The form is still open with everything in it: Carol's address typed instead, it goes through.
    done = await stage.alice.driver.submit(
        form, typed(**{blocks.INVITEES: ["U_BOB"], blocks.EMAILS: "carol@example.com"}), replies=1
    )
    assert done.status == 200 and not done.body.strip(b"{} ")
    [meeting] = stage.emulator.meetings()
    assert {a.email for a in meeting.attendees} == {"bob@sandbox.example", "carol@example.com"}


async def test_the_edit_form_refuses_a_picked_person_without_an_email_beside_the_field(
    with_carol: Stage,
) -> None:
    stage = with_carol
    card = (await stage.alice.driver.command("schedule Planning tomorrow 11am", replies=1)).replies[0]
    form = (await stage.alice.driver.click(card, blocks.EDIT, replies=2)).replies[1]
    refused = await stage.alice.driver.submit(
        form, {blocks.TOPIC: "Planning v2", blocks.INVITEES: ["U_CAROL"]}
    )
    assert list(refused.json()["errors"]) == [blocks.INVITEES]
    assert "Carol Chen" in refused.json()["errors"][blocks.INVITEES]
    assert stage.calls("change") == [] and stage.emulator.meetings()[0].conf_name == "Planning"


async def test_when_slack_is_slow_to_say_the_refusal_comes_with_the_form_as_typed(with_carol: Stage) -> None:
    stage = with_carol
    form = (await stage.alice.driver.command("schedule", replies=1)).replies[0]
    # Slack takes longer to describe Carol than a form's submission may wait: the form closes first.
    stage.alice.driver.standin.delay("users.info", 2.5, times=1)
    values = typed(**{blocks.AGENDA: AGENDA[:1200]})
    submitted = await stage.alice.driver.submit(form, values)
    assert submitted.status == 200 and not submitted.body.strip(b"{} ")
    answer = await the_answer(stage, submitted.first_seq)
    told = shown_text(answer)
    assert "I cannot see Carol Chen's email address in Slack" in told and texts.FORM_KEPT in told
    assert stage.calls("create") == []

    pressed = await stage.alice.driver.click(answer, blocks.REOPEN_FORM, replies=1)
    [again] = pressed.replies
    assert again.method == "views.open"
    assert filled_in(again) == {**values, blocks.REPEATS: "none"}
    assert "I cannot see Carol Chen's email address" in problem_shown(again)
    assert stage.calls("create") == []

    # Carol taken out, everything else as it was: the meeting is made with all of it.
    done = await stage.alice.driver.submit(again, {blocks.INVITEES: ["U_BOB"]}, replies=1)
    assert done.status == 200 and not done.body.strip(b"{} ")
    [meeting] = stage.emulator.meetings()
    assert meeting.conf_name == "Quarterly planning" and meeting.duration_minutes == 90
    assert meeting.agenda == AGENDA[:1200].strip()
    assert {a.email for a in meeting.attendees} == {"bob@sandbox.example", "ana@x.io", "li@y.io"}
    local = meeting.start.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.day, local.hour, local.minute) == (2, 10, 30)


async def test_a_password_the_rest_api_refuses_is_refused_beside_the_field(linked: Stage) -> None:
    if linked.api != "rest":
        pytest.skip("the XML API's sites each set their own password rules; Webex applies them")
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    values = typed(**{blocks.INVITEES: ["U_BOB"], blocks.AGENDA: "Short"})
    for weak in ("abc", "alllowercase1", "NoDigitsHere", "Sh0rt"):
        refused = await linked.alice.driver.submit(form, {**values, blocks.PASSWORD: weak})
        assert refused.json()["errors"] == {
            blocks.PASSWORD: "Webex takes a meeting password of 8 to 16 characters mixing uppercase and "
            "lowercase letters and digits, such as Plan4Friday. Leave it empty and Webex makes one up."
        }, weak
    assert linked.calls("create") == []
    done = await linked.alice.driver.submit(form, values, replies=1)
    assert done.status == 200 and not done.body.strip(b"{} ")
    [meeting] = linked.emulator.meetings()
    assert meeting.password == "Plan4Friday"


async def test_a_password_webex_refuses_after_the_form_closed_comes_with_the_form_as_typed(
    linked: Stage,
) -> None:
    """A site's own rules (or, on the XML API, a site that requires a password) are Webex's to apply."""
    webex_refuses_the_password(linked)
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    values = typed(**{blocks.INVITEES: ["U_BOB"], blocks.AGENDA: AGENDA[:1000]})
    values[blocks.PASSWORD] = linked.pick("", "Plan4Friday")
    submitted = await linked.alice.driver.submit(form, values)
    assert submitted.status == 200 and not submitted.body.strip(b"{} ")
    answer = await the_answer(linked, submitted.first_seq)
    told = shown_text(answer)
    assert (
        linked.pick(texts.PASSWORD_REQUIRED_IN_FORM, f"Webex refused the password: {REST_PASSWORD_RULE}")
        in told
    )
    assert "HTTP" not in told and "trackingId" not in told  # Webex's words, not its envelope
    assert linked.emulator.meetings() == []

    [again] = (await linked.alice.driver.click(answer, blocks.REOPEN_FORM, replies=1)).replies
    expected = {**values}
    if not expected[blocks.PASSWORD]:
        del expected[blocks.PASSWORD]  # nothing typed there: nothing to fill in
    assert filled_in(again) == expected
    assert linked.pick("requires a meeting password", "Meeting password validation failed") in problem_shown(
        again
    )
    done = await linked.alice.driver.submit(again, {blocks.PASSWORD: "Better4Friday"}, replies=1)
    assert done.status == 200
    [meeting] = linked.emulator.meetings()
    assert meeting.conf_name == "Quarterly planning" and meeting.password == "Better4Friday"
    assert meeting.agenda == AGENDA[:1000].strip()


async def test_an_edit_refused_after_the_form_closed_comes_with_the_edit_form_as_typed(
    with_carol: Stage,
) -> None:
    stage = with_carol
    card = (await stage.alice.driver.command("schedule Planning tomorrow 11am", replies=1)).replies[0]
    form = (await stage.alice.driver.click(card, blocks.EDIT, replies=2)).replies[1]
    stage.alice.driver.standin.delay("users.info", 2.5, times=1)
    values = {
        blocks.TOPIC: "Planning v2",
        blocks.DURATION: "60",
        blocks.INVITEES: ["U_CAROL"],
        blocks.AGENDA: "New",
    }
    saved = await stage.alice.driver.submit(form, values)
    assert saved.status == 200 and not saved.body.strip(b"{} ")
    answer = await the_answer(stage, saved.first_seq)
    assert "I cannot see Carol Chen's email address" in shown_text(answer)
    assert stage.calls("change") == []

    [again] = (await stage.alice.driver.click(answer, blocks.REOPEN_FORM, replies=1)).replies
    assert again.method == "views.open" and (again.view or {}).get("callback_id") == blocks.EDIT_VIEW
    shown = filled_in(again)
    assert {key: shown[key] for key in values} == values
    # Saved without Carol: the meeting changes, and the card it was edited from shows it.
    done = await stage.alice.driver.submit(again, {blocks.INVITEES: []})
    updated = await stage.alice.driver.standin.wait_for(
        lambda c: c.seq >= done.first_seq and c.method == "response_url"
    )
    assert "Updated the topic, duration, agenda." in shown_text(updated)
    [meeting] = stage.emulator.meetings()
    assert (meeting.conf_name, meeting.duration_minutes, meeting.agenda) == ("Planning v2", 60, "New")


@on_both_databases
async def test_a_form_submitted_twice_and_refused_by_webex_is_answered_once_and_made_never(
    linked: Stage,
) -> None:
    """The second delivery waits for the first and, seeing it refused, adds nothing: not a second
    message, and not a second try that Webex could take behind the person's back."""
    webex_refuses_the_password(linked)
    form = (await linked.alice.driver.command("schedule", replies=1)).replies[0]
    values = typed(**{blocks.INVITEES: [], blocks.PASSWORD: linked.pick("", "Plan4Friday")})
    first, second = await asyncio.gather(
        linked.alice.driver.submit(form, values), linked.alice.driver.submit(form, values)
    )
    begun = min(first.first_seq, second.first_seq)
    await the_answer(linked, begun)
    for _ in range(300):
        if linked.bot.services.work.in_flight == 0:
            break
        await asyncio.sleep(0.01)
    answers = [c for c in linked.alice.driver.standin.calls if c.seq >= begun and c.is_reply]
    assert len(answers) == 1, [shown_text(c) for c in answers]
    assert len(linked.calls("create")) == 1 and linked.emulator.meetings() == []


async def test_a_form_no_longer_kept_says_so(with_carol: Stage) -> None:
    stage = with_carol
    form = (await stage.alice.driver.command("schedule", replies=1)).replies[0]
    stage.alice.driver.standin.delay("users.info", 2.5, times=1)
    submitted = await stage.alice.driver.submit(form, typed())
    answer = await the_answer(stage, submitted.first_seq)
    # A week on, the journal has let it go (and so has the person's data, on `/webex forget`).
    services = stage.bot.services
    await services.operations.delete_user(stage.alice.driver.standin.workspace.team_id, "U_ALICE")
    [said] = (await stage.alice.driver.click(answer, blocks.REOPEN_FORM, replies=1)).replies
    assert texts.FORM_NOT_KEPT in shown_text(said)
    assert button(answer.blocks, blocks.REOPEN_FORM)["style"] == "primary"
