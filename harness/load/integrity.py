"""Each message's identity, and the check that its echo is its own.

Every message a load connection sends starts with an 18-byte identity,
``CCCCCCCC:SSSSSSSS:`` (connection id and sequence number, hex), followed by
filler that depends on both, so the payload can be rebuilt from the two
numbers and nothing is kept per message but its send time. An echo must be the
next message awaited on its own connection, byte for byte: anything else is a
:class:`Breach` whose kind says what went wrong (another connection's message,
out of order, modified, truncated, unsolicited).

Sans-IO: no clock is read; callers pass the time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["Breach", "EchoTracker", "identity_of", "payload"]

_FILL_TEXT = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_" * 4)[:251]
_FILL_BINARY = bytes((i * 167 + 13) & 0xFF for i in range(251))
_HEX = frozenset(b"0123456789abcdef")


def _filler(base: bytes, size: int) -> bytes:
    repeats = size // len(base) + 2
    return base * repeats


class _Fill:
    """The filler of every message of one size and kind, sliced, never recomputed."""

    def __init__(self, binary: bool, size: int) -> None:
        self.block = _filler(_FILL_BINARY if binary else _FILL_TEXT, size)

    def take(self, seq: int, size: int) -> bytes:
        start = seq % 251
        return self.block[start:start + size]


def payload(conn: int, seq: int, size: int, binary: bool, fill: _Fill | None = None) -> bytes:
    """The message ``seq`` of connection ``conn``: its identity, then filler up to ``size``."""
    head = b"%08x:%08x:" % (conn & 0xFFFFFFFF, seq & 0xFFFFFFFF)
    rest = max(0, size - len(head))
    if fill is None:
        fill = _Fill(binary, rest)
    return head + fill.take(seq, rest)


def identity_of(data: bytes) -> tuple[int, int] | None:
    """The (connection, sequence) a payload claims, or None when it carries no identity."""
    if len(data) < 18 or data[8:9] != b":" or data[17:18] != b":":
        return None
    if not _HEX.issuperset(data[:8]) or not _HEX.issuperset(data[9:17]):
        return None
    return int(data[:8], 16), int(data[9:17], 16)


@dataclass(frozen=True)
class Breach:
    """An echo that is not the message awaited: ``kind`` is one of
    ``crossed`` (another connection's message), ``reordered`` (a later or earlier
    message of this connection), ``modified``, ``truncated``, ``unsolicited``."""

    kind: str
    detail: str


class EchoTracker:
    """The messages one connection awaits the echo of, oldest first.

    :meth:`sent` builds the next message and remembers when it left;
    :meth:`echoed` judges a received message and returns its round trip (in
    seconds) or a :class:`Breach`. At most ``window`` messages are awaited.
    """

    def __init__(self, conn: int, size: int, binary: bool, window: int) -> None:
        self.conn = conn
        self.size = size
        self.binary = binary
        self.window = window
        self._fill = _Fill(binary, size)
        self._next = 0
        self._awaited: deque[tuple[int, float]] = deque()

    @property
    def awaiting(self) -> int:
        return len(self._awaited)

    def oldest(self) -> float | None:
        """When the oldest message still awaited was sent, or None."""
        return self._awaited[0][1] if self._awaited else None

    def full(self) -> bool:
        return len(self._awaited) >= self.window

    def sent(self, now: float) -> bytes:
        """The next message's payload; it is awaited from ``now``."""
        seq = self._next
        self._next += 1
        self._awaited.append((seq, now))
        return payload(self.conn, seq, self.size, self.binary, self._fill)

    def expire(self, before: float) -> int:
        """Forget messages sent before ``before`` (their echo timed out); how many."""
        count = 0
        while self._awaited and self._awaited[0][1] < before:
            self._awaited.popleft()
            count += 1
        return count

    def echoed(self, data: bytes, binary: bool, now: float) -> float | Breach:
        """The round trip of the echo ``data``, or the breach it is."""
        if not self._awaited:
            return Breach("unsolicited", f"an echo with no message awaited: {_show(data)}")
        seq, sent_at = self._awaited[0]
        expected = payload(self.conn, seq, self.size, self.binary, self._fill)
        if data == expected and binary == self.binary:
            self._awaited.popleft()
            return now - sent_at
        # The awaited message is judged lost with this breach, so the next echo is
        # judged on its own rather than every later one failing behind it.
        self._awaited.popleft()
        claimed = identity_of(data)
        want = f"message {seq} of connection {self.conn}"
        if claimed is not None and claimed[0] != self.conn:
            return Breach("crossed", f"awaited {want}, got message {claimed[1]} of "
                                     f"connection {claimed[0]}")
        if claimed is not None and claimed[1] != seq:
            return Breach("reordered", f"awaited {want}, got message {claimed[1]}")
        if binary != self.binary:
            return Breach("modified", f"{want} came back as "
                                      f"{'binary' if binary else 'text'}")
        if len(data) < len(expected) and expected.startswith(data):
            return Breach("truncated", f"{want}: {len(data)} of {len(expected)} bytes came back")
        return Breach("modified", f"{want} came back with other bytes: {_show(data)}")


def _show(data: bytes) -> str:
    head = data[:40]
    return repr(head) + (f"… ({len(data)} bytes)" if len(data) > 40 else "")
