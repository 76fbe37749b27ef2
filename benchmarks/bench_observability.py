"""CPU the observability adds to one command, measured in-process (immune to other load on the machine).

    python benchmarks/bench_observability.py [--commands 20000]

Per command the bot opens a request context (ASGI middleware), names it (Bolt middleware), observes
the ack, one Webex call and the command's end in the metrics, passes the (off) tracing hooks, and
writes one INFO `finished` line;
this times exactly those steps, the line written through the real handler, filter and formatter to
/dev/null, for LOG_FORMAT=text and json.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

from bot.observability import Metrics, Tracing, request
from bot.observability.logs import JsonLineFormatter, RequestFields, TextFormatter
from bot.slack.request_context import describe

BODY = {"command": "/webex", "text": "schedule Standup tomorrow 9am", "team_id": "T1", "user_id": "U1"}


TRACING_OFF = Tracing()  # as without OTEL_EXPORTER_OTLP_ENDPOINT


def one_command(metrics: Metrics, logger: logging.Logger) -> None:
    with request() as context, TRACING_OFF.span("slack request"):
        describe(context, BODY, team="T1", user="U1")
        TRACING_OFF.name_current("slack command", request_id=context.request_id)
        context.command = "/webex schedule"
        metrics.acked(context.kind, 0.001)
        with TRACING_OFF.span("/webex schedule"):
            metrics.webex_call("CreateMeeting", "ok", 0.1)
            TRACING_OFF.finished("webex CreateMeeting", "ok", 0.1)
        metrics.command_finished("/webex schedule", "ok", context.started)
        logger.info("%s finished: %s", "/webex schedule", "ok", extra={"outcome": "ok", "seconds": 0.1})


def cpu_per_command(formatter: logging.Formatter | None, commands: int) -> float:
    """Microseconds of CPU per command; `formatter` None leaves logging out (metrics and context only)."""
    metrics = Metrics(process=False)
    metrics.watch(in_flight=lambda: 0, pool=lambda: None)
    logger = logging.getLogger(f"bench.{id(formatter)}")
    logger.propagate = False
    logger.setLevel(logging.INFO if formatter is not None else logging.WARNING)
    with open(os.devnull, "w") as sink:
        handler = logging.StreamHandler(sink)
        handler.addFilter(RequestFields())
        if formatter is not None:
            handler.setFormatter(formatter)
        logger.addHandler(handler)
        for _ in range(min(commands, 1000)):  # warm up
            one_command(metrics, logger)
        started = time.process_time()
        for _ in range(commands):
            one_command(metrics, logger)
        spent = time.process_time() - started
        logger.removeHandler(handler)
    return spent * 1e6 / commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=20000)
    args = parser.parse_args()
    rows = [
        ("metrics and request context only", cpu_per_command(None, args.commands)),
        ("... plus the finished line, LOG_FORMAT=text", cpu_per_command(TextFormatter(), args.commands)),
        ("... plus the finished line, LOG_FORMAT=json", cpu_per_command(JsonLineFormatter(), args.commands)),
    ]
    for label, micros in rows:
        print(f"{label:<48} {micros:7.1f} µs CPU per command")


if __name__ == "__main__":
    main()
