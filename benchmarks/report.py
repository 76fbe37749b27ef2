"""Print a results file of bench_schedule.py as a Markdown table (for the README and notes).

python benchmarks/report.py benchmarks/reference-results.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_schedule import evaluate  # noqa: E402


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value == float("inf"):
            return "never"
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    rows = evaluate(report["results"])
    lines = [
        "| bot | what | target | bot | baseline | ratio | |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['bot']} | {row['what']} | {row['target']} | {cell(row['value'])} | "
            f"{cell(row['baseline'])} | {cell(row['ratio'])} | {row['verdict']} |"
        )
    machine = report.get("machine", {})
    lines.append("")
    lines.append(
        f"{machine.get('cores')} cores ({machine.get('cpu')}), Python {machine.get('python')}, "
        f"database {report.get('database')}, run {report.get('started')}."
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    print(markdown(json.loads(args.results.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
