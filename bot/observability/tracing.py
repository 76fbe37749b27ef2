"""Optional OpenTelemetry traces: a span per Slack request, per piece of work after the ack, per Webex call.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, and then it needs the `otel` extra
(`pip install '.[otel]'`). When off, every method returns after one check, so nothing is paid.
Spans carry ids and names (request id, team, user, command, operation), never a token or text a
person typed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

SERVICE_NAME = "webex-bot"
EXPORT_TIMEOUT_SECONDS = 3.0
INSTALL_HINT = "pip install '.[otel]' (from the bot's source folder)"


class TracingUnavailable(Exception):
    """OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed."""


def tracing_installed() -> bool:
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        return False
    return True


class Tracing:
    """Spans through an OpenTelemetry tracer provider, or nothing at all when there is none."""

    def __init__(self, provider: Any | None = None) -> None:
        """`provider` is an OpenTelemetry SDK TracerProvider (tests give one with an in-memory exporter)."""
        self._provider = provider
        self._tracer = provider.get_tracer(SERVICE_NAME) if provider is not None else None
        self._failed: Callable[[str], Any] = _no_status
        if provider is not None:
            from opentelemetry.trace import Status, StatusCode

            def failed(outcome: str) -> Any:
                return Status(StatusCode.ERROR, outcome)

            self._failed = failed

    @classmethod
    def to_otlp(cls, endpoint: str | None) -> Tracing:
        """Export to an OTLP/HTTP collector at `endpoint` (traces go to `{endpoint}/v1/traces`); None: off."""
        if not endpoint:
            return cls()
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            raise TracingUnavailable(
                f"OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed; {INSTALL_HINT}, "
                "or unset the variable"
            ) from None
        provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
        # Spans are sent from the processor's own thread, in batches: the event loop never waits on it.
        # A collector that is down must not hold up shutdown: each export gives up after a few seconds.
        exporter = OTLPSpanExporter(
            endpoint=endpoint.rstrip("/") + "/v1/traces", timeout=EXPORT_TIMEOUT_SECONDS
        )
        provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider)

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    @contextmanager
    def span(self, name: str, **attributes: str) -> Iterator[None]:
        """A span around the block, the current one's child; its work's spans become its children.
        An exception leaving the block marks it as failed."""
        if self._tracer is None:
            yield
            return
        with self._tracer.start_as_current_span(name, attributes=attributes):
            yield

    def name_current(self, name: str, **attributes: str) -> None:
        """Rename the current span and add to it, once what it is became known (a Slack request)."""
        if self._tracer is None:
            return
        from opentelemetry import trace

        span = trace.get_current_span()
        if span.is_recording():
            span.update_name(name)
            span.set_attributes(attributes)

    def finished(self, name: str, outcome: str, seconds: float, **attributes: str) -> None:
        """A span for something that has just ended after `seconds` (a Webex call), under the current one."""
        if self._tracer is None:
            return
        end = time.time_ns()
        span = self._tracer.start_span(name, start_time=end - int(seconds * 1e9), attributes=attributes)
        span.set_attribute("outcome", outcome)
        if outcome != "ok":
            span.set_status(self._failed(outcome))
        span.end(end_time=end)

    def shutdown(self) -> None:
        """Send what is still batched, then stop (at the end of the process's life)."""
        if self._provider is not None:
            self._provider.shutdown()


def _no_status(outcome: str) -> None:
    """Without OpenTelemetry there is no span to mark."""
