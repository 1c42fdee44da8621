"""The conversation DSL: the language conformance cases are written in.

A case opens connections through a :class:`Client`, sends messages or raw
frames on a :class:`Connection`, and states what must come back with the
``expect_*`` calls. Each ``expect_*`` waits for an event with a deadline and
grades what it sees: it returns when the target behaves as the RFC requires,
downgrades the case to ``non-strict`` when the behaviour is allowed but not
preferred, and raises :class:`~wsspec.verdicts.CaseFailed` with expected vs
observed otherwise.

Three things hold for every connection of every case, so no case has to ask:

* every byte the server sends goes through the strict sans-IO
  :class:`~wsspec.protocol.messages.Receiver`, so a server that masks its
  frames, sets RSV bits, writes non-minimal lengths, sends invalid UTF-8 or a
  1005/1006/1015 close code fails whichever case it happens in;
* the profile applies: valid credentials when ``[auth]`` is declared, an
  allowed Origin when ``[origin]`` is, a subprotocol when one is required;
* pings the server sends on its own (a heartbeat) are answered and never seen
  by the case, unless the case turns ``auto_pong`` off.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wsspec import credentials
from wsspec.driver import make_driver, running_trio
from wsspec.driver.background import BackgroundRun
from wsspec.driver.base import ConnectFailed, Driver, DriverError, StreamEnd, TLSOptions
from wsspec.profile import TargetAddress, TargetProfile
from wsspec.protocol.close import CloseInfo, encode_close_payload, parse_close_payload
from wsspec.protocol.deflate import (
    DeflateOffer,
    DeflateParams,
    Deflater,
    Inflater,
    build_offer_header,
    check_deflate_response,
)
from wsspec.protocol.errors import HandshakeViolation, ProtocolViolation
from wsspec.protocol.frames import Frame, LengthForm, Opcode, encode_frame, opcode_name
from wsspec.protocol.handshake import (
    HandshakeRequest,
    HandshakeResponse,
    ResponseParser,
    build_request,
    check_response,
)
from wsspec.protocol.messages import Message, Receiver
from wsspec.verdicts import CaseFailed, CaseRecord, HarnessError, Verdict
from wsspec.wirelog import WireLog

#: caps on what the suite buffers from a target, whatever it sends.
MAX_FRAME = 64 * 2**20
MAX_MESSAGE = 64 * 2**20

_DEFAULT = object()


@dataclass(frozen=True)
class Target:
    """Where the target is and what may be assumed about it."""

    url: str
    profile: TargetProfile = field(default_factory=TargetProfile)
    driver: str = "asyncio"
    tls: TLSOptions | None = None
    timeout: float = 5.0
    #: seconds of slack on the target's timers (heartbeat, handshake deadline).
    heartbeat_tolerance: float = 0.5

    @property
    def address(self) -> TargetAddress:
        return TargetAddress.from_url(self.url)


@dataclass
class HandshakeResult:
    """What came back for one opening handshake request."""

    request: HandshakeRequest
    response: HandshakeResponse | None
    end: StreamEnd | None = None
    timed_out: bool = False
    trailing: bytes = b""
    error: str | None = None

    def describe(self) -> str:
        """One line for failure messages: the status, or how the server ended."""
        if self.response is not None:
            r = self.response
            return f"HTTP/{r.http_version} {r.status} {r.reason}".rstrip()
        if self.error:
            return f"an invalid HTTP response ({self.error})"
        if self.timed_out:
            return "no response before the deadline"
        if self.end is StreamEnd.RESET:
            return "the connection reset without a response"
        return "the connection closed without a response"


class Client:
    """Opens connections to the target for one case, recording in its wire log."""

    def __init__(self, target: Target, record: CaseRecord) -> None:
        self.target = target
        self.record = record
        self._drivers: list[Driver] = []

    @property
    def profile(self) -> TargetProfile:
        return self.target.profile

    @property
    def timeout(self) -> float:
        return self.target.timeout

    # -- building requests -------------------------------------------------

    def request(
        self,
        *,
        resource: str | None = None,
        subprotocols: Sequence[str] | None = None,
        extensions: Sequence[str] = (),
        origin: str | object | None = _DEFAULT,
        authenticate: bool = True,
        key: str | None = None,
    ) -> HandshakeRequest:
        """A valid opening handshake with the profile applied.

        ``origin`` defaults to the first allowed origin when the profile has an
        ``[origin]`` table (pass None to send none); ``subprotocols`` defaults to
        the first declared one when the profile requires a subprotocol;
        ``authenticate=False`` leaves credentials out (for auth cases).
        """
        address = self.target.address
        profile = self.profile
        if origin is _DEFAULT:
            allowed = profile.origin.allowed if profile.origin else ()
            origin = allowed[0] if allowed else None
        if subprotocols is None:
            subprotocols = profile.subprotocols[:1] if profile.subprotocol_required else ()
        host = address.netloc.rsplit("@", 1)[-1]
        request = build_request(
            host,
            resource or address.resource,
            key=key,
            subprotocols=subprotocols,
            extensions=extensions,
            origin=origin if isinstance(origin, str) else None,
        )
        auth = profile.auth
        if authenticate and auth is not None:
            token = credentials.valid_token(auth)
            request = credentials.present(request, auth.schemes[0], token, auth.param)
        return request

    # -- raw connections ---------------------------------------------------

    async def connect(self) -> Driver:
        """A TCP (or TLS) connection to the target, no handshake yet."""
        address = self.target.address
        driver = make_driver(self.target.driver, self.record.wirelog)
        tls = (self.target.tls or TLSOptions()) if address.secure else None
        try:
            await driver.connect(address.host, address.port, tls=tls, timeout=self.timeout)
        except ConnectFailed as exc:
            raise HarnessError(f"cannot connect to {self.target.url}: {exc}") from None
        self._drivers.append(driver)
        return driver

    async def handshake(
        self,
        request: HandshakeRequest | bytes | None = None,
        *,
        chunks: Sequence[int] | None = None,
        pause: float = 0.0,
        driver: Driver | None = None,
        timeout: float | None = None,
    ) -> tuple[Driver, HandshakeResult]:
        """Send an opening handshake (any bytes) and read the response."""
        if request is None:
            request = self.request()
        raw = request if isinstance(request, bytes) else request.encode()
        parsed = request if isinstance(request, HandshakeRequest) else HandshakeRequest(
            method="?", target="?", headers=[])
        driver = driver or await self.connect()
        wait = self.timeout if timeout is None else timeout
        end = await driver.send(raw, chunks=chunks, pause=pause, timeout=wait)
        result = HandshakeResult(parsed, None, end=end)
        parser = ResponseParser(request_method=parsed.method if parsed.method != "?" else "GET")
        deadline = driver.clock() + wait
        while True:
            remaining = deadline - driver.clock()
            if remaining <= 0:
                result.timed_out = True
                driver.wirelog.event(f"no handshake response within {wait:g} s")
                return driver, result
            data = await driver.receive(remaining)
            try:
                if data is None:
                    continue
                if isinstance(data, StreamEnd):
                    result.end = data
                    response = parser.feed_eof()
                    result.response = response
                    return driver, result
                response = parser.feed(data)
            except HandshakeViolation as exc:
                result.error = str(exc)
                return driver, result
            if response is not None:
                result.response = response
                result.trailing = parser.trailing
                return driver, result

    async def open(
        self,
        request: HandshakeRequest | None = None,
        *,
        deflate: Sequence[DeflateOffer] = (),
        chunks: Sequence[int] | None = None,
    ) -> Connection:
        """Complete a valid opening handshake; anything but a correct 101 fails."""
        if request is None:
            request = self.request()
        if deflate:
            request = request.with_header("Sec-WebSocket-Extensions", build_offer_header(deflate))
        driver, result = await self.handshake(request, chunks=chunks)
        response = result.response
        if response is None or response.status != 101:
            raise CaseFailed(
                "101 Switching Protocols for a valid opening handshake (RFC6455 4.2.2)",
                result.describe(),
                self.record.wirelog.tail(),
            )
        key = request.get("Sec-WebSocket-Key")
        offered_protocols = _split(request.get("Sec-WebSocket-Protocol"))
        offered_extensions = [e.split(";")[0].strip() for e in _split(
            request.get("Sec-WebSocket-Extensions"))]
        problems = check_response(
            response,
            key=key[0] if key else "",
            subprotocols=offered_protocols,
            extensions_offered=offered_extensions,
        )
        params: DeflateParams | None = None
        if deflate:
            params, deflate_problems = check_deflate_response(response.extensions, deflate)
            problems.extend(deflate_problems)
        if problems:
            raise CaseFailed(
                "a 101 response that follows RFC 6455 4.2.2" + (" and RFC 7692" if deflate else ""),
                "; ".join(problems),
                self.record.wirelog.tail(),
            )
        connection = Connection(self, driver, response, params)
        if result.trailing:
            connection.feed(result.trailing)
        return connection

    async def expect_refused(
        self,
        request: HandshakeRequest | bytes,
        *,
        statuses: Sequence[int] | range = range(400, 500),
        rule: str = "RFC6455 4.2.1",
        chunks: Sequence[int] | None = None,
        header: tuple[str, str] | None = None,
    ) -> HandshakeResult:
        """The server must refuse ``request`` with one of ``statuses`` and no 101.

        A dropped connection without any HTTP response is allowed but not
        preferred (RFC 6455 10.7 SHOULD return an HTTP status): non-strict.
        ``header`` names a header the refusal must carry (e.g. the 426's
        ``Sec-WebSocket-Version: 13``).
        """
        wanted = _describe_statuses(statuses)
        _, result = await self.handshake(request, chunks=chunks)
        response = result.response
        self.record.observe(f"refusal with {wanted} ({rule})", result.describe())
        if response is None:
            if result.timed_out or result.error:
                raise CaseFailed(f"refusal with {wanted} ({rule})", result.describe(),
                                 self.record.wirelog.tail())
            self.record.downgrade(
                Verdict.NON_STRICT,
                "connection dropped without an HTTP status (RFC6455 10.7 SHOULD answer with one)",
            )
            return result
        if response.status not in statuses:
            raise CaseFailed(f"refusal with {wanted} ({rule})", result.describe(),
                             self.record.wirelog.tail())
        if header is not None:
            name, value = header
            values = [v.strip().lower() for v in _split(response.get(name))]
            if value.lower() not in values:
                raise CaseFailed(
                    f"{response.status} carrying {name}: {value} ({rule})",
                    f"{name}: {', '.join(response.get(name)) or '(absent)'}",
                    self.record.wirelog.tail(),
                )
        return result

    async def aclose(self) -> None:
        for driver in self._drivers:
            await driver.aclose()
        self._drivers.clear()


class Connection:
    """One open WebSocket connection, seen from the client side of a case."""

    def __init__(self, client: Client, driver: Driver, response: HandshakeResponse,
                 deflate: DeflateParams | None = None) -> None:
        self.client = client
        self.driver = driver
        self.response = response
        self.deflate = deflate
        self.auto_pong = True
        self.close_sent = False
        self.close_received: CloseInfo | None = None
        self.end: StreamEnd | None = None
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
            if self.end is not None:
                return self.end
            remaining = deadline - self.driver.clock()
            if remaining <= 0:
                return None
            data = await self.driver.receive(remaining)
            if data is None:
                continue
            if isinstance(data, StreamEnd):
                self.end = data
                continue
            self.feed(data)

    def _show(self, event: Frame | Message | StreamEnd | None, wait: float) -> str:
        if event is None:
            return f"nothing within {wait:g} s"
        if isinstance(event, StreamEnd):
            return "TCP connection closed (FIN)" if event is StreamEnd.FIN else "connection reset"
        if isinstance(event, Message):
            return _describe_message(event)
        if event.opcode == Opcode.CLOSE:
            info = parse_close_payload(event.payload)
            return f"close frame {_describe_close(info)}"
        return f"{opcode_name(event.opcode)} frame {event.payload[:32]!r}"

    async def expect_message(self, data: str | bytes, *, opcode: int | None = None,
                             timeout: float | None = None,
                             rule: str = "RFC6455 6.2") -> Message:
        """The next message must be exactly ``data`` (text for ``str``)."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        if opcode is None:
            opcode = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
        wait = self.client.timeout if timeout is None else timeout
        expected = f"{_describe_message(Message(Opcode(opcode), payload, 1))} echoed ({rule})"
        event = await self.next_event(wait)
        if not isinstance(event, Message):
            raise self._fail(expected, self._show(event, wait))
        if event.opcode != opcode or event.data != payload:
            observed = _describe_message(event)
            if event.opcode == opcode:
                observed += _difference(payload, event.data)
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
            raise self._fail(expected, self._show(event, wait))
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
                raise self._fail(expected, self._show(event, wait) + f" after {len(answered)} "
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
        expected = f"close frame with code {_codes(codes)} ({rule})"
        event = await self.next_event(wait)
        if not isinstance(event, Frame) or event.opcode != Opcode.CLOSE:
            raise self._fail(expected, self._show(event, wait))
        info = parse_close_payload(event.payload)
        if info.code not in codes:
            raise self._fail(expected, f"close frame {_describe_close(info)}")
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
            raise self._fail(expected, self._show(event, wait))
        info = parse_close_payload(event.payload)
        if info.code not in (code, 1000):
            self.record.downgrade(
                Verdict.NON_STRICT,
                f"close answered with {_describe_close(info)}; the code received ({code}) is "
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
            self._show(event, wait) + " after the close frames",
        )

    async def expect_failure(self, codes: Sequence[int] = (1002,), *,
                             timeout: float | None = None,
                             rule: str = "RFC6455 7.1.7") -> CloseInfo | StreamEnd:
        """The server must fail the connection: a close frame with one of
        ``codes`` then TCP close (pass), or a TCP close without a close frame
        (non-strict: RFC 6455 7.1.7 SHOULD send a close frame first). Any
        message or pong means it went on processing: fail."""
        wait = self.client.timeout if timeout is None else timeout
        expected = (f"the connection failed: close frame {_codes(codes)} or TCP close, "
                    f"nothing else ({rule})")
        event = await self.next_event(wait)
        if isinstance(event, StreamEnd):
            self.record.observe(expected, self._show(event, wait))
            self.record.downgrade(
                Verdict.NON_STRICT,
                "TCP closed without a close frame (RFC6455 7.1.7 SHOULD send one first)",
            )
            return event
        if isinstance(event, Frame) and event.opcode == Opcode.CLOSE:
            info = parse_close_payload(event.payload)
            self.record.observe(expected, f"close frame {_describe_close(info)}")
            if info.code not in codes:
                raise self._fail(expected, f"close frame {_describe_close(info)}")
            if not self.close_sent:
                await self.send_close(info.code)
            await self.expect_tcp_close(timeout=wait)
            return info
        raise self._fail(expected, self._show(event, wait))

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


#: frames up to this payload size are logged lazily (see frame_entry).
_LAZY_ENTRY_PAYLOAD = 4096


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


def _split(values: Sequence[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _codes(codes: Sequence[int]) -> str:
    return " or ".join(str(c) for c in codes)


def _describe_statuses(statuses: Sequence[int] | range) -> str:
    if isinstance(statuses, range) and statuses.step == 1:
        return f"a status {statuses.start}-{statuses.stop - 1}"
    return "status " + " or ".join(str(s) for s in statuses)


def _describe_close(info: CloseInfo) -> str:
    if info.code is None:
        return "without a status code"
    return f"code {info.code}" + (f" reason {info.reason!r}" if info.reason else "")


def _difference(sent: bytes, got: bytes) -> str:
    """Where an echo departs from what was sent, for a reader comparing them."""
    at = next((i for i, (a, b) in enumerate(zip(sent, got, strict=False)) if a != b), None)
    if at is None:
        return f", {len(got)} bytes where {len(sent)} were sent (the common part is equal)"
    window = slice(max(at - 4, 0), at + 8)
    return (f", differing from the message sent at byte {at}: sent "
            f"{sent[window].hex(' ')}, got {got[window].hex(' ')}")


def _describe_message(message: Message) -> str:
    kind = "text" if message.opcode == Opcode.TEXT else "binary"
    data = message.data
    shown = data[:48]
    if kind == "text":
        text = shown.decode("utf-8", "replace")
        body = repr(text) + ("…" if len(data) > 48 else "")
    else:
        body = shown.hex() + ("…" if len(data) > 48 else "")
    return f"{kind} message of {len(data)} bytes {body}"


async def send_frames(connection: Connection, frames: Sequence[Frame], *,
                      chunks: Sequence[int] | None = None,
                      pause: float = 0.0) -> StreamEnd | None:
    """``connection.send_frames``: frames back to back in one write (or cut into
    ``chunks``), so that a bad frame and the frames after it reach the server in
    the same read, which must still stop at the bad one (RFC 6455 7.1.7)."""
    return await connection.send_frames(frames, chunks=chunks, pause=pause)


async def expect_failure_after_echo(connection: Connection, data: str | bytes,
                                    codes: Sequence[int] = (1002,), *,
                                    timeout: float | None = None,
                                    rule: str = "RFC6455 7.1.7") -> CloseInfo | StreamEnd:
    """``data`` was sent as a valid message just before a bad frame: its echo
    must come back, then the connection must fail as in
    :meth:`Connection.expect_failure`. A failure that comes first, the echo
    never sent, is non-strict: the server failed at once, before its
    application answered (Autobahn|Testsuite grades it the same)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    opcode = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
    wait = connection.client.timeout if timeout is None else timeout
    event = await connection.next_event(wait)
    if isinstance(event, Message) and event.opcode == opcode and event.data == payload:
        return await connection.expect_failure(codes, timeout=wait, rule=rule)
    failed = isinstance(event, StreamEnd) or (
        isinstance(event, Frame) and event.opcode == Opcode.CLOSE)
    if not failed:
        expected = (f"{_describe_message(Message(opcode, payload, 1))} echoed, then the "
                    f"connection failed ({rule})")
        raise connection._fail(expected, connection._show(event, wait))
    if isinstance(event, Frame):
        connection._pending.insert(0, event)  # graded below, as the failure it is
    connection.record.downgrade(
        Verdict.NON_STRICT,
        "the connection failed before the message sent ahead of the bad frame was echoed",
    )
    return await connection.expect_failure(codes, timeout=wait, rule=rule)


# -- policies: refusals before the upgrade; timer observations run together -------

#: what no refusal may show a client: a stack trace, an exception, a source path.
_INTERNALS_RE = re.compile(
    r"Traceback \(most recent call last\)|Exception|File \"[^\"]+\", line \d+"
    r"|goroutine \d+ \[|(?:[\w.-]*/)+[\w.-]+\.(?:py|go|js|ts|java|rb|php|rs|cs):\d+"
)


async def expect_refused_before_upgrade(
    client: Client,
    request: HandshakeRequest,
    *,
    statuses: Sequence[int] | range,
    rule: str,
    preferred: Sequence[int] | None = None,
    secrets: Sequence[str] = (),
) -> HandshakeResult:
    """A policy refusal: ``request`` gets one of ``statuses``, no 101 and no
    WebSocket byte after the response (RFC 6455 4.2.2: the handshake is aborted).

    Graded like :meth:`Client.expect_refused` (a connection dropped without a
    status is non-strict); besides, non-strict when the status is outside
    ``preferred`` (e.g. 403 for a refused Origin, RFC 6455 10.2 SHOULD), and
    when the refusal shows a client one of ``secrets`` (the credential it
    presented) or a stack trace, an exception or a source path.
    """
    wanted = _describe_statuses(statuses)
    expected = f"refusal with {wanted}, no 101 and nothing after it ({rule})"
    driver, result = await client.handshake(request)
    response = result.response
    client.record.observe(expected, result.describe())
    if response is None:
        if result.timed_out or result.error:
            raise CaseFailed(expected, result.describe(), client.record.wirelog.tail())
        client.record.downgrade(
            Verdict.NON_STRICT,
            "connection dropped without an HTTP status (RFC6455 10.7 SHOULD answer with one)",
        )
        return result
    if response.status not in statuses:
        raise CaseFailed(expected, result.describe(), client.record.wirelog.tail())
    after = result.trailing
    if not after and result.end is None:
        more = await driver.receive(0)
        after = more if isinstance(more, bytes) else b""
    if after:
        raise CaseFailed(expected, f"{result.describe()}, then {len(after)} more bytes "
                         f"{after[:16].hex()}", client.record.wirelog.tail())
    if preferred is not None and response.status not in preferred:
        client.record.downgrade(
            Verdict.NON_STRICT,
            f"refused with {response.status}; {_describe_statuses(preferred)} is the status "
            f"to use ({rule})",
        )
    shown = response.body.decode("utf-8", "replace") + "\n" + "\n".join(
        value for _, value in response.headers)
    leaked = [s for s in secrets if len(s) >= 8 and s in shown]
    if leaked:
        client.record.downgrade(
            Verdict.NON_STRICT,
            "the refusal echoes the credential the client presented (RFC6750 5.3: bearer "
            "tokens must not be disclosed)",
        )
    internals = _INTERNALS_RE.search(shown)
    if internals:
        client.record.downgrade(
            Verdict.NON_STRICT,
            f"the refusal shows the server's internals ({internals.group(0)[:40]!r}; CWE-209)",
        )
    return result


async def gather(*calls: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run ``calls`` at once on the running event loop, asyncio or trio, and
    return their results in order. Every call runs to its end; the first
    exception raised, if any, is raised again afterwards."""
    results: list[Any] = [None] * len(calls)
    errors: list[Exception] = []

    async def run(index: int, call: Callable[[], Awaitable[Any]]) -> None:
        try:
            results[index] = await call()
        except Exception as exc:  # kept for after the others have finished
            errors.append(exc)

    if running_trio():
        import trio

        async with trio.open_nursery() as nursery:
            for index, call in enumerate(calls):
                nursery.start_soon(run, index, call)
    else:
        import asyncio

        await asyncio.gather(*(run(index, call) for index, call in enumerate(calls)))
    if errors:
        raise errors[0]
    return results




#: what a case body does, given its client.
Observation = Callable[[Client], Awaitable[None]]


class ConcurrentObservations:
    """Cases that watch a timer of the target, run at once and graded one by one.

    A case that checks a heartbeat or a handshake deadline lasts as long as
    the timer it watches; run one after the other, such cases cost the sum of
    their timers. Here the first :meth:`take` runs every observation not yet
    run, at once, each with a client and a record of its own; each
    :meth:`take` then hands one result to its case: the wire log, what was
    expected and observed, the downgrades, and the exception the observation
    raised, raised again. A group of timer cases costs about its longest timer.
    """

    def __init__(self, observations: Mapping[str, Observation]) -> None:
        self._waiting = dict(observations)
        self._done: dict[str, tuple[CaseRecord, BaseException | None]] = {}
        self._background: BackgroundRun | None = None
        self._in_background: set[str] = set()

    @classmethod
    def of_selected(cls, items: Iterable[Any], test_name: str, param: str,
                    table: Mapping[str, Observation]) -> ConcurrentObservations:
        """The observations of ``table`` whose cases are among ``items`` (a run's
        pytest items): calls of the test function ``test_name`` whose parameter
        ``param`` holds the key."""
        keys = {item.callspec.params.get(param) for item in items
                if getattr(item, "originalname", None) == test_name
                and hasattr(item, "callspec")}
        return cls({key: observe for key, observe in table.items() if key in keys})

    async def take(self, key: str, client: Client) -> None:
        """Grade ``client``'s case by the observation ``key`` (run now if need be)."""
        if key not in self._done and key in self._in_background:
            assert self._background is not None
            await self._background.wait()
            if key not in self._done:
                raise HarnessError(f"the observation {key!r}, started when the run began, "
                                   f"ended without a result: {self._background.error!r}")
        if key not in self._done:
            if key not in self._waiting:
                raise HarnessError(f"no observation {key!r} was planned for this run")
            await self._run_waiting(client.target)
        record, error = self._done.pop(key)
        into = client.record
        dropped = record.wirelog.dropped
        into.wirelog.event("observed at once with other timer cases; the times below count "
                           "from the start of the observation"
                           + (f" ({dropped} entries not kept)" if dropped else ""))
        into.wirelog.entries.extend(record.wirelog.entries)
        if record.expected or record.observed:
            into.observe(record.expected, record.observed)
        into.verdict = into.verdict.worse(record.verdict)
        into.notes.extend(record.notes)
        if error is not None:
            raise error

    def start(self, target: Target) -> None:
        """Begin every observation not yet run, now, at once, on an event loop
        of their own in a thread: the run's other cases go on meanwhile, and a
        :meth:`take` only waits for what is left of the timers."""
        if not self._waiting:
            return
        waiting = dict(self._waiting)
        self._in_background.update(waiting)
        self._background = BackgroundRun(target.driver,
                                         functools.partial(self._run_waiting, target))
        self._background.start()

    def stop(self) -> None:
        """Stop observations begun by :meth:`start` (at the end of the run:
        those whose cases ran elsewhere, on another xdist worker)."""
        if self._background is not None:
            self._background.cancel()

    async def _run_waiting(self, target: Target) -> None:
        import pytest

        waiting, self._waiting = self._waiting, {}

        async def observe(key: str, observation: Observation) -> None:
            record = CaseRecord(key, "", key, "", "", None)
            client = Client(target, record)
            error: BaseException | None = None
            try:
                await observation(client)
            except (Exception, pytest.skip.Exception) as exc:
                error = exc
            finally:
                await client.aclose()
            self._done[key] = (record, error)

        await gather(*(functools.partial(observe, key, observation)
                       for key, observation in waiting.items()))


async def expect_message_frames(connection: Connection, data: str | bytes, *,
                                opcode: int | None = None, timeout: float | None = None,
                                rule: str = "RFC6455 6.2") -> tuple[Message, list[Frame]]:
    """As :meth:`Connection.expect_message`, and also the data frames that carried
    the message, as received: a compressed message's frames hold the compressed
    bytes, for checks on what the server put on the wire (RFC 7692 window sizes).
    Control frames between them stay queued for the next ``expect_*`` call."""
    wait = connection.client.timeout if timeout is None else timeout
    deadline = connection.driver.clock() + wait
    pending = connection._pending
    while connection.end is None and not any(isinstance(e, Message) for e in pending):
        remaining = deadline - connection.driver.clock()
        if remaining <= 0:
            break
        received = await connection.driver.receive(remaining)
        if isinstance(received, StreamEnd):
            connection.end = received
        elif received is not None:
            connection.feed(received)
    frames: list[Frame] = []
    for event in list(pending):
        if isinstance(event, Message):
            break
        if event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION):
            frames.append(event)
            pending.remove(event)
    message = await connection.expect_message(
        data, opcode=opcode, timeout=max(deadline - connection.driver.clock(), 0.0), rule=rule)
    return message, frames



async def send_piecewise(connection: Connection, frames: Sequence[Frame], *,
                         octets: bool = False) -> None:
    """Send ``frames`` one frame per TCP write (one octet per write with
    ``octets``), taking in what the server sends between writes, and stop
    writing once it has sent a close frame or ended the connection.

    A server that fails the connection on a bad frame (as soon as it reads its
    header, say) may close its socket at once: bytes reaching it afterwards
    draw a TCP reset, which can destroy its close frame before the client has
    read it. What the server sent stays queued for the next ``expect_*`` call;
    the bytes not sent are noted in the wire log.
    """
    pieces = [connection.encode_frames([frame]) for frame in frames]
    if octets:
        wire = b"".join(pieces)
        pieces = [wire[index:index + 1] for index in range(len(wire))]
    for index, piece in enumerate(pieces):
        if await connection.send_raw(piece) is not None:
            return
        received = await connection.driver.receive(0)
        if isinstance(received, StreamEnd):
            connection.end = received
        elif received:
            connection.feed(received)
        closed = connection.end is not None or any(
            isinstance(event, Frame) and event.opcode == Opcode.CLOSE
            for event in connection._pending)
        if closed and index + 1 < len(pieces):
            left = sum(len(rest) for rest in pieces[index + 1:])
            connection.wirelog.event(f"the server has closed: the last {left} bytes are not sent")
            return
