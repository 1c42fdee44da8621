"""Comparing runs: ``wsspec compare A.json B.json [...] [--html OUT.html]``.

Two reports of one server (before and after a change) or of several servers:
the terminal lists the cases whose verdicts differ, ``--html`` renders the whole
matrix (targets side by side, cases as rows, coloured verdict cells). Reports of
load runs are compared on their round-trip p99 and errors, stage by stage.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wsspec.reporting.load_compare import load_compare_html, load_compare_text
from wsspec.reporting.presentation import VERDICTS, environment, section_order


class CompareError(ValueError):
    """A report that cannot be read; the message is one line."""


@dataclass(frozen=True)
class Column:
    """One report of a comparison."""

    label: str
    path: str
    report: Mapping[str, Any]

    @property
    def verdicts(self) -> dict[str, str]:
        return {c["id"]: c["verdict"] for c in self.report["cases"]}


def load_reports(paths: Sequence[str | Path]) -> list[Column]:
    """Read the reports; each is labelled by its target URL (and file, when URLs repeat)."""
    loaded: list[tuple[str, Mapping[str, Any]]] = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CompareError(f"{path}: no such file") from None
        except (OSError, ValueError) as exc:
            raise CompareError(f"{path}: not a readable report.json: {exc}") from None
        if not isinstance(data, dict) or data.get("tool") != "wsspec" or "cases" not in data:
            raise CompareError(f"{path}: not a wsspec report.json")
        loaded.append((str(path), data))
    urls = [str(r["target"]["url"]) for _, r in loaded]
    return [Column(url if urls.count(url) == 1 else f"{url} ({path})", path, report)
            for url, (path, report) in zip(urls, loaded, strict=True)]


def matrix(columns: Sequence[Column]) -> list[tuple[str, str, list[str | None]]]:
    """Rows ``(case id, section, [verdict per column or None])`` in report order."""
    sections: dict[str, str] = {}
    for column in columns:
        for case in column.report["cases"]:
            sections.setdefault(case["id"], case["section"])
    per = [column.verdicts for column in columns]
    ids = sorted(sections, key=lambda i: (section_order(sections[i]), i))
    return [(i, sections[i], [v.get(i) for v in per]) for i in ids]


def differences(columns: Sequence[Column]) -> list[tuple[str, list[str | None]]]:
    """The cases whose verdict is not the same in every report (absent counts as different)."""
    return [(case_id, cells) for case_id, _, cells in matrix(columns) if len(set(cells)) > 1]


def compare_text(columns: Sequence[Column]) -> list[str]:
    """The terminal lines of a comparison: the verdicts, then the load runs' latencies
    and errors when the reports carry a ``load`` section."""
    return _verdict_lines(columns) + load_compare_text([c.report for c in columns])


def _verdict_lines(columns: Sequence[Column]) -> list[str]:
    lines = [f"[{n}] {c.label}: " + ", ".join(
        f"{c.report['summary'].get(v, 0)} {v}" for v in VERDICTS if c.report["summary"].get(v))
        for n, c in enumerate(columns, 1)]
    diff = differences(columns)
    if not diff:
        lines.append("no differences: every case has the same verdict in every report")
        return lines
    kind = "changed verdict" if len(columns) == 2 else "differ between reports"
    lines.append(f"{len(diff)} cases {kind}:")
    width = max(len(case_id) for case_id, _ in diff)
    for case_id, cells in diff:
        shown = [cell or "(not run)" for cell in cells]
        joined = " → ".join(shown) if len(columns) == 2 else "  ".join(
            f"[{n}] {s}" for n, s in enumerate(shown, 1))
        lines.append(f"  {case_id:<{width}}  {joined}")
    return lines


def render_compare_html(columns: Sequence[Column]) -> str:
    """The multi-target matrix page."""
    rows = matrix(columns)
    return environment().get_template("compare.html.j2").render(
        columns=columns, rows=rows, verdicts=VERDICTS,
        differing=sum(1 for _, _, cells in rows if len(set(cells)) > 1),
        load_table=load_compare_html([c.report for c in columns], [c.label for c in columns]),
    )


def main(argv: Sequence[str]) -> int:
    """``wsspec compare``: exit 0 after printing (a difference is information, not failure)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="wsspec compare",
        description="Which cases changed verdict between runs, or differ between servers.")
    parser.add_argument("reports", nargs="+", metavar="REPORT.json")
    parser.add_argument("--html", metavar="OUT.html", help="also write a side-by-side matrix")
    args = parser.parse_args(list(argv))
    try:
        columns = load_reports(args.reports)
    except CompareError as exc:
        print(f"wsspec compare: {exc}")
        return 2
    for line in compare_text(columns):
        print(line)
    if args.html:
        out = Path(args.html)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_compare_html(columns), encoding="utf-8")
        print(f"matrix: {out}")
    return 0
