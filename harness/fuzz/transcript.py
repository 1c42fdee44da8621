"""What happened on one fuzz connection, as plain data: the transcript both judges read.

A :class:`Transcript` is written by the runner while it plays an example and
read by the independent judge (:mod:`wsspec.fuzz.judge`), which grades it
without the oracle. It holds every frame the client sent, in order (the
example's frames, and the fuzzer's own sync pings and close replies), and
every event the server caused, in the order the client read them, each with
``after``: how many client frames had been written when the event was read.
``after`` bounds what the server could have seen when it acted, so a close
read with ``after <= i`` came before frame ``i`` reached the server.

The transcript ends where the client stopped listening: after the close
exchange and the TCP close, after the last pong it waited for, at a deadline
(a :attr:`Event.kind` of ``"timeout"``), or at the first deviation the runner
saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from wsspec.protocol.deflate import DeflateParams
from wsspec.protocol.frames import Frame

__all__ = ["Event", "EventKind", "HandshakeAnswer", "Transcript"]

#: What the server did: a message (folded from its data frames), a control
#: frame, the end of the TCP stream, nothing before the client's deadline, or
#: bytes the client's parser refused (``detail`` says which).
EventKind = Literal["message", "ping", "pong", "close", "fin", "reset", "timeout", "invalid"]


@dataclass(frozen=True)
class Event:
    """One thing the server did, read after ``after`` client frames were written.

    ``opcode`` and ``data`` for a message; ``data`` is the payload of a ping or
    pong, the reason of a close; ``code`` the close code (None: no code).
    """

    kind: EventKind
    after: int
    opcode: int = 0
    data: bytes = b""
    code: int | None = None
    detail: str = ""

    def describe(self) -> str:
        shown = self.data[:16].hex(" ") + (" …" if len(self.data) > 16 else "")
        if self.kind == "message":
            return f"message opcode {self.opcode} of {len(self.data)} bytes [{shown}]"
        if self.kind in ("ping", "pong"):
            return f"{self.kind.upper()} [{shown}]"
        if self.kind == "close":
            return "close frame " + ("without a code" if self.code is None else str(self.code))
        if self.kind == "invalid":
            return f"invalid bytes from the server ({self.detail})"
        return {"fin": "TCP close", "reset": "connection reset",
                "timeout": "nothing before the deadline"}[self.kind]


@dataclass
class Transcript:
    """One connection of a fuzz example: the client frames sent, the server's events.

    ``echo``, ``max_message_size`` and ``deflate`` are what the server was
    told or agreed to: the profile's echo flag and message cap, the
    permessage-deflate parameters of the handshake (None: not agreed).
    """

    echo: bool = True
    max_message_size: int | None = None
    deflate: DeflateParams | None = None
    #: every client frame's bytes, as written
    sent: list[bytes] = field(default_factory=list)
    received: list[Event] = field(default_factory=list)

    def send(self, frame: Frame) -> None:
        self.sent.append(frame.encode())

    def receive(self, kind: EventKind, *, opcode: int = 0, data: bytes = b"",
                code: int | None = None, detail: str = "") -> None:
        self.received.append(Event(kind, len(self.sent), opcode, bytes(data), code, detail))

    def describe(self) -> list[str]:
        """One line per frame sent and event read, in the order they happened."""
        lines: list[str] = []
        events = iter(self.received)
        pending = next(events, None)
        for index, frame in enumerate([*self.sent, None]):
            while pending is not None and pending.after <= index:
                lines.append(f"  <- {pending.describe()}")
                pending = next(events, None)
            if frame is not None:
                shown = frame[:24].hex(" ") + (" …" if len(frame) > 24 else "")
                lines.append(f"  -> #{index + 1} {shown}")
        return lines


@dataclass(frozen=True)
class HandshakeAnswer:
    """What a server answered to an opening handshake request: the ``status`` and
    ``headers`` of its response, or, with ``status`` None, how it ended instead
    (``"closed"``, ``"reset"``, ``"timeout"``, or ``"invalid"`` HTTP, ``detail``
    saying what)."""

    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    ending: str = ""
    detail: str = ""

    def header(self, name: str) -> list[str]:
        """Every value of the header ``name`` (case-insensitive), in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]
