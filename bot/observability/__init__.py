"""Logs, request ids and metrics: what an operator sees of the running bot."""

from bot.observability.context import RequestContext, begin, current, new_request_id, request
from bot.observability.logs import LOG_FORMATS, LogFormat, logging_config
from bot.observability.metrics import CONTENT_TYPE_LATEST, Metrics, PoolUse
from bot.observability.tracing import INSTALL_HINT, Tracing, TracingUnavailable, tracing_installed

__all__ = [
    "CONTENT_TYPE_LATEST",
    "INSTALL_HINT",
    "LOG_FORMATS",
    "LogFormat",
    "Metrics",
    "PoolUse",
    "RequestContext",
    "Tracing",
    "TracingUnavailable",
    "begin",
    "current",
    "logging_config",
    "new_request_id",
    "request",
    "tracing_installed",
]
