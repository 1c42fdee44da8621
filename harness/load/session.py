"""One load connection, sans-IO: handshake, echoed messages, pings and the close.

A :class:`LoadSession` turns the bytes a server sends into verdicts and the
bytes to answer with; it opens no socket and reads no clock (callers pass
``now``), so the asyncio engine and the Locust user drive the same code. Every
frame goes through the strict parser (:class:`wsspec.protocol.Receiver`);
each echo is judged by :class:`~wsspec.load.integrity.EchoTracker`; each ping
is timed against the profile's heartbeat; a close must be answered within the
pattern's ``close_timeout``. What it finds goes to a
:class:`~wsspec.load.stats.Recorder`. A short ring of the connection's last
frames is kept so a violation can show its wire log.
"""

from __future__ import annotations

import enum
import random
from collections import deque
from dataclasses import dataclass

from wsspec.profile import HeartbeatPolicy
from wsspec.protocol import (
    DeflateOffer,
    Deflater,
    Frame,
    HandshakeViolation,
    Inflater,
    Message,
    Opcode,
    ProtocolViolation,
    Receiver,
    ResponseParser,
    build_offer_header,
    build_request,
    check_deflate_response,
    check_response,
    encode_close_payload,
    encode_frame,
    parse_close_payload,
)

from .integrity import Breach, EchoTracker
from .scenario import Pattern
from .stats import Recorder

__all__ = ["Endpoint", "LoadSession", "State"]

#: frames kept for the wire log of a violation
WIRE_RING = 12
_NORMAL = 1000


class State(enum.Enum):
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


@dataclass(frozen=True)
class Endpoint:
    """Where the sessions go: the Host header and the request target."""

    host: str
    resource: str


class LoadSession:
    """One connection's protocol state; see the module docstring.

    ``connected`` is when TCP connected and ``started`` when the connect began
    (both on the caller's clock); the 101 must arrive within ``connect_timeout``
    of ``started``. Methods return the bytes to write (possibly
    empty); :attr:`done` tells the caller to close the socket.
    """

    def __init__(self, conn: int, endpoint: Endpoint, pattern: Pattern, recorder: Recorder,
                 *, heartbeat: HeartbeatPolicy | None, deflate: bool, started: float,
                 connected: float, connect_timeout: float = 10.0) -> None:
        self.conn = conn
        self.pattern = pattern
        self.recorder = recorder
        self.heartbeat = heartbeat
        self.state = State.CONNECTING
        self.done = False
        self.started = started
        self.connected = connected
        self.connect_timeout = connect_timeout
        self.tracker = EchoTracker(conn, pattern.size, pattern.binary, pattern.window)
        self._offers = (DeflateOffer(client_max_window_bits=True),) if deflate else ()
        extensions = [build_offer_header(self._offers)] if deflate else []
        self.request = build_request(endpoint.host, endpoint.resource, extensions=extensions)
        self._key = self.request.get("Sec-WebSocket-Key")[0]
        self._parser: ResponseParser | None = ResponseParser()
        self._receiver: Receiver | None = None
        self._deflater: Deflater | None = None
        # (time, direction, opcode or text, length, first bytes): formatted only when shown
        self._wire: deque[tuple[float, str, int | str, int, bytes]] = deque(maxlen=WIRE_RING)
        self.opened_at = 0.0
        self.last_ping = 0.0
        self.close_sent_at: float | None = None
        self._starved = False
        self._violated = False

    # -- output ---------------------------------------------------------------

    def handshake(self) -> bytes:
        """The opening handshake request."""
        data = self.request.encode()
        self._log(self.connected, ">", f"GET {self.request.target} (handshake)")
        return data

    def _frame(self, opcode: int, payload: bytes, now: float, *, rsv1: bool = False) -> bytes:
        self._wire.append((now, ">", opcode, len(payload), payload[:24]))
        return encode_frame(opcode, payload, rsv1=rsv1, mask_key=random.randbytes(4))

    def next_message(self, now: float) -> bytes:
        """The next message to send, or ``b""`` when closed or too many echoes are awaited."""
        if self.state is not State.OPEN or self.tracker.full():
            return b""
        data = self.tracker.sent(now)
        self.recorder.sent(len(data))
        opcode = Opcode.BINARY if self.pattern.binary else Opcode.TEXT
        if self._deflater is not None:
            return self._frame(opcode, self._deflater.compress(data), now, rsv1=True)
        return self._frame(opcode, data, now)

    def fill(self, now: float) -> bytes:
        """As many messages as the window has room for, in one piece of bytes."""
        pieces: list[bytes] = []
        while True:
            piece = self.next_message(now)
            if not piece:
                return b"".join(pieces)
            pieces.append(piece)

    def close(self, now: float, code: int = _NORMAL) -> bytes:
        """Start the close handshake (``b""`` unless open)."""
        if self.state is not State.OPEN:
            if self.state is State.CONNECTING:
                self._finish()
            return b""
        self.state = State.CLOSING
        self.close_sent_at = now
        return self._frame(Opcode.CLOSE, encode_close_payload(code), now)

    # -- input ----------------------------------------------------------------

    def feed(self, data: bytes, now: float) -> bytes:
        """Bytes from the server; the bytes to answer with."""
        if self.done:
            return b""
        if self._parser is not None:
            return self._feed_handshake(data, now)
        assert self._receiver is not None
        try:
            events = self._receiver.feed(data)
        except ProtocolViolation as exc:
            self._record_events(self._receiver.events_before_failure, now)
            self._violate("protocol", str(exc), now)
            self.recorder.error("protocol")
            self._finish()
            return b""
        return self._record_events(events, now)

    def _feed_handshake(self, data: bytes, now: float) -> bytes:
        assert self._parser is not None
        try:
            response = self._parser.feed(data)
        except HandshakeViolation as exc:
            self._log(now, "<", f"handshake answer: {data[:60]!r}")
            self._violate("handshake", " ".join(exc.problems), now)
            self.recorder.error("handshake-invalid")
            self._finish()
            return b""
        if response is None:
            return b""
        self._log(now, "<", f"HTTP {response.status} {response.reason}")
        if response.status != 101:
            self.recorder.error(f"handshake-{response.status}")
            self._finish()
            return b""
        problems = check_response(response, key=self._key,
                                  extensions_offered=[o.encode() for o in self._offers])
        params = None
        if self._offers:
            params, deflate_problems = check_deflate_response(
                response.get("Sec-WebSocket-Extensions"), self._offers)
            problems += deflate_problems
        if problems:
            self._violate("handshake", " ".join(problems), now)
            self.recorder.error("handshake-invalid")
            self._finish()
            return b""
        trailing = self._parser.trailing
        self._parser = None
        inflater = None
        if params is not None:
            self._deflater = Deflater(window_bits=params.client_max_window_bits,
                                      no_context_takeover=params.client_no_context_takeover)
            inflater = Inflater(window_bits=params.server_max_window_bits,
                                no_context_takeover=params.server_no_context_takeover)
        self._receiver = Receiver(max_frame_size=self.pattern.size * 2 + 1024,
                                  max_message_size=self.pattern.size * 2 + 1024,
                                  decompressor=inflater)
        self.state = State.OPEN
        self.opened_at = self.last_ping = now
        self.recorder.opened(self.connected - self.started, now - self.connected)
        return self.feed(trailing, now) if trailing else b""

    def _record_events(self, events: list[Frame | Message], now: float) -> bytes:
        out = b""
        for event in events:
            if isinstance(event, Message):
                self._on_message(event, now)
                continue
            if event.opcode < 0x8:
                self._wire.append((now, "<", event.opcode, len(event.payload),
                                   event.payload[:24]))
                continue
            self._wire.append((now, "<", event.opcode, len(event.payload), event.payload[:24]))
            if event.opcode == Opcode.PING:
                out += self._on_ping(event.payload, now)
            elif event.opcode == Opcode.CLOSE:
                out += self._on_close(event.payload, now)
        return out

    def _on_message(self, message: Message, now: float) -> None:
        if self.state is State.CLOSED:
            return
        judged = self.tracker.echoed(message.data, message.opcode == Opcode.BINARY, now)
        if isinstance(judged, Breach):
            self._violate(judged.kind, judged.detail, now)
            return
        self.recorder.echoed(judged, len(message.data))

    def _on_ping(self, payload: bytes, now: float) -> bytes:
        if self.heartbeat is not None and self.state is State.OPEN:
            self.recorder.ping(now - self.last_ping - self.heartbeat.ping_interval)
        self.last_ping = now
        if self.state is not State.OPEN:
            return b""
        return self._frame(Opcode.PONG, payload, now)

    def _on_close(self, payload: bytes, now: float) -> bytes:
        if self.state is State.CLOSING:
            self._finish()  # the answer to our close: the handshake is complete
            return b""
        code = parse_close_payload(payload).code
        self.recorder.error(f"server-close-{code or 'empty'}")
        reply = self._frame(Opcode.CLOSE, b"" if code is None else encode_close_payload(code),
                            now)
        self._finish()
        return reply

    def eof(self, now: float, reset: bool = False) -> None:
        """The server closed TCP (``reset``: with a RST)."""
        if self.done:
            return
        if self.state is State.CLOSING:
            self._violate("close-abandoned", "the server closed TCP without answering our close "
                                             "frame", now)
        else:
            self.recorder.error("reset" if reset else "dropped")
        self._finish()

    # -- timers -----------------------------------------------------------------

    def check(self, now: float) -> None:
        """Judge the deadlines at ``now``: echoes, pings, the close. Sets :attr:`done`
        when the connection must be given up."""
        if self.done:
            return
        if self.state is State.CONNECTING:
            if now - self.started > self.connect_timeout:
                self.recorder.error("timeout")
                self._finish()
            return
        if self.state is State.CLOSING:
            assert self.close_sent_at is not None
            if now - self.close_sent_at > self.pattern.close_timeout:
                self._violate("close-abandoned", f"no close frame answered ours within "
                                                 f"{self.pattern.close_timeout:g} s", now)
                self._finish()
            return
        expired = self.tracker.expire(now - self.pattern.echo_timeout)
        for _ in range(expired):
            self.recorder.error("timeout")
        hb = self.heartbeat
        late = hb is not None and now - self.last_ping > hb.ping_interval + hb.timeout
        if hb is not None and late and not self._starved:
            self._starved = True
            self._violate("ping-starved", f"no ping for {now - self.last_ping:.2f} s "
                                          f"(ping_interval {hb.ping_interval:g} s, timeout "
                                          f"{hb.timeout:g} s)", now)

    # -- bookkeeping ---------------------------------------------------------------

    def _finish(self) -> None:
        if self.done:
            return
        if self.state in (State.OPEN, State.CLOSING):
            self.recorder.closed()
        self.state = State.CLOSED
        self.done = True

    def _violate(self, kind: str, detail: str, now: float) -> None:
        self.recorder.violation(kind, detail, now, self.conn, self.wirelog())

    def _log(self, now: float, direction: str, text: str) -> None:
        self._wire.append((now, direction, text, 0, b""))

    def wirelog(self) -> list[str]:
        """The connection's last frames, one line each (time from its connect)."""
        lines = []
        for t, direction, what, length, head in self._wire:
            text = what if isinstance(what, str) else (
                f"{Opcode(what).name} {length} B {head!r}{'…' if length > len(head) else ''}")
            lines.append(f"{(t - self.started) * 1000:9.2f} ms {direction} {text}")
        return lines
