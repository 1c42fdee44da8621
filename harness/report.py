"""``report.json`` (the public contract of DESIGN.md) and the terminal summary."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from wsspec import __version__
from wsspec.cases import SECTIONS
from wsspec.verdicts import Verdict

VERDICTS = [v.value for v in Verdict]


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
    ordered = sorted(cases, key=lambda c: (SECTIONS.index(c["section"])
                                           if c["section"] in SECTIONS else len(SECTIONS), c["id"]))
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
    path = directory / "report.json"
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


def section_table(cases: Iterable[Mapping[str, Any]]) -> list[str]:
    """A per-section verdict table as text lines, for the terminal."""
    per: dict[str, Counter[str]] = {}
    for case in cases:
        per.setdefault(case["section"], Counter())[case["verdict"]] += 1
    if not per:
        return []
    headers = ["section", *VERDICTS]
    rows = [[section, *(str(per[section].get(v, 0)) for v in VERDICTS)]
            for section in sorted(per, key=lambda s: SECTIONS.index(s) if s in SECTIONS else 99)]
    totals = Counter[str]()
    for counts in per.values():
        totals.update(counts)
    rows.append(["total", *(str(totals.get(v, 0)) for v in VERDICTS)])
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    def fmt(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                         enumerate(zip(row, widths, strict=False)))
    return [fmt(headers), *(fmt(r) for r in rows)]
