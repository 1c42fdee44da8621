"""``index.html``: one self-contained page a reviewer reads in a minute.

Rendered with Jinja2 from the ``report.json`` document; CSS and JavaScript are
inline and nothing is fetched. The page stays small and quick with thousands of
cases: each case is a collapsed ``<details>``, and its wire log travels as a
compact JSON island (raw bytes in base64) that is turned into a frame table and
a hex dump only when the case is opened.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from wsspec.presentation import (
    FAILING,
    VERDICTS,
    explanation,
    headline,
    rerun_commands,
    rfc_link,
    section_matrix,
)

#: characters of a TEXT frame's payload shown next to its description.
TEXT_SHOWN = 120
#: a long wire log shows its start and its end (where a failure usually is).
HEAD_ENTRIES = 150
TAIL_ENTRIES = 100
#: raw bytes per case carried into the page for hex dumps.
RAW_BUDGET = 48 * 1024


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment (templates ship inside the package)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wsspec", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["rfc_link"] = rfc_link
    env.filters["explain"] = explanation
    return env


def compact_wirelog(wirelog: list[Mapping[str, Any]]) -> list[list[Any]]:
    """A wire log as ``[t_ms, dir, kind, data]`` rows for the page's script.

    ``kind`` is ``"b"`` (raw bytes: ``[base64 or None, length, truncated]``), ``"f"``
    (a frame: its description and the start of its text), ``"e"`` (an event) or
    ``"gap"`` (entries left out of the page). A long log keeps its first
    :data:`HEAD_ENTRIES` and last :data:`TAIL_ENTRIES` entries, and raw bytes up
    to :data:`RAW_BUDGET` per case; ``report.json`` keeps everything.
    """
    chosen: list[Mapping[str, Any] | int] = list(wirelog)
    if len(wirelog) > HEAD_ENTRIES + TAIL_ENTRIES:
        left_out = len(wirelog) - HEAD_ENTRIES - TAIL_ENTRIES
        chosen = [*wirelog[:HEAD_ENTRIES], left_out, *wirelog[-TAIL_ENTRIES:]]
    budget = RAW_BUDGET
    rows: list[list[Any]] = []
    for entry in chosen:
        if isinstance(entry, int):
            rows.append([rows[-1][0] if rows else 0.0, "event", "gap", entry])
            continue
        t = round(float(entry["t"]) * 1000, 3)
        direction = entry["dir"]
        if "bytes" in entry:
            raw = entry["bytes"]
            data = None
            if len(raw["hex"]) // 2 <= budget:
                budget -= len(raw["hex"]) // 2
                data = base64.b64encode(bytes.fromhex(raw["hex"])).decode("ascii")
            rows.append([t, direction, "b", [data, raw["length"], bool(raw.get("truncated"))]])
        elif "frame" in entry:
            frame = entry["frame"]
            describe = str(frame.get("describe") or frame.get("opcode", "frame"))
            text = frame.get("text")
            if isinstance(text, str) and text:
                shown = text[:TEXT_SHOWN] + ("…" if len(text) > TEXT_SHOWN else "")
                describe = f"{describe} {json.dumps(shown, ensure_ascii=False)}"
            rows.append([t, direction, "f", describe])
        else:
            rows.append([t, direction, "e", str(entry.get("event", ""))])
    return rows


def _json_island(value: Any) -> str:
    # Inside <script>, "<" is the only character that can end the element early.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def render_html(report: Mapping[str, Any]) -> str:
    """The page for one report."""
    verdict, counts = headline(report)
    url = str(report["target"]["url"])
    cases = []
    for index, case in enumerate(report["cases"]):
        wsspec_cmd, pytest_cmd = rerun_commands(url, case["id"])
        cases.append({
            "i": index,
            "case": case,
            "link": rfc_link(case.get("rfc", "")),
            "wsspec_cmd": wsspec_cmd,
            "pytest_cmd": pytest_cmd,
            "entries": len(case["wirelog"]),
            "wirelog": _json_island(compact_wirelog(case["wirelog"])),
        })
    return environment().get_template("report.html.j2").render(
        report=report,
        verdict=verdict,
        counts=counts,
        verdicts=VERDICTS,
        explanations={v: explanation(v) for v in VERDICTS},
        matrix=section_matrix(report["cases"]),
        failed=[c for c in report["cases"] if c["verdict"] in FAILING],
        cases=cases,
    )


def write_html(report: Mapping[str, Any], directory: Path) -> Path:
    """Write ``index.html`` next to ``report.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(report), encoding="utf-8")
    tmp.replace(path)
    return path
