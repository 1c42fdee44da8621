"""``report.json``: the public contract of DESIGN.md, and the source of every other output."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from wsspec import __version__
from wsspec.reporting.outputs import OutputOptions, output
from wsspec.reporting.presentation import VERDICTS, section_order

#: the file name, in the report folder.
REPORT_JSON = "report.json"


def summarise(cases: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts per verdict, every verdict present."""
    counts = Counter(case["verdict"] for case in cases)
    return {verdict: counts.get(verdict, 0) for verdict in VERDICTS}


def build_report(
    cases: list[dict[str, Any]],
    *,
    url: str,
    profile: dict[str, Any],
    started: str,
    duration_s: float,
) -> dict[str, Any]:
    """The ``report.json`` document, cases in id order."""
    ordered = sorted(cases, key=lambda c: (section_order(c["section"]), c["id"]))
    return {
        "tool": "wsspec",
        "version": __version__,
        "target": {"url": url, "profile": profile},
        "started": started,
        "duration_s": round(duration_s, 3),
        "summary": summarise(ordered),
        "cases": ordered,
    }


def write_report(report: Mapping[str, Any], directory: Path) -> Path:
    """Write ``report.json`` into ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / REPORT_JSON
    tmp = path.with_suffix(".json.tmp")
    # One case per line, each encoded by the C encoder (an indent would force the pure-Python
    # one, seconds for a full run) and written as it is made: the text of the whole report is
    # never held at once.
    head = {key: value for key, value in report.items() if key != "cases"}
    with tmp.open("w", encoding="utf-8") as out:
        out.write(json.dumps(head, indent=1, ensure_ascii=False)[:-2])
        out.write(',\n "cases": [')
        for index, case in enumerate(report.get("cases", ())):
            out.write(",\n  " if index else "\n  ")
            out.write(json.dumps(case, ensure_ascii=False))
        out.write("\n ]\n}\n")
    tmp.replace(path)
    return path


@output(REPORT_JSON, order=0)
def _write(report: Mapping[str, Any], directory: Path, options: OutputOptions) -> list[Path]:
    return [write_report(report, directory)]
