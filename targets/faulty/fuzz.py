"""Faults for the fuzz section: bugs that only some sequences of frames reveal.

The faults of the other sections each break a rule every time it applies;
these break one only for some shapes of traffic, which is what a fuzzer has to
find and shrink: a frame of 126 bytes or more, a control frame between
fragments, a fragment boundary inside a code point, an invalid close code, and
a rare combination of a ping and a cut code point. Each is a
:class:`~wsspec.targets.reference.server.Behaviour` override, like the others,
built on a tap that sees each client frame whole (unmasked) and may replace it
before the reference server's strict parser does. They are declared
``searched``: ``tests/fuzz`` checks that the fuzz cases named find them.

    python -m wsspec.targets.faulty --fault split-code-point-fails --port 9002
"""

from __future__ import annotations

from collections import deque

from wsspec.protocol.close import encode_close_payload, is_valid_on_wire
from wsspec.protocol.frames import Frame, LengthForm, Opcode, encode_frame
from wsspec.protocol.mask import apply_mask
from wsspec.protocol.messages import Message
from wsspec.protocol.utf8 import Utf8Validator
from wsspec.targets.reference.server import Behaviour

from .corrupt import flip_last_bit
from .registry import fault

#: Frames longer than this pass the tap untouched (and end its watch): the
#: tap holds a frame back until it is whole, which must stay cheap.
_TAP_LIMIT = 1 << 20


class _Tap(Behaviour):
    """Sees each received frame whole and unmasked; :meth:`_frame` may replace it.

    Input is held back until a frame is complete, then passed on (rewritten or
    not); a frame too large to hold is passed on as it comes, and from then on
    the tap lets everything through.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buffer = b""
        self._open = True

    def _frame(self, frame: Frame, raw: bytes) -> bytes:
        return raw

    def incoming(self, data: bytes) -> bytes:
        if not self._open:
            return super().incoming(data)
        self._buffer += data
        out: list[bytes] = []
        while True:
            parsed = _split(self._buffer)
            if parsed is None:
                break
            frame, size = parsed
            if frame is None:  # too large: stop watching
                self._open = False
                out.append(self._buffer)
                self._buffer = b""
                break
            raw, self._buffer = self._buffer[:size], self._buffer[size:]
            out.append(self._frame(frame, raw))
        return super().incoming(b"".join(out))


def _split(data: bytes) -> tuple[Frame | None, int] | None:
    """The first whole frame of ``data`` and its size; None if incomplete;
    (None, 0) for a frame larger than the tap holds."""
    if len(data) < 2:
        return None
    length = data[1] & 0x7F
    offset = 2
    form = LengthForm.SHORT
    if length == 126:
        form, offset = LengthForm.MEDIUM, 4
    elif length == 127:
        form, offset = LengthForm.LONG, 10
    if len(data) < offset:
        return None
    if offset > 2:
        length = int.from_bytes(data[2:offset], "big")
    if length > _TAP_LIMIT:
        return None, 0
    masked = bool(data[1] & 0x80)
    key = data[offset : offset + 4] if masked else None
    start = offset + (4 if masked else 0)
    if len(data) < start + length:
        return None
    payload = data[start : start + length]
    head = data[0]
    frame = Frame(head & 0x0F, apply_mask(payload, key) if key else payload,
                  fin=bool(head & 0x80), rsv1=bool(head & 0x40), rsv2=bool(head & 0x20),
                  rsv3=bool(head & 0x10), mask_key=key, length_form=form)
    return frame, start + length


def _minimal_form(length: int) -> LengthForm:
    return LengthForm.SHORT if length <= 125 else (
        LengthForm.MEDIUM if length <= 0xFFFF else LengthForm.LONG)


def _reencode(frame: Frame, *, opcode: int | None = None, payload: bytes | None = None,
              length_form: LengthForm | None = None) -> bytes:
    """``frame``'s bytes with some fields changed (same mask key)."""
    return encode_frame(
        frame.opcode if opcode is None else opcode,
        frame.payload if payload is None else payload,
        fin=frame.fin, rsv1=frame.rsv1, rsv2=frame.rsv2, rsv3=frame.rsv3,
        mask_key=frame.mask_key,
        length_form=length_form if length_form is not None else (
            frame.length_form if payload is None else None),
    )


class _CorruptSomeEchoes(_Tap):
    """Corrupts the echo of each message that :meth:`_mark` flags, in order."""

    def __init__(self) -> None:
        super().__init__()
        self._corrupt: deque[bool] = deque()

    def _mark(self, corrupt: bool) -> None:
        self._corrupt.append(corrupt)

    def echo(self, message: Message) -> tuple[int, bytes] | None:
        echoed = super().echo(message)
        corrupt = self._corrupt.popleft() if self._corrupt else False
        if echoed is None or not corrupt:
            return echoed
        return echoed[0], flip_last_bit(echoed[1])


@fault(
    "extended-length-corrupts",
    "RFC 6455 5.2: a payload length of 126 or more is carried in the 16- or 64-bit "
    "field; this server corrupts the echo of a message with such a frame.",
    catches=("fuzz.messages.valid",),
    searched=True,
)
class ExtendedLengthCorrupts(_CorruptSomeEchoes):
    """Framing: a message with a frame of 126 bytes or more (a 16- or 64-bit length
    field) is echoed with its last byte changed."""

    def __init__(self) -> None:
        super().__init__()
        self._long = False

    def _frame(self, frame: Frame, raw: bytes) -> bytes:
        if frame.opcode < 0x8:
            self._long = self._long or len(frame.payload) >= 126
            if frame.fin:
                self._mark(self._long)
                self._long = False
        return raw


class _Fragments(_Tap):
    """Tracks the data frames of the message in progress (opcode, payload sizes)."""

    def __init__(self) -> None:
        super().__init__()
        self._message_opcode: int | None = None
        self._fragments: list[bytes] = []

    def _track(self, frame: Frame) -> None:
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._message_opcode = frame.opcode
            self._fragments = [frame.payload]
        elif frame.opcode == Opcode.CONTINUATION and self._message_opcode is not None:
            self._fragments.append(frame.payload)
        if frame.opcode < 0x8 and frame.fin:
            self._message_opcode = None


@fault(
    "control-inside-fragments-fails",
    "RFC 6455 5.4: control frames may be injected between fragments; this server fails "
    "the connection on one.",
    catches=("fuzz.messages.valid",),
    searched=True,
)
class ControlInsideFragmentsFails(_Fragments):
    """Fragmentation: a control frame between fragments fails the connection
    (it reaches the parser with a reserved opcode)."""

    def _frame(self, frame: Frame, raw: bytes) -> bytes:
        if frame.opcode >= 0x8 and self._message_opcode is not None:
            return _reencode(frame, opcode=0xB)
        self._track(frame)
        return raw


def _cuts_code_point(prefix: bytes) -> bool:
    validator = Utf8Validator()
    return validator.feed(prefix) and not validator.complete


@fault(
    "split-code-point-fails",
    "RFC 6455 5.6: a fragment boundary may fall inside a code point; this server fails "
    "the connection with 1007 when one does.",
    catches=("fuzz.text.utf8",),
    searched=True,
)
class SplitCodePointFails(_Fragments):
    """UTF-8: a text fragment that ends inside a code point fails the connection
    with 1007, although the message is valid."""

    def _frame(self, frame: Frame, raw: bytes) -> bytes:
        self._track(frame)
        if (frame.opcode in (Opcode.TEXT, Opcode.CONTINUATION) and not frame.fin
                and self._message_opcode == Opcode.TEXT
                and _cuts_code_point(b"".join(self._fragments))):
            return _reencode(frame, payload=b"\xff")
        return raw


@fault(
    "accept-invalid-close-code",
    "RFC 6455 7.4: a close code that must not be sent fails the connection with 1002; "
    "this server answers it like a 1000.",
    catches=("fuzz.close.payloads",),
    searched=True,
)
class AcceptInvalidCloseCode(_Tap):
    """Close: a close frame with a code that must not be sent is taken as a 1000."""

    def _frame(self, frame: Frame, raw: bytes) -> bytes:
        if frame.opcode == Opcode.CLOSE and len(frame.payload) >= 2:
            code = int.from_bytes(frame.payload[:2], "big")
            if not is_valid_on_wire(code):
                return _reencode(frame, payload=encode_close_payload(1000) + frame.payload[2:])
        return raw


@fault(
    "third-fragment-after-ping-corrupts",
    "RFC 6455 5.4: a message is delivered whole however it is fragmented; this server "
    "corrupts the echo when the third fragment of a text message follows a ping and "
    "the boundary before it cuts a code point.",
    catches=("fuzz.messages.valid", "fuzz.text.utf8"),
    searched=True,
)
class ThirdFragmentAfterPingCorrupts(_CorruptSomeEchoes):
    """Rare: the echo of a text message is corrupted when its third fragment came
    right after a ping and the boundary before that fragment cut a code point."""

    def __init__(self) -> None:
        super().__init__()
        self._ping_before = False
        self._fragments: list[bytes] = []
        self._text = False
        self._hit = False

    def _frame(self, frame: Frame, raw: bytes) -> bytes:
        if frame.opcode == Opcode.PING:
            self._ping_before = True
            return raw
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._fragments, self._text, self._hit = [], frame.opcode == Opcode.TEXT, False
        if frame.opcode < 0x8:
            if (frame.opcode == Opcode.CONTINUATION and self._text and self._ping_before
                    and len(self._fragments) == 2
                    and _cuts_code_point(b"".join(self._fragments))):
                self._hit = True
            self._fragments.append(frame.payload)
            if frame.fin:
                self._mark(self._hit)
                self._hit = False
        self._ping_before = False
        return raw
