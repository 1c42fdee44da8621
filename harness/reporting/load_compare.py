"""Load runs side by side: round-trip p99 and errors per stage, and the totals.

Used by ``wsspec compare`` when the reports carry a ``load`` section (a run of
``wsspec load``): stages are matched by position, each row showing every
report's p99, error count and violation count, with the change in p99 between
the first and the last report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

__all__ = ["load_compare_html", "load_compare_text", "load_rows"]


def _cells(section: Mapping[str, Any] | None, index: int | None) -> dict[str, Any] | None:
    if section is None:
        return None
    if index is None:
        totals = section["totals"]
        return {"label": "total", "p99": totals["rtt_ms"]["p99"],
                "errors": totals["error_count"], "violations": totals["violation_count"],
                "messages_per_s": totals["messages_per_s"]}
    stages = section["stages"]
    if index >= len(stages):
        return None
    stage = stages[index]
    return {"label": stage["label"], "p99": stage["rtt_ms"]["p99"],
            "errors": sum(stage["errors"].values()),
            "violations": sum(stage["violations"].values()),
            "messages_per_s": stage["messages_per_s"]}


def load_rows(reports: Sequence[Mapping[str, Any]]) -> list[list[dict[str, Any] | None]]:
    """One row per stage position, then the totals: each report's cells (None: absent)."""
    sections = [report.get("load") for report in reports]
    depth = max((len(s["stages"]) for s in sections if s is not None), default=0)
    rows = [[_cells(s, i) for s in sections] for i in range(depth)]
    rows.append([_cells(s, None) for s in sections])
    return rows


def _change(cells: list[dict[str, Any] | None]) -> str:
    first, last = cells[0], cells[-1]
    if first is None or last is None or len(cells) < 2 or not first["p99"]:
        return ""
    return f"{(last['p99'] - first['p99']) / first['p99'] * 100:+.0f}%"


def load_compare_text(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """Terminal lines (nothing when no report has a load section)."""
    if not any("load" in r for r in reports):
        return []
    lines = ["load runs: p99 ms / errors / violations per stage"]
    for cells in load_rows(reports):
        label = next(c["label"] for c in cells if c is not None)
        shown = [f"[{n}] " + (f"{c['p99']:.2f} / {c['errors']} / {c['violations']}"
                              if c else "(none)") for n, c in enumerate(cells, 1)]
        change = _change(cells)
        lines.append(f"  {label:>14}  " + "  ".join(shown)
                     + (f"  p99 {change}" if change else ""))
    return lines


def load_compare_html(reports: Sequence[Mapping[str, Any]], labels: Sequence[str]) -> str:
    """A table of the same comparison, for the compare page ('' without load sections)."""
    if not any("load" in r for r in reports):
        return ""
    head = "".join(f"<th colspan=3>{escape(label)}</th>" for label in labels)
    sub = "<th>p99 ms</th><th>errors</th><th>violations</th>" * len(labels)
    rows = []
    for cells in load_rows(reports):
        label = next(c["label"] for c in cells if c is not None)
        tds = "".join(
            f"<td>{c['p99']:.2f}</td><td>{c['errors']}</td>"
            f"<td class=\"{'bad' if c['violations'] else ''}\">{c['violations']}</td>"
            if c else "<td colspan=3>—</td>" for c in cells)
        rows.append(f"<tr><th>{escape(label)}</th>{tds}<td>{_change(cells)}</td></tr>")
    return (f'<section id="load-compare"><h2>Load runs</h2><table><thead><tr><th>stage</th>'
            f'{head}<th>p99 change</th></tr><tr><th></th>{sub}<th></th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></section>')
