"""Envelopes, the hardened parser against hostile answers, the FAILURE mapper, and the text round trip."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from bot.webex import xml
from bot.webex.errors import (
    AccessDenied,
    AccessTokenInvalid,
    InvalidRequest,
    MeetingNotFound,
    NoRecordsFound,
    PasswordRequired,
    UserNotFound,
    WebexError,
    WebexFailure,
    WebexRateLimited,
    WebexUnavailable,
)

OK = (
    b'<?xml version="1.0" encoding="UTF-8"?><serv:message xmlns:serv="http://www.webex.com/schemas/2002/06/service">'
    b"<serv:header><serv:response><serv:result>SUCCESS</serv:result></serv:response></serv:header>"
    b"<serv:body><serv:bodyContent><x>1</x></serv:bodyContent></serv:body></serv:message>"
)


def test_envelope_matches_the_captured_requests() -> None:
    message, body = xml.new_request("GetMeeting", site="acme", webex_id="alice", access_token="tok")
    xml.add(body, "meetingKey", 123)
    data = xml.to_bytes(message)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<serv:message")
    assert b'xmlns:serv="http://www.webex.com/schemas/2002/06/service"' in data
    assert b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' in data
    assert (
        b"<header><securityContext><webExID>alice</webExID><siteName>acme</siteName>"
        b"<webExAccessToken>tok</webExAccessToken></securityContext></header>"
    ) in data
    assert (
        b'<body><bodyContent xsi:type="java:com.webex.service.binding.meeting.GetMeeting">'
        b"<meetingKey>123</meetingKey></bodyContent></body>"
    ) in data


def test_add_writes_booleans_and_numbers_as_the_schema_wants() -> None:
    parent = etree.Element("p")
    assert xml.add(parent, "a", True).text == "true"
    assert xml.add(parent, "b", False).text == "false"
    assert xml.add(parent, "c", 0).text == "0"
    assert xml.add(parent, "d").text is None


def test_clean_text_drops_only_what_xml_cannot_carry() -> None:
    assert xml.clean_text("a\x00b\x01\x08\x0b\x0c\x0e\x1f\ufffe\uffff\ud800c") == "abc"
    kept = "tab\t nl\n cr\r del\x7f nel\x85 é 🚀 שלום ]]> </confName> &amp; \ue000 \ufffd"
    assert xml.clean_text(kept) == kept


def test_checked_text_counts_characters_not_bytes() -> None:
    assert xml.checked_text("🚀" * 10, limit=10, field="topic", label="topic") == "🚀" * 10
    with pytest.raises(InvalidRequest, match="11 characters, Webex accepts at most 10") as caught:
        xml.checked_text("🚀" * 11, limit=10, field="topic", label="meeting topic")
    assert caught.value.field == "topic"


def test_parse_response_returns_the_body_content() -> None:
    body = xml.parse_response(OK)
    assert xml.text(body, "x") == "1"


def test_reading_ignores_namespaces_and_letter_case() -> None:
    body = xml.parse_response(
        OK.replace(
            b"<x>1</x>", b'<meet:meetingkey xmlns:meet="urn:m">7</meet:meetingkey><MeetingKey>8</MeetingKey>'
        )
    )
    assert xml.text(body, "meetingKey") == "7"
    assert [element.text for element in xml.children(body, "MEETINGKEY")] == ["7", "8"]
    assert xml.text(body, "missing") is None
    assert xml.child(None, "x") is None


SECRET_FILE_MARKER = "only-on-disk-4f2a9c"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET_FILE_MARKER)
    return path


def hostile_answers(secret: Path) -> dict[str, bytes]:
    bomb = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)]
    return {
        "external entity": (
            f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
            "<serv:message xmlns:serv='http://www.webex.com/schemas/2002/06/service'><serv:header><serv:response>"
            "<serv:result>FAILURE</serv:result><serv:reason>&x;</serv:reason></serv:response></serv:header>"
            "</serv:message>"
        ).encode(),
        "parameter entity": (
            f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY % p SYSTEM "{secret.as_uri()}"> %p;]><m/>'
        ).encode(),
        "external DTD": f'<?xml version="1.0"?><!DOCTYPE m SYSTEM "{secret.as_uri()}"><m/>'.encode(),
        "network DTD": b'<?xml version="1.0"?><!DOCTYPE m SYSTEM "http://127.0.0.1:9/x.dtd"><m/>',
        "billion laughs": (f'<?xml version="1.0"?><!DOCTYPE m [{"".join(bomb)}]><m>&l9;</m>').encode(),
        "utf-16 doctype": (
            f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE m [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
            "<message>&x;</message>"
        ).encode("utf-16"),
        "undeclared entity": OK.replace(b"<x>1</x>", b"<x>&x;</x>"),
        "truncated": OK[: len(OK) // 2],
        "html error page": b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>",
        "html without doctype": b"<html><body>Service Unavailable</body></html>",
        "json": b'{"error": "oops"}',
        "empty": b"",
        "whitespace": b"  \n ",
        "no result": OK.replace(b"<serv:result>SUCCESS</serv:result>", b""),
        "odd result": OK.replace(b"SUCCESS", b"MAYBE"),
        "deep nesting": b"<message>" + b"<a>" * 300_000 + b"</a>" * 300_000 + b"</message>",
    }


@pytest.mark.parametrize(
    "name",
    sorted(hostile_answers(Path("/x"))),
)
def test_hostile_or_broken_answers_are_unavailable(name: str, secret_file: Path) -> None:
    data = hostile_answers(secret_file)[name]
    started = time.perf_counter()
    with pytest.raises(WebexUnavailable) as caught:
        xml.parse_response(data)
    assert time.perf_counter() - started < 2
    assert type(caught.value) is WebexUnavailable
    assert SECRET_FILE_MARKER not in str(caught.value)
    assert caught.value.reason.startswith("Webex")
    assert caught.value.outcome_unknown  # an answer came back, unusable: Webex may have acted


@pytest.mark.parametrize("name", ["external entity", "parameter entity", "external DTD", "billion laughs"])
def test_the_parser_itself_reads_no_file_and_expands_nothing(name: str, secret_file: Path) -> None:
    """Behind the DOCTYPE refusal, the parser would not resolve anything either (defence in depth)."""
    data = hostile_answers(secret_file)[name]
    try:
        root = etree.fromstring(data, xml._parser())
    except etree.XMLSyntaxError as exc:
        assert SECRET_FILE_MARKER not in str(exc)
        return
    serialized = etree.tostring(root).decode()
    assert SECRET_FILE_MARKER not in serialized
    assert "lol" * 100 not in serialized
    assert SECRET_FILE_MARKER not in "".join(root.itertext())


@pytest.mark.parametrize(
    ("reason", "exception_id", "error"),
    [
        ("WebEx access token is invalid", "030048", AccessTokenInvalid),
        ("WebEx access token is invalid", "", AccessTokenInvalid),
        ("The access token has expired", "999998", AccessTokenInvalid),
        ("Not a valid session ticket", "030047", AccessTokenInvalid),
        ("Incorrect user or password", "030002", AccessTokenInvalid),
        ("User bob not found", "030001", UserNotFound),
        ("Access denied, additional privileges are required", "000001", AccessDenied),
        ("You cannot schedule meetings for bob", "060021", AccessDenied),
        ("You are not the host of this meeting", "061234", AccessDenied),
        ("Sorry, no record found", "000015", NoRecordsFound),
        ("Sorry, no record found", "15", NoRecordsFound),
        ("Corresponding Meeting not found", "060001", MeetingNotFound),
        ("Corresponding Meeting not found", "60001", MeetingNotFound),
        ("Meeting not found", "", MeetingNotFound),
        ("Meeting password must not be null", "060026", PasswordRequired),
        ("The host WebEx ID bob does not exist", "060019", InvalidRequest),
        ("startDate '13/45/2026' is not a date in MM/DD/YYYY HH:MM:SS", "999999", InvalidRequest),
        ("Invalid startDate: the meeting cannot be in the past", "060016", InvalidRequest),
        ("agenda is longer than 2500 characters", "", InvalidRequest),
        ("Request rate exceeded the limit, please retry later", "000429", WebexRateLimited),
        ("Too many requests", "", WebexRateLimited),
        ("ASService not responding", "000035", WebexUnavailable),
        ("Service temporarily unavailable, try again later", "", WebexUnavailable),
        ("Something odd happened", "012345", WebexFailure),
        ("", "", WebexFailure),
    ],
)
def test_one_mapper_for_every_failure(reason: str, exception_id: str, error: type[WebexError]) -> None:
    mapped = xml.error_for_failure(reason, exception_id)
    assert type(mapped) is error
    assert mapped.exception_id == (exception_id.zfill(6) if exception_id.isdigit() else exception_id)
    assert mapped.reason == (reason or "Webex reported a failure without a reason.")


def test_failure_answer_raises_the_mapped_error() -> None:
    data = (
        b'<serv:message xmlns:serv="http://www.webex.com/schemas/2002/06/service"><serv:header><serv:response>'
        b"<serv:result>FAILURE</serv:result><serv:reason>Corresponding Meeting not found</serv:reason>"
        b"<serv:exceptionID>060001</serv:exceptionID></serv:response></serv:header></serv:message>"
    )
    with pytest.raises(MeetingNotFound) as caught:
        xml.parse_response(data)
    assert (caught.value.reason, caught.value.exception_id) == ("Corresponding Meeting not found", "060001")


def _round_trip(value: str) -> str | None:
    message, body = xml.new_request("CreateMeeting", site="acme", webex_id="alice", access_token="t")
    xml.add(xml.add(body, "metaData"), "confName", value)
    answer = xml.to_bytes(message).replace(
        b"<header>", b"<header><response><result>SUCCESS</result></response>"
    )
    return xml.text(xml.parse_response(answer), "metaData", "confName")


AWKWARD = st.sampled_from(
    ["<", ">", "&", "]]>", "</confName>", "&amp;", "\r", "\r\n", "\x00", "\x0b", "\ud800", "🚀"]
)
ANY_TEXT = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=()), max_size=200),
    st.lists(st.one_of(AWKWARD, st.text(max_size=5)), max_size=30).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_text_round_trips_minus_what_xml_cannot_carry(value: str) -> None:
    assert _round_trip(value) == xml.clean_text(value)


@pytest.mark.parametrize(
    "value",
    [
        "</confName><confName>injected",
        "]]><![CDATA[x",
        "&amp; &lt; & < > \" '",
        "&x; &#0; &#x1;",
        "🚀 emoji 👩‍👩‍👧 and ZWJ",
        "שלום עולם \u202eRTL override",
        "line1\r\nline2\rline3\n",
        "  leading and trailing  ",
        "\x00\x01bell\x07",
        "a" * 100_000,
    ],
)
def test_awkward_text_round_trips(value: str) -> None:
    assert _round_trip(value) == xml.clean_text(value)


def _mutations() -> st.SearchStrategy[bytes]:
    """Real answers cut, spliced and sprinkled with bytes, plus arbitrary bytes."""
    return st.one_of(
        st.binary(max_size=300),
        st.tuples(st.integers(0, len(OK)), st.integers(0, len(OK)), st.binary(max_size=20)).map(
            lambda cut: OK[: cut[0]] + cut[2] + OK[cut[1] :]
        ),
    )


@settings(max_examples=300, deadline=None)
@given(_mutations())
def test_any_answer_parses_or_is_a_typed_error(data: bytes) -> None:
    try:
        xml.parse_response(data)
    except WebexError:
        pass
