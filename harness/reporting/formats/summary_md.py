"""A Markdown summary of a report, for ``$GITHUB_STEP_SUMMARY`` (GitHub Actions job page)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wsspec.reporting.outputs import OutputOptions, output
from wsspec.reporting.presentation import FAILING, VERDICTS, headline, section_matrix

#: failed cases listed in full; the rest are counted (the job page has a size limit).
MAX_LISTED = 50


def _cell(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return text.replace("|", "\\|") or "—"


def summary_markdown(report: Mapping[str, Any]) -> str:
    """Headline, a section × verdict table and the failed cases with expected vs observed."""
    verdict, counts = headline(report)
    icon = "✅" if verdict == "PASS" else "❌"
    lines = [f"## {icon} wsspec: {verdict} — `{report['target']['url']}`", "", counts, ""]
    if report.get("diagnosis"):
        lines += [f"**The run ended early:** {_cell(report['diagnosis'])}", ""]
    lines.append("| section | " + " | ".join(VERDICTS) + " |")
    lines.append("|---|" + "---:|" * len(VERDICTS))
    for section, row in section_matrix(report["cases"]):
        lines.append(f"| {section} | " + " | ".join(str(row[v] or "") for v in VERDICTS) + " |")
    failed = [c for c in report["cases"] if c["verdict"] in FAILING]
    if failed:
        lines += ["", "### Failed cases", "", "| case | rule | expected | observed | baseline |",
                  "|---|---|---|---|---|"]
        for case in failed[:MAX_LISTED]:
            lines.append(f"| `{case['id']}` | {_cell(case['rfc'])} | {_cell(case['expected'])} "
                         f"| {_cell(case['observed'])} | {_cell(case.get('baseline', ''))} |")
        if len(failed) > MAX_LISTED:
            lines.append(f"\n… and {len(failed) - MAX_LISTED} more in report.json")
    return "\n".join(lines) + "\n"


def append_step_summary(report: Mapping[str, Any]) -> Path | None:
    """Append the summary to ``$GITHUB_STEP_SUMMARY`` when it is set; the file, or None."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as out:
        out.write(summary_markdown(report))
    return path


@output("step summary", order=40)
def _write(report: Mapping[str, Any], directory: Path, options: OutputOptions) -> list[Path]:
    summary = append_step_summary(report)
    return [] if summary is None else [summary]
