"""Faults of fragmentation (RFC 6455 5.4, 5.5): fragments a server must refuse,
taken as if they were valid."""

from __future__ import annotations

import dataclasses

from wsspec.protocol.frames import Opcode

from .registry import fault
from .rewrite import RawHeader, Rewriting


class _MessageTracking(Rewriting):
    """A rewriting fault that knows whether a fragmented message is in progress
    in what it passes on to the parser."""

    def __init__(self) -> None:
        super().__init__()
        self._in_message = False

    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        rewritten = self._bend(header)
        if rewritten is not None and rewritten.opcode < 0x8:
            self._in_message = not rewritten.fin
        return rewritten

    def _bend(self, header: RawHeader) -> RawHeader | None:
        return header


@fault(
    "accept-continuation-without-start",
    "RFC 6455 5.4: a continuation frame with no message in progress must fail the "
    "connection; this server takes it as the start of a binary message.",
    catches=("fragmentation.stray-continuation.set.*",
             "fragmentation.stray-continuation-repeated.set"),
)
class AcceptContinuationWithoutStart(_MessageTracking):
    """A continuation frame with no message to continue starts a binary message."""

    def _bend(self, header: RawHeader) -> RawHeader | None:
        if header.opcode == Opcode.CONTINUATION and not self._in_message:
            return dataclasses.replace(header, opcode=Opcode.BINARY)
        return header


@fault(
    "accept-interleaved-messages",
    "RFC 6455 5.4: a text or binary frame inside a fragmented message must fail the "
    "connection; this server appends it to the message in progress.",
    catches=("fragmentation.new-message-mid-message.*",),
)
class AcceptInterleavedMessages(_MessageTracking):
    """A new text or binary frame inside a fragmented message continues it."""

    def _bend(self, header: RawHeader) -> RawHeader | None:
        if header.opcode in (Opcode.TEXT, Opcode.BINARY) and self._in_message:
            return dataclasses.replace(header, opcode=Opcode.CONTINUATION)
        return header


@fault(
    "accept-control-fragmented",
    "RFC 6455 5.5: control frames must not be fragmented; this server takes a control "
    "frame with FIN clear as if FIN were set.",
    catches=("fragmentation.control-fragmented.close", "fragmentation.control-fragmented.ping"),
)
class AcceptControlFragmented(Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.opcode >= 0x8 and not header.fin:
            return dataclasses.replace(header, fin=True)
        return header
