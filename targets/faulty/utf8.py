"""Faults of UTF-8 checking (RFC 6455 8.1): invalid text taken, or refused late."""

from __future__ import annotations

import dataclasses
from collections import deque

from wsspec.protocol.frames import Opcode
from wsspec.protocol.messages import Message
from wsspec.targets.reference.server import Behaviour

from .registry import fault
from .rewrite import RawHeader, Rewriting, parse_header

#: the UTF-8 cases whose text is not valid UTF-8 (RFC 6455 8.1): each must fail.
_INVALID_UTF8 = ("utf8.fail-fast.*", "utf8.first-of-length-5-6.*", "utf8.impossible-bytes.*",
                 "utf8.incomplete-concatenated.*", "utf8.invalid-fragmented.*",
                 "utf8.last-of-length-4-6.*", "utf8.lonely-start.*", "utf8.missing-last-byte.*",
                 "utf8.overlong-*", "utf8.paired-surrogates.*", "utf8.single-surrogate.*",
                 "utf8.unexpected-continuation.*", "utf8.boundary.5.*",
                 *(f"utf8.kosme-prefix.{n}.*" for n in (1, 3, 4, 6, 8, 10)))
#: text frames longer than this are not held back (bytes): a frame declaring an
#: absurd length must still be refused at its header, and a message over the
#: size limit at once, as the reference server does.
_HOLD_LIMIT = 1 << 20


@fault(
    "ignore-utf8",
    "RFC 6455 8.1: a text message that is not valid UTF-8 must fail the connection "
    "with 1007; this server echoes it.",
    catches=_INVALID_UTF8,
)
class IgnoreUtf8(Rewriting):
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


class _TextMessageHolder:
    """Holds back every frame of a text message, header and payload, until the
    payload of its final frame is complete, then lets the whole message through
    at once. Control frames pass as they come (they may come between
    fragments); any other data frame, or a text frame over :data:`_HOLD_LIMIT`,
    first releases what is held, so the parser sees the frames in their order."""

    def __init__(self) -> None:
        self._pending = b""  # an incomplete header
        self._payload_left = 0
        self._holding = False  # the current frame's payload is held
        self._release_after = False  # the current frame is its message's last
        self._in_text = False  # a held text message is not complete yet
        self._held = bytearray()

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            if self._payload_left:
                chunk, data = data[: self._payload_left], data[self._payload_left :]
                self._payload_left -= len(chunk)
                (self._held if self._holding else out).extend(chunk)
            else:
                self._pending += data
                header, size = parse_header(self._pending)
                if header is None:
                    break
                raw, data, self._pending = self._pending[:size], self._pending[size:], b""
                data_frame = header.opcode < 0x8
                text = header.opcode == Opcode.TEXT or (
                    header.opcode == Opcode.CONTINUATION and self._in_text)
                self._holding = text and header.length <= _HOLD_LIMIT
                if data_frame and not self._holding:
                    out += self._held  # the frames held go first, in order
                    self._held.clear()
                    self._in_text = False
                self._release_after = self._holding and header.fin
                if self._holding:
                    self._in_text = not header.fin
                (self._held if self._holding else out).extend(raw)
                self._payload_left = header.length
            if not self._payload_left and self._release_after:
                out += self._held
                self._held.clear()
                self._holding = self._release_after = False
        return bytes(out)


@fault(
    "no-fail-fast-utf8",
    "RFC 6455 8.1 (SHOULD fail fast): invalid UTF-8 should fail the connection as soon "
    "as it arrives; this server checks a text message only once all of it arrived.",
    catches=("utf8.fail-fast.*",),
    verdict="non-strict",
)
class NoFailFastUtf8(Behaviour):
    def __init__(self) -> None:
        super().__init__()
        self._holder = _TextMessageHolder()

    def incoming(self, data: bytes) -> bytes:
        return super().incoming(self._holder.feed(data))
