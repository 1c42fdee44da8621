"""What a load run measured, stage by stage and second by second.

A :class:`Recorder` is fed by the connections (opens, round trips, pings,
errors, breaches of the conformance rules) and sampled once a second by the
engine. Errors are counted by kind (``refused``, ``reset``, ``dropped``,
``handshake-status``, ``timeout``, ``protocol``, ...); violations, which fail
the run, are counted by kind and their first examples kept with the wire log
of their connection. Memory is bounded: histograms are of fixed size and the
time series has one point a second, capped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .histogram import LatencyHistogram

__all__ = ["MAX_EXAMPLES", "MAX_POINTS", "Recorder", "StageStats", "Violation"]

#: examples kept per violation kind
MAX_EXAMPLES = 3
#: time series points kept (a day at one a second), the oldest dropped beyond
MAX_POINTS = 86_400


@dataclass
class Violation:
    """One breach of the conformance rules under load, with its connection's last frames."""

    kind: str
    detail: str
    stage: int
    at: float
    connection: int
    wirelog: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail, "stage": self.stage,
                "at_s": round(self.at, 3), "connection": self.connection,
                "wirelog": self.wirelog}


@dataclass
class StageStats:
    """The counts and distributions of one stage."""

    index: int
    connections: int
    duration: float
    started: float = 0.0
    ended: float | None = None
    opened: int = 0
    closed: int = 0
    peak: int = 0
    sent: int = 0
    received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    connect: LatencyHistogram = field(default_factory=LatencyHistogram)
    handshake: LatencyHistogram = field(default_factory=LatencyHistogram)
    rtt: LatencyHistogram = field(default_factory=LatencyHistogram)
    ping_deviation: LatencyHistogram = field(default_factory=LatencyHistogram)
    pings: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    server: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.connections}:{self.duration:g}s"

    def to_dict(self) -> dict[str, Any]:
        elapsed = max((self.ended or self.started) - self.started, 1e-9)
        return {
            "index": self.index, "label": self.label, "connections": self.connections,
            "duration_s": self.duration, "started_s": round(self.started, 3),
            "elapsed_s": round(elapsed, 3), "peak_connections": self.peak,
            "opened": self.opened, "closed": self.closed,
            "messages_sent": self.sent, "messages_received": self.received,
            "bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received,
            "messages_per_s": round(self.received / elapsed, 1),
            "bytes_per_s": round((self.bytes_sent + self.bytes_received) / elapsed, 1),
            "connect_ms": self.connect.summary(), "handshake_ms": self.handshake.summary(),
            "rtt_ms": self.rtt.summary(),
            "ping_deviation_ms": self.ping_deviation.summary(), "pings": self.pings,
            "errors": dict(sorted(self.errors.items())),
            "error_rate": _rate(sum(self.errors.values()), self.sent + self.opened),
            "violations": dict(sorted(self.violations.items())),
            "server": self.server,
        }


def _rate(errors: int, attempts: int) -> float:
    return round(errors / attempts, 6) if attempts else (1.0 if errors else 0.0)


_COUNTS = ("opened", "closed", "sent", "received", "bytes_sent", "bytes_received", "pings")
_HISTOGRAMS = ("connect", "handshake", "rtt", "ping_deviation")


class Recorder:
    """The run's statistics; ``clock`` times are seconds from the run's start."""

    def __init__(self) -> None:
        self.stages: list[StageStats] = []
        self.series: list[dict[str, Any]] = []
        self.examples: dict[str, list[Violation]] = {}
        self.held = 0
        self._interval = LatencyHistogram(digits=2)
        self._interval_counts = Counter[str]()
        self._last_sample = 0.0
        self._held_by: dict[str, int] = {}

    @property
    def stage(self) -> StageStats:
        return self.stages[-1]

    def begin_stage(self, connections: int, duration: float, now: float) -> None:
        if self.stages:
            self.stage.ended = now
        self.stages.append(StageStats(len(self.stages), connections, duration, started=now))
        self.stage.peak = self.held

    def end(self, now: float) -> None:
        if self.stages and self.stage.ended is None:
            self.stage.ended = now

    # -- fed by the connections -------------------------------------------

    def opened(self, connect: float, handshake: float) -> None:
        stage = self.stage
        stage.opened += 1
        stage.connect.record(connect)
        stage.handshake.record(handshake)
        self.held += 1
        stage.peak = max(stage.peak, self.held)

    def closed(self) -> None:
        """An open connection ended (for any reason)."""
        self.held -= 1
        self.stage.closed += 1

    def sent(self, size: int) -> None:
        stage = self.stage
        stage.sent += 1
        stage.bytes_sent += size
        self._interval_counts["sent"] += 1
        self._interval_counts["bytes"] += size

    def echoed(self, rtt: float, size: int) -> None:
        stage = self.stage
        stage.received += 1
        stage.bytes_received += size
        stage.rtt.record(rtt)
        self._interval.record(rtt)
        self._interval_counts["received"] += 1
        self._interval_counts["bytes"] += size

    def ping(self, deviation: float) -> None:
        self.stage.pings += 1
        self.stage.ping_deviation.record(abs(deviation))

    def error(self, kind: str) -> None:
        self.stage.errors[kind] += 1
        self._interval_counts["errors"] += 1

    def violation(self, kind: str, detail: str, now: float, connection: int,
                  wirelog: list[str]) -> None:
        self.stage.violations[kind] += 1
        self._interval_counts["violations"] += 1
        kept = self.examples.setdefault(kind, [])
        if len(kept) < MAX_EXAMPLES:
            kept.append(Violation(kind, detail, self.stage.index, now, connection, wirelog))

    # -- sampled by the engine ----------------------------------------------

    def sample(self, now: float, server: dict[str, float] | None = None) -> dict[str, Any]:
        """One point of the time series: the rates and latencies since the last one."""
        span = max(now - self._last_sample, 1e-9)
        counts = self._interval_counts
        summary = self._interval.summary()
        point: dict[str, Any] = {
            "t": round(now, 3), "stage": self.stage.index if self.stages else 0,
            "connections": self.held,
            "messages_per_s": round(counts["received"] / span, 1),
            "bytes_per_s": round(counts["bytes"] / span, 1),
            "errors": counts["errors"], "violations": counts["violations"],
            **{name: summary[name] for name in ("p50", "p90", "p99", "p99_9", "max")},
        }
        if server:
            point.update(server)
        self.series.append(point)
        if len(self.series) > MAX_POINTS:
            del self.series[0]
        self._interval.reset()
        self._interval_counts = Counter()
        self._last_sample = now
        return point

    # -- across processes (the Locust engine) ----------------------------------

    def take(self) -> dict[str, Any]:
        """What was recorded since the last take, JSON-able, and start afresh: the
        counters and histograms of the current stage, the examples, the held count."""
        stage = self.stage
        out: dict[str, Any] = {
            "counts": {key: getattr(stage, key) for key in _COUNTS},
            "histograms": {key: getattr(stage, key).encode() for key in _HISTOGRAMS},
            "errors": dict(stage.errors), "violations": dict(stage.violations),
            "examples": [v.to_dict() for kept in self.examples.values() for v in kept],
            "held": self.held,
        }
        self.stages[-1] = StageStats(stage.index, stage.connections, stage.duration,
                                     started=stage.started)
        self.examples = {}
        return out

    def merge(self, taken: dict[str, Any], source: str) -> None:
        """Add what another recorder's :meth:`take` gave to the current stage;
        ``source`` names it (its held count replaces the previous one from there)."""
        stage = self.stage
        for key in _COUNTS:
            setattr(stage, key, getattr(stage, key) + int(taken["counts"][key]))
        for key in _HISTOGRAMS:
            getattr(stage, key).add(LatencyHistogram.decode(taken["histograms"][key]))
            if key == "rtt":
                self._interval.add(LatencyHistogram.decode(taken["histograms"][key]))
        stage.errors.update(taken["errors"])
        stage.violations.update(taken["violations"])
        self._interval_counts["received"] += int(taken["counts"]["received"])
        self._interval_counts["bytes"] += int(taken["counts"]["bytes_received"]) + int(
            taken["counts"]["bytes_sent"])
        self._interval_counts["errors"] += sum(taken["errors"].values())
        self._interval_counts["violations"] += sum(taken["violations"].values())
        for example in taken["examples"]:
            kept = self.examples.setdefault(example["kind"], [])
            if len(kept) < MAX_EXAMPLES:
                kept.append(Violation(example["kind"], example["detail"], stage.index,
                                      example["at_s"], example["connection"],
                                      example["wirelog"]))
        self._held_by[source] = int(taken["held"])
        self.held = sum(self._held_by.values())
        stage.peak = max(stage.peak, self.held)

    @property
    def violation_count(self) -> int:
        return sum(sum(stage.violations.values()) for stage in self.stages)
