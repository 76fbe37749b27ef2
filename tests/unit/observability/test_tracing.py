"""Traces: off costs nothing and needs nothing; on, spans nest request -> work -> Webex call."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.observability import Tracing, TracingUnavailable

otel = pytest.importorskip("opentelemetry.sdk.trace", reason="the otel extra is not installed")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import StatusCode  # noqa: E402


def recording() -> tuple[Tracing, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Tracing(provider), exporter


def test_off_by_default_and_every_call_is_a_no_op() -> None:
    tracing = Tracing.to_otlp(None)
    assert not tracing.enabled
    with tracing.span("slack command", request_id="x"):
        tracing.finished("webex CreateMeeting", "ok", 0.1)
    tracing.shutdown()


def test_an_endpoint_without_the_extra_is_refused_with_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # as if not installed
    with pytest.raises(TracingUnavailable, match=r"OTEL_EXPORTER_OTLP_ENDPOINT .* pip install '\.\[otel\]'"):
        Tracing.to_otlp("http://127.0.0.1:4318")


async def test_work_spawned_in_a_request_span_and_its_webex_calls_are_its_children() -> None:
    tracing, exporter = recording()

    async def after_ack() -> None:
        with tracing.span("/webex schedule"):
            await asyncio.sleep(0)
            tracing.finished("webex CreateMeeting", "ok", 0.25, **{"webex.operation": "CreateMeeting"})
            tracing.finished("webex GetMeeting", "WebexTimeout", 0.5)

    with tracing.span("slack command", request_id="r1"):
        task = asyncio.get_running_loop().create_task(after_ack())
    await task
    spans = {span.name: span for span in exporter.get_finished_spans()}
    request, work = spans["slack command"], spans["/webex schedule"]
    create, timed_out = spans["webex CreateMeeting"], spans["webex GetMeeting"]
    assert request.attributes == {"request_id": "r1"}
    assert work.parent is not None and work.parent.span_id == request.context.span_id
    assert create.parent is not None and create.parent.span_id == work.context.span_id
    assert create.context.trace_id == request.context.trace_id
    assert create.end_time is not None and create.start_time is not None
    assert abs((create.end_time - create.start_time) / 1e9 - 0.25) < 0.001
    assert create.attributes is not None and create.attributes["outcome"] == "ok"
    assert create.status.status_code is StatusCode.UNSET
    assert timed_out.status.status_code is StatusCode.ERROR and timed_out.status.description == "WebexTimeout"


def test_an_exception_leaving_a_span_marks_it_failed() -> None:
    tracing, exporter = recording()
    with pytest.raises(RuntimeError), tracing.span("/webex list"):
        raise RuntimeError("boom")
    [span] = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
