"""Service level objectives that gate a load run: ``--slo "p99<50ms,errors<0.1%"``.

An objective is a metric, ``<`` or ``<=``, and a limit: latencies (``p50``,
``p90``, ``p99``, ``p99.9``, ``max``, of the echo round trip, or
``handshake_p99``, ``connect_p99``) in ``ms`` or ``s``; ``errors`` as a share
of attempts in ``%``; ``messages_per_s`` (``>`` or ``>=``). Each is judged on
the whole run; :func:`judge` returns one :class:`Outcome` per objective.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Objective", "Outcome", "SloError", "judge", "parse_slo"]

_LATENCY = {"p50": "p50", "p90": "p90", "p99": "p99", "p99.9": "p99_9", "max": "max"}
_PREFIXED = {"handshake": "handshake_ms", "connect": "connect_ms"}
_OBJECTIVE = re.compile(
    r"(?P<metric>[a-z_]+(?:_p\d+(?:\.\d+)?|\d+(?:\.\d+)?)?|max)\s*(?P<op><=|>=|<|>)\s*"
    r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%)?\Z")


class SloError(ValueError):
    """An objective that cannot be read; one line naming it."""


@dataclass(frozen=True)
class Objective:
    text: str
    metric: str
    op: str
    limit: float  # ms for latencies, a fraction for errors, a rate for throughput


@dataclass(frozen=True)
class Outcome:
    objective: Objective
    measured: float
    met: bool

    def describe(self) -> str:
        unit = _unit(self.objective.metric)
        shown = f"{self.measured * 100:.3f}%" if unit == "%" else f"{self.measured:g}{unit}"
        return f"{self.objective.text}: measured {shown} — {'met' if self.met else 'MISSED'}"

    def to_dict(self) -> dict[str, Any]:
        return {"objective": self.objective.text, "measured": self.measured, "met": self.met}


def _unit(metric: str) -> str:
    if metric == "errors":
        return "%"
    if metric == "messages_per_s":
        return "/s"
    return "ms"


def _known(metric: str) -> bool:
    if metric in _LATENCY or metric in ("errors", "messages_per_s"):
        return True
    prefix, _, rest = metric.partition("_")
    return prefix in _PREFIXED and rest in _LATENCY


def parse_slo(text: str) -> tuple[Objective, ...]:
    """``"p99<50ms,errors<0.1%"`` as objectives; ``SloError`` names the bad one."""
    objectives = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = _OBJECTIVE.match(part)
        if match is None or not _known(match["metric"]):
            raise SloError(
                f"--slo: cannot read {part!r}; expected e.g. p99<50ms, p99.9<=200ms, "
                f"handshake_p99<100ms, errors<0.1%, messages_per_s>1000")
        metric, op, unit = match["metric"], match["op"], match["unit"]
        value = float(match["value"])
        want = _unit(metric)
        if want == "%" and unit != "%":
            raise SloError(f"--slo: {part!r}: give errors as a percentage, e.g. errors<0.1%")
        if want == "ms" and unit not in ("ms", "s"):
            raise SloError(f"--slo: {part!r}: give a latency in ms or s, e.g. p99<50ms")
        if want == "/s" and unit is not None:
            raise SloError(f"--slo: {part!r}: messages_per_s takes a bare number")
        if (want == "/s") != (op in (">", ">=")):
            raise SloError(f"--slo: {part!r}: latencies and errors are bounded with < or <=, "
                           f"throughput with > or >=")
        limit = value / 100 if unit == "%" else value * 1000 if unit == "s" else value
        objectives.append(Objective(part, metric, op, limit))
    if not objectives:
        raise SloError("--slo: give at least one objective, e.g. p99<50ms")
    return tuple(objectives)


def measured(metric: str, totals: Mapping[str, Any]) -> float:
    """The value of ``metric`` in a load section's ``totals``."""
    if metric == "errors":
        return float(totals["error_rate"])
    if metric == "messages_per_s":
        return float(totals["messages_per_s"])
    prefix, _, rest = metric.partition("_")
    if prefix in _PREFIXED:
        return float(totals[_PREFIXED[prefix]][_LATENCY[rest]])
    return float(totals["rtt_ms"][_LATENCY[metric]])


def judge(objectives: tuple[Objective, ...], totals: Mapping[str, Any]) -> list[Outcome]:
    outcomes = []
    for objective in objectives:
        value = measured(objective.metric, totals)
        met = {"<": value < objective.limit, "<=": value <= objective.limit,
               ">": value > objective.limit, ">=": value >= objective.limit}[objective.op]
        outcomes.append(Outcome(objective, value, met))
    return outcomes
