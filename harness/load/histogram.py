"""Latency histograms of bounded memory: HdrHistogram, in microseconds.

Values from 1 µs to 10 minutes are kept with three significant digits (a
value is off by at most 0.1 %; two digits, 1 %, for the one-second histograms
of the time series, which are read and reset every second), in a fixed array
whatever the number of samples. A summary walks the array once. Histograms
merge (:meth:`LatencyHistogram.add`) and travel as a compact base64 string
(:meth:`encode`, :meth:`decode`), which is how the Locust workers hand theirs
to the master.
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

    def __init__(self, digits: int = _DIGITS) -> None:
        self.digits = digits
        self._hdr = HdrHistogram(_LOWEST_US, _HIGHEST_US, digits)
        self._sum_us = 0  # the histogram's own mean walks every bucket

    @property
    def count(self) -> int:
        return int(self._hdr.total_count)

    def record(self, seconds: float) -> None:
        """Record one duration; negative ones count as 0, longer than the range as its top."""
        micros = int(seconds * 1_000_000)
        micros = _LOWEST_US if micros < _LOWEST_US else min(micros, _HIGHEST_US)
        self._hdr.record_value(micros)
        self._sum_us += micros

    def summary(self) -> dict[str, Any]:
        """``count``, ``mean`` and ``max`` and each of :data:`PERCENTILES`, in ms (0 when empty)."""
        count = self.count
        if not count:
            return {"count": 0, "mean": 0.0, "max": 0.0, **{name: 0.0 for name in PERCENTILES}}
        out: dict[str, Any] = {"count": count, "mean": round(self._sum_us / count / 1000.0, 3)}
        values = self._hdr.get_percentile_to_value_dict(list(PERCENTILES.values()))
        for name, value in PERCENTILES.items():
            out[name] = round(float(values[value]) / 1000.0, 3)
        out["max"] = round(float(self._hdr.get_max_value()) / 1000.0, 3)
        return out

    def add(self, other: LatencyHistogram) -> None:
        if other.count:
            self._hdr.add(other._hdr)
            self._sum_us += other._sum_us

    def reset(self) -> None:
        self._hdr.reset()
        self._sum_us = 0

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
            histogram._sum_us = round(histogram._hdr.get_mean_value() * histogram.count)
        return histogram
