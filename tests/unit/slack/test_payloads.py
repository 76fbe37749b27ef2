"""The shape check in front of Bolt: what Slack sends passes; anything malformed is named and refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.sandbox.signing import SlackSigner
from bot.slack.meetings import blocks, form_blocks
from bot.slack.meetings.submitted import FORM_STATES
from bot.slack.payloads import FORM, JSON, MalformedRequest, check_request

NOW = datetime(2026, 3, 2, 9, 7, tzinfo=UTC)
SIGNER = SlackSigner("secret")
CARD = [
    {
        "type": "actions",
        "block_id": "meeting:1",
        "elements": [{"type": "button", "action_id": blocks.CANCEL, "value": "1", "text": {}}],
    }
]


def schedule_form() -> dict[str, Any]:
    view = form_blocks.schedule_modal(
        form_blocks.FormPrefill(topic="Sync"), form_blocks.FormContext(user_tz="UTC"), NOW
    )
    return {**view, "id": "V1"}


def edit_form() -> dict[str, Any]:
    view = form_blocks.schedule_modal(form_blocks.FormPrefill(), form_blocks.FormContext(user_tz="UTC"), NOW)
    view_blocks = [b for b in view["blocks"] if b.get("block_id") not in (blocks.PASSWORD, blocks.POST)]
    return {**view, "id": "V2", "callback_id": blocks.EDIT_VIEW, "blocks": view_blocks}


GENUINE = [
    pytest.param(SIGNER.slash_command("schedule Sync tomorrow 3pm", user_id="U1"), id="slash-command"),
    pytest.param(SIGNER.block_actions(CARD, blocks.CANCEL, user_id="U1"), id="button-click"),
    pytest.param(SIGNER.view_submission(schedule_form(), {"topic": "S"}, user_id="U1"), id="schedule-form"),
    pytest.param(SIGNER.view_submission(edit_form(), {}, user_id="U1"), id="edit-form"),
    pytest.param(SIGNER.view_closed(schedule_form(), user_id="U1"), id="form-closed"),
    pytest.param(SIGNER.shortcut("meeting.schedule_shortcut", user_id="U1"), id="global-shortcut"),
    pytest.param(
        SIGNER.message_action("meeting.schedule_about_message", {"text": "Plan", "user": "U2"}, user_id="U1"),
        id="message-shortcut",
    ),
    pytest.param(SIGNER.app_home_opened("U1"), id="home-opened"),
    pytest.param(SIGNER.tokens_revoked(user_ids=["U1"]), id="tokens-revoked"),
    pytest.param(SIGNER.app_uninstalled(), id="app-uninstalled"),
    pytest.param(SIGNER.url_verification("challenge"), id="url-verification"),
]


@pytest.mark.parametrize("request_", GENUINE)
def test_what_slack_sends_passes(request_: Any) -> None:
    check_request(request_.body, request_.content_type, forms=FORM_STATES)


def test_a_content_type_with_a_charset_is_read_as_its_media_type() -> None:
    request = SIGNER.slash_command("list", user_id="U1")
    check_request(request.body, FORM + "; charset=utf-8", forms=FORM_STATES)


def refusal(body: bytes, content_type: str = FORM) -> str:
    with pytest.raises(MalformedRequest) as raised:
        check_request(body, content_type, forms=FORM_STATES)
    return str(raised.value)


def payload(data: Any) -> bytes:
    return urlencode({"payload": data if isinstance(data, str) else json.dumps(data)}).encode()


def test_each_refusal_says_what_is_wrong() -> None:
    assert refusal(payload("{")) == "payload= is not JSON"
    assert refusal(payload("[]")) == "payload= is JSON but not an object"
    assert refusal(b"[]", JSON) == "the body is JSON but not an object"
    assert "no interactive payload of type 'made_up'" in refusal(payload({"type": "made_up"}))
    assert "no Events API request of type None" in refusal(b"{}", JSON)
    assert "not text/plain" in refusal(b"command=/webex", "text/plain")
    assert "not valid URL-encoded UTF-8" in refusal(b"text=%ff")
    assert "neither payload= nor command=" in refusal(b"text=list")


def test_a_click_without_actions_is_refused() -> None:
    click = dict(SIGNER.block_actions(CARD, blocks.CANCEL, user_id="U1").payload)
    assert "actions" in refusal(payload({**click, "actions": []}))
    del click["actions"]
    assert "actions" in refusal(payload(click))


def test_a_shortcut_must_name_itself_and_a_message_shortcut_carry_its_message() -> None:
    chosen = dict(SIGNER.shortcut("meeting.schedule_shortcut", user_id="U1").payload)
    del chosen["callback_id"]
    assert "callback_id" in refusal(payload(chosen))
    on_message = dict(
        SIGNER.message_action("meeting.schedule_about_message", {"text": "Plan"}, user_id="U1").payload
    )
    assert "message" in refusal(payload({**on_message, "message": "Plan"}))
    del on_message["message"]
    assert "message" in refusal(payload(on_message))


def test_a_submitted_form_must_hold_every_input_of_that_form() -> None:
    genuine = dict(SIGNER.view_submission(schedule_form(), {}, user_id="U1").payload)
    values = genuine["view"]["state"]["values"]
    for missing in (blocks.TOPIC, blocks.DATE, blocks.PASSWORD):
        view = {**genuine["view"], "state": {"values": {k: v for k, v in values.items() if k != missing}}}
        assert missing in refusal(payload({**genuine, "view": view})), missing
    # The share box is offered only where there is a channel to post in: a form without it is whole.
    view = {**genuine["view"], "state": {"values": {k: v for k, v in values.items() if k != blocks.POST}}}
    check_request(payload({**genuine, "view": view}), FORM, forms=FORM_STATES)


@pytest.mark.parametrize(
    ("block_id", "state"),
    [
        (blocks.DATE, {"type": "datepicker", "selected_date": "tomorrow"}),
        (blocks.TIME, {"type": "timepicker", "selected_time": "25:99"}),
        (blocks.TOPIC, {"type": "plain_text_input", "value": 42}),
        (blocks.INVITEES, {"type": "multi_users_select", "selected_users": "U1"}),
        (blocks.DURATION, {"type": "static_select", "selected_option": "30"}),
    ],
)
def test_a_form_value_of_the_wrong_kind_is_refused(block_id: str, state: dict[str, Any]) -> None:
    genuine = dict(SIGNER.view_submission(schedule_form(), {}, user_id="U1").payload)
    values = {**genuine["view"]["state"]["values"], block_id: {blocks.VALUE: state}}
    view = {**genuine["view"], "state": {"values": values}}
    assert block_id in refusal(payload({**genuine, "view": view}))


def test_a_view_the_bot_has_no_form_for_is_checked_only_for_its_envelope() -> None:
    genuine = dict(SIGNER.view_submission(schedule_form(), {}, user_id="U1").payload)
    view = {**genuine["view"], "callback_id": "someone.else", "state": {"values": {}}}
    check_request(payload({**genuine, "view": view}), FORM, forms=FORM_STATES)


def test_events_the_bot_reads_must_carry_what_it_reads() -> None:
    revoked = {"type": "event_callback", "event": {"type": "tokens_revoked", "tokens": {"oauth": "U1"}}}
    assert "tokens_revoked" in refusal(json.dumps(revoked).encode(), JSON)
    other = {"type": "event_callback", "event": {"type": "message", "anything": [1, 2]}}
    check_request(json.dumps(other).encode(), JSON, forms=FORM_STATES)
