"""One open WebSocket connection, seen from the client side of a case.

Every byte the server sends goes through the strict sans-IO
:class:`~wsspec.protocol.messages.Receiver`, so a server that masks its
frames, sets RSV bits, writes non-minimal lengths, sends invalid UTF-8 or a
1005/1006/1015 close code fails whichever case it happens in. Pings the
server sends on its own (a heartbeat) are answered and never seen by the
case, unless the case turns ``auto_pong`` off; of pings back to back only the
last is answered (RFC 6455 5.5.3), and a flood of them fails the case. Pongs
that answer no ping the client sent are unsolicited (RFC 6455 5.5.3 allows
them) and skipped too.

Before a case's first write on a connection, the connection proves that the
server is processing it: a ping that the server must answer (RFC 6455 5.5.2).
A server that drops every connection after its 101 thus fails the case there,
instead of passing every case that expects the connection to be failed.

When a case expects the server to end the connection, the way it ends is
graded by :mod:`wsspec.failure_shapes`, at the level the case's rule asks for
the end.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

from wsspec.driver.base import Driver, DriverError, StreamEnd
from wsspec.dsl.pings import PingTracker
from wsspec.dsl.render import (
    describe_close,
    describe_codes,
    describe_difference,
    describe_event,
    describe_message,
)
from wsspec.failure_shapes import Level, Shape, reason_for, verdict_for
from wsspec.profile import TargetProfile
from wsspec.protocol.close import CloseInfo, encode_close_payload, parse_close_payload
from wsspec.protocol.deflate import DeflateParams, Deflater, Inflater
from wsspec.protocol.errors import ProtocolViolation
from wsspec.protocol.frames import Frame, LengthForm, Opcode, encode_frame
from wsspec.protocol.handshake import HandshakeResponse
from wsspec.protocol.messages import Message, Receiver
from wsspec.verdicts import CaseFailed, CaseRecord, CaseSettled, HarnessError, Verdict
from wsspec.wirelog import WireLog, frame_entry

__all__ = ["FLOOD_PINGS", "LIMIT_CODES", "LIVENESS_PING", "MAX_FRAME", "MAX_MESSAGE", "CaseSide",
           "Connection"]

#: caps on what the suite buffers from a target, whatever it sends.
MAX_FRAME = 64 * 2**20
MAX_MESSAGE = 64 * 2**20
#: the payload of the ping that shows the server processes a connection.
LIVENESS_PING = b"wsspec: processing?"
LIVENESS_MASK = b"live"
#: close codes a server may refuse a message with under a limit of its own:
#: message too big, or a policy such as a cap on fragments (RFC 6455 7.4.1, 10.4).
LIMIT_CODES = (1009, 1008)
#: unsolicited pongs remembered per connection, for failure messages.
_KEPT_PONGS = 8
#: the levels at which the server must end the connection, not go on processing.
_ENDING_REQUIRED = (Level.MUST, Level.MUST_CLOSE, Level.POLICY)
#: targets (by URL) seen not answering the liveness ping: not waited for again.
_UNANSWERED: set[str] = set()
#: server pings in a row (nothing else between them, pings being answered), coming
#: faster than FLOOD_RATE a second, that make a ping flood: no heartbeat comes near.
FLOOD_PINGS = 256
FLOOD_RATE = 100.0
#: server pings in a row logged one by one; the rest of the run is counted in the log.
LOGGED_PINGS = 64
#: the most received bytes parsed at once, between two checks for a ping flood.
FEED_SLICE = 4 * 1024


def _is_ping(event: Frame | Message) -> bool:
    return isinstance(event, Frame) and event.opcode == Opcode.PING


class CaseSide(Protocol):
    """What a connection needs of the case that opened it (a :class:`~wsspec.dsl.Client`):
    the record its wire log and verdict go to, and the deadline of each wait."""

    @property
    def record(self) -> CaseRecord: ...

    @property
    def timeout(self) -> float: ...

    @property
    def profile(self) -> TargetProfile: ...

    @property
    def url(self) -> str: ...


class Connection:
    """One open WebSocket connection, seen from the client side of a case."""

    def __init__(self, client: CaseSide, driver: Driver, response: HandshakeResponse,
                 deflate: DeflateParams | None = None) -> None:
        self.client = client
        self.driver = driver
        self.response = response
        self.deflate = deflate
        self.auto_pong = True
        #: prove the server processes the connection before the case's first write
        self.check_liveness = True
        self.close_sent = False
        self.close_received: CloseInfo | None = None
        self.end: StreamEnd | None = None
        # whether the driver's read side has reported the end (self.end may come
        # from a write first, see next_event)
        self._read_ended = False
        decompressor = None
        self._deflater: Deflater | None = None
        if deflate is not None:
            decompressor = Inflater(window_bits=deflate.server_max_window_bits,
                                    no_context_takeover=deflate.server_no_context_takeover)
            self._deflater = Deflater(window_bits=deflate.client_max_window_bits,
                                      no_context_takeover=deflate.client_no_context_takeover)
        self._receiver = Receiver(expect_masked=False, max_frame_size=MAX_FRAME,
                                  max_message_size=MAX_MESSAGE, decompressor=decompressor)
        self._pending: list[Frame | Message] = []
        # Bytes of frames from encode_frames not yet written: while a case writes
        # a frame in pieces, the answer to a server ping waits for the frame's end,
        # or it would land inside it. Only the latest such ping is answered (RFC
        # 6455 5.5.3 MAY).
        self._unsent = 0
        self._held_pong: bytes | None = None
        # server pings received in a row, and when the first of them came (feed's flood check)
        self._ping_run = 0
        self._ping_run_began = 0.0
        self._pings = PingTracker()
        self._alive = False
        self._probing = False
        #: the server has answered on this connection (a pong, a message)
        self.processing_shown = False
        self.unsolicited_pongs: list[bytes] = []

    @property
    def record(self) -> CaseRecord:
        return self.client.record

    @property
    def wirelog(self) -> WireLog:
        return self.client.record.wirelog

    @property
    def subprotocol(self) -> str | None:
        return self.response.subprotocol

    def _fail(self, expected: str, observed: str) -> CaseFailed:
        return CaseFailed(expected, observed, self.wirelog.tail())

    # -- sending -------------------------------------------------------------

    async def send_raw(self, data: bytes, *, chunks: Sequence[int] | None = None,
                       pause: float = 0.0) -> StreamEnd | None:
        """Write bytes as they are (for frames no encoder would produce)."""
        if not self._alive and self.check_liveness and self.close_received is None \
                and self.end is None:
            await self._prove_alive()
        self._pings.feed(data)
        try:
            end = await self.driver.send(data, chunks=chunks, pause=pause,
                                         timeout=self.client.timeout)
        except DriverError as exc:
            self.wirelog.event(str(exc))
            end = None
        if end is not None and self.end is None:
            self.end = end
        self._unsent = max(self._unsent - len(data), 0)
        if not self._unsent and self._held_pong is not None and end is None:
            payload, self._held_pong = self._held_pong, None
            await self.send_frame(Opcode.PONG, payload)
        return end

    async def send_frame(
        self,
        opcode: int,
        payload: bytes = b"",
        *,
        fin: bool = True,
        rsv1: bool = False,
        rsv2: bool = False,
        rsv3: bool = False,
        masked: bool = True,
        length_form: LengthForm | None = None,
        declared_length: int | None = None,
        chunks: Sequence[int] | None = None,
        pause: float = 0.0,
    ) -> StreamEnd | None:
        """Send one frame, masked with a fresh key unless ``masked=False``."""
        key = os.urandom(4) if masked else None
        data = encode_frame(opcode, payload, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3,
                            mask_key=key, length_form=length_form,
                            declared_length=declared_length)
        frame = Frame(opcode, payload, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3,
                      masked=masked, mask_key=key, length_form=length_form)
        self.wirelog.frame("out", frame_entry(frame, declared_length))
        if opcode == Opcode.CLOSE:
            self.close_sent = True
        return await self.send_raw(data, chunks=chunks, pause=pause)

    async def send_message(
        self,
        data: str | bytes,
        *,
        opcode: int | None = None,
        fragment_size: int | None = None,
        chunks: Sequence[int] | None = None,
        pause: float = 0.0,
        compress: bool = False,
    ) -> StreamEnd | None:
        """Send a message: text for ``str``, binary for ``bytes`` (or ``opcode``),
        cut into frames of ``fragment_size`` bytes when given."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        if opcode is None:
            opcode = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
        if compress:
            if self._deflater is None:
                raise HarnessError("compress=True on a connection without permessage-deflate")
            payload = self._deflater.compress(payload)
        size = fragment_size or max(len(payload), 1)
        pieces = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
        wire = bytearray()
        for index, piece in enumerate(pieces):
            key = os.urandom(4)
            frame_opcode = opcode if index == 0 else Opcode.CONTINUATION
            last = index == len(pieces) - 1
            rsv1 = compress and index == 0
            wire += encode_frame(frame_opcode, piece, fin=last, rsv1=rsv1, mask_key=key)
            self.wirelog.frame("out", frame_entry(
                Frame(frame_opcode, piece, fin=last, rsv1=rsv1, masked=True, mask_key=key)))
        return await self.send_raw(bytes(wire), chunks=chunks, pause=pause)

    async def _prove_alive(self) -> None:
        """Ping before the case's first write and wait for the pong (RFC 6455
        5.5.2 MUST answer), so that what the server does with the case's bytes
        shows a server that was processing this connection. A connection that
        ends first fails the case. A target seen not answering this ping is not
        waited for again (its pong, should it come, still counts), and without
        a pong the way it ends a connection is graded with nothing shown about
        its processing (:meth:`expect_failure`). Other events stay queued."""
        self._alive = True
        unsent, self._unsent = self._unsent, 0
        self.wirelog.event("before the case's first frame: a ping the server must answer")
        # a fixed mask, so that a replay writes the very bytes of the recorded run
        await self.send_raw(self.encode_frames(
            [Frame(Opcode.PING, LIVENESS_PING, mask_key=LIVENESS_MASK)]))
        self._unsent = unsent
        if self.client.url in _UNANSWERED:
            return
        wait = self.client.timeout
        deadline = self.driver.clock() + wait
        held: list[Frame | Message] = []
        while not self.processing_shown:
            self._probing = True
            try:
                event = await self.next_event(max(0.0, deadline - self.driver.clock()))
            finally:
                self._probing = False
            if self.processing_shown:
                if isinstance(event, Message):
                    held.append(event)
                break
            if event is None:
                _UNANSWERED.add(self.client.url)
                self.wirelog.event(f"no pong within {wait:g} s: the server's processing of "
                                   "this connection is not shown")
                break
            if isinstance(event, StreamEnd) or event.opcode == Opcode.CLOSE:
                if isinstance(event, Frame):
                    held.append(event)
                raise self._fail(
                    "a working connection before the case's frames: a pong for the ping sent "
                    "right after the opening handshake (RFC6455 5.5.2)",
                    f"{describe_event(event, wait)}, before any frame of the case was sent: "
                    "the server was not processing the connection",
                )
            held.append(event)
        self._pending[:0] = held

    async def send_close(self, code: int | None = 1000, reason: str | bytes = b"") -> None:
        """Send a close frame (any code, even an invalid one, and any reason)."""
        await self.send_frame(Opcode.CLOSE, encode_close_payload(code, reason))

    # -- receiving -----------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Parse bytes from the server; any rule it breaks fails the case, and so
        does a ping flood (:data:`FLOOD_PINGS` pings in a row or more, faster than
        :data:`FLOOD_RATE` a second, while pings are answered): nothing the case
        waits for comes between them."""
        # A flood of small frames costs the parser time per frame: fed in slices, a
        # flood is seen within one slice, not after a whole read of them. Inside a
        # frame larger than a slice the rest goes at once, as slicing it gains nothing.
        start = 0
        while start < len(data):
            end = start + FEED_SLICE if self._receiver.buffered < FEED_SLICE else len(data)
            piece, start = data[start:end], end
            try:
                events = self._receiver.feed(piece)
            except ProtocolViolation as exc:
                raise self._fail(
                    "server frames that follow RFC 6455 (unmasked, RSV 0, minimal lengths, "
                    "valid UTF-8 and close codes)",
                    f"server sent a frame breaking {exc.violation.section}: {exc.detail}",
                ) from None
            unlogged = 0  # pings of a long run, counted in the log rather than logged
            for event in events:
                if isinstance(event, Frame) and event.opcode == Opcode.PONG:
                    if not self._pings.answer(event.payload):
                        # unsolicited (RFC 6455 5.5.3): a heartbeat, not an answer
                        if unlogged:
                            self.wirelog.event(f"{unlogged} more pings, not logged one by one")
                            unlogged = 0
                        self.wirelog.frame("in", frame_entry(event))
                        self.unsolicited_pongs = [*self.unsolicited_pongs, event.payload][
                            -_KEPT_PONGS:]
                        self._ping_run = 0
                        continue
                    if event.payload == LIVENESS_PING:
                        self.processing_shown = True
                self._pending.append(event)
                if not isinstance(event, Frame):
                    continue
                if event.opcode != Opcode.PING:
                    self._ping_run = 0
                elif not self._ping_run:
                    self._ping_run, self._ping_run_began = 1, self.driver.clock()
                else:
                    self._ping_run += 1
                if self._ping_run > LOGGED_PINGS:
                    unlogged += 1
                    continue
                if unlogged:
                    self.wirelog.event(f"{unlogged} more pings, not logged one by one")
                    unlogged = 0
                self.wirelog.frame("in", frame_entry(event))
            if unlogged:
                self.wirelog.event(f"{unlogged} more pings, not logged one by one")
            if self._ping_run >= FLOOD_PINGS and self.auto_pong:
                lasted = self.driver.clock() - self._ping_run_began
                if self._ping_run >= lasted * FLOOD_RATE:
                    self.wirelog.event(f"{self._ping_run} pings in a row in {lasted:.3f} s: "
                                       "a ping flood")
                    raise self._fail(
                        "the server's answer to the case, between any pings it sends "
                        "(RFC6455 5.5.2)",
                        f"a ping flood: {self._ping_run} pings in a row in {lasted:.3f} s "
                        "and nothing else",
                    )

    async def next_event(self, timeout: float | None = None) -> Frame | Message | StreamEnd | None:
        """The next message, control frame, or end of stream; None at the deadline.

        Data frames are folded into :class:`Message` events. Server pings are
        answered (and skipped) while ``auto_pong`` is on.
        """
        wait = self.client.timeout if timeout is None else timeout
        deadline = self.driver.clock() + wait
        while True:
            while self._pending:
                event = self._pending.pop(0)
                if isinstance(event, Message):
                    self.processing_shown = True
                    return event
                if event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION):
                    continue
                if event.opcode == Opcode.PING and self.auto_pong:
                    # Of pings queued back to back only the last is answered (RFC 6455
                    # 5.5.3 MAY), and none after our close (5.5.1) or past the deadline;
                    # the run of them is dropped at once, not popped one by one.
                    run = next((index for index, later in enumerate(self._pending)
                                if not _is_ping(later)), len(self._pending))
                    if run:
                        latest = self._pending[run - 1]
                        assert isinstance(latest, Frame)
                        event = latest
                        del self._pending[:run]
                    if not self.close_sent and self.driver.clock() < deadline:
                        if self._unsent:
                            self._held_pong = event.payload
                        else:
                            await self.send_frame(Opcode.PONG, event.payload)
                    continue
                if event.opcode == Opcode.PONG and event.payload == LIVENESS_PING:
                    if self._probing:
                        return event
                    continue
                if event.opcode == Opcode.CLOSE:
                    self.close_received = parse_close_payload(event.payload)
                return event
            if self.end is not None and self._read_ended:
                return self.end
            remaining = deadline - self.driver.clock()
            if remaining <= 0 and self.end is None:
                return None
            # After a write found the connection gone, the bytes the server sent
            # before it (its close frame, say) still come first: the driver hands
            # out what it holds, then the end, without waiting.
            data = await self.driver.receive(max(remaining, 0.0))
            if data is None:
                if self.end is not None:
                    return self.end
                continue
            if isinstance(data, StreamEnd):
                self.end = data
                self._read_ended = True
                continue
            self.feed(data)

    async def expect_message(self, data: str | bytes, *, opcode: int | None = None,
                             timeout: float | None = None,
                             rule: str = "RFC6455 6.2") -> Message:
        """The next message must be exactly ``data`` (text for ``str``)."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        if opcode is None:
            opcode = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
        wait = self.client.timeout if timeout is None else timeout
        expected = f"{describe_message(Message(Opcode(opcode), payload, 1))} echoed ({rule})"
        event = await self.next_event(wait)
        if not isinstance(event, Message):
            await self._settle_if_own_limit(event, expected)
            raise self._fail(expected, describe_event(event, wait))
        if event.opcode != opcode or event.data != payload:
            observed = describe_message(event)
            if event.opcode == opcode:
                observed += describe_difference(payload, event.data)
            raise self._fail(expected, observed)
        return event

    async def _settle_if_own_limit(self, event: Frame | StreamEnd | None, expected: str) -> None:
        """A message refused with 1009 or 1008 where the profile declares no size
        limit: RFC 6455 10.4 lets a server protect itself with limits of its own,
        so the refusal is graded as a MAY (:mod:`wsspec.failure_shapes`), the
        closing handshake completed, and the case ends there (:class:`CaseSettled`)."""
        limits = self.client.profile.limits
        if limits is not None and limits.max_message_size is not None:
            return
        if not (isinstance(event, Frame) and event.opcode == Opcode.CLOSE):
            return
        info = parse_close_payload(event.payload)
        if info.code not in LIMIT_CODES:
            return
        if not self.close_sent:
            await self.send_close(info.code)
        await self.expect_tcp_close()
        self.record.observe(expected, f"refused with close frame {describe_close(info)}")
        self.record.downgrade(
            verdict_for(Level.MAY, Shape.EXPECTED_CODE),
            "the server enforces a limit of its own that the profile does not declare "
            "(RFC6455 10.4 allows one)",
        )
        raise CaseSettled("refused under a limit the profile does not declare")

    async def expect_echo(self, data: str | bytes, **send: object) -> Message:
        """Send ``data`` as a message and expect it back unchanged."""
        await self.send_message(data, **send)  # type: ignore[arg-type]
        return await self.expect_message(data)

    async def expect_pong(self, payload: bytes, *, timeout: float | None = None) -> Frame:
        """The next frame must be a pong carrying ``payload`` (RFC 6455 5.5.3)."""
        wait = self.client.timeout if timeout is None else timeout
        expected = f"pong with the ping's payload {payload[:32]!r} (RFC6455 5.5.3)"
        event = await self.next_event(wait)
        if not isinstance(event, Frame) or event.opcode != Opcode.PONG:
            raise self._fail(expected, describe_event(event, wait) + self._other_pongs())
        if event.payload != payload:
            raise self._fail(expected, f"pong with payload {event.payload[:32]!r}")
        return event

    def _other_pongs(self) -> str:
        """For a failure message: the pongs that came answering no ping, if any."""
        if not self.unsolicited_pongs:
            return ""
        shown = ", ".join(f"pong with payload {p[:32]!r}" for p in self.unsolicited_pongs)
        return f"; what came instead, answering no ping: {shown}"

    async def expect_pongs(self, payloads: Sequence[bytes], *,
                           timeout: float | None = None) -> list[bytes]:
        """Pongs answering pings sent with ``payloads``, in order. A server may
        answer only the most recent of pings it had not yet answered (RFC 6455
        5.5.3 MAY), so pongs may be skipped, but the last ping is always
        answered. Returns the payloads answered."""
        wait = self.client.timeout if timeout is None else timeout
        expected = "pongs for the pings, in order, the last one answered (RFC6455 5.5.3)"
        answered: list[bytes] = []
        remaining = list(payloads)
        while remaining:
            event = await self.next_event(wait)
            if not isinstance(event, Frame) or event.opcode != Opcode.PONG:
                raise self._fail(expected, describe_event(event, wait) + f" after {len(answered)} "
                                 f"of {len(payloads)} pongs" + self._other_pongs())
            if event.payload not in remaining:
                raise self._fail(expected, f"pong with payload {event.payload[:32]!r}, which "
                                 "answers none of these pings")
            del remaining[:remaining.index(event.payload) + 1]
            answered.append(event.payload)
        return answered

    async def expect_close(self, codes: Sequence[int] = (1000,), *,
                           timeout: float | None = None, rule: str = "RFC6455 5.5.1") -> CloseInfo:
        """The server must send a close frame with one of ``codes``, then close
        TCP once the client has answered (it must close first: RFC 6455 5.5.1)."""
        wait = self.client.timeout if timeout is None else timeout
        expected = f"close frame with code {describe_codes(codes)} ({rule})"
        event = await self.next_event(wait)
        if not isinstance(event, Frame) or event.opcode != Opcode.CLOSE:
            raise self._fail(expected, describe_event(event, wait))
        info = parse_close_payload(event.payload)
        if info.code not in codes:
            raise self._fail(expected, f"close frame {describe_close(info)}")
        if not self.close_sent:
            await self.send_close(info.code)
        await self.expect_tcp_close(timeout=wait)
        return info

    async def close(self, code: int = 1000, reason: str = "", *,
                    timeout: float | None = None) -> CloseInfo:
        """Start the closing handshake: the server must answer with a close frame
        (echoing the code, or 1000) and then close the TCP connection."""
        await self.send_close(code, reason)
        wait = self.client.timeout if timeout is None else timeout
        expected = f"close frame answering code {code} (RFC6455 5.5.1)"
        event = await self.next_event(wait)
        if not isinstance(event, Frame) or event.opcode != Opcode.CLOSE:
            raise self._fail(expected, describe_event(event, wait))
        info = parse_close_payload(event.payload)
        if info.code not in (code, 1000):
            self.record.downgrade(
                Verdict.NON_STRICT,
                f"close answered with {describe_close(info)}; the code received ({code}) is "
                "usually echoed (RFC6455 5.5.1)",
            )
        await self.expect_tcp_close(timeout=wait)
        return info

    async def expect_tcp_close(self, *, timeout: float | None = None) -> StreamEnd:
        """After the close exchange the server must close TCP (RFC 6455 5.5.1,
        7.1.1); no data frame may follow its close frame."""
        wait = self.client.timeout if timeout is None else timeout
        event = await self.next_event(wait)
        if isinstance(event, StreamEnd):
            return event
        raise self._fail(
            "the server closes the TCP connection after the close handshake (RFC6455 5.5.1)",
            describe_event(event, wait) + " after the close frames",
        )

    async def expect_failure(self, codes: Sequence[int] = (1002,), *,
                             timeout: float | None = None,
                             rule: str = "RFC6455 7.1.7",
                             level: Level = Level.MUST) -> CloseInfo | StreamEnd | None:
        """The server must end the connection: a close frame with one of ``codes``
        then a TCP close, or another shape graded at ``level`` by
        :mod:`wsspec.failure_shapes` (a TCP close without a close frame is
        non-strict where the rule says *Fail the WebSocket Connection*, RFC 6455
        7.1.7). A message or a pong means the server went on processing: a fail,
        except at ``Level.MAY``, where it is left queued for the case and None
        is returned, as it is when nothing came at that level."""
        wait = self.client.timeout if timeout is None else timeout
        expected = (f"the connection failed: close frame {describe_codes(codes)} or TCP close, "
                    f"nothing else ({rule})")
        event = await self.next_event(wait)
        if isinstance(event, StreamEnd):
            self.record.observe(expected, describe_event(event, wait))
            shape = Shape.RESET if event is StreamEnd.RESET else Shape.TCP_CLOSE
            self._grade_shape(level, shape, expected, describe_event(event, wait))
            return event
        if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
            info = parse_close_payload(event.payload)
            observed = f"close frame {describe_close(info)}"
            self.record.observe(expected, observed)
            if info.code not in codes and self.close_sent and level in _ENDING_REQUIRED:
                # the answer to the client's own close frame: the server processed
                # the frame it should have failed on (RFC6455 7.1.7 MUST NOT)
                raise self._fail(expected, f"{observed}, answering the client's close: the "
                                 "server went on processing (RFC6455 7.1.7 MUST NOT)")
            shape = Shape.EXPECTED_CODE if info.code in codes else Shape.OTHER_CODE
            self._grade_shape(level, shape, expected, observed)
            if not self.close_sent:
                await self.send_close(info.code)
            await self.expect_tcp_close(timeout=wait)
            return info
        if level is Level.MAY:
            if event is not None:
                self._pending.insert(0, event)
            else:
                self._grade_shape(level, Shape.TIMEOUT, expected, describe_event(event, wait))
            return None
        if event is None:
            self._grade_shape(level, Shape.TIMEOUT, expected, describe_event(event, wait))
            return None
        raise self._fail(expected, describe_event(event, wait) + ": the server went on "
                         "processing (RFC6455 7.1.7 MUST NOT)")

    def _grade_shape(self, level: Level, shape: Shape, expected: str, observed: str) -> None:
        """Apply the failure-shape table's verdict for ``shape`` at ``level``.

        A close frame with the rule's code shows the server read the offending
        frame. Any other end counts only on a connection the server was shown to
        process (the liveness pong, a message): a server that ends every
        connection unasked would pass otherwise."""
        if shape is not Shape.EXPECTED_CODE and not self.processing_shown \
                and level is not Level.MAY:
            raise self._fail(expected, f"{observed}, and nothing before it showed the server "
                             "processing the connection (no pong to the ping sent first)")
        verdict = verdict_for(level, shape)
        if verdict is Verdict.FAIL:
            raise self._fail(expected, f"{observed}: {reason_for(level, shape)}")
        if verdict is not Verdict.PASS:
            self.record.downgrade(verdict, reason_for(level, shape))

    def put_back(self, event: Frame | Message | StreamEnd) -> None:
        """Return an event taken with :meth:`next_event` to the front of the queue,
        for the next ``expect_*`` call to grade (a stream end stays the end)."""
        if isinstance(event, StreamEnd):
            self.end = event
        else:
            self._pending.insert(0, event)

    # -- several frames at once; polling for a failure -----------------------

    def encode_frames(self, frames: Sequence[Frame]) -> bytes:
        """The wire bytes of ``frames``, each masked with a fresh key (or its
        own ``mask_key``), recorded in the wire log as sent.

        For writing one frame in pieces at moments the case chooses (``send_raw``
        on slices of the result); :meth:`send_frames` writes them all at once.
        """
        wire = bytearray()
        for frame in frames:
            masked = Frame(frame.opcode, frame.payload, fin=frame.fin, rsv1=frame.rsv1,
                           rsv2=frame.rsv2, rsv3=frame.rsv3,
                           mask_key=frame.mask_key or os.urandom(4),
                           length_form=frame.length_form)
            self.wirelog.frame("out", frame_entry(masked))
            if masked.opcode == Opcode.CLOSE:
                self.close_sent = True
            wire += masked.encode()
        self._unsent += len(wire)
        return bytes(wire)

    async def send_frames(self, frames: Sequence[Frame], *, chunks: Sequence[int] | None = None,
                          pause: float = 0.0) -> StreamEnd | None:
        """Send several frames in one write (or re-cut into writes of ``chunks``
        bytes), so that they reach the server together."""
        return await self.send_raw(self.encode_frames(frames), chunks=chunks, pause=pause)

    async def poll_failure(self, timeout: float, codes: Sequence[int] = (1002,), *,
                           rule: str = "RFC6455 7.1.7",
                           level: Level = Level.MUST) -> CloseInfo | StreamEnd | None:
        """Whether the server has failed the connection yet (for fail-fast checks).

        Waits up to ``timeout`` seconds for the next event. A close frame or a
        TCP close is graded exactly as :meth:`expect_failure` grades it, and
        returned. None means the connection is still open: nothing came before
        the deadline, or something else came (a message, a pong), which is left
        in place for the next ``expect_*`` call.
        """
        event = await self.next_event(timeout)
        if event is None:
            return None
        if isinstance(event, StreamEnd) or (
                isinstance(event, Frame) and event.opcode == Opcode.CLOSE):
            if isinstance(event, Frame):
                self._pending.insert(0, event)
            return await self.expect_failure(codes, rule=rule, level=level)
        self._pending.insert(0, event)
        return None

    async def send_piecewise(self, frames: Sequence[Frame], *, octets: bool = False) -> None:
        """Send ``frames`` one frame per TCP write (one octet per write with
        ``octets``), taking in what the server sends between writes, and stop
        writing once it has sent a close frame or ended the connection.

        A server that fails the connection on a bad frame (as soon as it reads its
        header, say) may close its socket at once: bytes reaching it afterwards
        draw a TCP reset, which can destroy its close frame before the client has
        read it. What the server sent stays queued for the next ``expect_*`` call;
        the bytes not sent are noted in the wire log.
        """
        pieces = [self.encode_frames([frame]) for frame in frames]
        if octets:
            wire = b"".join(pieces)
            pieces = [wire[index:index + 1] for index in range(len(wire))]
        for index, piece in enumerate(pieces):
            if await self.send_raw(piece) is not None:
                return
            await self._take_in(0)
            closed = self.end is not None or any(
                isinstance(event, Frame) and event.opcode == Opcode.CLOSE
                for event in self._pending)
            if closed and index + 1 < len(pieces):
                left = sum(len(rest) for rest in pieces[index + 1:])
                self.wirelog.event(f"the server has closed: the last {left} bytes are not sent")
                return

    async def _take_in(self, timeout: float) -> None:
        """Read once (up to ``timeout`` s) into the queue of events, or note the end."""
        received = await self.driver.receive(timeout)
        if isinstance(received, StreamEnd):
            self.end = received
            self._read_ended = True
        elif received:
            self.feed(received)

    async def expect_message_frames(self, data: str | bytes, *, opcode: int | None = None,
                                    timeout: float | None = None,
                                    rule: str = "RFC6455 6.2") -> tuple[Message, list[Frame]]:
        """As :meth:`expect_message`, and also the data frames that carried the
        message, as received: a compressed message's frames hold the compressed
        bytes, for checks on what the server put on the wire (RFC 7692 window
        sizes). Control frames between them stay queued for the next ``expect_*``."""
        wait = self.client.timeout if timeout is None else timeout
        deadline = self.driver.clock() + wait
        pending = self._pending
        while self.end is None and not any(isinstance(e, Message) for e in pending):
            remaining = deadline - self.driver.clock()
            if remaining <= 0:
                break
            await self._take_in(remaining)
        frames: list[Frame] = []
        for event in list(pending):
            if isinstance(event, Message):
                break
            if event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION):
                frames.append(event)
                pending.remove(event)
        message = await self.expect_message(
            data, opcode=opcode, timeout=max(deadline - self.driver.clock(), 0.0), rule=rule)
        return message, frames

    async def expect_failure_after_echo(self, data: str | bytes, codes: Sequence[int] = (1002,),
                                        *, timeout: float | None = None,
                                        rule: str = "RFC6455 7.1.7",
                                        level: Level = Level.MUST) -> CloseInfo | StreamEnd | None:
        """``data`` was sent as a valid message just before a bad frame: its echo
        must come back, then the connection must fail as in :meth:`expect_failure`.
        A failure that comes first, the echo never sent, is non-strict: the server
        failed at once, before its application answered (Autobahn|Testsuite
        grades it the same)."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        opcode = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
        wait = self.client.timeout if timeout is None else timeout
        event = await self.next_event(wait)
        if isinstance(event, Message) and event.opcode == opcode and event.data == payload:
            return await self.expect_failure(codes, timeout=wait, rule=rule, level=level)
        failed = isinstance(event, StreamEnd) or (
            isinstance(event, Frame) and event.opcode == Opcode.CLOSE)
        if not failed:
            expected = (f"{describe_message(Message(opcode, payload, 1))} echoed, then the "
                        f"connection failed ({rule})")
            raise self._fail(expected, describe_event(event, wait))
        if isinstance(event, Frame):
            self._pending.insert(0, event)  # graded below, as the failure it is
        self.record.downgrade(
            Verdict.NON_STRICT,
            "the connection failed before the message sent ahead of the bad frame was echoed",
        )
        return await self.expect_failure(codes, timeout=wait, rule=rule, level=level)
