"""Rewriting the frames of a client's byte stream before the frame parser sees them.

Some faults make the server *accept* what it must refuse (an unmasked frame,
a reserved opcode, invalid UTF-8). The reference server's parser is strict
and has no switch to be otherwise, so those faults edit the stream instead:
:class:`FrameRewriter` finds frame boundaries, hands each header to a
function that may change or drop the frame, and passes payloads through
untouched. Only headers are decoded; the payload stays masked as sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wsspec.protocol.frames import LengthForm, encode_frame
from wsspec.targets.reference.server import Behaviour

__all__ = ["ZERO_MASK", "FrameRewriter", "RawHeader", "Rewriting", "parse_header"]

#: A mask key that leaves a payload unchanged: adding it masks nothing.
ZERO_MASK = b"\x00\x00\x00\x00"


@dataclass(frozen=True)
class RawHeader:
    """A frame header as it came: bits, opcode, mask key, payload length and form."""

    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: int
    mask_key: bytes | None
    length: int
    length_form: LengthForm

    def encode(self) -> bytes:
        """The header's bytes (length field as declared, no payload)."""
        return encode_frame(
            self.opcode,
            b"",
            fin=self.fin,
            rsv1=self.rsv1,
            rsv2=self.rsv2,
            rsv3=self.rsv3,
            mask_key=self.mask_key,
            length_form=self.length_form,
            declared_length=self.length,
        )


#: Given a header, return it (changed or not) or ``None`` to drop the frame.
Rewrite = Callable[[RawHeader], "RawHeader | None"]


class FrameRewriter:
    """Incremental: :meth:`feed` takes bytes in any pieces, returns rewritten bytes.

    The payload length of a rewritten header must equal the original's.
    """

    def __init__(self, rewrite: Rewrite) -> None:
        self._rewrite = rewrite
        self._pending = b""  # an incomplete header
        self._payload_left = 0
        self._dropping = False

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            if self._payload_left:
                chunk, data = data[: self._payload_left], data[self._payload_left :]
                self._payload_left -= len(chunk)
                if not self._dropping:
                    out.append(chunk)
                continue
            self._pending += data
            data = b""
            header, size = parse_header(self._pending)
            if header is None:
                break  # wait for the rest of the header
            data, self._pending = self._pending[size:], b""
            rewritten = self._rewrite(header)
            self._dropping = rewritten is None
            if rewritten is not None:
                out.append(rewritten.encode())
            self._payload_left = header.length
        return b"".join(out)


def parse_header(data: bytes) -> tuple[RawHeader | None, int]:
    """The header at the start of ``data`` and its size; ``(None, 0)`` while incomplete."""
    if len(data) < 2:
        return None, 0
    head1, head2 = data[0], data[1]
    masked = head2 & 0x80
    length = head2 & 0x7F
    if length < 126:
        form, extra = LengthForm.SHORT, 0
    elif length == 126:
        form, extra = LengthForm.MEDIUM, 2
    else:
        form, extra = LengthForm.LONG, 8
    size = 2 + extra + (4 if masked else 0)
    if len(data) < size:
        return None, 0
    if extra:
        length = int.from_bytes(data[2 : 2 + extra], "big")
    header = RawHeader(
        fin=bool(head1 & 0x80),
        rsv1=bool(head1 & 0x40),
        rsv2=bool(head1 & 0x20),
        rsv3=bool(head1 & 0x10),
        opcode=head1 & 0x0F,
        mask_key=data[2 + extra : size] if masked else None,
        length=length,
        length_form=form,
    )
    return header, size


class Rewriting(Behaviour):
    """Base of the faults that edit received frames: :meth:`_rewrite` sees each
    header on its way to the parser, and returns it (changed or not) or ``None``
    to drop the frame."""

    def __init__(self) -> None:
        super().__init__()
        self._rewriter = FrameRewriter(self._rewrite)

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        return header

    def incoming(self, data: bytes) -> bytes:
        return super().incoming(self._rewriter.feed(data))
