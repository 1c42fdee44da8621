"""The ``load`` section of ``report.json``, and the report around it.

:func:`load_section` turns a run's :class:`~wsspec.load.stats.Recorder` into
the JSON the schema describes (``harness/reporting/schema``, ``$defs.load``):
the scenario, per-stage statistics, whole-run totals, the time series,
violations with examples, and the SLO outcomes. :func:`load_report` wraps it
in a report whose conformance part is empty, so ``wsspec compare`` and the
report tools read it like any other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from wsspec import __version__

from .histogram import LatencyHistogram
from .scenario import MAX_RATE, Scenario
from .slo import Objective, judge
from .stats import Recorder, StageStats

__all__ = ["load_report", "load_section", "passed", "totals"]

_VERDICTS = ("pass", "non-strict", "informational", "unsupported", "fail", "error")


def totals(stages: list[StageStats]) -> dict[str, Any]:
    """The whole run: histograms merged, counters summed, rates over the elapsed time."""
    merged = {name: LatencyHistogram() for name in ("connect", "handshake", "rtt",
                                                      "ping_deviation")}
    errors: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    sums = Counter[str]()
    for stage in stages:
        for name, histogram in merged.items():
            histogram.add(getattr(stage, name))
        errors.update(stage.errors)
        violations.update(stage.violations)
        for key in ("opened", "closed", "sent", "received", "bytes_sent", "bytes_received",
                    "pings"):
            sums[key] += getattr(stage, key)
    elapsed = sum(max((s.ended or s.started) - s.started, 0.0) for s in stages) or 1e-9
    attempts = sums["sent"] + sums["opened"]
    error_count = sum(errors.values())
    return {
        "opened": sums["opened"], "closed": sums["closed"],
        "peak_connections": max((s.peak for s in stages), default=0),
        "messages_sent": sums["sent"], "messages_received": sums["received"],
        "bytes_sent": sums["bytes_sent"], "bytes_received": sums["bytes_received"],
        "messages_per_s": round(sums["received"] / elapsed, 1),
        "bytes_per_s": round((sums["bytes_sent"] + sums["bytes_received"]) / elapsed, 1),
        "connect_ms": merged["connect"].summary(), "handshake_ms": merged["handshake"].summary(),
        "rtt_ms": merged["rtt"].summary(),
        "ping_deviation_ms": merged["ping_deviation"].summary(), "pings": sums["pings"],
        "errors": dict(sorted(errors.items())), "error_count": error_count,
        "error_rate": round(error_count / attempts, 6) if attempts else float(bool(error_count)),
        "violations": dict(sorted(violations.items())),
        "violation_count": sum(violations.values()),
        "rtt_histogram": merged["rtt"].encode(),
    }


def passed(section: dict[str, Any]) -> bool:
    """No rule broken, every objective met, and a connection opened when one was asked for."""
    totals = section["totals"]
    wanted = any(stage["connections"] for stage in section["stages"])
    return (totals["violation_count"] == 0 and all(o["met"] for o in section["slo"])
            and (totals["opened"] > 0 or not wanted))


def load_section(recorder: Recorder, scenario: Scenario, *, engine: str,
                 objectives: tuple[Objective, ...] = (),
                 server_pid: int | None = None) -> dict[str, Any]:
    """The ``load`` section of one run (see the module docstring), its objectives judged."""
    run_totals = totals(recorder.stages)
    section: dict[str, Any] = {
        "engine": engine,
        "scenario": {
            "stages": [{"connections": s.connections, "duration_s": s.duration}
                       for s in scenario.stages],
            "pattern": _pattern(scenario), "ramp_per_s": scenario.ramp,
        },
        "server_pid": server_pid,
        "stages": [stage.to_dict() for stage in recorder.stages],
        "totals": run_totals,
        "series": recorder.series,
        "examples": [v.to_dict() for kind in sorted(recorder.examples)
                     for v in recorder.examples[kind]],
    }
    section["slo"] = [o.to_dict() for o in judge(objectives, run_totals)]
    section["passed"] = passed(section)
    return section


def _pattern(scenario: Scenario) -> dict[str, Any]:
    pattern = asdict(scenario.pattern)
    if pattern["rate"] == MAX_RATE:
        pattern["rate"] = "max"  # JSON has no infinity
    return pattern


def load_report(section: dict[str, Any], url: str, profile: dict[str, Any],
                started: datetime, duration: float) -> dict[str, Any]:
    """A ``report.json`` carrying ``section`` and no conformance cases."""
    return {
        "tool": "wsspec", "version": __version__,
        "target": {"url": url, "profile": profile},
        "started": started.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "duration_s": round(duration, 3),
        "summary": dict.fromkeys(_VERDICTS, 0),
        "cases": [],
        "load": section,
    }


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
