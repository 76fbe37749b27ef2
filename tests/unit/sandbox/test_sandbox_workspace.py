"""The pretend workspace answers Web API calls the way Slack does, including its refusals."""

from __future__ import annotations

import pytest

from bot.sandbox import SANDBOX_USERS
from bot.sandbox.workspace import RESPONSE_URL_USES, SlackApiError, SlackWorkspace

MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Schedule"},
    "blocks": [],
    "callback_id": "s",
}


def workspace() -> SlackWorkspace:
    space = SlackWorkspace()
    space.add_users(SANDBOX_USERS)
    return space


def refusal(space: SlackWorkspace, method: str, params: dict[str, object]) -> str:
    with pytest.raises(SlackApiError) as caught:
        space.answer(method, params)
    return caught.value.error


def test_users_info_describes_sandbox_people() -> None:
    user = workspace().answer("users.info", {"user": "U_ALICE"}).answer["user"]
    assert user["id"] == "U_ALICE"
    assert user["name"] == "alice"
    assert user["real_name"] == "Alice Archer"
    assert user["tz"] == "America/New_York"
    assert user["tz_label"] == "Eastern Standard Time"
    assert user["tz_offset"] in (-5 * 3600, -4 * 3600)
    assert user["profile"]["email"] == "alice@sandbox.example"
    assert user["profile"]["display_name"] == "alice"
    bob = workspace().answer("users.info", {"user": "U_BOB"}).answer["user"]
    assert bob["tz_offset"] in (3600, 7200)


def test_unknown_user_and_method() -> None:
    assert refusal(workspace(), "users.info", {"user": "U_NOBODY"}) == "user_not_found"
    assert refusal(workspace(), "chat.meMessage", {}) == "unknown_method"
    assert refusal(workspace(), "users.lookupByEmail", {"email": "x@y"}) == "users_not_found"
    found = workspace().answer("users.lookupByEmail", {"email": "BOB@sandbox.example"}).answer
    assert found["user"]["id"] == "U_BOB"


def test_post_message_to_a_user_lands_in_their_dm() -> None:
    space = workspace()
    outcome = space.answer("chat.postMessage", {"channel": "U_BOB", "text": "hi"})
    assert outcome.answer["channel"] == "D_BOB"
    assert outcome.audience == "U_BOB"
    ts = outcome.answer["ts"]
    assert space.messages[("D_BOB", ts)]["text"] == "hi"
    updated = space.answer("chat.update", {"channel": "D_BOB", "ts": ts, "text": "changed"}).answer
    assert updated["message"]["text"] == "changed"
    space.answer("chat.delete", {"channel": "D_BOB", "ts": ts})
    assert refusal(space, "chat.update", {"channel": "D_BOB", "ts": ts, "text": "x"}) == "message_not_found"


def test_messages_need_content_and_ephemeral_needs_a_member() -> None:
    space = workspace()
    assert refusal(space, "chat.postMessage", {"channel": "C1"}) == "no_text"
    assert (
        refusal(space, "chat.postEphemeral", {"channel": "C1", "user": "U_X", "text": "x"})
        == "user_not_in_channel"
    )
    ts = space.answer("chat.postEphemeral", {"channel": "C1", "user": "U_ALICE", "text": "x"}).answer[
        "message_ts"
    ]
    assert ts


def test_trigger_ids_are_single_use_and_expire() -> None:
    space = workspace()
    trigger = space.issue_trigger_id("U_ALICE")
    opened = space.answer("views.open", {"trigger_id": trigger, "view": MODAL})
    assert opened.answer["view"]["id"].startswith("V")
    assert opened.audience == "U_ALICE"
    assert refusal(space, "views.open", {"trigger_id": trigger, "view": MODAL}) == "invalid_trigger_id"
    assert refusal(space, "views.open", {"trigger_id": "made.up", "view": MODAL}) == "invalid_trigger_id"
    space.trigger_ttl = -1
    assert (
        refusal(space, "views.open", {"trigger_id": space.issue_trigger_id("U_ALICE"), "view": MODAL})
        == "expired_trigger_id"
    )


def test_views_update_push_and_publish() -> None:
    space = workspace()
    view = space.answer("views.open", {"trigger_id": space.issue_trigger_id("U_BOB"), "view": MODAL}).answer[
        "view"
    ]
    changed = space.answer("views.update", {"view_id": view["id"], "view": {**MODAL, "callback_id": "t"}})
    assert changed.answer["view"]["callback_id"] == "t"
    assert changed.audience == "U_BOB"
    assert (
        refusal(space, "views.update", {"view_id": view["id"], "hash": "stale", "view": MODAL})
        == "hash_conflict"
    )
    assert refusal(space, "views.update", {"view_id": "VNOPE", "view": MODAL}) == "not_found"
    for _ in range(2):
        space.answer("views.push", {"trigger_id": space.issue_trigger_id("U_BOB"), "view": MODAL})
    assert (
        refusal(space, "views.push", {"trigger_id": space.issue_trigger_id("U_BOB"), "view": MODAL})
        == "push_limit_reached"
    )
    home = {"type": "home", "blocks": []}
    first = space.answer("views.publish", {"user_id": "U_ALICE", "view": home}).answer["view"]
    again = space.answer("views.publish", {"user_id": "U_ALICE", "view": home}).answer["view"]
    assert first["id"] == again["id"] == space.home_views["U_ALICE"]
    assert refusal(space, "views.publish", {"user_id": "U_ALICE", "view": MODAL}) == "invalid_arguments"


def test_response_url_limits() -> None:
    space = workspace()
    target = space.issue_response_url(
        "http://x/", user_id="U_ALICE", channel_id="C1", command="/webex", text="list"
    )
    assert target.url == f"http://x/response/{target.id}"
    for _ in range(RESPONSE_URL_USES):
        outcome = space.answer_response_url(target.id, {"text": "ok"})
        assert outcome.response_target == target
        assert outcome.audience == "U_ALICE"
    with pytest.raises(SlackApiError, match="used_url"):
        space.answer_response_url(target.id, {"text": "one too many"})
    with pytest.raises(SlackApiError, match="no_service"):
        space.answer_response_url("unknown", {"text": "x"})


def test_in_channel_response_is_public_and_replace_original_keeps_the_ts() -> None:
    space = workspace()
    target = space.issue_response_url("http://x/", user_id="U_ALICE", channel_id="C1", message_ts="9.000001")
    public = space.answer_response_url(target.id, {"text": "for all", "response_type": "in_channel"})
    assert public.audience is None
    assert ("C1", public.message_ts) in space.messages
    replaced = space.answer_response_url(target.id, {"text": "new", "replace_original": True})
    assert replaced.message_ts == "9.000001"


def test_a_bot_post_in_a_channel_it_has_not_joined_is_refused_as_slack_does() -> None:
    space = workspace()
    card = {"text": "Standup"}
    assert space.answer("chat.postMessage", {"channel": "C_SANDBOX", **card}).answer["ok"]
    # Public channel, bot not in it: chat:write.public lets the post through.
    assert space.answer("chat.postMessage", {"channel": "C_GENERAL", **card}).answer["ok"]
    assert refusal(space, "chat.postMessage", {"channel": "C_DESIGN", **card}) == "channel_not_found"
    space.bot_scopes = space.bot_scopes - {"chat:write.public"}
    assert refusal(space, "chat.postMessage", {"channel": "C_GENERAL", **card}) == "not_in_channel"
    assert ("C_GENERAL", "") not in space.messages
    assert [channel for channel, _ in space.messages] == ["C_SANDBOX", "C_GENERAL"]
