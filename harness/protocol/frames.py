"""Frames of RFC 6455 §5: building any frame, and strictly parsing received ones.

Theory of operation
-------------------

Building and parsing are deliberately asymmetric.

:func:`encode_frame` writes whatever it is asked to: any 4-bit opcode, any
FIN/RSV bits, a masked or unmasked payload, a length field in any of the
three forms (minimal or not), even a length field that lies about the
payload. A conformance suite needs to send broken frames as much as good
ones; only values that cannot be written at all (an opcode wider than four
bits, a mask that is not four bytes, a length that does not fit its field)
are refused.

:class:`FrameParser` is the opposite: it accepts only what RFC 6455 allows
and raises :class:`~wsspec.protocol.errors.ProtocolViolation` at the first
rule broken. Its invariants:

* Input may arrive in pieces of any size; the frames returned and the
  violation raised do not depend on where the input was cut.
* A rule that can be checked from the header is checked as soon as the
  header is complete, never after waiting for the payload; in particular a
  frame larger than ``max_frame_size`` is refused before any of its payload
  is buffered.
* Pieces are kept as they came, and joined once when a frame's payload is
  complete, so a large frame fed in small pieces costs linear time.
* The parse itself is a generator that asks for exactly ``n`` more bytes
  (``yield n``) and is sent exactly those bytes. :meth:`FrameParser.feed`
  only collects input until the next request can be met.
* Once a violation has been raised, the parser is failed: every later
  :meth:`~FrameParser.feed` raises the same violation.

When several rules are broken by one header, the first in this order is
reported: reserved opcode, RSV bits, fragmented control frame, masking,
length top bit, non-minimal length, control frame too long, frame too large.
"""

from __future__ import annotations

import enum
import json
import struct
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass

from .errors import ProtocolViolation, Violation
from .mask import apply_mask

__all__ = [
    "Frame",
    "FrameParser",
    "LengthForm",
    "Opcode",
    "encode_frame",
    "is_control",
    "is_reserved",
    "opcode_name",
]


class Opcode(enum.IntEnum):
    """The opcodes RFC 6455 §5.2 defines; 0x3–0x7 and 0xB–0xF are reserved."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


def is_control(opcode: int) -> bool:
    """True for control opcodes (0x8–0xF, reserved ones included)."""
    return opcode >= 0x8


def is_reserved(opcode: int) -> bool:
    """True for the opcodes RFC 6455 reserves for future use (0x3–0x7, 0xB–0xF)."""
    return 0x3 <= opcode <= 0x7 or 0xB <= opcode <= 0xF


def opcode_name(opcode: int) -> str:
    """Name of a 4-bit opcode: ``"TEXT"``, ``"PING"``, ``"RESERVED-0x3"`` …

    ``ValueError`` for a value outside 0–15, which no frame can carry.
    """
    try:
        return _OPCODE_NAMES[opcode]
    except (KeyError, TypeError):
        raise ValueError(f"opcode must be 0-15, got {opcode}") from None


_OPCODE_NAMES: dict[int, str] = {
    value: f"RESERVED-0x{value:X}" if is_reserved(value) else Opcode(value).name
    for value in range(16)
}


class LengthForm(enum.IntEnum):
    """Width in bits of the payload length field a frame uses on the wire.

    SHORT is the 7-bit field alone (0–125), MEDIUM the 126 marker and a
    16-bit field, LONG the 127 marker and a 64-bit field.
    """

    SHORT = 7
    MEDIUM = 16
    LONG = 64


_FORM_LIMITS = {
    LengthForm.SHORT: 125,
    LengthForm.MEDIUM: 0xFFFF,
    LengthForm.LONG: 0xFFFF_FFFF_FFFF_FFFF,
}

# Limits of what describe() and to_dict() show of a payload, so that a
# 16 MiB frame stays one readable line in a log and a small entry in a report.
_DESCRIBE_TEXT_CHARS = 48
_DESCRIBE_HEX_BYTES = 24
_DICT_PAYLOAD_BYTES = 256


@dataclass(frozen=True, slots=True)
class Frame:
    """One WebSocket frame, as parsed from the wire or to be encoded.

    ``payload`` is always unmasked. ``masked`` says whether the frame was (or
    is to be) masked on the wire, with ``mask_key`` as its key: a frame given
    a ``mask_key`` is masked, and a masked frame needs a ``mask_key``
    (``ValueError`` otherwise). ``length_form`` is the length field form
    seen on the wire (set by the parser), ``None`` for the minimal one.
    """

    opcode: int
    payload: bytes
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    masked: bool = False
    mask_key: bytes | None = None
    length_form: LengthForm | None = None

    def __post_init__(self) -> None:
        if self.mask_key is not None and not self.masked:
            object.__setattr__(self, "masked", True)
        elif self.masked and self.mask_key is None:
            raise ValueError("a masked frame needs its mask_key")

    def encode(self) -> bytes:
        """The frame's bytes on the wire, with its own mask key and length form."""
        return encode_frame(
            self.opcode,
            self.payload,
            fin=self.fin,
            rsv1=self.rsv1,
            rsv2=self.rsv2,
            rsv3=self.rsv3,
            mask_key=self.mask_key,
            length_form=self.length_form,
        )

    @property
    def rsv(self) -> str:
        """The three RSV bits as a string of 0s and 1s, RSV1 first."""
        return f"{int(self.rsv1)}{int(self.rsv2)}{int(self.rsv3)}"

    def describe(self) -> str:
        """One line for wire logs and failure messages.

        For example ``TEXT fin=1 rsv=000 len=5 masked "hello"``: the opcode,
        bits and length, then the payload, shortened when long: TEXT as
        quoted text when it is valid UTF-8, CLOSE as its code and reason when
        well formed, other printable ASCII as quoted text, the rest as hex.
        """
        parts = [
            opcode_name(self.opcode),
            f"fin={int(self.fin)}",
            f"rsv={self.rsv}",
            f"len={len(self.payload)}",
        ]
        if self.masked:
            parts.append("masked")
        if self.payload:
            parts.append(_describe_payload(self.opcode, self.payload))
        return " ".join(parts)

    def to_dict(self) -> dict[str, object]:
        """A JSON-able record of the frame for report wire logs.

        Keys: ``opcode`` (name), ``opcode_int``, ``fin``, ``rsv1``–``rsv3``,
        ``masked``, ``length`` (of the whole payload), ``payload_hex`` (at
        most the first 256 bytes), ``truncated`` (whether ``payload_hex`` was
        cut), and ``text`` (the same prefix as text, cut at a character
        boundary) when the frame is TEXT and its payload valid UTF-8. A
        CLOSE frame with a well-formed payload adds ``close_code`` and
        ``reason``.
        """
        shown = self.payload[:_DICT_PAYLOAD_BYTES]
        record: dict[str, object] = {
            "opcode": opcode_name(self.opcode),
            "opcode_int": int(self.opcode),
            "fin": self.fin,
            "rsv1": self.rsv1,
            "rsv2": self.rsv2,
            "rsv3": self.rsv3,
            "masked": self.masked,
            "length": len(self.payload),
            "payload_hex": shown.hex(),
            "truncated": len(self.payload) > len(shown),
        }
        if self.opcode == Opcode.TEXT and _is_utf8(self.payload):
            record["text"] = shown.decode("utf-8", errors="ignore")
        elif self.opcode == Opcode.CLOSE:
            close = _close_fields(self.payload)
            if close is not None:
                record["close_code"], record["reason"] = close
        return record


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _close_fields(payload: bytes) -> tuple[int, str] | None:
    # Close codes are validated in close.py; here any well-formed payload is
    # shown, since logging a bad code is the whole point of a wire log.
    if len(payload) < 2 or not _is_utf8(payload[2:]):
        return None
    return int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8")


def _quote(text: str, *, cut: bool = False) -> str:
    if cut or len(text) > _DESCRIBE_TEXT_CHARS:
        text = text[:_DESCRIBE_TEXT_CHARS] + "…"
    return json.dumps(text, ensure_ascii=False)


def _hex(payload: bytes) -> str:
    shown = payload[:_DESCRIBE_HEX_BYTES].hex(" ")
    return shown + " …" if len(payload) > _DESCRIBE_HEX_BYTES else shown


def _describe_payload(opcode: int, payload: bytes) -> str:
    # Only a prefix is decoded: a 16 MiB payload stays cheap to describe.
    head = payload[: 4 * _DESCRIBE_TEXT_CHARS + 4]
    if opcode == Opcode.TEXT and _is_utf8(payload):
        return _quote(head.decode("utf-8", errors="ignore"), cut=len(head) < len(payload))
    if opcode == Opcode.CLOSE:
        close = _close_fields(payload)
        if close is not None:
            code, reason = close
            return f"code={code} reason={_quote(reason)}" if reason else f"code={code}"
    elif payload.isascii() and head.decode("ascii").isprintable():
        # Only printable ASCII: random binary that happens to be valid UTF-8
        # would otherwise show as gibberish text.
        return _quote(head.decode("ascii"), cut=len(head) < len(payload))
    return _hex(payload)


def encode_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask_key: bytes | None = None,
    length_form: LengthForm | None = None,
    declared_length: int | None = None,
) -> bytes:
    """The bytes of a frame with exactly the given fields, valid or not.

    The payload is masked with ``mask_key`` (and the MASK bit set) iff a key
    is given. The length field uses ``length_form``, or the minimal form
    when ``None``; non-minimal forms are allowed. ``declared_length`` writes
    a length field that differs from ``len(payload)``; the payload is still
    written as given.

    Raises ``ValueError`` only for what cannot be written: an opcode outside
    0–15, a mask key that is not 4 bytes, a length that is negative or does
    not fit its form (SHORT ≤ 125, MEDIUM ≤ 65535, LONG < 2**64).
    """
    if not 0 <= opcode <= 0xF:
        raise ValueError(f"opcode must be 0-15, got {opcode}")
    length = len(payload) if declared_length is None else declared_length
    if length < 0:
        raise ValueError(f"length must not be negative, got {length}")
    if length_form is None:
        if length <= 125:
            length_form = LengthForm.SHORT
        elif length <= 0xFFFF:
            length_form = LengthForm.MEDIUM
        else:
            length_form = LengthForm.LONG
    if length > _FORM_LIMITS[length_form]:
        raise ValueError(f"length {length} does not fit the {length_form.name} length form")

    head1 = (
        (0x80 if fin else 0)
        | (0x40 if rsv1 else 0)
        | (0x20 if rsv2 else 0)
        | (0x10 if rsv3 else 0)
        | opcode
    )
    mask_bit = 0x80 if mask_key is not None else 0
    if length_form is LengthForm.SHORT:
        header = bytes((head1, mask_bit | length))
    elif length_form is LengthForm.MEDIUM:
        header = struct.pack("!BBH", head1, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", head1, mask_bit | 127, length)
    if mask_key is None:
        return header + payload
    if len(mask_key) != 4:
        raise ValueError(f"mask key must be 4 bytes, got {len(mask_key)}")
    return header + bytes(mask_key) + apply_mask(payload, mask_key)


# Indexed by the 4-bit opcode: the enum member, or None for a reserved one.
_OPCODES: tuple[Opcode | None, ...] = tuple(
    None if is_reserved(value) else Opcode(value) for value in range(16)
)

_Parse = Generator[int, "bytes | memoryview", None]
_Awaiting = tuple[int, Opcode, bool, "bytes | None"]


@dataclass(frozen=True)
class PendingPayload:
    """Part of the payload of a frame still arriving (see :meth:`FrameParser.pending_payload`).

    ``serial`` numbers the frames a parser has seen, so a caller can tell
    whether two views belong to the same frame; ``data`` starts at payload
    offset ``start``.
    """

    serial: int
    opcode: Opcode
    rsv1: bool
    start: int
    data: bytes


class FrameParser:
    """Strict, incremental parser of received frames (see the module docstring).

    ``expect_masked=False`` parses what a server sends (a masked frame is a
    ``MASKED_FRAME`` violation); ``True`` parses what a client sends (an
    unmasked frame is ``UNMASKED_FRAME``). ``allowed_rsv`` is the bitmask of
    RSV bits that negotiated extensions define (0b100 RSV1, 0b010 RSV2,
    0b001 RSV3); any other RSV bit set is ``RSV_BITS``. A frame whose header
    declares more than ``max_frame_size`` payload bytes is
    ``FRAME_TOO_LARGE``.
    """

    def __init__(
        self,
        *,
        expect_masked: bool = False,
        allowed_rsv: int = 0,
        max_frame_size: int = 64 * 2**20,
    ) -> None:
        if not 0 <= allowed_rsv <= 0b111:
            raise ValueError(f"allowed_rsv must be a 3-bit mask, got {allowed_rsv}")
        self.expect_masked = expect_masked
        self.allowed_rsv = allowed_rsv
        self.max_frame_size = max_frame_size
        self._chunks: deque[bytes] = deque()
        self._offset = 0  # bytes of _chunks[0] already consumed
        self._size = 0  # bytes held in _chunks beyond _offset
        self._partial = 0  # bytes of the frame in progress already parsed
        self._done: list[Frame] = []  # frames completed by the current piece
        self._failure: ProtocolViolation | None = None
        # Set by the parsing generator while it waits for a payload: the frame's
        # serial number, opcode, RSV1 and mask key; None between payloads.
        self._awaiting: list[_Awaiting | None] = [None]
        self._parse = _parse_frames(
            self._done, self._awaiting, expect_masked, allowed_rsv, max_frame_size
        )
        self._need = next(self._parse)
        #: Frames completed by the piece that then broke a rule, so a wire
        #: log loses nothing when :meth:`feed` raises.
        self.frames_before_failure: list[Frame] = []

    @property
    def buffered(self) -> int:
        """Bytes received and held until the frame they belong to completes."""
        return self._partial + self._size

    @property
    def failed(self) -> ProtocolViolation | None:
        """The violation that failed the parser, or ``None`` while it is healthy."""
        return self._failure

    def pending_payload(self, start: int = 0) -> PendingPayload | None:
        """The frame in progress, when its header is parsed but its payload is not
        complete: its opcode and the (unmasked) payload bytes received so far,
        from offset ``start``. ``None`` when no payload is awaited.

        Lets a receiver check a long text frame while it arrives, so invalid
        UTF-8 fails the connection before the frame's last byte.
        """
        awaiting = self._awaiting[0]
        if awaiting is None or self._failure is not None:
            return None
        serial, opcode, rsv1, mask_key = awaiting
        parts: list[bytes | memoryview] = []
        skip = start
        for index, chunk in enumerate(self._chunks):
            view = memoryview(chunk)[self._offset:] if index == 0 else memoryview(chunk)
            if skip >= len(view):
                skip -= len(view)
                continue
            parts.append(view[skip:])
            skip = 0
        data = b"".join(parts)
        if mask_key is not None and data:
            turn = start % 4
            data = apply_mask(data, mask_key[turn:] + mask_key[:turn])
        return PendingPayload(serial, opcode, rsv1, start, data)

    def feed(self, data: bytes) -> list[Frame]:
        """Take the next piece of input (any size) and return the frames it completes.

        Raises :class:`ProtocolViolation` at the first rule broken, and the
        same violation on every later call.
        """
        if self._failure is not None:
            raise self._failure
        if data:
            # Copy mutable buffers: a caller reusing its read buffer must not
            # change bytes already handed over.
            chunk = data if type(data) is bytes else bytes(data)
            self._chunks.append(chunk)
            self._size += len(chunk)
        need = self._need
        done = self._done
        count = 0
        try:
            while self._size >= need:
                self._partial += need
                need = self._parse.send(self._take(need))
                if len(done) > count:
                    count += 1
                    self._partial = 0
        except ProtocolViolation as exc:
            self._failure = exc
            self.frames_before_failure = self._done[:]
            raise
        finally:
            frames = self._done[:]
            self._done.clear()
        self._need = need
        return frames

    def _take(self, size: int) -> bytes | memoryview:
        """Remove and return the next ``size`` (≥ 1, ≤ buffered) bytes.

        A piece inside one chunk comes as a view of it: unmasking reads the
        view directly, which saves copying every masked payload once.
        """
        self._size -= size
        chunk = self._chunks[0]
        start = self._offset
        end = start + size
        if end < len(chunk):
            self._offset = end
            return memoryview(chunk)[start:end]
        if end == len(chunk):
            self._chunks.popleft()
            self._offset = 0
            return memoryview(chunk)[start:] if start else chunk
        parts = [chunk[start:]]
        self._chunks.popleft()
        missing = end - len(chunk)
        while missing:
            chunk = self._chunks[0]
            if len(chunk) > missing:
                parts.append(chunk[:missing])
                self._offset = missing
                break
            parts.append(chunk)
            self._chunks.popleft()
            missing -= len(chunk)
        else:
            self._offset = 0
        return b"".join(parts)


def _parse_frames(
    done: list[Frame],
    awaiting: list[_Awaiting | None],
    expect_masked: bool,
    allowed_rsv: int,
    max_frame_size: int,
) -> _Parse:
    """Parse frames forever, appending each to ``done``; ``yield n`` asks for n bytes.

    A function rather than a method: a generator holding its parser would
    make a reference cycle, and keep the parser with its last payload alive
    until the cyclic garbage collector runs.
    """
    serial = 0
    while True:
        head1, head2 = yield 2
        serial += 1
        opcode = _OPCODES[head1 & 0x0F]
        if opcode is None:
            raise ProtocolViolation(
                Violation.RESERVED_OPCODE,
                f"frame with reserved opcode 0x{head1 & 0x0F:X}",
            )
        rsv = (head1 >> 4) & 0b111
        if rsv & ~allowed_rsv:
            raise ProtocolViolation(
                Violation.RSV_BITS,
                f"{opcode.name} frame with RSV bits {rsv:03b} set, "
                f"no negotiated extension defines them",
            )
        fin = head1 >= 0x80
        control = opcode >= 0x8
        if control and not fin:
            raise ProtocolViolation(Violation.CONTROL_FRAGMENTED, f"{opcode.name} frame with FIN=0")
        masked = head2 >= 0x80
        if masked != expect_masked:
            if masked:
                raise ProtocolViolation(
                    Violation.MASKED_FRAME, f"{opcode.name} frame from a server is masked"
                )
            raise ProtocolViolation(
                Violation.UNMASKED_FRAME, f"{opcode.name} frame from a client is not masked"
            )

        length = head2 & 0x7F
        if length < 126:
            form = LengthForm.SHORT
            mask_key = bytes((yield 4)) if masked else None
        else:
            # The extended length and the mask key are read in one go:
            # nothing can be checked between them.
            size = 2 if length == 126 else 8
            rest = yield (size + 4 if masked else size)
            length = int.from_bytes(rest[:size], "big")
            mask_key = bytes(rest[size:]) if masked else None
            # A view of the input: kept while waiting for the payload,
            # it would pin the whole piece it came in.
            del rest
            if size == 2:
                form = LengthForm.MEDIUM
                minimal = length > 125
            else:
                form = LengthForm.LONG
                if length >> 63:
                    raise ProtocolViolation(
                        Violation.LENGTH_TOP_BIT,
                        f"{opcode.name} frame with a 64-bit length of {length}: "
                        f"the most significant bit is set",
                    )
                minimal = length > 0xFFFF
            if not minimal:
                raise ProtocolViolation(
                    Violation.NON_MINIMAL_LENGTH,
                    f"{opcode.name} frame with a length of {length} in the {form.value}-bit form",
                )
        if control and length > 125:
            raise ProtocolViolation(
                Violation.CONTROL_TOO_LONG,
                f"{opcode.name} frame with a {length}-byte payload (at most 125)",
            )
        if length > max_frame_size:
            raise ProtocolViolation(
                Violation.FRAME_TOO_LARGE,
                f"{opcode.name} frame declares {length} bytes, above the limit of {max_frame_size}",
            )

        awaiting[0] = (serial, opcode, bool(rsv & 0b100), mask_key)
        if not length:
            payload = b""
        elif mask_key is None:
            payload = bytes((yield length))
        else:
            payload = apply_mask((yield length), mask_key)
        awaiting[0] = None
        done.append(
            Frame(
                opcode,
                payload,
                fin,
                bool(rsv & 0b100),
                bool(rsv & 0b010),
                bool(rsv & 0b001),
                masked,
                mask_key,
                form,
            )
        )
        del payload  # the frame owns it now; do not pin it until the next one
