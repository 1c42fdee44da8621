"""One open WebSocket connection, seen from the client side of a case.

Every byte the server sends goes through the strict sans-IO
:class:`~wsspec.protocol.messages.Receiver`, so a server that masks its
frames, sets RSV bits, writes non-minimal lengths, sends invalid UTF-8 or a
1005/1006/1015 close code fails whichever case it happens in. Pings the
server sends on its own (a heartbeat) are answered and never seen by the
case, unless the case turns ``auto_pong`` off.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

from wsspec.driver.base import Driver, DriverError, StreamEnd
from wsspec.dsl.render import (
    describe_close,
    describe_codes,
    describe_difference,
    describe_event,
    describe_message,
)
from wsspec.protocol.close import CloseInfo, encode_close_payload, parse_close_payload
from wsspec.protocol.deflate import DeflateParams, Deflater, Inflater
from wsspec.protocol.errors import ProtocolViolation
from wsspec.protocol.frames import Frame, LengthForm, Opcode, encode_frame
from wsspec.protocol.handshake import HandshakeResponse
from wsspec.protocol.messages import Message, Receiver
from wsspec.verdicts import CaseFailed, CaseRecord, HarnessError, Verdict
from wsspec.wirelog import WireLog, frame_entry

__all__ = ["MAX_FRAME", "MAX_MESSAGE", "CaseSide", "Connection"]

#: caps on what the suite buffers from a target, whatever it sends.
MAX_FRAME = 64 * 2**20
MAX_MESSAGE = 64 * 2**20


class CaseSide(Protocol):
    """What a connection needs of the case that opened it (a :class:`~wsspec.dsl.Client`):
    the record its wire log and verdict go to, and the deadline of each wait."""

    @property
    def record(self) -> CaseRecord: ...

    @property
    def timeout(self) -> float: ...


class Connection:
    """One open WebSocket connection, seen from the client side of a case."""

    def __init__(self, client: CaseSide, driver: Driver, response: HandshakeResponse,
                 deflate: DeflateParams | None = None) -> None:
        self.client = client
        self.driver = driver
        self.response = response
        self.deflate = deflate
        self.auto_pong = True
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

    async def send_close(self, code: int | None = 1000, reason: str | bytes = b"") -> None:
        """Send a close frame (any code, even an invalid one, and any reason)."""
        await self.send_frame(Opcode.CLOSE, encode_close_payload(code, reason))

    # -- receiving -----------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Parse bytes from the server; any rule it breaks fails the case."""
        try:
            events = self._receiver.feed(data)
        except ProtocolViolation as exc:
            raise self._fail(
                "server frames that follow RFC 6455 (unmasked, RSV 0, minimal lengths, "
                "valid UTF-8 and close codes)",
                f"server sent a frame breaking {exc.violation.section}: {exc.detail}",
            ) from None
        for event in events:
            if isinstance(event, Frame):
                self.wirelog.frame("in", frame_entry(event))
            self._pending.append(event)

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
                    return event
                if event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION):
                    continue
                if event.opcode == Opcode.PING and self.auto_pong:
                    # after our close a ping is not answered (RFC 6455 5.5.1), only skipped;
                    # of pings queued back to back only the last is answered (5.5.3 MAY),
                    # and none past the deadline, so a flood of pings cannot hold the case
                    later_ping = bool(self._pending) and isinstance(self._pending[0], Frame) \
                        and self._pending[0].opcode == Opcode.PING
                    if not (self.close_sent or later_ping) and self.driver.clock() < deadline:
                        if self._unsent:
                            self._held_pong = event.payload
                        else:
                            await self.send_frame(Opcode.PONG, event.payload)
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
            raise self._fail(expected, describe_event(event, wait))
        if event.opcode != opcode or event.data != payload:
            observed = describe_message(event)
            if event.opcode == opcode:
                observed += describe_difference(payload, event.data)
            raise self._fail(expected, observed)
        return event

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
            raise self._fail(expected, describe_event(event, wait))
        if event.payload != payload:
            raise self._fail(expected, f"pong with payload {event.payload[:32]!r}")
        return event

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
                                 f"of {len(payloads)} pongs")
            if event.payload not in remaining:
                raise self._fail(expected, f"pong with payload {event.payload[:32]!r}, which "
                                 "answers no outstanding ping")
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
                             rule: str = "RFC6455 7.1.7") -> CloseInfo | StreamEnd:
        """The server must fail the connection: a close frame with one of
        ``codes`` then TCP close (pass), or a TCP close without a close frame
        (non-strict: RFC 6455 7.1.7 SHOULD send a close frame first). Any
        message or pong means it went on processing: fail."""
        wait = self.client.timeout if timeout is None else timeout
        expected = (f"the connection failed: close frame {describe_codes(codes)} or TCP close, "
                    f"nothing else ({rule})")
        event = await self.next_event(wait)
        if isinstance(event, StreamEnd):
            self.record.observe(expected, describe_event(event, wait))
            self.record.downgrade(
                Verdict.NON_STRICT,
                "TCP closed without a close frame (RFC6455 7.1.7 SHOULD send one first)",
            )
            return event
        if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
            info = parse_close_payload(event.payload)
            self.record.observe(expected, f"close frame {describe_close(info)}")
            if info.code not in codes:
                raise self._fail(expected, f"close frame {describe_close(info)}")
            if not self.close_sent:
                await self.send_close(info.code)
            await self.expect_tcp_close(timeout=wait)
            return info
        raise self._fail(expected, describe_event(event, wait))

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
                           rule: str = "RFC6455 7.1.7") -> CloseInfo | StreamEnd | None:
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
            return await self.expect_failure(codes, rule=rule)
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
                                        rule: str = "RFC6455 7.1.7") -> CloseInfo | StreamEnd:
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
            return await self.expect_failure(codes, timeout=wait, rule=rule)
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
        return await self.expect_failure(codes, timeout=wait, rule=rule)
