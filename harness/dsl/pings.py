"""Which pings a connection has sent, read from the bytes it writes.

RFC 6455 5.5.3 lets a server send pongs unsolicited, as a one-way heartbeat;
a case must ignore those and still see the pong that answers its own ping. So
a pong counts as an answer only when its payload is that of a ping the client
sent and the server has not answered yet. The client writes pings many ways
(one frame, frames in one write, raw bytes cut anywhere, the fuzzer's own
frames), so the tracker reads the outgoing byte stream itself: it follows the
frame headers, skips payloads by their declared length and keeps the
(unmasked) payloads of ping frames. Memory is bounded: a header is at most 14
bytes, a kept payload at most :data:`MAX_PING_PAYLOAD`, and at most
:data:`MAX_OUTSTANDING` pings are remembered.
"""

from __future__ import annotations

from wsspec.protocol.frames import Opcode
from wsspec.protocol.mask import apply_mask

__all__ = ["MAX_OUTSTANDING", "MAX_PING_PAYLOAD", "PingTracker"]

#: the most of a ping's payload kept: a control frame carries at most 125 bytes.
MAX_PING_PAYLOAD = 125
#: the most pings remembered as waiting for their pong (the oldest go first).
MAX_OUTSTANDING = 256


class PingTracker:
    """The pings sent on one connection that still wait for their pong."""

    def __init__(self) -> None:
        self.outstanding: list[bytes] = []
        self._header = bytearray()
        self._remaining = 0          # payload bytes of the current frame not yet seen
        self._ping: bytearray | None = None  # the current frame's payload, if a ping
        self._mask = b""

    def feed(self, data: bytes) -> None:
        """Account for bytes written to the server, cut anywhere."""
        view = memoryview(data)
        while view:
            if self._remaining:
                take = min(self._remaining, len(view))
                if self._ping is not None and len(self._ping) < MAX_PING_PAYLOAD:
                    self._ping += view[:min(take, MAX_PING_PAYLOAD - len(self._ping))]
                self._remaining -= take
                view = view[take:]
                if not self._remaining:
                    self._end_frame()
                continue
            self._header.append(view[0])
            view = view[1:]
            self._parse_header()

    def _parse_header(self) -> None:
        header = self._header
        if len(header) < 2:
            return
        short = header[1] & 0x7F
        size = 2 + {126: 2, 127: 8}.get(short, 0) + (4 if header[1] & 0x80 else 0)
        if len(header) < size:
            return
        if short == 126:
            length = int.from_bytes(header[2:4], "big")
        elif short == 127:
            length = int.from_bytes(header[2:10], "big")
        else:
            length = short
        self._mask = bytes(header[size - 4:size]) if header[1] & 0x80 else b""
        self._ping = bytearray() if header[0] & 0x0F == Opcode.PING else None
        self._remaining = length
        self._header = bytearray()
        if not length:
            self._end_frame()

    def _end_frame(self) -> None:
        if self._ping is not None:
            payload = bytes(self._ping)
            if self._mask:
                payload = apply_mask(payload, self._mask)
            self.outstanding.append(payload)
            del self.outstanding[:-MAX_OUTSTANDING]
        self._ping = None

    def answer(self, payload: bytes) -> bool:
        """Whether a pong carrying ``payload`` answers an outstanding ping; if so,
        that ping and every earlier one are answered (RFC 6455 5.5.3 lets a
        server answer only the most recent of several)."""
        if payload not in self.outstanding:
            return False
        del self.outstanding[:self.outstanding.index(payload) + 1]
        return True
