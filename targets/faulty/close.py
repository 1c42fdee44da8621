"""Faults of the closing handshake (RFC 6455 5.5.1, 7): the reply to a close,
its code and reason, and closing TCP."""

from __future__ import annotations

from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.frames import Frame, Opcode
from wsspec.targets.reference.server import Behaviour

from .registry import fault

#: the cases a server answering close frames must get right (RFC 6455 5.5.1).
_CLOSE_ANSWERED = ("close.after.*", "close.code.valid-*", "close.normal.*", "close.order.*",
                   "close.payload.code-*", "close.payload.empty",
                   "close.payload.reason-123-bytes", "close.payload.reason-utf8", "close.tcp.*")
#: the code :class:`CloseEchoWrongCode` answers every close with.
_WRONG_REPLY_CODE = 1001
#: close codes of a connection the server fails (RFC 6455 7.4.1).
_FAILURE_CODES = {1002, 1007, 1009}


@fault(
    "no-close-reply",
    "RFC 6455 5.5.1: a close must be answered with a close and the TCP connection "
    "closed; this server ignores it and keeps the connection open.",
    catches=("close.normal.*", "close.payload.code-*", "close.payload.empty",
             "close.payload.reason-123-bytes", "close.payload.reason-utf8", "close.tcp.*"),
    scope="close.normal or close.payload or close.tcp",
)
class NoCloseReply(Behaviour):
    def close_reply(self, code: int | None) -> bytes | None:
        return None


@fault(
    "close-1005-on-wire",
    "RFC 6455 7.4.1: 1005 must not be sent in a close frame; this server answers "
    "a close with it.",
    catches=_CLOSE_ANSWERED,
)
class Close1005OnWire(Behaviour):
    def close_reply(self, code: int | None) -> bytes | None:
        return None if super().close_reply(code) is None else encode_close_payload(1005)


@fault(
    "close-echo-wrong-code",
    "RFC 6455 5.5.1: a close reply typically echoes the code received; this server "
    "answers every close with 1001.",
    catches=("close.after.*", "close.code.valid-1000", "close.code.valid-100[2-9]",
             "close.code.valid-101?", "close.code.valid-[34]*", "close.normal.*",
             "close.order.*", "close.payload.code-*", "close.payload.reason-123-bytes",
             "close.payload.reason-utf8"),
    verdict="non-strict",
)
class CloseEchoWrongCode(Behaviour):
    def close_reply(self, code: int | None) -> bytes | None:
        reply = super().close_reply(code)
        if reply is None or code is None or code == _WRONG_REPLY_CODE:
            return reply
        return encode_close_payload(_WRONG_REPLY_CODE)


@fault(
    "no-tcp-close-after-close",
    "RFC 6455 5.5.1, 7.1.1: once it has sent and received a close frame the server must "
    "close the TCP connection; this one waits for the client to close it.",
    catches=("close.normal.*", "close.tcp.*", "close.payload.empty", "close.payload.one-byte"),
    scope="close.normal or close.tcp or close.payload.empty or close.payload.one-byte",
)
class NoTcpCloseAfterClose(Behaviour):
    def closes_tcp_after_close(self) -> bool:
        return False


# -- a connection the server fails: the close frame first (SHOULD), a UTF-8 reason (MUST)


@fault(
    "fail-without-close-frame",
    "RFC 6455 7.1.7 (SHOULD): a server failing the connection sends a close frame "
    "before closing TCP; this one closes TCP without it.",
    catches=("rsv.*",),
    verdict="non-strict",
)
class FailWithoutCloseFrame(Behaviour):
    """The close frame that would fail a connection is never written: the server
    only closes TCP."""

    def wire(self, frame: Frame) -> bytes:
        if frame.opcode == Opcode.CLOSE and len(frame.payload) >= 2 and \
                int.from_bytes(frame.payload[:2], "big") in _FAILURE_CODES:
            return b""
        return super().wire(frame)


@fault(
    "close-reason-not-utf8",
    "RFC 6455 5.5.1: a close reason must be UTF-8; this server puts an overlong "
    "(invalid) sequence in front of every reason it sends.",
    catches=("rsv.*",),
)
class CloseReasonNotUtf8(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        if opcode == Opcode.CLOSE and len(payload) > 2:
            payload = payload[:2] + b"\xc0\xaf" + payload[2:]
        return super().frame(opcode, payload, rsv1=rsv1)
