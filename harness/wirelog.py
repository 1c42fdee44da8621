"""A timestamped record of one case's traffic: raw bytes, parsed frames, events.

Drivers append the bytes they write and read; the case DSL appends the
frames it builds and parses and the events it sees (FIN, reset, deadline). The
log is capped so a flooding target cannot exhaust memory: it keeps its head
(the first ``max_entries`` entries or ``max_bytes`` of recorded payload) and,
past that, a rolling tail of the most recent entries, because the end of a
long case (the echo that never came, the close) is what a reader needs. What
falls between the two is counted, not kept.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from wsspec.protocol.frames import Frame

Direction = Literal["out", "in", "event"]

#: bytes of each raw chunk kept in the log; the rest is summarised by its length.
CHUNK_KEEP = 4096

#: frames up to this payload size are logged lazily (see frame_entry).
_LAZY_ENTRY_PAYLOAD = 4096


class WireEntry:
    """One line of the wire log. ``t`` is seconds since the log started.

    ``data`` may be given as a function that makes it: a frame's record is then
    built only if the entry is read (most of a long case's entries are only
    counted).
    """

    __slots__ = ("_data", "dir", "kind", "t")

    def __init__(self, t: float, dir: Direction, kind: Literal["bytes", "frame", "event"],
                 data: Any) -> None:
        self.t = t
        self.dir = dir
        self.kind = kind
        self._data = data

    @property
    def data(self) -> Any:
        if callable(self._data):
            self._data = self._data()
        return self._data

    def to_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 6), "dir": self.dir, self.kind: self.data}


@dataclass
class WireLog:
    """The wire log of one case (all of its connections)."""

    max_entries: int = 1500
    max_bytes: int = 256 * 1024
    tail_entries: int = 500
    tail_bytes: int = 128 * 1024
    #: the head of the log, in order (the tail is kept apart, see :meth:`all_entries`)
    entries: list[WireEntry] = field(default_factory=list)
    dropped: int = 0
    _kept_bytes: int = 0
    _tail: deque[tuple[WireEntry, int]] = field(default_factory=deque)
    _tail_size: int = 0
    _start: float = field(default_factory=time.monotonic)

    def _add(self, direction: Direction, kind: Literal["bytes", "frame", "event"], data: Any,
             size: int = 0) -> None:
        entry = WireEntry(time.monotonic() - self._start, direction, kind, data)
        if not self._tail and (len(self.entries) < self.max_entries
                               and self._kept_bytes + size <= self.max_bytes):
            self._kept_bytes += size
            self.entries.append(entry)
            return
        self._tail.append((entry, size))
        self._tail_size += size
        while self._tail and (len(self._tail) > self.tail_entries
                              or self._tail_size > self.tail_bytes):
            _, old = self._tail.popleft()
            self._tail_size -= old
            self.dropped += 1

    @property
    def started(self) -> float:
        """When the log started, on the ``time.monotonic()`` clock: each entry's
        ``t`` counts from it."""
        return self._start

    def all_entries(self) -> list[WireEntry]:
        """The kept entries in order: the head, then the rolling tail."""
        return self.entries + [entry for entry, _ in self._tail]

    def raw(self, direction: Literal["out", "in"], data: bytes) -> None:
        """Record bytes written to or read from the socket."""
        kept = data[:CHUNK_KEEP]
        record: dict[str, Any] = {"hex": kept.hex(), "length": len(data)}
        if len(data) > CHUNK_KEEP:
            record["truncated"] = True
        self._add(direction, "bytes", record, len(kept))

    def frame(self, direction: Literal["out", "in"],
              frame: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        """Record a frame sent or parsed, as ``Frame.to_dict()`` (or a function
        returning it, called only if the entry is read)."""
        self._add(direction, "frame", frame, 64)

    def event(self, text: str) -> None:
        """Record something that is not bytes: connected, FIN, reset, deadline."""
        self._add("event", "event", text, len(text))

    def to_list(self) -> list[dict[str, Any]]:
        out = [entry.to_dict() for entry in self.entries]
        if self.dropped:
            out.append({"t": out[-1]["t"] if out else 0.0, "dir": "event",
                        "event": f"{self.dropped} entries not kept (log cap)"})
        out.extend(entry.to_dict() for entry, _ in self._tail)
        return out

    def tail(self, count: int = 12) -> list[str]:
        """The last entries as readable lines, for failure messages."""
        return [entry_line(e.to_dict()) for e in self.all_entries()[-count:]]


def entry_line(entry: dict[str, Any]) -> str:
    """One wire log entry (as :meth:`WireEntry.to_dict` gives it, or as a report keeps it)
    as a line of text: time, direction, and the frame, bytes or event."""
    frame, raw = entry.get("frame"), entry.get("bytes")
    if isinstance(frame, dict):
        what = str(frame.get("describe", "")) or f"frame {frame.get('hex', '')[:64]}"
    elif isinstance(raw, dict):
        shown = str(raw.get("hex", ""))
        more = "…" if len(shown) > 64 else ""
        what = f"{raw.get('length', len(shown) // 2)} bytes {shown[:64]}{more}"
    else:
        what = str(entry.get("event", ""))
    return f"{float(entry.get('t', 0.0)):8.3f} {entry.get('dir', ''):>5} {what}"


def frame_entry(frame: Frame, declared_length: int | None = None, *, note: str = "",
                ) -> dict[str, object] | Callable[[], dict[str, object]]:
    """The wire log record of ``frame`` (``note`` added to its description), for
    :meth:`WireLog.frame`: for a small frame, made only if the log is read (most
    entries of a long case are only counted); a large one is made at once, so the
    log never holds its payload."""
    def entry() -> dict[str, object]:
        record = frame.to_dict()
        record["describe"] = frame.describe() + note
        if declared_length is not None:
            record["declared_length"] = declared_length
        return record

    return entry if len(frame.payload) <= _LAZY_ENTRY_PAYLOAD else entry()
