"""One conversation with the client under test, the suite playing the server.

:class:`ClientConnection` reads the client's opening handshake, answers it (a
valid 101, or any bytes a case wants), sends frames of any shape, and reads
the client's frames through the sans-IO :class:`~wsspec.protocol.Receiver` with
``expect_masked=True``: an unmasked frame, a bad close payload or any other
rule a client's frames break fails the case at once. Its ``expect_*`` methods
state what a conforming client does next and wait for it with a deadline;
each one grades by raising :class:`~wsspec.verdicts.CaseFailed` or by
downgrading the case's record, never by sleeping a fixed time.

Control frames from the client that a case does not ask about are handled as
a server would: a ping gets its pong, a pong is ignored.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Collection, Sequence
from typing import Literal

from wsspec.driver.base import StreamEnd
from wsspec.protocol import (
    DeflateParams,
    Deflater,
    Frame,
    HandshakeRequest,
    HandshakeViolation,
    Inflater,
    Message,
    Opcode,
    ProtocolViolation,
    Receiver,
    RequestParser,
    build_accept_response,
    encode_close_payload,
    parse_close_payload,
)
from wsspec.verdicts import CaseFailed, CaseRecord, Verdict
from wsspec.wirelog import frame_entry

from .deflate import Answer, ClientOffer, answer, read_offers
from .wire import PeerStream

__all__ = ["Chop", "ClientConnection", "Event"]

#: how frames are written: in one write, one write per frame, or writes of N bytes.
Chop = Literal["one-write", "per-frame"] | int

Event = Frame | Message | StreamEnd

#: the largest message the suite takes from a client (its echo of the largest case).
MAX_MESSAGE = 32 * 2**20

#: the slowest transfer rate (bytes a second) a client is allowed on top of the timeout:
#: a 16 MiB echo gets the timeout plus 8 s each way.
MIN_RATE = 2 * 2**20

#: codes a client failing the connection on a protocol error may send (RFC 6455 §7.4.1).
PROTOCOL_ERROR = frozenset({1002})
INVALID_DATA = frozenset({1007})


class ClientConnection:
    """The suite's side of one connection from the client (see the module docstring).

    ``timeout`` bounds each wait for the client; ``record`` is the case's record,
    whose wire log gets every byte and frame and whose verdict the
    expectations may downgrade.
    """

    def __init__(self, stream: PeerStream, record: CaseRecord, timeout: float) -> None:
        self.stream = stream
        self.record = record
        self.timeout = timeout
        self.request: HandshakeRequest | None = None
        #: the mask key of every frame the client sent, in order
        self.mask_keys: list[bytes] = []
        self._receiver = Receiver(expect_masked=True, max_frame_size=MAX_MESSAGE,
                                  max_message_size=MAX_MESSAGE)
        self._events: deque[Event] = deque()
        self._deflater: Deflater | None = None
        #: the permessage-deflate parameters in use, once agreed
        self.deflate: DeflateParams | None = None
        #: the compressed messages the client sent, as sent (each its frames' payloads
        #: joined), in order, as long as they total at most MAX_MESSAGE bytes
        self.compressed: list[bytes] = []
        self._compressed_bytes = 0
        self._compressing: list[bytes] | None = None
        self._early = b""
        self._close_sent = False

    # -- failing --------------------------------------------------------------------

    def fail(self, expected: str, observed: str) -> CaseFailed:
        """The :class:`CaseFailed` to raise, with the wire log's tail."""
        return CaseFailed(expected, observed, self.stream.wirelog.tail())

    # -- the opening handshake ------------------------------------------------------

    def read_request(self) -> HandshakeRequest:
        """The client's opening handshake request, once complete (within the timeout)."""
        parser = RequestParser()
        deadline = time.monotonic() + self.timeout
        while True:
            data = self.stream.receive(deadline - time.monotonic())
            if data is None:
                raise self.fail("an opening handshake request (RFC 6455 §4.1)",
                                f"no complete request within {self.timeout:g} s")
            if isinstance(data, StreamEnd):
                raise self.fail("an opening handshake request (RFC 6455 §4.1)",
                                f"the client ended the connection ({data.value}) before "
                                f"completing its request")
            try:
                request = parser.feed(data)
            except HandshakeViolation as exc:
                raise self.fail("an HTTP/1.1 request (RFC 6455 §4.1)",
                                "; ".join(exc.problems)) from None
            if request is not None:
                self.request = request
                self._early = parser.trailing
                self.stream.wirelog.event(f"request {request.method} {request.target} "
                                          f"HTTP/{request.http_version}")
                return request

    @property
    def key(self) -> str:
        """The request's Sec-WebSocket-Key (empty when it has none)."""
        assert self.request is not None, "read_request() first"
        keys = self.request.get("Sec-WebSocket-Key")
        return keys[0] if keys else ""

    def accept(self, *, subprotocol: str | None = None, extensions: str | None = None,
               extra_headers: Sequence[tuple[str, str]] = ()) -> None:
        """Answer with the 101 that accepts the request (RFC 6455 §4.2.2)."""
        self.answer(build_accept_response(self.key, subprotocol=subprotocol,
                                          extensions=extensions, extra_headers=extra_headers))

    def accept_deflate(self, *, client_no_context_takeover: bool = False,
                       client_max_window_bits: int | None = None,
                       server_no_context_takeover: bool = False,
                       server_max_window_bits: int | None = None) -> Answer:
        """Accept the request with permessage-deflate (RFC 7692): the client's first valid
        offer, answered as :func:`~wsspec.clientside.deflate.answer` says with what the
        case asks, then :meth:`accept_answer`."""
        return self.accept_answer(answer(
            self.deflate_offer(), client_no_context_takeover=client_no_context_takeover,
            client_max_window_bits=client_max_window_bits,
            server_no_context_takeover=server_no_context_takeover,
            server_max_window_bits=server_max_window_bits))

    def deflate_offers(self) -> list[ClientOffer]:
        """Every permessage-deflate element the client offered, in its order; a header
        that breaks the RFC 6455 §9.1 grammar fails the case."""
        try:
            return read_offers(self.request_header("Sec-WebSocket-Extensions"))
        except HandshakeViolation as exc:
            raise self.fail("a Sec-WebSocket-Extensions header that follows RFC 6455 §9.1",
                            "; ".join(exc.problems)) from None

    def deflate_offer(self) -> ClientOffer:
        """The client's first valid permessage-deflate offer; none fails the case."""
        offer = next((offer for offer in self.deflate_offers() if not offer.problems), None)
        if offer is None:
            offered = self.request_header("Sec-WebSocket-Extensions")
            raise self.fail("a valid permessage-deflate offer (RFC 7692 §7.1)",
                            f"Sec-WebSocket-Extensions {offered!r}")
        return offer

    def accept_answer(self, agreed: Answer) -> Answer:
        """Accept the request with ``agreed``'s element. From then on the suite inflates
        what the client compresses (keeping each compressed message as sent in
        :attr:`compressed`), and :meth:`send_compressed` compresses."""
        self.accept(extensions=agreed.element)
        self.use_deflate(agreed.params)
        return agreed

    def request_header(self, name: str) -> list[str]:
        """The values of one header of the client's request."""
        assert self.request is not None, "read_request() first"
        return self.request.get(name)

    def use_deflate(self, params: DeflateParams) -> None:
        """Speak permessage-deflate with ``params`` from now on (the handshake answered)."""
        self.deflate = params
        self._receiver = Receiver(
            expect_masked=True, max_frame_size=MAX_MESSAGE, max_message_size=MAX_MESSAGE,
            decompressor=Inflater(window_bits=params.client_max_window_bits,
                                  no_context_takeover=params.client_no_context_takeover))
        self._deflater = Deflater(window_bits=params.server_max_window_bits,
                                  no_context_takeover=params.server_no_context_takeover)

    def send_compressed(self, opcode: int, data: bytes, *, fragment: int | None = None,
                        ) -> StreamEnd | None:
        """One message compressed with the agreed parameters (RSV1 set on its first frame,
        RFC 7692 §6), in frames of ``fragment`` compressed bytes if given."""
        assert self._deflater is not None, "accept_deflate() first"
        payload = self._deflater.compress(data)
        size = fragment or max(len(payload), 1)
        pieces = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
        return self.send([Frame(opcode if i == 0 else Opcode.CONTINUATION, piece,
                                fin=i == len(pieces) - 1, rsv1=i == 0)
                          for i, piece in enumerate(pieces)])

    def answer(self, response: bytes) -> None:
        """Send ``response`` as the answer to the handshake, whatever it says; frames the
        client sent before it are read as any other."""
        self.stream.send(response, timeout=self.timeout)
        if self._early:
            self._feed(self._early)
            self._early = b""

    # -- frames ---------------------------------------------------------------------

    def send_frame(self, opcode: int, payload: bytes = b"", *, fin: bool = True,
                   rsv1: bool = False, rsv2: bool = False, rsv3: bool = False,
                   mask_key: bytes | None = None) -> StreamEnd | None:
        """Send one frame, valid or not (see :func:`~wsspec.protocol.encode_frame`)."""
        return self.send([Frame(opcode, payload, fin, rsv1, rsv2, rsv3, mask_key=mask_key)])

    def send(self, items: Sequence[Frame | bytes], chop: Chop = "one-write",
             ) -> StreamEnd | None:
        """Send frames, or raw bytes (a frame cut short): in one write, one write per
        item (``"per-frame"``), or writes of ``chop`` bytes. A close frame among them
        starts the close handshake. Returns how the client ended the stream, if it did."""
        for item in items:
            if isinstance(item, Frame):
                self.stream.wirelog.frame("out", frame_entry(item))
                if item.opcode == Opcode.CLOSE:
                    self._close_sent = True
        pieces = [item if isinstance(item, bytes) else item.encode() for item in items]
        if chop == "per-frame":
            for piece in pieces:
                end = self.stream.send(piece, timeout=self._allowing(len(piece)))
                if end is not None:
                    return end
            return None
        data = b"".join(pieces)
        return self.stream.send(data, timeout=self._allowing(len(data)),
                                chunks=[chop] if isinstance(chop, int) else None)

    def _allowing(self, size: int) -> float:
        """The deadline for moving ``size`` bytes: the timeout, and time at MIN_RATE."""
        return self.timeout + size / MIN_RATE

    def push_back(self, event: Event) -> None:
        """Put an event read ahead back, to be the next one read."""
        if not isinstance(event, StreamEnd):
            self._events.appendleft(event)

    def _feed(self, data: bytes) -> None:
        try:
            events = self._receiver.feed(data)
        except ProtocolViolation as exc:
            self._log(self._receiver.events_before_failure)
            raise self.fail("frames that follow RFC 6455 from the client",
                            f"{exc.detail} ({exc.violation.section})") from None
        self._log(events)
        self._events.extend(events)

    def _log(self, events: Sequence[Frame | Message]) -> None:
        for event in events:
            if isinstance(event, Frame):
                self.stream.wirelog.frame("in", frame_entry(event))
                if event.mask_key is not None:
                    self.mask_keys.append(event.mask_key)
                if self.deflate is not None:
                    self._keep_compressed(event)

    def _keep_compressed(self, frame: Frame) -> None:
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._compressing = [] if frame.rsv1 else None
        elif frame.opcode != Opcode.CONTINUATION:
            return
        if self._compressing is not None:
            self._compressing.append(frame.payload)
            if frame.fin:
                message = b"".join(self._compressing)
                self._compressing = None
                self._compressed_bytes += len(message)
                if self._compressed_bytes <= MAX_MESSAGE:
                    self.compressed.append(message)

    def next_event(self, deadline: float, keep: Collection[int] = ()) -> Event | None:
        """The next message or close frame from the client (or a frame whose opcode is in
        ``keep``), how it ended the stream, or ``None`` at ``deadline`` (a
        :func:`time.monotonic` time). Other pings are answered and pongs skipped."""
        while True:
            while self._events:
                event = self._events.popleft()
                if not isinstance(event, Frame):
                    return event
                if event.opcode in keep:
                    return event
                if event.opcode == Opcode.CLOSE:
                    return event
                if event.opcode == Opcode.PING and not self._close_sent:
                    self.send_frame(Opcode.PONG, event.payload)
                # data frames come back as their message; other pongs are ignored
            if self.stream.ended is not None:
                return self.stream.ended
            data = self.stream.receive(deadline - time.monotonic())
            if data is None:
                return None
            if isinstance(data, StreamEnd):
                if self._receiver.in_message or self._receiver.buffered:
                    self.stream.wirelog.event("the stream ended inside a frame or message")
                return data
            self._feed(data)

    # -- expectations ---------------------------------------------------------------

    def expect_echo(self, opcode: int, payload: bytes) -> None:
        """The client sends back one message: ``opcode`` and ``payload`` exactly."""
        what = f"the client echoes the {Opcode(opcode).name} message of {len(payload)} bytes"
        event = self.next_event(time.monotonic() + self._allowing(len(payload)))
        if isinstance(event, Message):
            if event.opcode != opcode or event.data != payload:
                raise self.fail(what, f"it sent a {Opcode(event.opcode).name} message of "
                                      f"{len(event.data)} bytes that differs "
                                      f"({_first_difference(payload, event.data)})")
            return
        raise self.fail(what, self.describe(event))

    def expect_pong(self, payload: bytes) -> None:
        """The client answers a ping with a pong carrying the same ``payload`` (RFC 6455 §5.5.2)."""
        what = f"a pong with the ping's {len(payload)}-byte payload (RFC 6455 §5.5.2)"
        event = self.next_event(time.monotonic() + self.timeout, keep=(Opcode.PONG,))
        if isinstance(event, Frame) and event.opcode == Opcode.PONG:
            if event.payload != payload:
                raise self.fail(what, f"a pong with payload {event.payload.hex() or 'empty'}, "
                                      f"not {payload.hex() or 'empty'}")
            return
        raise self.fail(what, self.describe(event))

    def expect_failure(self, codes: Collection[int] = PROTOCOL_ERROR, *, why: str) -> None:
        """The client fails the connection (RFC 6455 §7.1.7): no data after the offence, a
        close frame (with one of ``codes``; another valid code is ``non-strict``) or at
        least the TCP close (``non-strict``: the close frame is a SHOULD)."""
        what = f"the client fails the connection ({why})"
        event = self.next_event(time.monotonic() + self.timeout)
        if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
            info = parse_close_payload(event.payload)
            if info.code not in codes:
                self.record.downgrade(
                    Verdict.NON_STRICT,
                    f"the client closed with {info.code or 'no code'} where "
                    f"{' or '.join(map(str, sorted(codes)))} says why (RFC 6455 §7.4.1)")
            self.record.observe(what, f"close frame {info.code or 'without code'}")
            self.reply_close(event.payload)
            return
        if isinstance(event, StreamEnd):
            self.record.observe(what, f"TCP {event.value} without a close frame")
            self.record.downgrade(Verdict.NON_STRICT,
                                  "the client dropped the TCP connection without a close frame "
                                  "(RFC 6455 §7.1.7: it SHOULD send one first)")
            return
        raise self.fail(what, self.describe(event))

    def expect_no_data_then_close(self, why: str) -> None:
        """After a handshake answer it must refuse, the client sends no data frame and
        closes the connection (RFC 6455 §4.1: it MUST _Fail the WebSocket Connection_)."""
        what = f"the client closes the connection without sending data ({why})"
        event = self.next_event(time.monotonic() + self.timeout)
        if isinstance(event, StreamEnd):
            self.record.observe(what, f"TCP {event.value}")
            return
        if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
            # Not required (the connection never opened), and not wrong either.
            self.record.observe(what, "a close frame")
            self.stream.shutdown_write()
            self._wait_end()
            return
        raise self.fail(what, self.describe(event))

    def expect_close_reply(self, code: int | None) -> Frame:
        """After the suite's close frame, the client's close frame (RFC 6455 §5.5.1); data
        frames still in flight before it are allowed. Returns it."""
        what = "the client's close frame in reply (RFC 6455 §5.5.1)"
        deadline = time.monotonic() + self.timeout
        while True:
            event = self.next_event(deadline)
            if isinstance(event, Message):
                continue
            if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
                info = parse_close_payload(event.payload)
                self.record.observe(what, f"close frame {info.code or 'without code'}")
                if code is not None and info.code not in (code, None):
                    self.record.downgrade(Verdict.NON_STRICT, f"the client answered close {code} "
                                          f"with {info.code} (RFC 6455 §5.5.1: it typically "
                                          f"echoes the code)")
                return event
            raise self.fail(what, self.describe(event))

    def close(self, code: int | None = 1000, reason: str = "") -> None:
        """The close handshake started by the suite: its close frame, the client's reply,
        then the suite's TCP close first (RFC 6455 §7.1.1)."""
        if not self._close_sent:
            self.send_frame(Opcode.CLOSE, encode_close_payload(code, reason))
        self.expect_close_reply(code)
        self.stream.shutdown_write()
        self._wait_end()

    def expect_waits_for_server_tcp_close(self, grace: float) -> None:
        """After the close frames crossed, the client leaves the TCP close to the server for
        ``grace`` seconds (RFC 6455 §7.1.1: it SHOULD wait); else ``non-strict``."""
        event = self.next_event(time.monotonic() + grace)
        if isinstance(event, StreamEnd):
            self.record.downgrade(Verdict.NON_STRICT,
                                  "the client closed the TCP connection before the server did "
                                  "(RFC 6455 §7.1.1: it SHOULD wait for the server)")
        elif event is not None:
            raise self.fail("nothing after the close frames", self.describe(event))

    def reply_close(self, payload: bytes) -> None:
        """Answer the client's close frame (``payload``) with the same code, unless the
        suite closed first, then close the TCP connection first (RFC 6455 §7.1.1)."""
        if not self._close_sent:
            code = parse_close_payload(payload).code
            self.send_frame(Opcode.CLOSE, encode_close_payload(code) if code else b"")
        self.stream.shutdown_write()
        self._wait_end()

    def _wait_end(self) -> None:
        """Give the client the timeout to close its side; a client that does not is killed
        with its process after the case."""
        deadline = time.monotonic() + self.timeout
        while self.stream.ended is None and time.monotonic() < deadline:
            try:
                event = self.next_event(deadline)
            except CaseFailed:
                return  # whatever follows the close is past the case's question
            if event is None:
                self.stream.wirelog.event(f"the client did not close its side within "
                                          f"{self.timeout:g} s")
                return

    def describe(self, event: Event | None) -> str:
        """What the client did instead, in words (for the observed text of a failure)."""
        if event is None:
            return f"nothing within {self.timeout:g} s"
        if isinstance(event, StreamEnd):
            return f"the client ended the TCP connection ({event.value})"
        if isinstance(event, Message):
            return (f"a {Opcode(event.opcode).name} message of {len(event.data)} bytes")
        if event.opcode == Opcode.CLOSE:
            info = parse_close_payload(event.payload)
            reason = f" {info.reason!r}" if info.reason else ""
            return f"a close frame ({info.code or 'no code'}{reason})"
        return event.describe()


def _first_difference(expected: bytes, seen: bytes) -> str:
    for index, (a, b) in enumerate(zip(expected, seen, strict=False)):
        if a != b:
            return f"byte {index}: {b:02x} instead of {a:02x}"
    return f"length {len(seen)} instead of {len(expected)}"

