"""A timestamped record of one case's traffic: raw bytes, parsed frames, events.

Drivers append the bytes they write and read; the conversation appends the
frames it builds and parses and the events it sees (FIN, reset, deadline). The
log is capped so a flooding target cannot exhaust memory: past ``max_entries``
or ``max_bytes`` of recorded payload, further entries are counted, not kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["out", "in", "event"]

#: bytes of each raw chunk kept in the log; the rest is summarised by its length.
CHUNK_KEEP = 4096


@dataclass
class WireEntry:
    """One line of the wire log. ``t`` is seconds since the log started."""

    t: float
    dir: Direction
    kind: Literal["bytes", "frame", "event"]
    data: Any

    def to_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 6), "dir": self.dir, self.kind: self.data}


@dataclass
class WireLog:
    """The wire log of one case (all of its connections)."""

    max_entries: int = 2000
    max_bytes: int = 1 << 20
    entries: list[WireEntry] = field(default_factory=list)
    dropped: int = 0
    _kept_bytes: int = 0
    _start: float = field(default_factory=time.monotonic)

    def _add(self, direction: Direction, kind: Literal["bytes", "frame", "event"], data: Any,
             size: int = 0) -> None:
        if len(self.entries) >= self.max_entries or self._kept_bytes + size > self.max_bytes:
            self.dropped += 1
            return
        self._kept_bytes += size
        self.entries.append(WireEntry(time.monotonic() - self._start, direction, kind, data))

    def raw(self, direction: Literal["out", "in"], data: bytes) -> None:
        """Record bytes written to or read from the socket."""
        kept = data[:CHUNK_KEEP]
        record: dict[str, Any] = {"hex": kept.hex(), "length": len(data)}
        if len(data) > CHUNK_KEEP:
            record["truncated"] = True
        self._add(direction, "bytes", record, len(kept))

    def frame(self, direction: Literal["out", "in"], frame: dict[str, Any]) -> None:
        """Record a frame sent or parsed, as ``Frame.to_dict()``."""
        self._add(direction, "frame", frame, 64)

    def event(self, text: str) -> None:
        """Record something that is not bytes: connected, FIN, reset, deadline."""
        self._add("event", "event", text, len(text))

    def to_list(self) -> list[dict[str, Any]]:
        out = [entry.to_dict() for entry in self.entries]
        if self.dropped:
            out.append({"t": out[-1]["t"] if out else 0.0, "dir": "event",
                        "event": f"{self.dropped} further entries not kept (log cap)"})
        return out

    def tail(self, count: int = 12) -> list[str]:
        """The last entries as readable lines, for failure messages."""
        lines = []
        for e in self.entries[-count:]:
            if e.kind == "frame":
                lines.append(f"{e.t:8.3f} {e.dir:>5} {e.data.get('describe', e.data)}")
            elif e.kind == "bytes":
                shown = e.data["hex"][:64]
                more = "…" if len(e.data["hex"]) > 64 else ""
                lines.append(f"{e.t:8.3f} {e.dir:>5} {e.data['length']} bytes {shown}{more}")
            else:
                lines.append(f"{e.t:8.3f} {e.dir:>5} {e.data}")
        return lines
