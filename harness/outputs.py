"""Everything a run writes next to ``report.json``, from the report document alone.

``index.html`` (the page a reviewer reads), ``index.json`` (Autobahn|Testsuite's
index format), ``pcap/`` (with ``--pcap``) and the GitHub Actions step summary
(when ``$GITHUB_STEP_SUMMARY`` is set). Each output is derived from the report,
so any of them can be rebuilt later from a saved ``report.json``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wsspec.autobahn_index import autobahn_index
from wsspec.html_report import write_html
from wsspec.pcap import write_pcaps
from wsspec.summary_md import append_step_summary

#: values of ``--pcap``: a capture of every case, or of failed ones only.
PCAP_CHOICES = ("all", "failed")


def _epoch(started: str) -> float:
    try:
        return datetime.datetime.fromisoformat(started).timestamp()
    except ValueError:
        return 0.0


def write_outputs(report: Mapping[str, Any], directory: Path,
                  pcap: str | None = None) -> list[Path]:
    """Write the derived outputs of ``report`` into ``directory``; the paths written."""
    written = [write_html(report, directory)]
    index = directory / "index.json"
    index.write_text(json.dumps(autobahn_index(report), indent=1) + "\n", encoding="utf-8")
    written.append(index)
    if pcap is not None:
        written += write_pcaps(report, directory / "pcap", pcap, _epoch(report["started"]))
    summary = append_step_summary(report)
    if summary is not None:
        written.append(summary)
    return written
