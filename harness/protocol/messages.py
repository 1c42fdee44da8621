"""Messages from frames (RFC 6455 §5.4, §5.5, §8.1; RFC 7692 §6).

Theory of operation
-------------------

:class:`MessageAssembler` turns data frames into messages and enforces the
rules that span frames: a message starts with TEXT or BINARY and continues
with CONTINUATION frames up to the one with FIN set; nothing else may
interleave but control frames (which never reach the assembler). A text
message is checked for UTF-8 fragment by fragment, so invalid text fails
as soon as it arrives; a message's size is checked as it grows, so a huge
message fails before it is held in memory.

With permessage-deflate, RSV1 on a message's first frame marks the whole
message as compressed. The assembler does not know deflate; it drives any
:class:`Decompressor`, and applies the UTF-8 check and the size cap to what
comes out of it (a small compressed message may inflate to a huge one).

:class:`Receiver` is what a client (or, with ``expect_masked``, a server)
runs on the bytes it receives: the frame parser, the assembler, and the
checks of control frames, in one object. It reports every frame as it is
parsed, then, after a message's last frame, the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .close import parse_close_payload
from .errors import ProtocolViolation, Violation
from .frames import Frame, FrameParser, Opcode
from .utf8 import Utf8Validator

__all__ = ["Decompressor", "Message", "MessageAssembler", "Receiver"]


class Decompressor(Protocol):
    """What the assembler needs from a message decompressor (permessage-deflate).

    ``decompress`` is given the payload of each frame of a compressed
    message in order, ``final=True`` for the last one, and returns the bytes
    it inflates to. ``max_size`` is the budget left for the message: the
    decompressor need not inflate more than ``max_size + 1`` bytes, since
    any output longer than ``max_size`` fails the message anyway (this is
    what keeps a decompression bomb from being inflated). Corrupt data
    raises :class:`ProtocolViolation` (``BAD_COMPRESSED_DATA``).

    ``reset_message`` is called before the first frame of each compressed
    message, where an endpoint without context takeover starts afresh.
    """

    def decompress(self, data: bytes, *, final: bool, max_size: int) -> bytes: ...

    def reset_message(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Message:
    """A complete data message: its opcode (TEXT or BINARY), its bytes
    (inflated if it was compressed), how many frames carried it, and whether
    it was compressed."""

    opcode: Opcode
    data: bytes
    frames: int
    compressed: bool = False

    @property
    def text(self) -> str:
        """The data decoded as UTF-8 (``UnicodeDecodeError`` for binary that is not)."""
        return self.data.decode("utf-8")


class MessageAssembler:
    """Reassembles data frames into messages, checking the rules across frames.

    ``max_message_size`` caps a message's (inflated) size: exceeding it is
    ``MESSAGE_TOO_LARGE``, raised before the excess is kept. With a
    ``decompressor``, RSV1 on a message's first frame means the message is
    compressed, and RSV1 on a CONTINUATION frame is
    ``COMPRESSED_CONTINUATION``; without one, RSV1 is ``RSV_BITS``. A
    violation ends the connection, so the assembler is not used after one
    (:class:`Receiver` keeps raising it).
    """

    def __init__(
        self,
        *,
        max_message_size: int = 64 * 2**20,
        decompressor: Decompressor | None = None,
    ) -> None:
        self.max_message_size = max_message_size
        self.decompressor = decompressor
        self._opcode: Opcode | None = None
        self._compressed = False
        self._parts: list[bytes] = []
        self._size = 0
        self._frames = 0
        self._utf8 = Utf8Validator()

    @property
    def in_message(self) -> bool:
        """True between the first and the last frame of a fragmented message."""
        return self._opcode is not None

    @property
    def text_in_progress(self) -> bool:
        """True inside a fragmented text message."""
        return self._opcode == Opcode.TEXT

    @property
    def compressed(self) -> bool:
        """True inside a fragmented compressed message."""
        return self._compressed

    @property
    def frames(self) -> int:
        """Frames of the message in progress received so far."""
        return self._frames

    def utf8_state(self) -> Utf8Validator:
        """A copy of the UTF-8 validator of the text message in progress."""
        return self._utf8.copy()

    def receive(self, frame: Frame) -> Message | None:
        """Take the next data frame; return the message it completes, if any.

        ``ValueError`` for a control frame (they are not part of messages).
        Raises :class:`ProtocolViolation` at the first rule broken.
        """
        opcode = frame.opcode
        if opcode >= 0x8:
            raise ValueError(f"{Opcode(opcode).name} is a control frame, not part of a message")
        if opcode == Opcode.CONTINUATION:
            if self._opcode is None:
                raise ProtocolViolation(
                    Violation.UNEXPECTED_CONTINUATION,
                    "CONTINUATION frame while no message is in progress",
                )
            if frame.rsv1:
                if self.decompressor is None:
                    raise _rsv1_without_extension(frame)
                raise ProtocolViolation(
                    Violation.COMPRESSED_CONTINUATION,
                    "CONTINUATION frame with RSV1 set: only a message's first frame may",
                )
        else:
            if self._opcode is not None:
                raise ProtocolViolation(
                    Violation.EXPECTED_CONTINUATION,
                    f"{Opcode(opcode).name} frame inside a fragmented "
                    f"{self._opcode.name} message (frame {self._frames + 1})",
                )
            if frame.rsv1 and self.decompressor is None:
                raise _rsv1_without_extension(frame)
            self._opcode = Opcode(opcode)
            self._compressed = frame.rsv1
            if frame.rsv1:
                assert self.decompressor is not None
                self.decompressor.reset_message()
            if opcode == Opcode.TEXT:
                self._utf8.reset()

        self._frames += 1
        data = frame.payload
        budget = self.max_message_size - self._size
        if self._compressed:
            assert self.decompressor is not None
            data = self.decompressor.decompress(data, final=frame.fin, max_size=budget)
        if len(data) > budget:
            raise ProtocolViolation(
                Violation.MESSAGE_TOO_LARGE,
                f"message exceeds {self.max_message_size} bytes after {self._frames} frame(s)",
            )
        if self._opcode == Opcode.TEXT and not self._utf8.feed(data):
            raise ProtocolViolation(
                Violation.INVALID_UTF8,
                f"text message is not UTF-8 (in frame {self._frames}, "
                f"after {self._size} valid bytes)",
            )
        self._size += len(data)
        if data:
            self._parts.append(data)
        if not frame.fin:
            return None

        if self._opcode == Opcode.TEXT and not self._utf8.complete:
            raise ProtocolViolation(
                Violation.INVALID_UTF8, "text message ends inside a UTF-8 sequence"
            )
        message = Message(
            self._opcode,
            self._parts[0] if len(self._parts) == 1 else b"".join(self._parts),
            self._frames,
            self._compressed,
        )
        self._opcode = None
        self._compressed = False
        self._parts = []
        self._size = 0
        self._frames = 0
        return message


def _rsv1_without_extension(frame: Frame) -> ProtocolViolation:
    return ProtocolViolation(
        Violation.RSV_BITS,
        f"{Opcode(frame.opcode).name} frame with RSV1 set, no extension negotiated",
    )


class Receiver:
    """Frame parser, message assembler and control frame checks, in one.

    :meth:`feed` takes received bytes in pieces of any size and returns, in
    order, every frame parsed, each data message right after its last
    frame. Besides the parser's and the assembler's rules it checks control
    frames: RSV1 on one is ``COMPRESSED_CONTROL`` (with a decompressor; RSV1
    is otherwise refused by the parser), and a CLOSE payload must pass
    :func:`~wsspec.protocol.close.parse_close_payload`.
    """

    def __init__(
        self,
        *,
        expect_masked: bool = False,
        max_frame_size: int = 64 * 2**20,
        max_message_size: int = 64 * 2**20,
        decompressor: Decompressor | None = None,
    ) -> None:
        self.parser = FrameParser(
            expect_masked=expect_masked,
            allowed_rsv=0b100 if decompressor is not None else 0,
            max_frame_size=max_frame_size,
        )
        self.assembler = MessageAssembler(
            max_message_size=max_message_size, decompressor=decompressor
        )
        self._failure: ProtocolViolation | None = None
        #: Events produced by the piece that then broke a rule, so a wire
        #: log loses nothing when :meth:`feed` raises.
        self.events_before_failure: list[Frame | Message] = []
        # UTF-8 look-ahead into a text frame still arriving: (frame serial,
        # bytes checked, validator); see _check_pending.
        self._lookahead: tuple[int, int, Utf8Validator] | None = None

    @property
    def in_message(self) -> bool:
        """True between the first and the last frame of a fragmented message."""
        return self.assembler.in_message

    @property
    def buffered(self) -> int:
        """Bytes received and held until the frame they belong to completes."""
        return self.parser.buffered

    def feed(self, data: bytes) -> list[Frame | Message]:
        """Take the next piece of input; return the frames and messages it completes.

        Raises :class:`ProtocolViolation` at the first rule broken, and the
        same violation on every later call.
        """
        if self._failure is not None:
            raise self._failure
        events: list[Frame | Message] = []
        try:
            try:
                frames = self.parser.feed(data)
            except ProtocolViolation:
                frames = self.parser.frames_before_failure
                self._check(frames, events)
                raise
            self._check(frames, events)
            self._check_pending()
        except ProtocolViolation as exc:
            self._failure = exc
            self.events_before_failure = events
            raise
        return events

    def _check_pending(self) -> None:
        """Fail fast inside a text frame that is still arriving.

        RFC 6455 8.1 lets an endpoint fail as soon as it sees invalid UTF-8;
        without this, a long frame would be checked only once complete.
        Compressed frames are checked after inflating, at the frame's end.
        """
        checked = self._lookahead[1] if self._lookahead is not None else 0
        pending = self.parser.pending_payload(checked)
        if pending is None:
            self._lookahead = None
            return
        assembler = self.assembler
        if pending.opcode == Opcode.TEXT and not pending.rsv1 and not assembler.in_message:
            start = Utf8Validator()
        elif (pending.opcode == Opcode.CONTINUATION and assembler.text_in_progress
              and not assembler.compressed):
            start = assembler.utf8_state()
        else:
            return
        if self._lookahead is None or self._lookahead[0] != pending.serial:
            if pending.start:
                # a new frame: look from its first byte
                self._lookahead = None
                self._check_pending()
                return
            self._lookahead = (pending.serial, 0, start)
        serial, _, validator = self._lookahead
        if not validator.feed(pending.data):
            raise ProtocolViolation(
                Violation.INVALID_UTF8,
                f"text message is not UTF-8 (in frame {assembler.frames + 1}, "
                f"before that frame was complete)",
            )
        self._lookahead = (serial, pending.start + len(pending.data), validator)

    def _check(self, frames: list[Frame], events: list[Frame | Message]) -> None:
        # Runs on the frames a failing piece completed too, so that a rule
        # they break is reported before the parser's later violation.
        assembler = self.assembler
        for frame in frames:
            events.append(frame)
            if frame.opcode < 0x8:
                message = assembler.receive(frame)
                if message is not None:
                    events.append(message)
                continue
            if frame.rsv1:
                raise ProtocolViolation(
                    Violation.COMPRESSED_CONTROL,
                    f"{Opcode(frame.opcode).name} frame with RSV1 set: "
                    f"control frames are never compressed",
                )
            if frame.opcode == Opcode.CLOSE:
                parse_close_payload(frame.payload)
