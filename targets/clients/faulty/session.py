"""Client faults of an open connection: pings and pongs (RFC 6455 §5.5.2-3) and closing (§7)."""

from __future__ import annotations

import socket

from wsspec.protocol import Frame, Opcode, ProtocolViolation, Violation
from wsspec.targets.clients.reference import ReferenceClient

from .registry import fault

_PINGS = ["client.ping.pong.*", "client.fragmentation.reassembly.ping-between-*",
          "client.fragmentation.reassembly.five-fragments-pings-*",
          "client.framing.mask.every-frame"]

#: the cases whose client must fail the connection
_FAILING = ["client.rsv.*", "client.opcodes.*", "client.framing.control.*",
            "client.fragmentation.order.*", "client.utf8.invalid.*",
            "client.close.bad-payload.*", "client.framing.mask.server-frame-masked"]


@fault("no-pong", "RFC 6455 5.5.2: a ping MUST be answered with a pong; this client never "
       "answers.", catches=_PINGS)
class NoPong(ReferenceClient):
    def on_ping(self, frame: Frame) -> None:
        pass


@fault("pong-altered", "RFC 6455 5.5.2: the pong MUST carry the ping's payload; this client "
       "flips a bit of it (or adds a byte to an empty one).", catches=_PINGS)
class PongAltered(ReferenceClient):
    def on_ping(self, frame: Frame) -> None:
        data = frame.payload
        altered = data[:-1] + bytes([data[-1] ^ 1]) if data else b"\x01"
        self.send_frame(Opcode.PONG, altered)


@fault("answers-pong", "RFC 6455 5.5.3: an unsolicited pong expects no answer; this client "
       "answers it with a pong.", catches=["client.ping.pong.pong-then-ping"])
class AnswersPong(ReferenceClient):
    def on_pong(self, frame: Frame) -> None:
        self.send_frame(Opcode.PONG, frame.payload)


@fault("no-close-reply", "RFC 6455 5.5.1: a close frame MUST be answered with one; this client "
       "waits for the server to hang up.",
       catches=["client.close.handshake.*", "client.close.payload.*",
                "client.close.tcp.server-closes-first"], also=["client.*"])
class NoCloseReply(ReferenceClient):
    def on_close(self, frame: Frame) -> None:
        self.wait_for_server_close()


@fault("closes-tcp-first", "RFC 6455 7.1.1: the client SHOULD wait for the server to close the "
       "TCP connection; this client closes it right after its close frame.",
       catches=["client.close.tcp.server-closes-first"], verdict="non-strict")
class ClosesTcpFirst(ReferenceClient):
    def wait_for_server_close(self) -> None:
        assert self.sock is not None
        self.sock.shutdown(socket.SHUT_RDWR)


@fault("drops-without-close-frame", "RFC 6455 7.1.7: failing an open connection, the client "
       "SHOULD send a close frame first; this client only drops the TCP connection.",
       catches=_FAILING, verdict="non-strict",
       also=["client.utf8.sequence.*", "client.close.beyond-ranges.*"])
class DropsWithoutCloseFrame(ReferenceClient):
    def on_violation(self, violation: ProtocolViolation) -> None:
        pass  # the caller closes the socket


@fault("ignores-bad-close", "RFC 6455 7.4: a close frame with a 1-byte payload or a code that "
       "may not be sent MUST fail the connection; this client reads past it.",
       catches=["client.close.bad-payload.one-byte", "client.close.bad-payload.code-*"],
       also=["client.close.beyond-ranges.*"])
class IgnoresBadClose(ReferenceClient):
    tolerated = frozenset({Violation.INVALID_CLOSE_CODE, Violation.CLOSE_PAYLOAD_TOO_SHORT})
