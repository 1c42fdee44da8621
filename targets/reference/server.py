"""The reference server: a strict RFC 6455 + RFC 7692 echo server on asyncio.

Theory of operation
-------------------

Every byte decision is made by the sans-IO core in :mod:`wsspec.protocol`;
this module only moves bytes and keeps time. One connection is one task
running :class:`_Connection`, in three phases:

1. *Opening handshake.* The request is read with a
   :class:`~wsspec.protocol.handshake.RequestParser` under one deadline for
   the whole head (a client that dribbles a byte a second is dropped like one
   that sends nothing) and one cap on its size (431 beyond it). The request
   is then judged by :func:`judge`, a pure function of the request and the
   profile, which answers 101 or refuses. After a refusal no WebSocket byte
   is sent and the connection is closed.
2. *Open.* Received bytes go through a
   :class:`~wsspec.protocol.messages.Receiver` (client frames must be
   masked), bytes pipelined behind the request first. Data messages are
   echoed with their opcode, pings answered with the same payload, pongs
   settle the heartbeat. One task owns both reading and writing, so frames
   never interleave; timers (heartbeat, idle) are the read deadline.
3. *Closing.* On a rule broken the server sends a close frame with the
   violation's code (1002, 1007, 1009) and processes no further input; on a
   client's close it answers with the same code (or an empty close for an
   empty one). Either way it then closes TCP first, cleanly: it half-closes
   (FIN), reads and discards until the client's FIN or a deadline, and only
   then releases the socket, so the client sees the close frame and not a
   reset.

Every wait has a deadline and every buffer a cap: the handshake head
(:data:`MAX_HEADER_SIZE`), messages (``limits.max_message_size``, 64 MiB by
default, checked as the message grows), writes (a client that stops reading
is dropped after :data:`WRITE_TIMEOUT` s), the close handshake
(:data:`CLOSE_TIMEOUT` s) and idleness (:data:`IDLE_TIMEOUT` s).

Close codes the server sends: the violation's code when failing; the
client's own code echoed when answering a close; 1011 when a heartbeat ping
goes unanswered (RFC 6455 §7.4.1: "an unexpected condition that prevented it
from fulfilling the request"; 1001 means the server itself is going away and
1008 names a message that broke a policy, and a missing pong is neither);
1001 when the server stops or a connection idles out. Never 1005, 1006 or
1015.

A client counts as silent for the heartbeat only when nothing of it is
waiting to be read: bytes already received are read before a timer that fell
due is handled, and a client whose message is still arriving, its bytes still
coming, is not dropped for a missing pong, which may be queued behind that
message (a large one sent just before the ping); it is dropped once
``timeout`` has passed since its last bytes.

Behaviour hooks: :class:`Behaviour` gathers the few points where a server
can go wrong, each a small method with the compliant behaviour. The server
takes the class as a parameter (``ReferenceServer(behaviour=...)``) and makes
one instance per connection; the deliberately faulty servers of
:mod:`wsspec.targets.faulty` pass subclasses that override a method each. This
module knows nothing of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wsspec.profile import TargetProfile
from wsspec.protocol.close import encode_close_payload, parse_close_payload
from wsspec.protocol.errors import HandshakeViolation, ProtocolViolation
from wsspec.protocol.frames import Frame, Opcode
from wsspec.protocol.handshake import (
    TOKEN_RE,
    HandshakeRequest,
    RequestParser,
    build_accept_response,
    build_reject_response,
    check_request,
    parse_extension_header,
    parse_header_list,
)
from wsspec.protocol.messages import Decompressor, Message, Receiver

from .auth import SUBPROTOCOL_TOKEN_PREFIX, check_credentials

if TYPE_CHECKING:
    from wsspec.protocol.deflate import DeflateParams, Deflater

__all__ = [
    "CLOSE_TIMEOUT",
    "DEFAULT_HANDSHAKE_TIMEOUT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "HEARTBEAT_CLOSE_CODE",
    "IDLE_TIMEOUT",
    "MAX_HEADER_SIZE",
    "WRITE_TIMEOUT",
    "Acceptance",
    "Behaviour",
    "ReferenceServer",
    "Refusal",
    "RunningServer",
    "judge",
    "run_in_thread",
]

#: Cap on the request line and header block of the opening handshake (bytes).
MAX_HEADER_SIZE = 16 * 1024
#: Deadline for the whole opening handshake when the profile declares none (s).
DEFAULT_HANDSHAKE_TIMEOUT = 10.0
#: Cap on a message (inflated size) when the profile declares none (bytes).
DEFAULT_MAX_MESSAGE_SIZE = 64 * 2**20
#: A client that does not read what the server writes is dropped after this (s).
WRITE_TIMEOUT = 10.0
#: How long the server waits for the peer's close frame or FIN after its own (s).
CLOSE_TIMEOUT = 5.0
#: An open connection with no traffic at all for this long is closed with 1001 (s).
IDLE_TIMEOUT = 300.0
#: The close code for a heartbeat ping that went unanswered (see the module docstring).
HEARTBEAT_CLOSE_CODE = 1011
#: Connections served at once; beyond this a handshake is refused with 503.
MAX_CONNECTIONS = 16_384  # room for load runs (wsspec load) of ten thousand

_READ_CHUNK = 65536
#: The least a read waits: enough for bytes already received to be returned
#: before a timer that fell due is handled (see the module docstring).
_LEAST_READ_WAIT = 0.001
_log = logging.getLogger("wsspec.reference")
_GOING_AWAY = 1001


class Behaviour:
    """The points where a server can go wrong, each with the compliant behaviour.

    One instance serves one connection, so an override may keep state. A
    subclass passed to :class:`ReferenceServer` (a fault of
    :mod:`wsspec.targets.faulty`) overrides a method and calls ``super()`` for
    the rest of the work, so subclasses combine.
    """

    def incoming(self, data: bytes) -> bytes:
        """Received bytes (after the handshake) on their way to the frame parser."""
        return data

    def accept_response(self, response: bytes) -> bytes:
        """The bytes of the 101 response, on their way to the client."""
        return response

    def echo(self, message: Message) -> tuple[int, bytes] | None:
        """The opcode and payload to echo ``message`` with; ``None`` sends nothing."""
        return message.opcode, message.data

    def pong(self, payload: bytes) -> bytes | None:
        """The payload of the pong answering a ping of ``payload``; ``None``: no pong."""
        return payload

    def close_reply(self, code: int | None) -> bytes | None:
        """The payload of the close frame answering a client's close with ``code``.

        ``code`` is ``None`` when the client's close frame was empty; the reply
        is then empty too (RFC 6455 §5.5.1). ``None`` ignores the close.
        """
        return b"" if code is None else encode_close_payload(code)

    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        """A frame the server sends: FIN set, unmasked, minimal length form."""
        return Frame(opcode, payload, rsv1=rsv1)

    def wire(self, frame: Frame) -> bytes:
        """The bytes ``frame`` goes out as: its encoding, as one frame."""
        return frame.encode()

    def serves_after_accept(self) -> bool:
        """Whether the connection is served once the 101 is sent (False: the server
        closes TCP right after its 101, as a crashed handler would)."""
        return True

    def unsolicited_pong_interval(self) -> float | None:
        """Seconds between unsolicited pongs the server sends as a one-way heartbeat
        (RFC 6455 5.5.3 allows them); ``None``: it sends none."""
        return None

    def closes_tcp_after_close(self) -> bool:
        """Whether, once a close frame is sent, the server closes TCP itself (FIN)
        rather than wait for the client to (RFC 6455 5.5.1, 7.1.1)."""
        return True

    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        """The compressor of the messages the server sends, for the permessage-deflate
        parameters agreed (``None``: not agreed, messages go uncompressed)."""
        if params is None:
            return None
        from wsspec.protocol.deflate import Deflater

        return Deflater(
            window_bits=params.server_max_window_bits,
            no_context_takeover=params.server_no_context_takeover,
        )

    def inflater(self, params: DeflateParams) -> Decompressor:
        """The decompressor of the client's compressed messages, for the parameters agreed."""
        from wsspec.protocol.deflate import Inflater

        return Inflater(
            window_bits=params.client_max_window_bits,
            no_context_takeover=params.client_no_context_takeover,
        )

    def policy(self, profile: TargetProfile) -> TargetProfile:
        """The profile this connection enforces (limits, heartbeat, origin, ...)."""
        return profile

    def judge(self, request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
        """Accept or refuse the opening handshake (see :func:`judge`)."""
        return judge(request, profile)


# ---------------------------------------------------------------------------
# Judging the opening handshake: a pure function of the request and profile.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A refused handshake: the status, a one-sentence body, extra headers."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        """The HTTP response (``Connection: close``, a plain text body)."""
        return build_reject_response(
            self.status, headers=self.headers, body=(self.reason + "\n").encode("utf-8")
        )


@dataclass(frozen=True)
class Acceptance:
    """An accepted handshake: what the 101 carries and what was agreed."""

    key: str
    subprotocol: str | None = None
    extensions: str | None = None
    deflate: DeflateParams | None = None

    def encode(self) -> bytes:
        """The 101 Switching Protocols response."""
        return build_accept_response(
            self.key, subprotocol=self.subprotocol, extensions=self.extensions
        )


def judge(request: HandshakeRequest, profile: TargetProfile) -> Acceptance | Refusal:
    """Accept or refuse an opening handshake request, checking in this order:

    the RFC 6455 §4.2.1 rules (400, 405, 426), the resource (404 when the
    profile declares ``paths``), the origin (403), the credentials (401/403),
    the subprotocol offer (400 when malformed, or when ``subprotocol_required``
    and nothing offered is spoken), then permessage-deflate.
    """
    status, problems = check_request(request)
    if status != 101:
        # RFC 9110 15.5.22: a 426 names the protocol to upgrade to, and 7.8: a
        # sender of Upgrade lists it as a connection option too.
        upgrade = (("Upgrade", "websocket"), ("Connection", "Upgrade")) if status == 426 else ()
        return Refusal(status, " ".join(problems), upgrade)

    path = urlsplit(request.target).path
    if profile.paths is not None and path not in profile.paths:
        return Refusal(404, f"no WebSocket endpoint at {path!r}")

    if profile.origin is not None:
        refusal = _check_origin(request, profile)
        if refusal is not None:
            return refusal

    if profile.auth is not None:
        decision = check_credentials(request, profile.auth)
        if not decision.accepted:
            headers = (("WWW-Authenticate", decision.challenge),) if decision.challenge else ()
            return Refusal(decision.status, decision.reason, headers)

    offered = parse_header_list(request.get("Sec-WebSocket-Protocol"))
    for item in offered:
        if not TOKEN_RE.fullmatch(item):
            return Refusal(400, f"RFC 6455 §4.1: subprotocol {item!r} is not a token.")
    subprotocol = next(
        (
            item
            for item in offered
            if item in profile.subprotocols and not item.startswith(SUBPROTOCOL_TOKEN_PREFIX)
        ),
        None,
    )
    if subprotocol is None and profile.subprotocol_required:
        spoken = ", ".join(profile.subprotocols)
        return Refusal(400, f"no offered subprotocol is spoken here; offer one of: {spoken}")

    key = request.get("Sec-WebSocket-Key")[0]
    try:
        # 4.2.1: a header breaking its grammar (9.1) is refused, extensions spoken or not.
        parse_extension_header(request.get("Sec-WebSocket-Extensions"))
    except HandshakeViolation as exc:
        return Refusal(400, " ".join(exc.problems))
    if profile.deflate is None or not profile.deflate.enabled:
        return Acceptance(key, subprotocol)
    from wsspec.protocol import deflate

    agreed = deflate.negotiate(request.get("Sec-WebSocket-Extensions"), enabled=True)
    if agreed is None:
        return Acceptance(key, subprotocol)
    extensions, params = agreed
    return Acceptance(key, subprotocol, extensions, params)


def _check_origin(request: HandshakeRequest, profile: TargetProfile) -> Refusal | None:
    assert profile.origin is not None
    origins = request.get("Origin")
    if not origins:
        if profile.origin.allow_missing:
            return None
        return Refusal(403, "RFC 6455 §10.2: a request without Origin is not accepted here")
    allowed = {item.lower() for item in profile.origin.allowed}
    if len(origins) > 1 or origins[0].strip().lower() not in allowed:
        return Refusal(403, "RFC 6455 §10.2: this Origin is not allowed")
    return None


# ---------------------------------------------------------------------------
# One connection.
# ---------------------------------------------------------------------------


class _Dropped(Exception):
    """The connection is gone (or was given up): stop serving it."""


class _Connection:
    def __init__(
        self,
        server: ReferenceServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        behaviour: Behaviour,
    ) -> None:
        self.server = server
        self.profile = behaviour.policy(server.profile)
        self.reader = reader
        self.writer = writer
        self.behaviour = behaviour
        self.loop = asyncio.get_running_loop()
        self.open = False  # the 101 has been sent and no close frame yet
        self.close_sent = False
        self.close_deadline = 0.0
        self.deflater: Deflater | None = None
        # Heartbeat state (loop.time() values; None when not due).
        self.next_ping: float | None = None
        self.pong_due: float | None = None
        self.next_unsolicited_pong: float | None = None
        self.pings_sent = 0
        self.idle_deadline = 0.0
        self.last_input = 0.0  # when the client's last bytes came

    # -- I/O with deadlines -------------------------------------------------

    async def read(self, deadline: float) -> bytes:
        """The next bytes, ``b""`` at EOF; ``TimeoutError`` past ``deadline``."""
        timeout = max(_LEAST_READ_WAIT, deadline - self.loop.time())
        try:
            return await asyncio.wait_for(self.reader.read(_READ_CHUNK), timeout)
        except asyncio.TimeoutError:
            raise
        except OSError:  # reset, broken pipe, TLS failure: the stream is over
            return b""

    async def write(self, data: bytes) -> None:
        """Write and wait until the kernel took it; drop a client that stops reading."""
        if self.writer.is_closing():
            raise _Dropped
        self.writer.write(data)
        try:
            await asyncio.wait_for(self.writer.drain(), WRITE_TIMEOUT)
        except (asyncio.TimeoutError, OSError):
            raise _Dropped from None

    def drop(self) -> None:
        """Release the socket now; reset it if unsent data would otherwise hold it."""
        transport = self.writer.transport
        if transport.is_closing():
            return
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    async def finish(self, linger: float = CLOSE_TIMEOUT) -> None:
        """Close TCP first and cleanly: FIN, discard input until the peer's FIN, close."""
        transport = self.writer.transport
        try:
            if not transport.is_closing() and transport.can_write_eof():
                with contextlib.suppress(asyncio.TimeoutError, OSError):
                    await asyncio.wait_for(self.writer.drain(), WRITE_TIMEOUT)
                    if not self.close_sent or self.behaviour.closes_tcp_after_close():
                        transport.write_eof()
                    deadline = self.loop.time() + linger
                    while await self.read(deadline):
                        pass
        finally:
            self.drop()

    async def send_frame(self, opcode: int, payload: bytes = b"", *, rsv1: bool = False) -> None:
        await self.write(self.behaviour.wire(self.behaviour.frame(opcode, payload, rsv1=rsv1)))

    # -- phases -------------------------------------------------------------

    async def serve(self) -> None:
        try:
            request, trailing = await self.handshake()
            if request is None:
                return
            verdict = self.decide(request)
            if isinstance(verdict, Refusal):
                await self.write(verdict.encode())
                await self.finish()
                return
            self.open = True  # from the first byte of the 101 on, a stop sends 1001
            await self.write(self.behaviour.accept_response(verdict.encode()))
            if not self.behaviour.serves_after_accept():
                return
            await self.session(verdict, trailing)
        except _Dropped:
            self.drop()
        finally:
            self.drop()

    def shutdown(self) -> None:
        """The server is stopping: send 1001 on an open connection, close the socket.

        Closing the transport ends the pending read, so :meth:`serve` returns.
        """
        if self.open and not self.close_sent:
            self.close_sent = True
            with contextlib.suppress(Exception):
                self.writer.write(
                    self.behaviour.frame(
                        Opcode.CLOSE, encode_close_payload(_GOING_AWAY, "server stopping")
                    ).encode()
                )
        self.drop()

    def decide(self, request: HandshakeRequest) -> Acceptance | Refusal:
        if self.server.active_connections > MAX_CONNECTIONS:
            return Refusal(503, "too many connections; try again later")
        return self.behaviour.judge(request, self.profile)

    async def handshake(self) -> tuple[HandshakeRequest | None, bytes]:
        """Read the request under the handshake deadline; refuse malformed HTTP."""
        parser = RequestParser(max_header_size=MAX_HEADER_SIZE)
        limits = self.profile.limits
        timeout = (limits.handshake_timeout if limits else None) or DEFAULT_HANDSHAKE_TIMEOUT
        deadline = self.loop.time() + timeout
        received = 0
        while True:
            try:
                data = await self.read(deadline)
            except asyncio.TimeoutError:
                # RFC 6455 §7.2.2: abort an opening handshake by closing.
                self.drop()
                return None, b""
            if not data:
                return None, b""
            received += len(data)
            try:
                request = parser.feed(data)
            except HandshakeViolation as exc:
                status = 431 if received >= MAX_HEADER_SIZE else 400
                await self.write(Refusal(status, " ".join(exc.problems)[:1000]).encode())
                await self.finish()
                return None, b""
            if request is not None:
                return request, parser.trailing

    async def session(self, accepted: Acceptance, trailing: bytes) -> None:
        """The open connection: echo, pong, heartbeat, until a close or a violation."""
        limits = self.profile.limits
        max_size = (limits.max_message_size if limits else None) or DEFAULT_MAX_MESSAGE_SIZE
        decompressor = None
        max_frame = max_size
        self.deflater = self.behaviour.deflater(accepted.deflate)
        if accepted.deflate is not None:
            decompressor = self.behaviour.inflater(accepted.deflate)
            # A compressed frame of incompressible data is a little larger than its data.
            max_frame = max_size + max_size // 100 + 1024
        receiver = Receiver(
            expect_masked=True,
            max_frame_size=max_frame,
            max_message_size=max_size,
            decompressor=decompressor,
        )
        heartbeat = self.profile.heartbeat
        now = self.loop.time()
        if heartbeat is not None:
            self.next_ping = now + heartbeat.ping_interval
        pong_interval = self.behaviour.unsolicited_pong_interval()
        if pong_interval is not None:
            self.next_unsolicited_pong = now + pong_interval
        self.idle_deadline = now + IDLE_TIMEOUT

        data = trailing
        while True:
            if data:
                self.last_input = self.loop.time()
                self.idle_deadline = self.last_input + IDLE_TIMEOUT
                if not await self.receive(receiver, self.behaviour.incoming(data)):
                    return
            try:
                data = await self.read(self.next_deadline())
            except asyncio.TimeoutError:
                data = b""
                arriving = receiver.buffered > 0 or receiver.in_message
                if not await self.on_timer(message_arriving=arriving):
                    return
                continue
            if not data:
                return  # the client vanished without a close frame

    def next_deadline(self) -> float:
        if self.close_sent:
            return self.close_deadline
        times = [self.idle_deadline]
        if self.next_ping is not None:
            times.append(self.next_ping)
        if self.pong_due is not None:
            times.append(self.pong_due)
        if self.next_unsolicited_pong is not None:
            times.append(self.next_unsolicited_pong)
        return min(times)

    async def on_timer(self, *, message_arriving: bool = False) -> bool:
        """Handle whatever timer expired; False ends the connection. While a
        message is still arriving (``message_arriving``) and its bytes keep
        coming, an unanswered ping does not drop the client: its pong may be
        queued right behind the message; the client gets ``timeout`` from its
        last bytes."""
        now = self.loop.time()
        if self.close_sent:
            if now >= self.close_deadline:
                await self.finish(linger=0.0)
                return False
            return True
        heartbeat = self.profile.heartbeat
        if self.pong_due is not None and now >= self.pong_due and heartbeat is not None:
            if message_arriving and now < self.last_input + heartbeat.timeout:
                self.pong_due = self.last_input + heartbeat.timeout
            else:
                await self.start_close(HEARTBEAT_CLOSE_CODE, "keepalive ping timeout")
                return True
        if now >= self.idle_deadline:
            await self.start_close(_GOING_AWAY, "idle timeout")
            return True
        interval = self.behaviour.unsolicited_pong_interval()
        if interval is not None and self.next_unsolicited_pong is not None \
                and now >= self.next_unsolicited_pong:
            await self.send_frame(Opcode.PONG, b"")
            self.next_unsolicited_pong = now + interval
        if heartbeat is not None and self.next_ping is not None and now >= self.next_ping:
            self.pings_sent += 1
            await self.send_frame(Opcode.PING, str(self.pings_sent).encode("ascii"))
            if self.pong_due is None:
                self.pong_due = now + heartbeat.timeout
            self.next_ping = now + heartbeat.ping_interval
        return True

    async def start_close(self, code: int, reason: str) -> None:
        """Begin a close the server initiates; the client has a deadline to answer."""
        await self.send_frame(Opcode.CLOSE, encode_close_payload(code, reason))
        self.close_sent = True
        linger = CLOSE_TIMEOUT
        if self.profile.heartbeat is not None and code == HEARTBEAT_CLOSE_CODE:
            # A client that did not answer pings will hardly answer this.
            linger = min(linger, self.profile.heartbeat.timeout)
        self.close_deadline = self.loop.time() + linger

    async def receive(self, receiver: Receiver, data: bytes) -> bool:
        """Feed received bytes and act on what they complete; False ends the connection."""
        try:
            events = receiver.feed(data)
        except ProtocolViolation as exc:
            _log.info("failing the connection: %s", exc)  # RFC 6455 7.1.7 SHOULD
            # Frames that came before the broken one are served first, in order.
            for event in receiver.events_before_failure:
                if isinstance(event, Frame) and not _passes_control_checks(event):
                    break  # the frame that broke the rule itself
                if not await self.handle(event):
                    return False
            if not self.close_sent:
                reason = exc.violation.value
                await self.send_frame(Opcode.CLOSE, encode_close_payload(exc.close_code, reason))
                self.close_sent = True
            # RFC 6455 §7.1.7: no further input is processed, the close reply included.
            await self.finish()
            return False
        for event in events:
            if not await self.handle(event):
                return False
        return True

    async def handle(self, event: Frame | Message) -> bool:
        """Act on one frame or message; False ends the connection."""
        if isinstance(event, Message):
            if not self.close_sent:
                await self.echo(event)
            return True
        if event.opcode == Opcode.PING:
            payload = self.behaviour.pong(event.payload)
            if payload is not None and not self.close_sent:
                await self.send_frame(Opcode.PONG, payload)
        elif event.opcode == Opcode.PONG:
            self.pong_due = None
        elif event.opcode == Opcode.CLOSE:
            return await self.on_close(event)
        return True

    async def echo(self, message: Message) -> None:
        echoed = self.behaviour.echo(message)
        if echoed is None:
            return
        opcode, payload = echoed
        if self.deflater is not None:
            await self.send_frame(opcode, self.deflater.compress(payload), rsv1=True)
        else:
            await self.send_frame(opcode, payload)

    async def on_close(self, frame: Frame) -> bool:
        if self.close_sent:
            # The answer to our own close: the close handshake is complete.
            await self.finish()
            return False
        reply = self.behaviour.close_reply(parse_close_payload(frame.payload).code)
        if reply is None:
            return True
        await self.send_frame(Opcode.CLOSE, reply)
        self.close_sent = True
        await self.finish()
        return False


def _passes_control_checks(frame: Frame) -> bool:
    # The receiver reports the frame it failed on among the events before the
    # failure; a control frame is acted on only if it passes its own checks.
    if frame.opcode < 0x8:
        return True
    if frame.rsv1:
        return False
    if frame.opcode == Opcode.CLOSE:
        try:
            parse_close_payload(frame.payload)
        except ProtocolViolation:
            return False
    return True


# ---------------------------------------------------------------------------
# The server.
# ---------------------------------------------------------------------------


class ReferenceServer:
    """The reference echo server (see the module docstring).

    ``profile`` declares what it enforces (paths, origin, auth, subprotocols,
    heartbeat, limits, deflate); ``None`` means a plain echo server. ``port=0``
    picks a free port, readable from :attr:`port` after :meth:`start`.
    ``behaviour`` is the :class:`Behaviour` (sub)class each connection is
    served with, one instance per connection.
    """

    def __init__(
        self,
        profile: TargetProfile | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        behaviour: type[Behaviour] = Behaviour,
    ) -> None:
        self.profile = profile if profile is not None else TargetProfile()
        self.host = host
        self._requested_port = port
        self.ssl_context = ssl_context
        self.behaviour = behaviour
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], _Connection] = {}

    @property
    def active_connections(self) -> int:
        """Connections being served right now."""
        return len(self._connections)

    @property
    def port(self) -> int:
        """The port the server listens on (``RuntimeError`` before :meth:`start`)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the server is not listening; call start() first")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """``ws://host:port/`` (or ``wss://``), on the profile's first path if it lists any."""
        scheme = "wss" if self.ssl_context is not None else "ws"
        host = f"[{self.host}]" if ":" in self.host else self.host
        path = self.profile.paths[0] if self.profile.paths else "/"
        return f"{scheme}://{host}:{self.port}{path}"

    async def start(self) -> None:
        """Listen; returns once connections are accepted."""
        limits = self.profile.limits
        timeout = (limits.handshake_timeout if limits else None) or DEFAULT_HANDSHAKE_TIMEOUT
        self._server = await asyncio.start_server(
            self._on_connect,
            self.host,
            self._requested_port,
            ssl=self.ssl_context,
            ssl_handshake_timeout=timeout if self.ssl_context is not None else None,
        )

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connection = _Connection(self, reader, writer, self.behaviour())
        self._connections[task] = connection
        try:
            await connection.serve()
        except Exception:
            # One connection's bug must not stop the server; it is logged.
            _log.exception("connection failed unexpectedly")
            writer.transport.abort()
        finally:
            self._connections.pop(task, None)

    async def stop(self) -> None:
        """Stop listening and close every connection (1001 to open ones), bounded."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for connection in list(self._connections.values()):
            connection.shutdown()
        tasks = list(self._connections)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()
        if server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), CLOSE_TIMEOUT)

    async def serve_forever(self) -> None:
        """Serve until cancelled, then stop."""
        if self._server is None:
            await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()


class RunningServer:
    """A :class:`ReferenceServer` running on its own event loop in a daemon thread."""

    def __init__(
        self,
        server: ReferenceServer,
        loop: asyncio.AbstractEventLoop,
        thread: threading.Thread,
        stopped: asyncio.Event,
    ) -> None:
        self.server = server
        self._loop = loop
        self._thread = thread
        self._stopped = stopped

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and join its thread (waiting at most ``timeout`` s)."""
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already closed
                self._loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_in_thread(
    profile: TargetProfile | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    behaviour: type[Behaviour] = Behaviour,
    ssl_context: ssl.SSLContext | None = None,
    start_timeout: float = 10.0,
) -> RunningServer:
    """Start a :class:`ReferenceServer` (serving with ``behaviour``) in a daemon
    thread; return once it listens.

    Errors from starting (port in use) are raised here.
    """
    server = ReferenceServer(profile, host=host, port=port, ssl_context=ssl_context,
                             behaviour=behaviour)
    ready = threading.Event()
    failure: list[BaseException] = []
    handles: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def main() -> None:
        stopped = asyncio.Event()
        try:
            await server.start()
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        handles.append((asyncio.get_running_loop(), stopped))
        ready.set()
        try:
            await stopped.wait()
        finally:
            await server.stop()

    thread = threading.Thread(
        target=asyncio.run, args=(main(),), name="wsspec-reference-server", daemon=True
    )
    thread.start()
    if not ready.wait(start_timeout):
        raise RuntimeError(f"the reference server did not start within {start_timeout} s")
    if failure:
        thread.join(start_timeout)
        raise failure[0]
    loop, stopped = handles[0]
    return RunningServer(server, loop, thread, stopped)
