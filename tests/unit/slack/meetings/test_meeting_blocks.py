"""Block Kit for meetings: ids the listeners rely on, what each reader may see, and Slack's limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.meetings import Invitee, Meeting
from bot.slack.meetings import blocks, form_blocks
from bot.slack.meetings.forms import form_errors, read_form

START = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 7, tzinfo=UTC)


def meeting(**overrides: Any) -> Meeting:
    values: dict[str, Any] = {
        "meeting_id": "123456789",
        "number": "123456789",
        "topic": "Design <review> & Q&A 🚀",
        "start": START,
        "duration_minutes": 45,
        "time_zone": "Europe/Berlin",
        "time_zone_label": "GMT+01:00, Europe (Berlin)",
        "agenda": "1. intro",
        "invitees": (Invitee("ana@example.com", "Ana"),),
        "host_key": "654321",
        "password": "pw123",
    }
    values.update(overrides)
    return Meeting(**values)


LINKS = blocks.CardLinks(join_url="https://j/1", host_url="https://h/1", calendar_url="https://ical/1")


def elements(found: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in found:
        yield from block.get("elements", [])
        if "accessory" in block:
            yield block["accessory"]


def text_of(found: list[dict[str, Any]]) -> str:
    return json.dumps(found, ensure_ascii=False)


def test_the_hosts_card_has_every_detail_and_button() -> None:
    card = blocks.meeting_card(meeting(), LINKS, "Europe/Berlin")
    actions = {e["action_id"]: e for e in elements(card) if e.get("type") == "button"}
    assert set(actions) == {
        blocks.JOIN,
        blocks.START,
        blocks.CALENDAR,
        blocks.SHARE,
        blocks.EDIT,
        blocks.CANCEL,
    }
    assert actions[blocks.JOIN]["url"] == "https://j/1" and actions[blocks.START]["url"] == "https://h/1"
    assert all(actions[a]["value"] == "123456789" for a in (blocks.SHARE, blocks.EDIT, blocks.CANCEL))
    assert "confirm" in actions[blocks.CANCEL]
    text = text_of(card)
    assert "654321" in text and "pw123" in text and "45 min" in text and "Ana" in text
    # Everyone sees their own time through Slack's date token; the fallback is the host's zone.
    assert f"<!date^{int(START.timestamp())}^" in text and "15:00 CET" in text
    assert "Design &lt;review&gt; &amp; Q&amp;A 🚀" in text  # mrkdwn shows the topic as typed
    header = next(b for b in card if b["type"] == "header")
    assert header["text"]["text"] == "Design <review> & Q&A 🚀"


def test_the_channel_copy_hides_the_host_link_key_password_and_host_buttons() -> None:
    card = blocks.meeting_card(meeting(), LINKS, "Europe/Berlin", blocks.CardOptions(for_host=False))
    ids = {e["action_id"] for e in elements(card) if e.get("type") == "button"}
    assert ids == {blocks.JOIN, blocks.CALENDAR}
    text = text_of(card)
    assert "654321" not in text and "pw123" not in text and "https://h/1" not in text


def test_long_text_is_cut_to_slacks_limits() -> None:
    card = blocks.meeting_card(meeting(topic="t" * 512, agenda="a" * 2500), LINKS, "UTC")
    header = next(b for b in card if b["type"] == "header")
    assert len(header["text"]["text"]) <= blocks.HEADER_LIMIT
    for block in card:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= blocks.SECTION_TEXT_LIMIT
        for field in block.get("fields", []):
            assert len(field["text"]) <= blocks.FIELD_TEXT_LIMIT


def test_cancelled_card_has_no_buttons_left() -> None:
    card = blocks.cancelled_card("123456789", "Retro")
    assert not list(elements(card)) and "cancelled" in text_of(card)
    assert "already" in text_of(blocks.cancelled_card("123456789", "Retro", already=True))


def test_a_meeting_gone_before_it_could_be_read_is_named_without_an_id_nobody_has_seen() -> None:
    # Webex said nothing of it (deleted there): no topic, and on the REST API no number either.
    assert ":wastebasket: This meeting was already cancelled" in text_of(
        blocks.cancelled_card("", "", already=True)
    )
    copy = blocks.cancelled_channel_card("", "", "U1", already=True)
    assert "This meeting was cancelled." in text_of(copy) and "Webex no longer has this meeting" in str(copy)
    assert "<@U1>" not in str(copy) and "button" not in str(copy)


def test_cancel_confirmation_asks_without_a_second_dialog() -> None:
    found = blocks.cancel_confirmation(meeting(), "UTC")
    buttons = {e["action_id"]: e for e in elements(found)}
    assert set(buttons) == {blocks.CANCEL, blocks.KEEP}
    assert "confirm" not in buttons[blocks.CANCEL] and buttons[blocks.CANCEL]["value"] == "123456789"


def test_the_list_has_rows_with_buttons_and_a_more_button() -> None:
    meetings = tuple(
        meeting(meeting_id=str(100000000 + i), start=START + timedelta(hours=i)) for i in range(3)
    )
    found = blocks.meeting_list(meetings, {"100000000": "https://j/0"}, "UTC", NOW, next_cursor="11")
    joins = [e for e in elements(found) if e.get("action_id") == blocks.JOIN]
    assert [j["url"] for j in joins] == ["https://j/0"]
    assert sum(e.get("action_id") == blocks.CANCEL for e in elements(found)) == 3
    more = next(e for e in elements(found) if e.get("action_id") == blocks.MORE)
    assert blocks.read_more_value(more["value"]) == ("upcoming", "11")
    assert len(found) <= blocks.MESSAGE_BLOCK_LIMIT


def test_a_long_list_stays_within_fifty_blocks() -> None:
    meetings = tuple(meeting(meeting_id=str(100000000 + i)) for i in range(40))
    assert len(blocks.meeting_list(meetings, {}, "UTC", NOW, next_cursor="41")) <= 50


def test_an_empty_list_says_how_to_schedule() -> None:
    found = blocks.meeting_list((), {}, "UTC", NOW, window="today")
    assert "no Webex meetings today" in text_of(found) and "/webex schedule" in text_of(found)


def test_schedule_modal_defaults_to_the_next_half_hour_in_the_users_zone() -> None:
    view = form_blocks.schedule_modal(
        form_blocks.FormPrefill(), form_blocks.FormContext(channel_id="C1", user_tz="Asia/Kolkata"), NOW
    )
    assert len(view["title"]["text"]) <= blocks.MODAL_TITLE_LIMIT
    by_id = {b["block_id"]: b for b in view["blocks"]}
    assert set(by_id) >= {
        blocks.TOPIC,
        blocks.DATE,
        blocks.TIME,
        blocks.DURATION,
        blocks.INVITEES,
        blocks.EMAILS,
        blocks.AGENDA,
        blocks.POST,
    }
    # 09:07 UTC is 14:37 in Kolkata; the next half hour there is 15:00.
    assert by_id[blocks.TIME]["element"]["initial_time"] == "15:00"
    assert by_id[blocks.DATE]["element"]["initial_date"] == "2026-03-02"
    assert by_id[blocks.DURATION]["element"]["initial_option"]["value"] == "30"
    assert form_blocks.FormContext.loads(view["private_metadata"]) == form_blocks.FormContext(
        "C1", "Asia/Kolkata"
    )


def test_edit_modal_is_prefilled_from_the_meeting() -> None:
    context = form_blocks.FormContext(
        user_tz="Europe/Berlin", meeting_id="123456789", response_url="https://r"
    )
    view = form_blocks.edit_modal(meeting(duration_minutes=50), context, NOW)
    by_id = {b["block_id"]: b for b in view["blocks"]}
    assert by_id[blocks.TOPIC]["element"]["initial_value"] == "Design <review> & Q&A 🚀"
    assert by_id[blocks.TIME]["element"]["initial_time"] == "15:00"
    assert by_id[blocks.DURATION]["element"]["initial_option"]["value"] == "50"
    assert by_id[blocks.EMAILS]["element"]["initial_value"] == "Ana <ana@example.com>"
    assert blocks.POST not in by_id
    assert form_blocks.FormContext.loads(view["private_metadata"]).meeting_id == "123456789"


def test_button_values_over_the_limit_are_refused() -> None:
    with pytest.raises(ValueError):
        blocks.meeting_card(meeting(meeting_id="1" * 2001), LINKS, "UTC")


def state(**values: Any) -> dict[str, Any]:
    def element(block_id: str) -> dict[str, Any]:
        given = values.get(block_id)
        if block_id == blocks.DATE:
            return {"type": "datepicker", "selected_date": given}
        if block_id == blocks.TIME:
            return {"type": "timepicker", "selected_time": given}
        if block_id == blocks.DURATION:
            return {"type": "static_select", "selected_option": {"value": str(given or 30)}}
        if block_id == blocks.INVITEES:
            return {"type": "multi_users_select", "selected_users": given or []}
        if block_id == blocks.POST:
            return {"type": "checkboxes", "selected_options": [{"value": "post"}] if given else []}
        return {"type": "plain_text_input", "value": given}

    ids = (blocks.TOPIC, blocks.DATE, blocks.TIME, blocks.DURATION, blocks.INVITEES, blocks.EMAILS)
    ids += (blocks.AGENDA, blocks.POST)
    return {"state": {"values": {b: {blocks.VALUE: element(b)} for b in ids}}}


def test_a_good_form_reads_in_the_users_zone() -> None:
    form = read_form(
        state(
            topic="Retro",
            date="2026-03-30",
            time="09:00",
            emails="a@x.io, b@y.io",
            invitees=["U1"],
            post=True,
        )
    )
    assert form_errors(form, "Europe/Berlin", NOW) == {}
    assert form.start("Europe/Berlin") == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # summer time already
    assert form.emails == ("a@x.io", "b@y.io") and form.user_ids == ("U1",) and form.post_in_channel


@pytest.mark.parametrize(
    ("values", "block_id"),
    [
        ({"topic": "", "date": "2026-03-30", "time": "09:00"}, blocks.TOPIC),
        ({"topic": "bell \x07", "date": "2026-03-30", "time": "09:00"}, blocks.TOPIC),
        ({"topic": "x", "date": None, "time": "09:00"}, blocks.DATE),
        ({"topic": "x", "date": "2026-03-30", "time": None}, blocks.TIME),
        ({"topic": "x", "date": "2026-03-01", "time": "09:00"}, blocks.TIME),
        ({"topic": "x", "date": "2026-03-30", "time": "09:00", "emails": "not-mail"}, blocks.EMAILS),
        ({"topic": "x", "date": "2026-03-30", "time": "09:00", "agenda": "\x00"}, blocks.AGENDA),
    ],
)
def test_form_errors_point_at_the_field_to_fix(values: dict[str, Any], block_id: str) -> None:
    errors = form_errors(read_form(state(**values)), "Europe/Berlin", NOW)
    assert list(errors) == [block_id] and errors[block_id]


def test_a_pasted_mailto_link_invites_the_address_it_names() -> None:
    form = read_form(
        state(topic="x", date="2026-03-30", time="09:00", emails="mailto:ana@x.io; MAILTO:li@y.io")
    )
    assert form.emails == ("ana@x.io", "li@y.io") and form_errors(form, "Europe/Berlin", NOW) == {}


def test_addresses_pasted_from_a_mail_client_invite_the_address_with_its_name() -> None:
    pasted = 'Ana <ana@x.io>, "Lima, Ana" <mailto:al@x.io>; Li Wu <li@y.io> bo@z.io <jo@z.io>'
    form = read_form(state(topic="x", date="2026-03-30", time="09:00", emails=pasted))
    assert form.emails == ("Ana <ana@x.io>", '"Lima, Ana" <al@x.io>', "Li Wu <li@y.io>", "bo@z.io", "jo@z.io")
    assert form_errors(form, "Europe/Berlin", NOW) == {}


@pytest.mark.parametrize("typed", ["Ana Lima", "Ana <ana>", '"Ana Lima <ana@x.io>', "Ana <>"])
def test_what_is_not_an_address_is_refused_saying_what_to_type(typed: str) -> None:
    form = read_form(state(topic="x", date="2026-03-30", time="09:00", emails=typed))
    message = form_errors(form, "Europe/Berlin", NOW)[blocks.EMAILS]
    assert message.endswith(
        "is not an email address. Type addresses such as ana@example.com or "
        "Ana Lima <ana@example.com>, separated by commas."
    )


def test_a_time_the_clocks_skip_is_refused_rather_than_moved() -> None:
    # Berlin's clocks go from 02:00 to 03:00 on 29 March 2026: 02:30 would silently become 03:30.
    form = read_form(state(topic="x", date="2026-03-29", time="02:30"))
    errors = form_errors(form, "Europe/Berlin", NOW)
    assert list(errors) == [blocks.TIME] and "clocks go forward" in errors[blocks.TIME]
    assert (
        form_errors(read_form(state(topic="x", date="2026-03-29", time="03:30")), "Europe/Berlin", NOW) == {}
    )


def test_an_edited_meeting_under_way_may_keep_its_past_start() -> None:
    form = read_form(state(topic="Renamed", date="2026-03-02", time="08:00"))
    started = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert form_errors(form, "UTC", NOW, original_start=started) == {}
    assert list(form_errors(form, "UTC", NOW)) == [blocks.TIME]


def test_a_password_webex_cannot_take_is_refused_in_the_form() -> None:
    values = {blocks.TOPIC: "x", blocks.DATE: "2026-03-30", blocks.TIME: "09:00"}
    view = state(**values)
    view["state"]["values"][blocks.PASSWORD] = {
        blocks.VALUE: {"type": "plain_text_input", "value": "has space"}
    }
    assert list(form_errors(read_form(view), "UTC", NOW)) == [blocks.PASSWORD]


def test_form_context_survives_private_metadata() -> None:
    context = form_blocks.FormContext("C1", "Asia/Tokyo", "123456789", "https://hooks/x", 1780000000)
    assert form_blocks.FormContext.loads(context.dumps()) == context
    assert form_blocks.FormContext.loads("not json") == form_blocks.FormContext()


def test_a_local_time_reads_as_strftime_writes_it_in_the_persons_zone() -> None:
    from zoneinfo import ZoneInfo

    instant = datetime(2026, 1, 1, 0, 7, tzinfo=UTC)
    for step in range(0, 400 * 24, 37):  # every weekday and month, both sides of DST changes
        moment = instant + timedelta(hours=step)
        for zone in ("Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"):
            local = moment.astimezone(ZoneInfo(zone))
            assert blocks.local_time_text(moment, zone) == local.strftime("%a %-d %b %Y, %H:%M %Z")
    assert blocks.local_time_text(instant, "Not/AZone") == "Thu 1 Jan 2026, 00:07 UTC"
