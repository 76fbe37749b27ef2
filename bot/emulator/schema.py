"""Validators built once from the official Webex XSDs, for request bodyContent and whole responses."""

from __future__ import annotations

import copy
import threading
from functools import cache
from pathlib import Path
from typing import Final

from lxml import etree

from bot.emulator.wire import PACKAGE_NAMESPACES, XSI

_SCHEMA_FILES: Final = {
    "meeting": "service/meeting/meeting.xsd",
    "user": "service/user/user.xsd",
    "ep": "service/ep/ep.xsd",
}
_XSD: Final = "http://www.w3.org/2001/XMLSchema"


class SchemaUnavailable(RuntimeError):
    """The XSD folder is missing or is not the Webex schema set."""


def _check_folder(xsd_dir: Path) -> Path:
    folder = Path(xsd_dir).resolve()
    if not (folder / "service" / "service.xsd").is_file():
        raise SchemaUnavailable(
            f"{folder} does not hold the Webex XML API schemas (service/service.xsd is missing)"
        )
    return folder


class _MemoryResolver(etree.Resolver):
    """Serves the schema files from memory so the edited copies are what imports see."""

    def __init__(self, texts: dict[str, bytes]) -> None:
        super().__init__()
        self._texts = texts

    def resolve(self, system_url: str, public_id: str, context: object) -> object:  # type: ignore[override]
        text = self._texts.get(system_url)
        if text is None:
            return None
        return self.resolve_string(text, context, base_url=system_url)


def _errors(schema: etree.XMLSchema) -> list[str]:
    return [f"line {error.line}: {error.message}" for error in schema.error_log]  # type: ignore[attr-defined]


class RequestSchema:
    """Validates a request's bodyContent against its operation's type, as webex-xsd/README.md says.

    Every schema file is loaded with `elementFormDefault="unqualified"` (in memory, the files are not
    touched), the operation's complex type becomes the global `bodyContent` of a small wrapper schema,
    and a copy of the request's bodyContent without `xsi:type` is validated. Wrapper schemas are
    built on first use and kept; `request_schema(folder)` shares one instance per folder.
    """

    def __init__(self, xsd_dir: Path) -> None:
        self.folder = _check_folder(xsd_dir)
        texts = {
            path.as_uri(): path.read_bytes().replace(
                b'elementFormDefault="qualified"', b'elementFormDefault="unqualified"'
            )
            for path in self.folder.rglob("*.xsd")
        }
        self._parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        self._parser.resolvers.add(_MemoryResolver(texts))
        self._schemas: dict[tuple[str, str], etree.XMLSchema] = {}
        self._lock = threading.Lock()

    def schema_for(self, package: str, operation: str) -> etree.XMLSchema:
        """The wrapper schema for `package.Operation` (e.g. "meeting", "CreateMeeting"), built once."""
        key = (package.lower(), operation)
        with self._lock:
            schema = self._schemas.get(key)
            if schema is None:
                schema = self._build(*key)
                self._schemas[key] = schema
            return schema

    def _build(self, package: str, operation: str) -> etree.XMLSchema:
        relative = _SCHEMA_FILES.get(package)
        namespace = PACKAGE_NAMESPACES.get(package)
        if relative is None or namespace is None:
            raise SchemaUnavailable(f"no schema is loaded for the {package!r} service")
        type_name = operation[:1].lower() + operation[1:]
        wrapper = etree.Element(f"{{{_XSD}}}schema", nsmap={"xsd": _XSD, "op": namespace})
        etree.SubElement(
            wrapper,
            f"{{{_XSD}}}import",
            namespace=namespace,
            schemaLocation=(self.folder / relative).as_uri(),
        )
        etree.SubElement(wrapper, f"{{{_XSD}}}element", name="bodyContent", type=f"op:{type_name}")
        document = etree.fromstring(
            etree.tostring(wrapper), self._parser, base_url=(self.folder / "wrapper.xsd").as_uri()
        )
        try:
            return etree.XMLSchema(document)
        except etree.XMLSchemaParseError as error:
            raise SchemaUnavailable(
                f"the schema has no type {type_name!r} for {package}.{operation}"
            ) from error

    def validate(self, body_content: etree._Element, *, package: str, operation: str) -> list[str]:
        schema = self.schema_for(package, operation)
        standalone = etree.Element("bodyContent")
        for name, value in body_content.attrib.items():
            if name != f"{{{XSI}}}type":
                standalone.set(name, value)
        standalone.text = body_content.text
        for item in body_content:
            standalone.append(copy.deepcopy(item))
        with self._lock:
            if schema.validate(standalone):
                return []
            return _errors(schema)


class ResponseSchema:
    """Validates a whole `serv:message` response against the official schemas, unmodified.

    `validate` takes the response bytes (an HTTP status line and headers before `<?xml` are skipped)
    or a parsed root element, and returns the schema's error messages, empty when valid.
    """

    def __init__(self, xsd_dir: Path) -> None:
        self.folder = _check_folder(xsd_dir)
        wrapper = etree.Element(f"{{{_XSD}}}schema", nsmap={"xsd": _XSD})
        for namespace, relative in (
            ("http://www.webex.com/schemas/2002/06/service", "service/service.xsd"),
            *((PACKAGE_NAMESPACES[package], path) for package, path in _SCHEMA_FILES.items()),
        ):
            etree.SubElement(
                wrapper,
                f"{{{_XSD}}}import",
                namespace=namespace,
                schemaLocation=(self.folder / relative).as_uri(),
            )
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        document = etree.fromstring(
            etree.tostring(wrapper), parser, base_url=(self.folder / "responses.xsd").as_uri()
        )
        self._schema = etree.XMLSchema(document)
        self._lock = threading.Lock()

    def validate(self, message: bytes | etree._Element) -> list[str]:
        if isinstance(message, bytes):
            start = message.find(b"<?xml")
            parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
            try:
                message = etree.fromstring(message[max(start, 0) :], parser)
            except etree.XMLSyntaxError as error:
                return [f"not well-formed: {error}"]
        with self._lock:
            if self._schema.validate(message):
                return []
            return _errors(self._schema)


def request_schema(xsd_dir: Path) -> RequestSchema:
    """The shared RequestSchema for a folder (built once per process, however the folder is named)."""
    return _request_schema(Path(xsd_dir).resolve())


def response_schema(xsd_dir: Path) -> ResponseSchema:
    """The shared ResponseSchema for a folder (built once per process, however the folder is named)."""
    return _response_schema(Path(xsd_dir).resolve())


@cache
def _request_schema(xsd_dir: Path) -> RequestSchema:
    return RequestSchema(xsd_dir)


@cache
def _response_schema(xsd_dir: Path) -> ResponseSchema:
    return ResponseSchema(xsd_dir)
