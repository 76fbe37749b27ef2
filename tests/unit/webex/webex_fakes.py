"""A scripted Webex for the client tests: records each request, answers what the test queued."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from lxml import etree

from bot.webex.client import WebexCredentials
from bot.webex.xml import XSI_NS

CREDS = WebexCredentials(site="acme", webex_id="alice", access_token="secret-access-token-123")
XML_URL = "https://{site}.webex.test/WBXService/XMLService"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception


def xml_of(response_file: Path) -> bytes:
    """The XML of a captured exchange (the HTTP status line and headers stand above `<?xml`)."""
    data = response_file.read_bytes()
    return data[data.index(b"<?xml") :]


def success(body: str, *, namespaces: str = "") -> bytes:
    """A SUCCESS message around `body` (children written with meet:/use:/ep:/serv: prefixes)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<serv:message xmlns:serv="http://www.webex.com/schemas/2002/06/service" '
        'xmlns:com="http://www.webex.com/schemas/2002/06/common" '
        'xmlns:meet="http://www.webex.com/schemas/2002/06/service/meeting" '
        'xmlns:use="http://www.webex.com/schemas/2002/06/service/user" '
        'xmlns:ep="http://www.webex.com/schemas/2002/06/service/ep" '
        f"{namespaces}>"
        "<serv:header><serv:response><serv:result>SUCCESS</serv:result>"
        "<serv:gsbStatus>PRIMARY</serv:gsbStatus></serv:response></serv:header>"
        '<serv:body><serv:bodyContent xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"{body}</serv:bodyContent></serv:body></serv:message>"
    ).encode()


def failure(reason: str, exception_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<serv:message xmlns:serv="http://www.webex.com/schemas/2002/06/service">'
        "<serv:header><serv:response><serv:result>FAILURE</serv:result>"
        f"<serv:reason>{reason}</serv:reason><serv:gsbStatus>PRIMARY</serv:gsbStatus>"
        f"<serv:exceptionID>{exception_id}</serv:exceptionID></serv:response></serv:header>"
        "<serv:body><serv:bodyContent/></serv:body></serv:message>"
    ).encode()


@dataclass
class ScriptedWebex:
    """Answers requests in order from `replies`; keeps every request it saw."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def reply(self, *replies: bytes | Reply) -> None:
        for item in replies:
            self.replies.append(httpx.Response(200, content=item) if isinstance(item, bytes) else item)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request to {request.url}")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)

    @property
    def last(self) -> etree._Element:
        return etree.fromstring(self.requests[-1].content)


def body_content(message: etree._Element) -> etree._Element:
    found = message.find("body/bodyContent")
    assert found is not None, "the request has no body/bodyContent"
    return found


def operation_of(body: etree._Element) -> tuple[str, str]:
    """(package, Operation) from `java:com.webex.service.binding.<package>.<Operation>`."""
    xsi_type = body.get(f"{{{XSI_NS}}}type") or ""
    prefix = "java:com.webex.service.binding."
    assert xsi_type.startswith(prefix), xsi_type
    package, _, operation = xsi_type[len(prefix) :].partition(".")
    return package, operation
