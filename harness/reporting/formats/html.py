"""``index.html``: one self-contained page a reviewer reads in a minute.

Rendered with Jinja2 from the ``report.json`` document; CSS and JavaScript are
inline and nothing is fetched. The page opens quickly with thousands of cases:
the HTML holds one summary line per case; the cases' bodies (requirement,
expected and observed, rerun commands) and their wire logs travel as two compact
JSON islands (raw bytes in base64), and a case's become elements only when it is
opened. (One island for all wire logs rather than one per case: a thousand
script elements are a thousand more elements for the browser to build.)
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wsspec.reporting.outputs import OutputOptions, output
from wsspec.reporting.presentation import (
    FAILING,
    VERDICTS,
    environment,
    explanation,
    headline,
    rerun_prefixes,
    rfc_link,
    section_matrix,
)

#: a long wire log shows its start and its end (where a failure usually is).
HEAD_ENTRIES = 150
TAIL_ENTRIES = 100
#: raw bytes per case carried into the page for hex dumps.
RAW_BUDGET = 48 * 1024


def compact_wirelog(wirelog: list[Mapping[str, Any]]) -> list[list[Any]]:
    """A wire log as ``[t_ms, kind, data]`` rows for the page's script.

    ``kind`` is ``"bo"`` or ``"bi"`` (raw bytes out or in: ``[base64 or None, length,
    truncated]``), ``"fo"`` or ``"fi"`` (a frame: its description, which shows the start
    of its payload), ``"e"`` (an event) or ``"gap"`` (entries left out of the page). A long
    log keeps its first :data:`HEAD_ENTRIES` and last :data:`TAIL_ENTRIES` entries, and raw
    bytes up to :data:`RAW_BUDGET` per case; ``report.json`` keeps everything.
    """
    chosen: list[Mapping[str, Any] | int] = list(wirelog)
    if len(wirelog) > HEAD_ENTRIES + TAIL_ENTRIES:
        left_out = len(wirelog) - HEAD_ENTRIES - TAIL_ENTRIES
        chosen = [*wirelog[:HEAD_ENTRIES], left_out, *wirelog[-TAIL_ENTRIES:]]
    budget = RAW_BUDGET
    rows: list[list[Any]] = []
    for entry in chosen:
        if isinstance(entry, int):
            rows.append([rows[-1][0] if rows else 0.0, "gap", entry])
            continue
        t = round(float(entry["t"]) * 1000, 3)
        direction = str(entry["dir"])[0]
        if "bytes" in entry:
            raw = entry["bytes"]
            data = None
            if len(raw["hex"]) // 2 <= budget:
                budget -= len(raw["hex"]) // 2
                data = base64.b64encode(bytes.fromhex(raw["hex"])).decode("ascii")
            rows.append([t, "b" + direction, [data, raw["length"], bool(raw.get("truncated"))]])
        elif "frame" in entry:
            # The description already shows the start of the payload (Frame.describe).
            frame = entry["frame"]
            rows.append([t, "f" + direction,
                         str(frame.get("describe") or frame.get("opcode", "frame"))])
        else:
            rows.append([t, "e", str(entry.get("event", ""))])
    return rows


def _json_island(value: Any) -> str:
    # Inside <script>, "<" is the only character that can end the element early.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


class _Strings:
    """A table of the page's texts: many cases share a requirement, an expectation or
    an observation, and the page carries each text once (cases hold its index)."""

    def __init__(self) -> None:
        self.table: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        return self.table.setdefault(text, len(self.table))


def case_body(case: Mapping[str, Any], strings: _Strings) -> dict[str, Any]:
    """What the page's script needs to build a case's body when it is opened.

    Texts are indices into ``strings``. The rerun commands are the page's ``rerun``
    prefixes followed by ``k``, the case id as the shell needs it (given only where it
    differs from the id).
    """
    body: dict[str, Any] = {
        "rfc": strings(case["rfc"]), "req": strings(case["requirement"]),
        "exp": strings(case["expected"]), "obs": strings(case["observed"]),
        "ms": round(float(case["duration_s"]) * 1000, 1), "n": len(case["wirelog"]),
    }
    key = shlex.quote(case["id"])
    link = rfc_link(case.get("rfc", ""))
    optional = {"link": strings(link) if link else None, "ab": case.get("autobahn"),
                "base": case.get("baseline"), "k": key if key != case["id"] else None,
                "short": case.get("wirelog_kept") == "short" or None}
    body.update({name: value for name, value in optional.items() if value is not None})
    return body


def render_html(report: Mapping[str, Any]) -> str:
    """The page for one report."""
    verdict, counts = headline(report)
    strings = _Strings()
    data = {
        "cases": [case_body(case, strings) for case in report["cases"]],
        "strings": list(strings.table),
        "rerun": rerun_prefixes(str(report["target"]["url"])),
        "explain": {v: explanation(v) for v in VERDICTS},
        "failing": list(FAILING),
    }
    return environment().get_template("report.html.j2").render(
        report=report,
        verdict=verdict,
        counts=counts,
        verdicts=VERDICTS,
        explanations=data["explain"],
        matrix=section_matrix(report["cases"]),
        failed=[c for c in report["cases"] if c["verdict"] in FAILING],
        data=_json_island(data),
        wirelogs=_json_island([compact_wirelog(case["wirelog"]) for case in report["cases"]]),
    )


def write_html(report: Mapping[str, Any], directory: Path) -> Path:
    """Write ``index.html`` next to ``report.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(report), encoding="utf-8")
    tmp.replace(path)
    return path


@output("index.html", order=10)
def _write(report: Mapping[str, Any], directory: Path, options: OutputOptions) -> list[Path]:
    return [write_html(report, directory)]
