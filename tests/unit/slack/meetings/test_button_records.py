"""A button press as journaled for another process: everything its work reads comes back from the record,
and a press carried out late that needs Slack's 3-second trigger says to press again."""

from __future__ import annotations

from typing import Any

from bot.slack.meetings import actions, blocks
from bot.slack.meetings.actions import Click
from bot.slack.replies import Blocks, Replies


class Said:
    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send(
        self, text: str, blocks: Blocks | None = None, *, replace: bool = False, public: bool = False
    ) -> None:
        self.texts.append(text)


def press(**extra: Any) -> dict[str, Any]:
    return {
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "channel": {"id": "C1"},
        "response_url": "https://hooks.slack.com/actions/T1/1/x",
        "trigger_id": "t1",
        "actions": [{"action_id": blocks.CANCEL, "value": "m1", "block_id": f"{blocks.LIST_ROW}1"}],
        **extra,
    }


def test_a_press_comes_back_whole_from_its_record() -> None:
    replies = Replies(None, slack_api_url="https://slack.com/api/")  # type: ignore[arg-type]
    clicked = Click.of(press(view={"type": "home"}), replies)
    said = Said()
    again = Click.from_record(clicked.to_record(), clicked.team_id, clicked.user_id, said)
    assert again == Click(
        team_id="T1",
        user_id="U1",
        channel_id="C1",
        response_url="https://hooks.slack.com/actions/T1/1/x",
        trigger_id="t1",
        from_home=True,
        value="m1",
        from_list=True,
        reply=said,
    )
    # A late answer goes through the press's response_url while Slack takes it.
    assert clicked.answer.response_url == "https://hooks.slack.com/actions/T1/1/x"


async def test_an_edit_press_carried_out_late_says_to_press_again() -> None:
    said = Said()
    late = Click.from_record({"value": "m1", "trigger_id": None}, "T1", "U1", said)
    # No form can be opened late, and nothing else is asked for.
    await actions.edit(late, forms=None, meetings=None, answers=None, home=None)  # type: ignore[arg-type]
    assert said.texts == ["I could not open the form in time. Press Edit again."]
