"""Faults of permessage-deflate (RFC 7692): the server's compression, and the
RSV1 bit and size limit on what it inflates."""

from __future__ import annotations

import dataclasses

from wsspec.protocol.deflate import DeflateParams, Deflater
from wsspec.protocol.frames import Opcode
from wsspec.protocol.messages import Decompressor
from wsspec.targets.reference.server import Behaviour

from .registry import fault
from .rewrite import RawHeader, Rewriting

#: "no cap" for an inflater that ignores the size limit (bytes).
_UNCAPPED = 1 << 40


@fault(
    "deflate-context-takeover",
    "RFC 7692 7.1.1.1: having agreed server_no_context_takeover, the server must start "
    "each message with an empty LZ77 window; this one refers back into earlier messages.",
    catches=("deflate.server-no-context-takeover.*",),
    scope="deflate.server-no-context-takeover",
)
class DeflateKeepsContext(Behaviour):
    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        compressor = super().deflater(params)
        if params is None or compressor is None or not params.server_no_context_takeover:
            return compressor
        return Deflater(window_bits=params.server_max_window_bits)


@fault(
    "deflate-window-too-large",
    "RFC 7692 7.1.2.1: the server must not compress with a window larger than the "
    "server_max_window_bits it agreed; this one always uses 15 bits (32 KiB).",
    catches=("deflate.server-window.9", "deflate.server-window.1[0-4]"),
    scope="deflate.server-window",
)
class DeflateWindowTooLarge(Behaviour):
    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        compressor = super().deflater(params)
        if params is None or compressor is None or params.server_max_window_bits == 15:
            return compressor
        return Deflater(window_bits=15, no_context_takeover=params.server_no_context_takeover)


@fault(
    "deflate-unnegotiated",
    "RFC 6455 5.2, RFC 7692 6: RSV1 marks a compressed message only where "
    "permessage-deflate was agreed; this server compresses every echo, RSV1 set.",
    catches=("deflate.rsv1.not-negotiated", "framing.echo.*"),
    scope="deflate.rsv1 or framing.echo",
)
class DeflateUnnegotiated(Behaviour):
    def deflater(self, params: DeflateParams | None) -> Deflater | None:
        compressor = super().deflater(params)
        return Deflater() if compressor is None else compressor


@fault(
    "accept-rsv1-continuation",
    "RFC 7692 6, RFC 6455 5.2: a continuation frame with RSV1 set must fail the "
    "connection; this server ignores the bit.",
    catches=("deflate.rsv1.continuation-of-*",),
    scope="deflate.rsv1",
)
class AcceptRsv1Continuation(Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.opcode == Opcode.CONTINUATION and header.rsv1:
            return dataclasses.replace(header, rsv1=False)
        return header


@fault(
    "accept-rsv1-control",
    "RFC 7692 6, RFC 6455 5.2: a control frame with RSV1 set must fail the connection; "
    "this server ignores the bit.",
    catches=("deflate.rsv1.ping", "deflate.rsv1.pong", "deflate.rsv1.close"),
    scope="deflate.rsv1",
)
class AcceptRsv1Control(Rewriting):
    def _rewrite(self, header: RawHeader) -> RawHeader | None:
        if header.opcode >= 0x8 and header.rsv1:
            return dataclasses.replace(header, rsv1=False)
        return header


class _WholeMessageInflater:
    """Holds a compressed message's frames, then inflates the whole message at its
    last frame with no cap on the output (the assembler checks the size after)."""

    def __init__(self, inner: Decompressor) -> None:
        self._inner = inner
        self._held = bytearray()

    def reset_message(self) -> None:
        self._held.clear()
        self._inner.reset_message()

    def decompress(self, data: bytes, *, final: bool, max_size: int) -> bytes:
        self._held += data
        if not final:
            return b""
        held = bytes(self._held)
        self._held.clear()
        return self._inner.decompress(held, final=True, max_size=_UNCAPPED)


@fault(
    "deflate-unbounded-inflate",
    "RFC 6455 10.4: a message size limit must hold while a message is inflated; this "
    "server inflates each compressed message whole, once complete and without the "
    "limit, and only then checks its size.",
    catches=("deflate.bomb.corrupt-tail", "deflate.bomb.fragmented"),
    verdict="non-strict",
    scope="deflate.bomb",
)
class DeflateUnboundedInflate(Behaviour):
    def inflater(self, params: DeflateParams) -> Decompressor:
        return _WholeMessageInflater(super().inflater(params))
