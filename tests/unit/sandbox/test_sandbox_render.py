"""Block Kit as terminal text: readable lines, and every pressable element numbered in reading order."""

from __future__ import annotations

from bot.sandbox.render import mrkdwn_to_text, render_blocks, render_view


def test_mrkdwn_links_dates_mentions_and_emoji() -> None:
    text = (
        ":white_check_mark: *Standup* on <!date^1796047200^{date_short_pretty}|Mon 30 Nov 09:00> "
        "with <@U_BOB> in <#C1|general>: <https://x.example/j|join> or <https://x.example/raw> "
        "&amp; more :unknown_emoji:"
    )
    shown = mrkdwn_to_text(text, name_of=lambda user_id: {"U_BOB": "bob"}[user_id])
    assert shown == (
        "✅ Standup on Mon 30 Nov 09:00 with @bob in #general: join (https://x.example/j) or "
        "https://x.example/raw & more :unknown_emoji:"
    )


def test_blocks_number_buttons_across_blocks() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Standup"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*When* soon"},
            "fields": [{"type": "mrkdwn", "text": "*Duration*\n30 min"}],
            "accessory": {
                "type": "button",
                "action_id": "a",
                "text": {"type": "plain_text", "text": "Join"},
                "url": "https://j.example",
            },
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "one"}, {"type": "plain_text", "text": "two"}],
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "b", "text": {"type": "plain_text", "text": "Edit"}},
                {
                    "type": "static_select",
                    "action_id": "c",
                    "placeholder": {"type": "plain_text", "text": "Length"},
                    "options": [{"text": {"type": "plain_text", "text": "30 min"}, "value": "30"}],
                },
            ],
        },
        {"type": "divider"},
    ]
    lines, controls = render_blocks(blocks, first_number=4)
    assert lines[:2] == ["Standup", "━━━━━━━"]
    assert "When soon" in lines
    assert "  Duration: 30 min" in lines
    assert "[4] Join ↗" in lines
    assert "  one · two" in lines
    assert "[5] Edit  [6] Length ▾ (30 min)" in lines
    assert [(c.number, c.action_id) for c in controls] == [(4, "a"), (5, "b"), (6, "c")]
    assert controls[0].url == "https://j.example"
    assert controls[2].options[0]["value"] == "30"


def test_text_only_message_uses_its_text() -> None:
    lines, controls = render_blocks([], fallback_text="*Hello*\nthere")
    assert lines == ["Hello", "there"]
    assert controls == []


def test_a_modal_with_inputs_and_initial_values() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Edit meeting"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "topic",
                "label": {"type": "plain_text", "text": "Topic"},
                "element": {"type": "plain_text_input", "action_id": "value", "initial_value": "Standup"},
            },
            {
                "type": "input",
                "block_id": "who",
                "optional": True,
                "label": {"type": "plain_text", "text": "Who"},
                "element": {"type": "multi_users_select", "action_id": "value", "initial_users": ["U_BOB"]},
            },
        ],
    }
    lines, controls = render_view(view, name_of=lambda user_id: "bob")
    assert lines == [
        "┌ Edit meeting",
        "│ Topic: Standup   [topic]",
        "│ Who (optional): @bob   [who]",
        "└ Cancel · Save",
    ]
    assert controls == []
