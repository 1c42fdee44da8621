"""The server's resident memory and CPU during a load run, through psutil.

A :class:`ServerMonitor` follows one process and every child it started (a
``--target-cmd`` may be a shell or a wrapper); each :meth:`sample` gives the
summed RSS in MiB and the CPU used since the previous sample, in percent of
one core. A process that has gone yields an empty sample.
"""

from __future__ import annotations

import time

import psutil

__all__ = ["ServerMonitor"]


class ServerMonitor:
    """Samples of process ``pid`` and its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self._root = None
        self._cpu = self._cpu_seconds()
        self._at = time.monotonic()

    def _processes(self) -> list[psutil.Process]:
        if self._root is None:
            return []
        try:
            return [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return []

    def _cpu_seconds(self) -> float:
        total = 0.0
        for process in self._processes():
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def rss_bytes(self) -> int:
        total = 0
        for process in self._processes():
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total

    def sample(self) -> dict[str, float]:
        """``server_rss_mb`` and ``server_cpu_pct`` now (empty once the process is gone)."""
        rss = self.rss_bytes()
        if not rss:
            return {}
        cpu, at = self._cpu_seconds(), time.monotonic()
        percent = 100.0 * (cpu - self._cpu) / max(at - self._at, 1e-6)
        self._cpu, self._at = cpu, at
        return {"server_rss_mb": round(rss / 2**20, 2), "server_cpu_pct": round(percent, 1)}
