"""The faults: each one a small :class:`~targets.reference.server.Behaviour`
override that breaks one rule, and nothing else.

Each class calls ``super()`` for the compliant work and bends its result, so
several faults combine into one behaviour (see
:func:`targets.faulty.behaviour_with`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections import deque

from harness.protocol.close import encode_close_payload
from harness.protocol.frames import Frame, LengthForm, Opcode, is_reserved
from harness.protocol.messages import Message
from targets.reference.server import Behaviour

from .rewrite import ZERO_MASK, FrameRewriter, RawHeader

_ACCEPT_RE = re.compile(rb"(?im)^(Sec-WebSocket-Accept:[ \t]*)([^\r\n]*)\r\n")
_UPGRADE_RE = re.compile(rb"(?im)^Upgrade:[^\r\n]*\r\n")


def _flip_last_bit(data: bytes) -> bytes:
    # XOR 1 on the last byte keeps valid UTF-8 valid (every range boundary of
    # UTF-8 is even), so a corrupted text echo is wrong, not malformed.
    if not data:
        return b"?"
    return data[:-1] + bytes((data[-1] ^ 0x01,))


class BadAccept(Behaviour):
    def accept_response(self, response: bytes) -> bytes:
        def wrong(match: re.Match[bytes]) -> bytes:
            value = base64.b64encode(hashlib.sha1(match.group(2)).digest())
            return match.group(1) + value + b"\r\n"

        return _ACCEPT_RE.sub(wrong, super().accept_response(response))


class NoUpgradeHeader(Behaviour):
    def accept_response(self, response: bytes) -> bytes:
        return _UPGRADE_RE.sub(b"", super().accept_response(response))


class BinaryAsText(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        echoed = super().echo(message)
        if echoed is not None and echoed[0] == Opcode.BINARY:
            return Opcode.TEXT, echoed[1]
        return echoed


class CorruptEcho(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        echoed = super().echo(message)
        return None if echoed is None else (echoed[0], _flip_last_bit(echoed[1]))


class NoEcho(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        return None


class NoPong(Behaviour):
    def pong(self, payload: bytes) -> bytes | None:
        return None


class PongWrongPayload(Behaviour):
    def pong(self, payload: bytes) -> bytes | None:
        answer = super().pong(payload)
        return None if answer is None else _flip_last_bit(answer)


class MaskedFrames(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        return dataclasses.replace(super().frame(opcode, payload, rsv1=rsv1), mask_key=b"wsfm")


class RsvSet(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        return dataclasses.replace(super().frame(opcode, payload, rsv1=rsv1), rsv2=True)


class NonMinimalLength(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        frame = super().frame(opcode, payload, rsv1=rsv1)
        if len(frame.payload) <= 125:
            return dataclasses.replace(frame, length_form=LengthForm.MEDIUM)
        return frame


class NoCloseReply(Behaviour):
    def close_reply(self, code: int | None) -> bytes | None:
        return None


class Close1005OnWire(Behaviour):
    def close_reply(self, code: int | None) -> bytes | None:
        return None if super().close_reply(code) is None else encode_close_payload(1005)


class _Rewriting(Behaviour):
    """Base of the faults that edit received frames (see :mod:`.rewrite`)."""

    def __init__(self) -> None:
        super().__init__()
        self._rewriter = FrameRewriter(self._rewrite)

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        return header

    def incoming(self, data: bytes) -> bytes:
        return super().incoming(self._rewriter.feed(data))


class AcceptUnmasked(_Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.mask_key is None:
            # A zero key masks nothing: the parser sees the frame as masked.
            return dataclasses.replace(header, mask_key=ZERO_MASK)
        return header


class AcceptReservedOpcode(_Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        return None if is_reserved(header.opcode) else header


class IgnoreUtf8(_Rewriting):
    """Text messages reach the parser as binary (so UTF-8 goes unchecked), and
    are echoed as text again."""

    def __init__(self) -> None:
        super().__init__()
        self._kinds: deque[int] = deque()

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._kinds.append(header.opcode)
        if header.opcode == Opcode.TEXT:
            return dataclasses.replace(header, opcode=Opcode.BINARY)
        return header

    def echo(self, message: Message) -> tuple[int, bytes] | None:
        kind = self._kinds.popleft() if self._kinds else message.opcode
        echoed = super().echo(message)
        if echoed is not None and kind == Opcode.TEXT:
            return Opcode.TEXT, echoed[1]
        return echoed


#: name → (the rule broken, with its section; the override that breaks it).
CATALOGUE: dict[str, tuple[str, type[Behaviour]]] = {
    "bad-accept": (
        "RFC 6455 4.2.2: Sec-WebSocket-Accept must be base64(SHA-1(key + GUID)); "
        "this server sends another value.",
        BadAccept,
    ),
    "no-upgrade-header": (
        "RFC 6455 4.2.2: the 101 response must carry Upgrade: websocket; this one has none.",
        NoUpgradeHeader,
    ),
    "binary-as-text": (
        "RFC 6455 5.6: an echo must keep the message's opcode; binary messages come back as text.",
        BinaryAsText,
    ),
    "corrupt-echo": (
        "RFC 6455 6.2: the server must deliver the unmasked payload; each echo has "
        "one bit of its last byte flipped.",
        CorruptEcho,
    ),
    "no-echo": (
        "Profile echo = true: every message must be echoed; this server drops them.",
        NoEcho,
    ),
    "no-pong": (
        "RFC 6455 5.5.2: a ping must be answered with a pong; this server never answers.",
        NoPong,
    ),
    "pong-wrong-payload": (
        "RFC 6455 5.5.3: a pong must carry the ping's application data; this one differs.",
        PongWrongPayload,
    ),
    "masked-frames": (
        "RFC 6455 5.1: a server must not mask the frames it sends; this one masks all.",
        MaskedFrames,
    ),
    "rsv-set": (
        "RFC 6455 5.2: RSV bits must be 0 unless an extension defines them; this server "
        "sets RSV2 on every frame.",
        RsvSet,
    ),
    "no-close-reply": (
        "RFC 6455 5.5.1: a close must be answered with a close and the TCP connection "
        "closed; this server ignores it and keeps the connection open.",
        NoCloseReply,
    ),
    "close-1005-on-wire": (
        "RFC 6455 7.4.1: 1005 must not be sent in a close frame; this server answers "
        "a close with it.",
        Close1005OnWire,
    ),
    "accept-unmasked": (
        "RFC 6455 5.1: a server must close the connection on an unmasked client frame; "
        "this one processes it.",
        AcceptUnmasked,
    ),
    "accept-reserved-opcode": (
        "RFC 6455 5.2: a frame with a reserved opcode must fail the connection; this "
        "server silently skips it.",
        AcceptReservedOpcode,
    ),
    "ignore-utf8": (
        "RFC 6455 8.1: a text message that is not valid UTF-8 must fail the connection "
        "with 1007; this server echoes it.",
        IgnoreUtf8,
    ),
    "non-minimal-length": (
        "RFC 6455 5.2: the payload length must use the minimal encoding; this server "
        "uses the 16-bit form for payloads of 125 bytes or less.",
        NonMinimalLength,
    ),
}
