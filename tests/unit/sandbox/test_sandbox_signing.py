"""Signed requests verify with slack_sdk's own verifier, and forgeries do not."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.signing import SlackSigner, find_action, sign, view_state

SECRET = "test-signing-secret"

BLOCKS = [
    {
        "type": "section",
        "block_id": "meeting",
        "text": {"type": "mrkdwn", "text": "*Standup*"},
        "accessory": {
            "type": "button",
            "action_id": "join",
            "text": {"type": "plain_text", "text": "Join"},
            "value": "123456789",
            "url": "https://sandbox.example/join",
        },
    },
    {
        "type": "actions",
        "block_id": "buttons",
        "elements": [
            {
                "type": "button",
                "action_id": "cancel",
                "text": {"type": "plain_text", "text": "Cancel"},
                "value": "k1",
            },
            {
                "type": "static_select",
                "action_id": "duration",
                "options": [
                    {"text": {"type": "plain_text", "text": "30 min"}, "value": "30"},
                    {"text": {"type": "plain_text", "text": "60 min"}, "value": "60"},
                ],
            },
        ],
    },
]


def verifier() -> SignatureVerifier:
    return SignatureVerifier(SECRET)


def test_sign_matches_slack_sdk() -> None:
    body = b"token=x&text=hello+world"
    assert sign(SECRET, "1700000000", body) == verifier().generate_signature(
        timestamp="1700000000", body=body
    )


def test_slash_command_is_form_encoded_and_verifies() -> None:
    request = SlackSigner(SECRET).slash_command("schedule Standup tomorrow 9am", user_id="U_ALICE")
    assert verifier().is_valid_request(request.body, dict(request.headers))
    fields = {k: v[0] for k, v in parse_qs(request.text).items()}
    assert fields["command"] == "/webex"
    assert fields["text"] == "schedule Standup tomorrow 9am"
    assert fields["user_id"] == "U_ALICE"
    for name in (
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_name",
        "response_url",
        "trigger_id",
        "api_app_id",
    ):
        assert fields[name], name
    assert request.content_type == "application/x-www-form-urlencoded"


def test_wrong_missing_and_old_signatures_do_not_verify() -> None:
    signer = SlackSigner(SECRET)
    wrong = signer.slash_command("help", user_id="U_ALICE", signature="wrong")
    missing = signer.slash_command("help", user_id="U_ALICE", signature="missing")
    old = signer.slash_command("help", user_id="U_ALICE", age=301)
    assert not verifier().is_valid_request(wrong.body, dict(wrong.headers))
    assert "x-slack-signature" not in missing.headers
    assert not verifier().is_valid_request(missing.body, dict(missing.headers))
    assert not verifier().is_valid_request(old.body, dict(old.headers))
    assert (
        verifier().is_valid(
            old.body, old.headers["x-slack-request-timestamp"], old.headers["x-slack-signature"]
        )
        is False
    )


def test_signature_uses_the_given_clock() -> None:
    signer = SlackSigner(SECRET, clock=lambda: 1_000_000.0)
    request = signer.url_verification("abc")
    assert request.headers["x-slack-request-timestamp"] == "1000000"
    assert not verifier().is_valid_request(request.body, dict(request.headers))
    assert request.headers["x-slack-signature"] == sign(SECRET, "1000000", request.body)


def test_fresh_response_url_and_trigger_id_per_request() -> None:
    signer = SlackSigner(SECRET)
    first = signer.slash_command("list", user_id="U_ALICE")
    second = signer.slash_command("list", user_id="U_ALICE")
    assert first.trigger_id != second.trigger_id


def test_block_actions_from_a_messages_blocks() -> None:
    request = SlackSigner(SECRET).block_actions(BLOCKS, "cancel", user_id="U_BOB", message_ts="1.000001")
    assert verifier().is_valid_request(request.body, dict(request.headers))
    payload = json.loads(parse_qs(request.text)["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U_BOB"
    assert payload["actions"][0] == payload["actions"][0] | {
        "action_id": "cancel",
        "block_id": "buttons",
        "type": "button",
        "value": "k1",
    }
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1.000001",
        "channel_id": "C_SANDBOX",
        "is_ephemeral": True,
    }
    assert payload["response_url"] == request.response_url
    assert "message" not in payload
    assert payload == request.payload


def test_block_actions_on_a_select_and_an_accessory() -> None:
    signer = SlackSigner(SECRET)
    select = json.loads(
        parse_qs(signer.block_actions(BLOCKS, "duration", user_id="U_BOB", value="60").text)["payload"][0]
    )
    assert select["actions"][0]["selected_option"]["value"] == "60"
    join = signer.block_actions(BLOCKS, "join", user_id="U_BOB", is_ephemeral=False)
    assert join.payload["actions"][0]["url"] == "https://sandbox.example/join"
    assert join.payload["message"]["blocks"] == BLOCKS
    with pytest.raises(KeyError, match="there are: join, cancel, duration"):
        find_action(BLOCKS, "nope")
    with pytest.raises(KeyError, match="no option"):
        signer.block_actions(BLOCKS, "duration", user_id="U_BOB", value="90")


def test_block_actions_in_a_view_have_no_response_url() -> None:
    view = {"id": "V1", "type": "home", "blocks": BLOCKS}
    request = SlackSigner(SECRET).block_actions(BLOCKS, "cancel", user_id="U_BOB", view=view)
    assert request.payload["container"] == {"type": "view", "view_id": "V1"}
    assert "response_url" not in request.payload
    assert request.response_url is None


MODAL = {
    "id": "V2",
    "type": "modal",
    "callback_id": "schedule",
    "private_metadata": "C_SANDBOX",
    "blocks": [
        {
            "type": "input",
            "block_id": "topic",
            "element": {"type": "plain_text_input", "action_id": "topic_input"},
            "label": {"type": "plain_text", "text": "Topic"},
        },
        {
            "type": "input",
            "block_id": "when",
            "element": {"type": "datepicker", "action_id": "date"},
            "label": {"type": "plain_text", "text": "Date"},
        },
        {
            "type": "input",
            "block_id": "who",
            "element": {"type": "multi_users_select", "action_id": "invitees"},
            "label": {"type": "plain_text", "text": "Invitees"},
        },
        {
            "type": "input",
            "block_id": "length",
            "element": {
                "type": "static_select",
                "action_id": "minutes",
                "options": [{"text": {"type": "plain_text", "text": "30"}, "value": "30"}],
            },
            "label": {"type": "plain_text", "text": "Length"},
        },
    ],
}


def test_view_submission_fills_state_like_slack() -> None:
    request = SlackSigner(SECRET).view_submission(
        MODAL,
        {"topic_input": "Standup", "date": "2026-12-01", "who": ["U_BOB"], "minutes": "30"},
        user_id="U_ALICE",
    )
    assert verifier().is_valid_request(request.body, dict(request.headers))
    payload = json.loads(parse_qs(request.text)["payload"][0])
    assert payload["type"] == "view_submission"
    values = payload["view"]["state"]["values"]
    assert values["topic"]["topic_input"] == {"type": "plain_text_input", "value": "Standup"}
    assert values["when"]["date"] == {"type": "datepicker", "selected_date": "2026-12-01"}
    assert values["who"]["invitees"] == {"type": "multi_users_select", "selected_users": ["U_BOB"]}
    assert values["length"]["minutes"]["selected_option"]["value"] == "30"
    assert payload["view"]["callback_id"] == "schedule"
    assert payload["view"]["private_metadata"] == "C_SANDBOX"


def test_view_submission_leaves_missing_inputs_empty_and_refuses_unknown_ones() -> None:
    values = view_state(MODAL["blocks"], {})  # type: ignore[arg-type]
    assert values["topic"]["topic_input"]["value"] is None
    with pytest.raises(KeyError, match="no input"):
        view_state(MODAL["blocks"], {"agenda": "x"})  # type: ignore[arg-type]


def test_view_closed() -> None:
    request = SlackSigner(SECRET).view_closed(MODAL, user_id="U_ALICE")
    assert request.payload["type"] == "view_closed"
    assert verifier().is_valid_request(request.body, dict(request.headers))


def test_events_are_json_envelopes() -> None:
    signer = SlackSigner(SECRET, team_id="T1", bot_user_id="U_B")
    home = signer.app_home_opened("U_ALICE")
    assert home.content_type == "application/json"
    assert verifier().is_valid_request(home.body, dict(home.headers))
    envelope = json.loads(home.body)
    assert envelope["type"] == "event_callback"
    assert envelope["team_id"] == "T1"
    assert envelope["event"] == envelope["event"] | {
        "type": "app_home_opened",
        "user": "U_ALICE",
        "tab": "home",
    }
    assert envelope["authorizations"][0]["user_id"] == "U_B"
    assert envelope["event_id"].startswith("Ev")

    revoked = json.loads(signer.tokens_revoked(user_ids=["U_ALICE"], bot_ids=["B1"]).body)
    assert revoked["event"]["tokens"] == {"oauth": ["U_ALICE"], "bot": ["B1"]}
    assert json.loads(signer.app_uninstalled().body)["event"]["type"] == "app_uninstalled"

    retried = signer.event({"type": "app_uninstalled"}, event_id="Ev1", retry_num=1)
    assert retried.headers["x-slack-retry-num"] == "1"
    assert json.loads(retried.body)["event_id"] == "Ev1"

    challenge = signer.url_verification("chal")
    assert json.loads(challenge.body) == {
        "token": signer.verification_token,
        "challenge": "chal",
        "type": "url_verification",
    }


def test_timestamps_are_now() -> None:
    request = SlackSigner(SECRET).app_uninstalled()
    assert abs(int(request.headers["x-slack-request-timestamp"]) - time.time()) < 5
