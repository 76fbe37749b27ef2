"""The Slack stand-in in a process of its own, driven over stdin/stdout, so its CPU is not charged to the bot.

Protocol: one JSON object per line on stdin, one JSON answer per line on stdout.
  {"op": "users", "users": [{"id", "name", "real_name", "email", "tz"}]}    -> {"added": n}
  {"op": "issue", "n": N, "user_id": ..., "channel_id": ...}               -> {"urls": [...]}
  {"op": "arrivals", "since": seq}   -> {"seq": last, "calls": [[seq, method, response_id, at, status, text]]}
  {"op": "counts"}                   -> {"by_method": {...}}
  {"op": "cpu"}                      -> {"cpu_seconds": s}
  {"op": "quit"}
`at` is time.perf_counter() on arrival: CLOCK_MONOTONIC, comparable with the benchmark's own clock.
The process exits when stdin closes, so it never outlives the benchmark.
"""

from __future__ import annotations

import bisect
import json
import os
import sys
import time

from bot.sandbox.slackapi import SlackStandIn
from bot.sandbox.workspace import SlackUser


def _answer(payload: object) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main() -> int:
    bot_token = os.environ.get("SLACK_BOT_TOKEN")
    standin = SlackStandIn(bot_token=bot_token)
    standin.start_in_thread()
    _answer({"url": standin.url, "base_url": standin.base_url, "pid": os.getpid()})
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            op = command.get("op")
            if op == "users":
                users = [SlackUser(**fields) for fields in command["users"]]
                standin.add_users(users)
                _answer({"added": len(users)})
            elif op == "issue":
                urls = [
                    standin.issue_response_url(
                        user_id=command["user_id"], channel_id=command["channel_id"], command="/webex"
                    ).url
                    for _ in range(int(command["n"]))
                ]
                _answer({"urls": urls})
            elif op == "arrivals":
                since = int(command.get("since", 0))
                rows = []
                last = since
                calls = standin.calls
                # Calls are in arrival (seq) order: start after the last one sent, not from the first.
                for call in calls[bisect.bisect_right(calls, since, key=lambda call: call.seq) :]:
                    last = max(last, call.seq)
                    target = call.response_target
                    text = call.text or ""
                    if call.blocks:
                        text += "\n" + json.dumps(call.blocks)[:4000]
                    rows.append(
                        [
                            call.seq,
                            call.method,
                            target.id if target else None,
                            call.at,
                            call.status,
                            text[:2000],
                        ]
                    )
                _answer({"seq": last, "calls": rows})
            elif op == "counts":
                counts: dict[str, int] = {}
                for call in standin.calls:
                    counts[call.method] = counts.get(call.method, 0) + 1
                _answer({"by_method": counts})
            elif op == "cpu":
                times = os.times()
                _answer({"cpu_seconds": times.user + times.system, "at": time.perf_counter()})
            elif op == "quit":
                _answer({"bye": True})
                break
            else:
                _answer({"error": f"unknown op {op!r}"})
    finally:
        standin.stop_thread()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
