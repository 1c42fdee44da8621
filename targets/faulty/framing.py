"""Faults of framing (RFC 6455 5.1, 5.2, 5.6, 6.2): the frames the server
sends, the frames it must refuse, and its echoes."""

from __future__ import annotations

import dataclasses

from wsspec.protocol.deflate import DeflateParams, Deflater
from wsspec.protocol.frames import Frame, LengthForm, Opcode, is_reserved
from wsspec.protocol.messages import Message
from wsspec.targets.reference.server import Behaviour

from .corrupt import flip_last_bit
from .registry import fault
from .rewrite import ZERO_MASK, RawHeader, Rewriting

#: the size of the frames a fragmenting echo is cut into (bytes).
_ECHO_FRAME = 4096
#: the messages echoed in more than one 4 KiB frame.
_LONG_ECHOES = ("framing.size.*.6553[5-7].*", "framing.size.*.1048576.*", "misc.auto-fragment.*",
                "misc.fragment-size.*.1[0-9]*", "misc.fragment-size.*.6*")


# -- the server's frames: every frame the client parses is checked ----------------


@fault(
    "masked-frames",
    "RFC 6455 5.1: a server must not mask the frames it sends; this one masks all.",
    catches=("ping.*",),
)
class MaskedFrames(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        return dataclasses.replace(super().frame(opcode, payload, rsv1=rsv1), mask_key=b"wsfm")


@fault(
    "rsv-set",
    "RFC 6455 5.2: RSV bits must be 0 unless an extension defines them; this server "
    "sets RSV2 on every frame.",
    catches=("ping.*",),
)
class RsvSet(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        return dataclasses.replace(super().frame(opcode, payload, rsv1=rsv1), rsv2=True)


@fault(
    "non-minimal-length",
    "RFC 6455 5.2: the payload length must use the minimal encoding; this server "
    "uses the 16-bit form for payloads of 125 bytes or less.",
    catches=("ping.*",),
)
class NonMinimalLength(Behaviour):
    def frame(self, opcode: int, payload: bytes, *, rsv1: bool = False) -> Frame:
        frame = super().frame(opcode, payload, rsv1=rsv1)
        if len(frame.payload) <= 125:
            return dataclasses.replace(frame, length_form=LengthForm.MEDIUM)
        return frame


@fault(
    "echo-fragmented-wrongly",
    "RFC 6455 5.4: the frames after the first of a fragmented message are continuation "
    "frames; this server cuts echoes of more than 4 KiB into frames that all carry the "
    "message's opcode.",
    catches=_LONG_ECHOES,
)
class EchoFragmentedWrongly(Behaviour):
    """Echoes longer than :data:`_ECHO_FRAME` bytes go out in frames of that size,
    every one of them carrying the message's opcode instead of continuation."""

    def wire(self, frame: Frame) -> bytes:
        if frame.opcode not in (Opcode.TEXT, Opcode.BINARY) or len(frame.payload) <= _ECHO_FRAME:
            return super().wire(frame)
        pieces = [frame.payload[i:i + _ECHO_FRAME]
                  for i in range(0, len(frame.payload), _ECHO_FRAME)]
        return b"".join(
            super(EchoFragmentedWrongly, self).wire(
                Frame(frame.opcode, piece, fin=i == len(pieces) - 1, rsv1=frame.rsv1 and i == 0))
            for i, piece in enumerate(pieces))


# -- echoes -----------------------------------------------------------------------


@fault(
    "binary-as-text",
    "RFC 6455 5.6: an echo must keep the message's opcode; binary messages come back as text.",
    catches=("framing.echo.binary", "framing.size.binary.*"),
)
class BinaryAsText(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        echoed = super().echo(message)
        if echoed is not None and echoed[0] == Opcode.BINARY:
            return Opcode.TEXT, echoed[1]
        return echoed


@fault(
    "corrupt-echo",
    "RFC 6455 6.2: the server must deliver the unmasked payload; each echo has "
    "one bit of its last byte flipped.",
    catches=("framing.echo.*", "framing.size.*"),
)
class CorruptEcho(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        echoed = super().echo(message)
        return None if echoed is None else (echoed[0], flip_last_bit(echoed[1]))


@fault(
    "no-echo",
    "Profile echo = true: every message must be echoed; this server drops them.",
    catches=("framing.echo.*",),
    scope="framing.echo",
)
class NoEcho(Behaviour):
    def echo(self, message: Message) -> tuple[int, bytes] | None:
        return None


# -- frames a server must refuse ---------------------------------------------------


@fault(
    "accept-unmasked",
    "RFC 6455 5.1: a server must close the connection on an unmasked client frame; "
    "this one processes it.",
    catches=("framing.unmasked.*",),
)
class AcceptUnmasked(Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.mask_key is None:
            # A zero key masks nothing: the parser sees the frame as masked.
            return dataclasses.replace(header, mask_key=ZERO_MASK)
        return header


@fault(
    "accept-reserved-opcode",
    "RFC 6455 5.2: a frame with a reserved opcode must fail the connection; this "
    "server silently skips it.",
    catches=("opcodes.reserved.*",),
)
class AcceptReservedOpcode(Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        return None if is_reserved(header.opcode) else header


@fault(
    "accept-rsv1",
    "RFC 6455 5.2: RSV1 must be 0 unless an extension defining it was agreed; this "
    "server ignores RSV1 when permessage-deflate was not agreed.",
    catches=("rsv.rsv1.*",),
)
class AcceptRsv1(Rewriting):
    """RSV1 is cleared on every frame when permessage-deflate was not agreed."""

    def __init__(self) -> None:
        super().__init__()
        self._deflate_agreed = False

    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        self._deflate_agreed = params is not None
        return super().deflater(params)

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.rsv1 and not self._deflate_agreed:
            return dataclasses.replace(header, rsv1=False)
        return header
