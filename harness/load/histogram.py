"""Latency histograms of bounded memory: HdrHistogram, in microseconds.

Values from 1 µs to 10 minutes are kept with three significant digits (a
value is off by at most 0.1 %), in a fixed array whatever the number of
samples. Histograms merge (:meth:`LatencyHistogram.add`) and travel as a
compact base64 string (:meth:`encode`, :meth:`decode`), which is how the
Locust workers hand theirs to the master.
"""

from __future__ import annotations

from typing import Any

from hdrh.histogram import HdrHistogram

__all__ = ["PERCENTILES", "LatencyHistogram"]

_LOWEST_US = 1
_HIGHEST_US = 600 * 1_000_000
_DIGITS = 3

#: the percentiles a summary gives, by name
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p99_9": 99.9}


class LatencyHistogram:
    """Durations recorded in seconds, summarised in milliseconds."""

    def __init__(self) -> None:
        self._hdr = HdrHistogram(_LOWEST_US, _HIGHEST_US, _DIGITS)

    @property
    def count(self) -> int:
        return int(self._hdr.get_total_count())

    def record(self, seconds: float) -> None:
        """Record one duration; negative ones count as 0, longer than the range as its top."""
        micros = int(seconds * 1_000_000)
        self._hdr.record_value(min(max(micros, _LOWEST_US), _HIGHEST_US))

    def percentile_ms(self, percentile: float) -> float:
        return float(self._hdr.get_value_at_percentile(percentile)) / 1000.0

    def summary(self) -> dict[str, Any]:
        """``count``, ``mean`` and ``max`` and each of :data:`PERCENTILES`, in ms (0 when empty)."""
        if not self.count:
            return {"count": 0, "mean": 0.0, "max": 0.0, **{name: 0.0 for name in PERCENTILES}}
        out: dict[str, Any] = {"count": self.count,
                               "mean": round(float(self._hdr.get_mean_value()) / 1000.0, 3)}
        for name, value in PERCENTILES.items():
            out[name] = round(self.percentile_ms(value), 3)
        out["max"] = round(float(self._hdr.get_max_value()) / 1000.0, 3)
        return out

    def add(self, other: LatencyHistogram) -> None:
        self._hdr.add(other._hdr)

    def reset(self) -> None:
        self._hdr.reset()

    def encode(self) -> str:
        """The counts, compressed and base64-encoded (empty string when empty)."""
        return "" if not self.count else self._hdr.encode().decode("ascii")

    @classmethod
    def decode(cls, text: str) -> LatencyHistogram:
        """The histogram :meth:`encode` gave; ``ValueError`` for anything else."""
        histogram = cls()
        if text:
            try:
                histogram._hdr.decode_and_add(text.encode("ascii"))
            except Exception as exc:  # the decoder raises many kinds on bad input
                raise ValueError(f"not an encoded latency histogram: {exc}") from None
        return histogram
