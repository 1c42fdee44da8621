"""Memory a server keeps per closed connection, judged stage by stage.

A stage that holds a steady number of connections while churning them (a
pattern ``lifetime``) should end with the server's RSS where it began: the
memory of a closed connection is returned. The growth divided by the
connections closed in the stage is what each one kept; above the threshold it
is a ``memory-kept`` violation of that stage. Only steady stages are judged,
those holding as many connections as the stage before (a ramp's growth is the
memory of open connections), and only once they closed :data:`MIN_CLOSED`
connections.
"""

from __future__ import annotations

from .stats import MAX_EXAMPLES, Recorder, Violation

__all__ = ["MIN_CLOSED", "judge_memory"]

#: the fewest closes a stage needs before its growth is judged per close
MIN_CLOSED = 100


def judge_memory(recorder: Recorder, threshold_kib: float, now: float) -> None:
    """Record a ``memory-kept`` violation on each stage whose closed connections kept
    more than ``threshold_kib`` KiB each; sets ``kept_per_closed_kib`` where judged."""
    for before, stage in zip(recorder.stages, recorder.stages[1:], strict=False):
        server = stage.server
        if "rss_start_mb" not in server or "rss_end_mb" not in server:
            continue
        closed = server["closed_end"] - server["closed_start"]
        if closed < MIN_CLOSED or stage.connections != before.connections:
            continue
        kept = (server["rss_end_mb"] - server["rss_start_mb"]) * 1024 / closed
        server["kept_per_closed_kib"] = round(kept, 2)
        if kept > threshold_kib:
            stage.violations["memory-kept"] += 1
            kept_examples = recorder.examples.setdefault("memory-kept", [])
            if len(kept_examples) < MAX_EXAMPLES:
                kept_examples.append(Violation(
                    "memory-kept",
                    f"the server's RSS grew {server['rss_end_mb'] - server['rss_start_mb']:.1f} "
                    f"MiB over {closed:g} closed connections: {kept:.1f} KiB kept per closed "
                    f"connection (threshold {threshold_kib:g} KiB)",
                    stage.index, now, -1, []))
