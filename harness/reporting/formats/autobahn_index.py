"""``index.json`` in Autobahn|Testsuite's report format, for tools that read those.

Autobahn's fuzzing client writes ``reports/servers/index.json`` as
``{agent: {case_id: {"behavior", "behaviorClose", "duration", "remoteCloseCode",
"reportfile"}}}``. wsspec writes the same shape for the cases that carry an
Autobahn id. Several wsspec cases may check one Autobahn case (a family cut
finer): the worst of their verdicts is the Autobahn case's behaviour, their
durations add up. Entries hold exactly Autobahn's five keys, so strict readers
of that format accept the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from wsspec.reporting.outputs import OutputOptions, output
from wsspec.verdicts import Verdict

BEHAVIOR = {
    Verdict.PASS: "OK",
    Verdict.NON_STRICT: "NON-STRICT",
    Verdict.INFORMATIONAL: "INFORMATIONAL",
    Verdict.UNSUPPORTED: "UNIMPLEMENTED",
    Verdict.FAIL: "FAILED",
    Verdict.ERROR: "FAILED",
}


def _server_close(wirelog: Iterable[Mapping[str, Any]]) -> tuple[bool, int | None, bool]:
    """(server sent a close frame, its code, the connection ended at all)."""
    sent_close, code, ended = False, None, False
    for entry in wirelog:
        frame = entry.get("frame")
        if entry.get("dir") == "in" and isinstance(frame, dict) and frame.get("opcode") == "CLOSE":
            sent_close = True
            code = frame.get("close_code", code)
        event = entry.get("event")
        if isinstance(event, str) and ("closed" in event or "reset" in event):
            ended = True
    return sent_close, code, ended


def _behavior_close(verdict: Verdict, sent_close: bool, ended: bool) -> str:
    if verdict is Verdict.UNSUPPORTED:
        return "UNIMPLEMENTED"
    if sent_close:
        return "OK"
    # No close frame from the server: a dropped TCP connection is Autobahn's "unclean".
    return "UNCLEAN" if ended else "INFORMATIONAL"


def _sort_key(autobahn_id: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in autobahn_id.split("."))


def autobahn_index(report: Mapping[str, Any], agent: str | None = None) -> dict[str, Any]:
    """The Autobahn-format index of a report (``agent`` defaults to the target URL)."""
    name = agent or str(report["target"]["url"])
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for case in report["cases"]:
        if case.get("autobahn"):
            grouped.setdefault(str(case["autobahn"]), []).append(case)
    results: dict[str, Any] = {}
    for autobahn_id in sorted(grouped, key=_sort_key):
        cases = grouped[autobahn_id]
        worst = Verdict.PASS
        for case in cases:
            worst = worst.worse(Verdict(case["verdict"]))
        deciding = next(c for c in cases if c["verdict"] == worst.value)
        sent_close, code, ended = _server_close(deciding["wirelog"])
        results[autobahn_id] = {
            "behavior": BEHAVIOR[worst],
            "behaviorClose": _behavior_close(worst, sent_close, ended),
            "duration": round(sum(float(c["duration_s"]) for c in cases) * 1000),
            "remoteCloseCode": code,
            # Autobahn names a per-case report file; the deciding case's anchor stands in.
            "reportfile": f"index.html#case={deciding['id']}",
        }
    return {name: results}


@output("index.json", order=20)
def _write(report: Mapping[str, Any], directory: Path, options: OutputOptions) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.json"
    path.write_text(json.dumps(autobahn_index(report), indent=1) + "\n", encoding="utf-8")
    return [path]
