"""What recurring meetings cost: reading repeating words, and listing when series come as occurrences.

Run: python benchmarks/recurring_list.py [--lists N]

Rows:
  parse one-off      parse_schedule_text("Design review tomorrow 3pm for 45m"), median microseconds
  parse series       parse_schedule_text("Standup every weekday 9am until 31 March"), the same
  list (singles)     the XML adapter's list of 10 meetings, 12 single meetings stored: milliseconds, calls
  list (+ series)    the same with one endless weekday series and one monthly series stored as well
                     (Webex lists every occurrence: about 1,300 rows the adapter reads past)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from bot.domain.recurrence import WEEKDAYS, Frequency, Recurrence  # noqa: E402
from bot.domain.schedule_text import parse_schedule_text  # noqa: E402
from bot.emulator import XML_SERVICE_PATH, Emulator, create_app  # noqa: E402
from bot.services.ports import Credentials, MeetingDraft  # noqa: E402
from bot.webex.client import WebexClient  # noqa: E402
from bot.webex.xml_backend import XmlMeetingBackend  # noqa: E402

NOW = datetime(2031, 3, 2, 12, tzinfo=UTC)


def parse_micros(text: str, runs: int = 300) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        parse_schedule_text(text, now=NOW, user_tz="Europe/Berlin")
        times.append((time.perf_counter() - began) * 1e6)
    return statistics.median(times)


async def list_millis(with_series: bool, lists: int) -> tuple[float, float]:
    """Median milliseconds per 10-meeting list, and XML calls per list."""
    emulator = Emulator.with_defaults(seed=1)
    emulator.clock.set(NOW)
    grant = emulator.issue_tokens("sandbox", "alice@sandbox.example")
    creds = Credentials(
        site="sandbox", user_id="alice@sandbox.example", access_token=str(grant["access_token"])
    )
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http:
        backend = XmlMeetingBackend(WebexClient(http, xml_url="http://emulator.test" + XML_SERVICE_PATH))
        for number in range(12):
            start = NOW + timedelta(days=1, hours=number)
            await backend.schedule(creds, MeetingDraft(f"Meeting {number}", start, 30, "Europe/Berlin"))
        if with_series:
            weekdays = Recurrence(Frequency.WEEKLY, weekdays=WEEKDAYS)
            monthly = Recurrence(Frequency.MONTHLY, weekdays=frozenset({0}), month_week=1)
            first = datetime(2031, 3, 3, 8, tzinfo=UTC)
            await backend.schedule(
                creds, MeetingDraft("Standup", first, 15, "Europe/Berlin", recurrence=weekdays)
            )
            await backend.schedule(
                creds, MeetingDraft("Planning", first, 60, "Europe/Berlin", recurrence=monthly)
            )
        before = len(emulator.xml_requests())
        times = []
        for _ in range(lists):
            began = time.perf_counter()
            page = await backend.list_meetings(creds, starts_after=NOW, starts_before=None, page_size=10)
            times.append((time.perf_counter() - began) * 1000)
            assert len(page.meetings) == 10
            assert not with_series or {m.topic for m in page.meetings if m.recurrence} == {
                "Standup",
                "Planning",
            }
        calls = (len(emulator.xml_requests()) - before) / lists
    return statistics.median(times), calls


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lists", type=int, default=20)
    args = parser.parse_args()
    one_off = parse_micros("Design review tomorrow 3pm for 45m")
    series = parse_micros("Standup every weekday 9am until 31 March")
    singles = asyncio.run(list_millis(False, args.lists))
    mixed = asyncio.run(list_millis(True, args.lists))
    print(f"{'row':<18}{'value':>12}")
    print(f"{'parse one-off':<18}{one_off:>12.0f} us")
    print(f"{'parse series':<18}{series:>12.0f} us")
    print(f"{'list (singles)':<18}{singles[0]:>12.1f} ms   {singles[1]:.0f} XML calls per list")
    print(f"{'list (+ series)':<18}{mixed[0]:>12.1f} ms   {mixed[1]:.0f} XML calls per list")


if __name__ == "__main__":
    main()
