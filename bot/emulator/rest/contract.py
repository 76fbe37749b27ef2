"""Strict REST mode: checks requests and responses against Cisco's OpenAPI description with openapi-core.

The 2.4 MB description is read once per process, on first use, so tests that never touch REST in
strict mode never pay for it (about 0.2 s to load, then milliseconds per check).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

SPEC_PATH: Final = Path(__file__).resolve().parent / "openapi" / "webex-meeting.json"
# Observed behaviour the description does not declare: PATCH bodies arrive as application/json, and
# PATCH clears agenda, recurrence and trackingCodes with JSON null.
_PATCH_MEDIA_TYPE: Final = "application/json-patch+json"
_PATCH_CLEARABLE: Final = ("agenda", "recurrence", "trackingCodes")


class ContractViolation(AssertionError):
    """A response the emulator sent that Cisco's OpenAPI description does not allow: a bug in the emulator."""


@dataclass
class Exchange:
    """One REST call as openapi-core reads it: path without the `/v1` prefix, lower-case method."""

    method: str
    path: str
    query: Mapping[str, Any]
    headers: Mapping[str, str]
    body: bytes | None
    content_type: str
    host_url: str = "http://emulator.invalid"
    parameters: Any = field(init=False)

    def __post_init__(self) -> None:
        from openapi_core.datatypes import RequestParameters
        from starlette.datastructures import Headers, QueryParams

        self.parameters = RequestParameters(
            query=QueryParams(list(_items(self.query))),
            header=Headers(headers=dict(self.headers)),
            cookie=QueryParams(),
        )


@dataclass
class Answer:
    status_code: int
    data: bytes | None
    content_type: str
    headers: Any


def _items(query: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    multi = getattr(query, "multi_items", None)
    if callable(multi):
        yield from multi()
    else:
        yield from ((str(k), str(v)) for k, v in query.items())


def _messages(error: BaseException) -> list[str]:
    """The useful lines of an openapi-core error: each schema error with where it happened."""
    found: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for schema_error in getattr(current, "schema_errors", ()) or ():
            where = ".".join(str(part) for part in schema_error.absolute_path)
            found.append(f"{where}: {schema_error.message}" if where else schema_error.message)
        current = current.__cause__ or current.__context__
    return found or [str(error)]


def _typed_defaults(spec: dict[str, Any]) -> dict[str, Any]:
    """The description with boolean parameters' string defaults ("true") as booleans.

    Some parameters (DELETE /meetingInvitees/{id}'s sendEmail) declare `default: "true"`; openapi-core
    fills an absent parameter with that string and then refuses it as not a boolean."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if schema.get("type") == "boolean" and schema.get("default") in ("true", "false"):
                    schema["default"] = schema["default"] == "true"
    return spec


class RestContract:
    """Cisco's OpenAPI description, ready to check calls."""

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        from openapi_core import Config, OpenAPI

        spec = _typed_defaults(json.loads(spec_path.read_bytes()))
        # The description is Cisco's published file: checking it on every start would cost seconds.
        config = Config(
            spec_validator_cls=None,
            # openapi-core reads only media types it knows; PATCH's is JSON too.
            extra_media_type_deserializers={_PATCH_MEDIA_TYPE: json.loads},
        )
        self._openapi = OpenAPI.from_dict(spec, config=config)

    def request_errors(self, exchange: Exchange) -> list[str]:
        exchange = self._observed(exchange)
        return [
            message for error in self._openapi.iter_request_errors(exchange) for message in _messages(error)
        ]

    def response_errors(self, exchange: Exchange, answer: Answer) -> list[str]:
        from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
        from openapi_core.validation.response.exceptions import MissingData

        exchange = self._observed(exchange)
        found: list[str] = []
        for error in self._openapi.iter_response_errors(exchange, answer):
            # The description gives 204 an empty `content` map, which openapi-core reads as "a body
            # is required"; Webex answers 204 with no body at all.
            if answer.status_code == 204 and isinstance(error, MissingData):
                continue
            # Most error statuses are declared without content, yet Webex sends its error JSON
            # with them: that body is checked against the documented error shape below instead.
            if answer.status_code >= 400 and isinstance(error.__cause__, MediaTypeNotFound):
                continue
            found.extend(_messages(error))
        if answer.status_code >= 400:
            found.extend(self._error_body_errors(answer.data))
        return found

    def _error_body_errors(self, data: bytes | None) -> list[str]:
        """Only createMeeting's 400 describes Webex's error body; every error must have that shape."""
        try:
            body = json.loads(data or b"")
        except ValueError:
            return ["the error body is not JSON"]
        if not isinstance(body, dict) or not isinstance(body.get("message"), str) or "trackingId" not in body:
            return ["the error body needs message and trackingId, as every captured Webex error has"]
        documented = Exchange("post", "/meetings", {}, {}, b"{}", "application/json")
        answer = Answer(400, data, "application/json;charset=UTF-8", {})
        return [
            f"error body: {message}"
            for error in self._openapi.iter_response_errors(documented, answer)
            for message in _messages(error)
        ]

    @staticmethod
    def _observed(exchange: Exchange) -> Exchange:
        if exchange.method != "patch":
            return exchange
        if exchange.content_type.split(";")[0].strip() == "application/json":
            exchange.content_type = _PATCH_MEDIA_TYPE
        try:
            body = json.loads(exchange.body) if exchange.body else None
        except ValueError:
            return exchange  # the description's own check reports it
        if isinstance(body, dict) and any(body.get(name, "") is None for name in _PATCH_CLEARABLE):
            kept = {k: v for k, v in body.items() if not (k in _PATCH_CLEARABLE and v is None)}
            exchange.body = json.dumps(kept).encode()
        return exchange


_lock = threading.Lock()
_contract: RestContract | None = None


def rest_contract() -> RestContract:
    """The process-wide contract, loaded on first use."""
    global _contract
    if _contract is None:
        with _lock:
            if _contract is None:
                _contract = RestContract()
    return _contract
