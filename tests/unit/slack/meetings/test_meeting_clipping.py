"""Long texts are cut before they are escaped: a cut never lands inside `&amp;` or a Slack token."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.domain.meeting_rules import MAX_AGENDA_LENGTH, MAX_TOPIC_LENGTH
from bot.domain.meetings import Invitee, Meeting
from bot.slack.formatting import clip_mrkdwn, typed_links, typed_text
from bot.slack.meetings import blocks, form_blocks

START = datetime(2026, 3, 3, 14, tzinfo=UTC)
ENTITY_OR_TOKEN = re.compile(r"&(?:amp|lt|gt);|<![^<>]*>")


def meeting(topic: str = "Review", agenda: str = "", invitees: tuple[Invitee, ...] = ()) -> Meeting:
    return Meeting(
        meeting_id="123456789",
        number="123456789",
        topic=topic,
        start=START,
        duration_minutes=45,
        time_zone="Europe/Berlin",
        time_zone_label="GMT+01:00, Europe (Berlin)",
        agenda=agenda,
        invitees=invitees,
    )


def broken_entities(text: str) -> list[str]:
    """What is left of `&`, `<` and `>` once whole entities and tokens are taken out."""
    return re.findall(r"[&<>]", ENTITY_OR_TOKEN.sub("", text))


def section(card: list[dict[str, object]], block_id: str) -> str:
    [block] = [b for b in card if b.get("block_id") == block_id]
    text = block["text"]
    assert isinstance(text, dict)
    return str(text["text"])


@pytest.mark.parametrize("unit", ["R&D ", "<b> ", "a&b<c>d ", "x" * 7 + "&"])
def test_a_long_agenda_is_cut_before_it_is_escaped(unit: str) -> None:
    agenda = (unit * MAX_AGENDA_LENGTH)[:MAX_AGENDA_LENGTH]
    card = blocks.meeting_card(meeting(agenda=agenda), blocks.CardLinks(), "UTC")
    text = section(card, "agenda")
    assert len(text) <= blocks.SECTION_TEXT_LIMIT
    assert text.endswith("…") and not broken_entities(text)
    shown = text.removeprefix("*Agenda*\n").removesuffix("…")
    assert agenda.startswith(shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


def test_many_invitees_are_cut_between_whole_characters() -> None:
    people = tuple(Invitee(email=f"p{i}@x.io", name=f"R&D team {i}") for i in range(400))
    text = section(blocks.meeting_card(meeting(invitees=people), blocks.CardLinks(), "UTC"), "invitees")
    assert len(text) <= blocks.SECTION_TEXT_LIMIT and text.endswith("…") and not broken_entities(text)


@pytest.mark.parametrize("topic", ["Q" * MAX_TOPIC_LENGTH, "&" * MAX_TOPIC_LENGTH, "Budget " * 40])
def test_the_cancel_dialog_keeps_the_date_and_shortens_the_topic(topic: str) -> None:
    button = blocks.cancel_button(meeting(topic), "Europe/Berlin")
    text = button["confirm"]["text"]["text"]
    assert len(text) <= blocks.CONFIRM_TEXT_LIMIT
    assert f"<!date^{int(START.timestamp())}^" in text and "Tue 3 Mar 2026, 15:00 CET>" in text
    assert text.endswith("will be deleted from Webex. This cannot be undone.")
    assert not broken_entities(text)
    assert "…*" in text  # the topic says it was shortened


def test_a_short_topic_is_whole_in_the_cancel_dialog() -> None:
    text = blocks.cancel_button(meeting("R&D <sync>"), "UTC")["confirm"]["text"]["text"]
    assert text.startswith("*R&amp;D &lt;sync&gt;* on <!date^")


def test_the_notification_text_cannot_mention_anyone_and_is_cut_whole() -> None:
    assert blocks.card_fallback_text(meeting("<!here> & <@U1>"), "UTC").startswith(
        "&lt;!here&gt; &amp; &lt;@U1&gt; · Tue 3 Mar 2026"
    )
    text = blocks.card_fallback_text(meeting("&" * 5000), "UTC")
    assert len(text) <= blocks.SECTION_TEXT_LIMIT and not broken_entities(text)
    assert text.endswith("· 45 min · meeting 123456789")


def test_a_long_problem_on_the_form_is_cut_whole() -> None:
    prefill = form_blocks.FormPrefill(problem="I could not read “" + "R&D " * 1000 + "”")
    view = form_blocks.schedule_modal(prefill, form_blocks.FormContext(), START)
    text = section(view["blocks"], "problem")
    assert len(text) <= blocks.SECTION_TEXT_LIMIT and text.endswith("…") and not broken_entities(text)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("ab&amp;cd", 5, "ab…"),
        ("abcd <!date^1^{time}|x> tail", 10, "abcd …"),
        ("abc", 10, "abc"),
        ("abcdefgh", 5, "abcd…"),
    ],
)
def test_mrkdwn_is_never_cut_inside_an_entity_or_a_token(text: str, limit: int, expected: str) -> None:
    assert clip_mrkdwn(text, limit) == expected


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("Q&amp;A &lt;v2&gt;", "Q&A <v2>"),
        ("with <@U1|ana> <@U2>", "with @ana @U2"),
        ("in <#C1|general> <!here> <!subteam^S1|@ops>", "in #general @here @ops"),
        ("see <https://x.io/a?b=1&amp;c=2> <mailto:a@b.io|a@b.io>", "see https://x.io/a?b=1&c=2 a@b.io"),
        ("&amp;lt; stays", "&lt; stays"),
    ],
)
def test_a_commands_text_is_read_back_as_typed(sent: str, typed: str) -> None:
    assert typed_text(sent) == typed


def test_a_pasted_link_is_read_back_as_its_address_not_its_label() -> None:
    sent = "<https://acme.webex.com/acme/e.php?AT=SI&amp;MK=123456789|Join the review>"
    assert typed_links(sent) == "https://acme.webex.com/acme/e.php?AT=SI&MK=123456789"
