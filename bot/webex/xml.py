"""Webex XML API documents: request envelopes built with lxml, hardened parsing, FAILURE -> typed errors."""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import TypeAlias

from lxml import etree

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

SERVICE_NS = "http://www.webex.com/schemas/2002/06/service"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

Element: TypeAlias = etree._Element

# Operation -> the package in its xsi:type (`java:com.webex.service.binding.<package>.<Operation>`).
OPERATION_PACKAGES: dict[str, str] = {
    "GetUser": "user",
    "CreateMeeting": "meeting",
    "SetMeeting": "meeting",
    "GetMeeting": "meeting",
    "DelMeeting": "meeting",
    "LstsummaryMeeting": "meeting",
    "GetjoinurlMeeting": "meeting",
    "GethosturlMeeting": "meeting",
    "GetAPIVersion": "ep",
    "LstRecording": "ep",
    "SetRecordingInfo": "ep",
}

# Characters XML 1.0 can carry; everything else (C0 controls but tab, LF, CR; lone surrogates;
# U+FFFE/U+FFFF) cannot be sent at all, so it is dropped rather than failing the whole request.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_SITE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})$")

# The XML API never sends a DTD; refusing one before the parser sees it means no entity of any kind
# (external file, network, or a billion laughs) is ever declared, let alone expanded.
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")

_parsers = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread, reused across calls.
    parser: etree.XMLParser | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _parsers.parser = parser
    return parser


# -- building ---------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """`text` without the characters XML cannot carry; everything else is kept exactly."""
    return _NOT_XML_CHAR.sub("", text)


def checked_text(text: str, *, limit: int, field: str, label: str) -> str:
    """Clean `text` and refuse it with a clear message when it is longer than Webex accepts."""
    cleaned = clean_text(text)
    if len(cleaned) > limit:
        raise InvalidRequest(
            f"The {label} is too long: {len(cleaned)} characters, Webex accepts at most {limit}.",
            field=field,
        )
    return cleaned


def check_site(site: str) -> str:
    """A Webex site name is one DNS label (`acme` for acme.webex.com)."""
    if not _SITE_NAME.match(site):
        raise InvalidRequest(f"{site!r} is not a Webex site name (letters, digits and '-').", field="site")
    return site


def new_request(
    operation: str,
    *,
    site: str,
    webex_id: str = "",
    email: str = "",
    access_token: str = "",
) -> tuple[Element, Element]:
    """A `serv:message` for `operation` and its empty `bodyContent`, to be filled with `add`.

    The securityContext children follow the schema's order (webExID, siteName, email), with the
    newer `webExAccessToken` last; only the non-empty ones are sent.
    """
    message = copy.deepcopy(_envelope(operation))
    security, body_content = message[0][0], message[1][0]
    if webex_id:
        add(security, "webExID", webex_id)
    add(security, "siteName", check_site(site))
    if email and not webex_id:
        add(security, "email", email)
    if access_token:
        add(security, "webExAccessToken", access_token)
    return message, body_content


@lru_cache(maxsize=len(OPERATION_PACKAGES))
def _envelope(operation: str) -> Element:
    """The parts of a request that depend on its operation alone, built once and copied for each call
    (lxml copies a tree in C, for a fraction of building it with its namespaces)."""
    package = OPERATION_PACKAGES[operation]
    message = etree.Element(f"{{{SERVICE_NS}}}message", nsmap={"serv": SERVICE_NS, "xsi": XSI_NS})
    etree.SubElement(etree.SubElement(message, "header"), "securityContext")
    body_content = etree.SubElement(etree.SubElement(message, "body"), "bodyContent")
    body_content.set(f"{{{XSI_NS}}}type", f"java:com.webex.service.binding.{package}.{operation}")
    return message


def add(parent: Element, name: str, value: str | int | bool | None = None) -> Element:
    """Append an unprefixed child `name`; text is cleaned, booleans are `true`/`false`."""
    element = etree.SubElement(parent, name)
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, int):
        element.text = str(value)
    elif value is not None:
        element.text = clean_text(value)
    return element


def to_bytes(message: Element) -> bytes:
    return etree.tostring(message, xml_declaration=True, encoding="UTF-8")


# -- reading ----------------------------------------------------------------------------------


def local_name(element: Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(parent: Element | None, name: str) -> Iterator[Element]:
    """Children named `name` in any namespace and letter case (servers write meetingkey and meetingKey)."""
    if parent is None:
        return
    wanted = name.lower()
    for element in parent:
        if local_name(element).lower() == wanted:
            yield element


def child(parent: Element | None, *path: str) -> Element | None:
    """The first element along `path` (each step namespace- and case-tolerant), or None."""
    current = parent
    for name in path:
        if current is None:
            return None
        wanted = name.lower()
        # `children`, inlined: every field of every answer is looked up here.
        for element in current:
            tag = element.tag
            if isinstance(tag, str) and tag.rpartition("}")[2].lower() == wanted:
                current = element
                break
        else:
            return None
    return current


def text(parent: Element | None, *path: str) -> str | None:
    """The text at `path`: "" for an empty element, None when the element is absent."""
    element = child(parent, *path)
    if element is None:
        return None
    return element.text or ""


def parse_message(data: bytes) -> Element:
    """Parse a response with the hardened parser; anything unsafe or unreadable is WebexUnavailable."""
    if not data.strip():
        raise _unreadable("Webex answered with an empty body.")
    if any(marker in data for marker in _DTD_MARKERS):
        raise _unreadable("Webex's answer declares a DOCTYPE or entities; refused as unsafe.")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _unreadable(f"Webex's answer is not well-formed XML ({_short(str(exc))}).") from None
    doctype: str = getattr(root.getroottree().docinfo, "doctype", "")
    if doctype:
        raise _unreadable("Webex's answer declares a DOCTYPE; refused as unsafe.")
    if local_name(root) != "message":
        raise _unreadable(f"Webex's answer is not an XML API message (its root is <{local_name(root)}>).")
    return root


def _unreadable(reason: str) -> WebexUnavailable:
    # Webex received the request and answered, so it may have acted on it: the outcome is unknown.
    return WebexUnavailable(reason, outcome_unknown=True)


def parse_response(data: bytes) -> Element:
    """The `bodyContent` of a SUCCESS answer; a FAILURE raises its typed error (see `error_for_failure`)."""
    root = parse_message(data)
    response = child(root, "header", "response")
    result = (text(response, "result") or "").strip().upper()
    if result == "SUCCESS":
        body_content = child(root, "body", "bodyContent")
        return body_content if body_content is not None else etree.Element("bodyContent")
    if result == "FAILURE":
        raise error_for_failure(
            (text(response, "reason") or "").strip(), (text(response, "exceptionID") or "")
        )
    raise _unreadable(f"Webex's answer has no SUCCESS or FAILURE result (got {_short(result)!r}).")


def _short(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


# -- the one FAILURE mapper -------------------------------------------------------------------

_BY_EXCEPTION_ID: dict[str, type[WebexError]] = {
    "000001": AccessDenied,  # access denied, additional privileges (or scope) required
    "000015": NoRecordsFound,  # "Sorry, no record found": an empty list
    "000035": WebexUnavailable,  # "ASService not responding"
    "030001": UserNotFound,  # the user looked up (or the caller) does not exist
    "030002": AccessTokenInvalid,  # incorrect user or password
    "030047": AccessTokenInvalid,  # not a valid session ticket
    "060001": MeetingNotFound,  # corresponding meeting not found
    "060019": InvalidRequest,  # the given host WebEx ID does not exist
    "060021": AccessDenied,  # may not schedule for that host
    "060026": PasswordRequired,  # meeting password must not be null
    # The emulator's own codes where Webex's are unknown (see bot/emulator/errors.py).
    "000429": WebexRateLimited,
    "999999": InvalidRequest,
}

_TOKEN_INVALID = re.compile(
    r"access token (is )?(invalid|expired)|invalid access token|token has expired", re.I
)
_NOT_FOUND = re.compile(r"meeting (was )?not found|no such meeting", re.I)
_RATE_LIMITED = re.compile(r"\brate\b.{0,30}\blimit|too many requests|throttl", re.I)
_DENIED = re.compile(
    r"access denied|not the host|not (authori[sz]ed|permitted)|permission|privilege|scope", re.I
)
_INVALID = re.compile(
    r"invalid|not valid|validat|must (not )?be|cannot be|is required|too long|longer than|exceed|format"
    r"|out of range|in the past|schema|is not an?\b|needs\b|well-formed",
    re.I,
)
_UNAVAILABLE = re.compile(
    r"not responding|temporarily unavailable|internal (server )?error|try again later", re.I
)


def normalize_exception_id(exception_id: str) -> str:
    """exceptionIDs are six digits; some servers drop the leading zeros (15, 60001)."""
    value = exception_id.strip()
    return value.zfill(6) if value.isdigit() else value


def error_for_failure(reason: str, exception_id: str) -> WebexError:
    """The typed error for a FAILURE answer: the one place that reads reasons and exceptionIDs."""
    exception_id = normalize_exception_id(exception_id)
    if _TOKEN_INVALID.search(reason):
        return AccessTokenInvalid(reason, exception_id)
    known = _BY_EXCEPTION_ID.get(exception_id)
    if known is not None:
        return known(reason, exception_id)
    if _NOT_FOUND.search(reason):
        return MeetingNotFound(reason, exception_id)
    if _RATE_LIMITED.search(reason):
        return WebexRateLimited(reason, exception_id)
    if _DENIED.search(reason):
        return AccessDenied(reason, exception_id)
    if _UNAVAILABLE.search(reason):
        return WebexUnavailable(reason, exception_id)
    if _INVALID.search(reason):
        return InvalidRequest(reason, exception_id)
    return WebexFailure(reason or "Webex reported a failure without a reason.", exception_id)
