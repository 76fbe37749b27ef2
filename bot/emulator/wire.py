"""Webex XML on the wire: lenient, hardened request parsing and one-line response envelopes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from lxml import etree

from bot.emulator.errors import invalid_request

SERV: Final = "http://www.webex.com/schemas/2002/06/service"
COM: Final = "http://www.webex.com/schemas/2002/06/common"
MEET: Final = "http://www.webex.com/schemas/2002/06/service/meeting"
ATT: Final = "http://www.webex.com/schemas/2002/06/service/attendee"
USE: Final = "http://www.webex.com/schemas/2002/06/service/user"
EP: Final = "http://www.webex.com/schemas/2002/06/service/ep"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"

PACKAGE_NAMESPACES: Final = {"meeting": MEET, "user": USE, "ep": EP}
PACKAGE_PREFIXES: Final = {"meeting": "meet", "user": "use", "ep": "ep"}

# Root declarations per service, in the order the captured responses carry them.
_ROOT_NSMAPS: Final[dict[str, dict[str, str]]] = {
    "meeting": {"serv": SERV, "com": COM, "meet": MEET, "att": ATT},
    "user": {"serv": SERV, "com": COM, "use": USE},
    "ep": {"serv": SERV, "com": COM, "ep": EP, "meet": MEET},
}

XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_REQUEST_BYTES: Final = 1_048_576

_PARSER: Final = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)
_DECLARATION: Final = re.compile(rb"^\s*<\?xml[^>]*\?>")
_ENCODING: Final = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_ROOT_TAG: Final = re.compile(rb"<([A-Za-z_][\w.-]*):message\b")
_XSI_TYPE: Final = re.compile(r"(?:^|[.:])([A-Za-z]+)\.([A-Za-z]+)$")


@dataclass(frozen=True)
class XmlRequest:
    """A parsed request: the operation named by `xsi:type`, the securityContext and the bodyContent."""

    package: str  # "meeting", "user", "ep", ...
    operation: str  # "CreateMeeting", ...
    security: dict[str, str]
    body: etree._Element


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def children(element: etree._Element | None) -> Iterator[etree._Element]:
    if element is None:
        return
    for child in element:
        if isinstance(child.tag, str):
            yield child


def child(element: etree._Element | None, *names: str) -> etree._Element | None:
    """The first child whose local name is one of `names` (namespace prefixes are ignored)."""
    if element is None:
        return None
    for candidate in element:
        tag = candidate.tag
        if not isinstance(tag, str):
            continue
        if tag in names or (tag[:1] == "{" and tag.rpartition("}")[2] in names):
            return candidate
    return None


def text_of(element: etree._Element | None, *names: str) -> str | None:
    """The stripped text of the first matching child, or None when there is no such child."""
    found = child(element, *names)
    if found is None:
        return None
    return (found.text or "").strip()


def parse_boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise invalid_request(f"{text!r} is not a boolean")


def parse_integer(text: str, name: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise invalid_request(f"{name} must be a number, got {text!r}") from None


def _parse_document(raw: bytes) -> etree._Element:
    try:
        return etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as first_error:
        repaired = _repair(raw)
        if repaired is None:
            raise invalid_request(f"the request is not well-formed XML: {first_error}") from None
        try:
            return etree.fromstring(repaired, _PARSER)
        except etree.XMLSyntaxError:
            raise invalid_request(f"the request is not well-formed XML: {first_error}") from None


def _repair(raw: bytes) -> bytes | None:
    """Undo what real clients get wrong: undeclared `serv:`/`xsi:` prefixes, Latin-1 without a declaration."""
    changed = raw
    declaration = _DECLARATION.match(changed)
    if declaration is None:
        try:
            changed.decode("utf-8")
        except UnicodeDecodeError:
            changed = changed.decode("iso-8859-1").encode("utf-8")
    else:
        encoding = _ENCODING.search(declaration.group(0))
        if encoding is None:
            try:
                changed.decode("utf-8")
            except UnicodeDecodeError:
                body = changed[declaration.end() :].decode("iso-8859-1").encode("utf-8")
                changed = b'<?xml version="1.0" encoding="UTF-8"?>' + body
    root = _ROOT_TAG.search(changed)
    if root is not None:
        prefix = root.group(1)
        additions = b""
        if b"xmlns:" + prefix + b"=" not in changed:
            additions += b" xmlns:" + prefix + b'="' + SERV.encode() + b'"'
        if b"xsi:" in changed and b"xmlns:xsi=" not in changed:
            additions += b' xmlns:xsi="' + XSI.encode() + b'"'
        if additions:
            changed = changed[: root.end()] + additions + changed[root.end() :]
    return None if changed == raw else changed


def parse_request(raw: bytes) -> XmlRequest:
    """Read a request as leniently as Webex does; anything unreadable is an invalid-request FAILURE."""
    if not raw.strip():
        raise invalid_request("the request body is empty")
    if len(raw) > MAX_REQUEST_BYTES:
        raise invalid_request(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    root = _parse_document(raw)
    if local_name(root) != "message":
        raise invalid_request(f"the root element must be message, not {local_name(root)}")
    header = child(root, "header")
    body = child(root, "body")
    body_content = child(body, "bodyContent")
    if body_content is None:
        raise invalid_request("the request has no body/bodyContent")
    xsi_type = body_content.get(f"{{{XSI}}}type") or body_content.get("type") or ""
    match = _XSI_TYPE.search(xsi_type.strip())
    if match is None:
        raise invalid_request(f"bodyContent has no usable xsi:type ({xsi_type!r})")
    security: dict[str, str] = {}
    context = child(header, "securityContext")
    if context is not None:
        for item in children(context):
            security[local_name(item)] = (item.text or "").strip()
    return XmlRequest(
        package=match.group(1).lower(), operation=match.group(2), security=security, body=body_content
    )


class ResponseBuilder:
    """Builds one response document with the service's prefixes, as the captured responses have them."""

    def __init__(self, package: str) -> None:
        self.package = package if package in _ROOT_NSMAPS else "meeting"
        self.root = etree.Element(f"{{{SERV}}}message", nsmap=_ROOT_NSMAPS[self.package])
        self._header = etree.SubElement(self.root, f"{{{SERV}}}header")
        self._body = etree.SubElement(self.root, f"{{{SERV}}}body")
        self._swap: tuple[bytes, bytes] | None = None

    def success(self, response_type: str) -> etree._Element:
        """Write the SUCCESS header and return the bodyContent, typed `<prefix>:<response_type>`."""
        response = etree.SubElement(self._header, f"{{{SERV}}}response")
        etree.SubElement(response, f"{{{SERV}}}result").text = "SUCCESS"
        etree.SubElement(response, f"{{{SERV}}}gsbStatus").text = "PRIMARY"
        content = etree.SubElement(self._body, f"{{{SERV}}}bodyContent", nsmap={"xsi": XSI})
        typed = f"{PACKAGE_PREFIXES[self.package]}:{response_type}"
        content.set(f"{{{XSI}}}type", typed)
        # lxml writes namespace declarations first; Webex writes xsi:type first. Same XML, same bytes.
        self._swap = (
            f'<serv:bodyContent xmlns:xsi="{XSI}" xsi:type="{typed}">'.encode(),
            f'<serv:bodyContent xsi:type="{typed}" xmlns:xsi="{XSI}">'.encode(),
        )
        return content

    def failure(self, exception_id: str, reason: str) -> None:
        response = etree.SubElement(self._header, f"{{{SERV}}}response")
        etree.SubElement(response, f"{{{SERV}}}result").text = "FAILURE"
        etree.SubElement(response, f"{{{SERV}}}reason").text = reason
        etree.SubElement(response, f"{{{SERV}}}gsbStatus").text = "PRIMARY"
        etree.SubElement(response, f"{{{SERV}}}exceptionID").text = exception_id
        etree.SubElement(self._body, f"{{{SERV}}}bodyContent")

    def to_bytes(self) -> bytes:
        document = etree.tostring(self.root, encoding="UTF-8", xml_declaration=False)
        if self._swap is not None:
            document = document.replace(*self._swap, 1)
        return XML_DECLARATION + document


def add(parent: etree._Element, namespace: str, name: str, text: object = None) -> etree._Element:
    """Append `<ns:name>text</ns:name>`; booleans are written as Webex writes them (true/false)."""
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        element.text = ("true" if text else "false") if isinstance(text, bool) else str(text)
    return element


def failure_document(package: str, exception_id: str, reason: str) -> bytes:
    builder = ResponseBuilder(package)
    builder.failure(exception_id, reason)
    return builder.to_bytes()
