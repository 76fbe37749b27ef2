"""A local Webex site for tests, the sandbox and benchmarks: OAuth server, XML API and controls."""

from bot.emulator.app import AUTHORIZE_PATH, TOKEN_PATH, XML_SERVICE_PATH, create_app
from bot.emulator.clock import AdjustableClock, MovableClock
from bot.emulator.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_SITE,
    DEFAULT_USERS,
    Emulator,
    UserSeed,
)
from bot.emulator.errors import (
    ACCESS_DENIED_EXCEPTION_ID,
    INVALID_ACCESS_TOKEN_EXCEPTION_ID,
    INVALID_ACCESS_TOKEN_REASON,
    INVALID_REQUEST_EXCEPTION_ID,
    MEETING_NOT_FOUND_EXCEPTION_ID,
    NO_RECORDS_EXCEPTION_ID,
    PASSWORD_REQUIRED_EXCEPTION_ID,
    RATE_LIMITED_EXCEPTION_ID,
    SITE_NOT_FOUND_EXCEPTION_ID,
)
from bot.emulator.faults import Fault, FaultKind
from bot.emulator.requestlog import RequestRecord
from bot.emulator.rest.contract import ContractViolation
from bot.emulator.rest.routes import REST_AUTHORIZE_PATH, REST_TOKEN_PATH
from bot.emulator.rest.side import RestApi
from bot.emulator.schema import (
    RequestSchema,
    ResponseSchema,
    SchemaUnavailable,
    request_schema,
    response_schema,
)
from bot.emulator.state import Attendee, StoredMeeting

__all__ = [
    "ACCESS_DENIED_EXCEPTION_ID",
    "AUTHORIZE_PATH",
    "AdjustableClock",
    "ContractViolation",
    "Attendee",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_SITE",
    "DEFAULT_USERS",
    "Emulator",
    "Fault",
    "FaultKind",
    "INVALID_ACCESS_TOKEN_EXCEPTION_ID",
    "INVALID_ACCESS_TOKEN_REASON",
    "INVALID_REQUEST_EXCEPTION_ID",
    "MEETING_NOT_FOUND_EXCEPTION_ID",
    "MovableClock",
    "NO_RECORDS_EXCEPTION_ID",
    "PASSWORD_REQUIRED_EXCEPTION_ID",
    "RATE_LIMITED_EXCEPTION_ID",
    "REST_AUTHORIZE_PATH",
    "REST_TOKEN_PATH",
    "RequestRecord",
    "RequestSchema",
    "RestApi",
    "ResponseSchema",
    "SITE_NOT_FOUND_EXCEPTION_ID",
    "SchemaUnavailable",
    "StoredMeeting",
    "TOKEN_PATH",
    "UserSeed",
    "XML_SERVICE_PATH",
    "create_app",
    "request_schema",
    "response_schema",
]
