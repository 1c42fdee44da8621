"""Client faults of framing: masking (RFC 6455 §5.3) and the rules a server's frames break.

The masking faults change the key each frame gets; the others read past one
kind of violation instead of failing the connection (the reference client's
``tolerated``), so the case that sends it waits in vain for the failure.
"""

from __future__ import annotations

import itertools
import os

from wsspec.protocol import Violation, encode_frame
from wsspec.targets.clients.reference import ReferenceClient

from .registry import fault

#: every client case that ends with the suite's close handshake or fails the connection
#: after frames: a fault in the frames themselves shows there too.
_ANY = ("client.*",)


@fault("unmasked", "RFC 6455 5.3: a client MUST mask every frame; this client masks none.",
       catches=["client.framing.mask.every-frame", "client.framing.mask.keys",
                "client.framing.echo.*"], also=_ANY)
class Unmasked(ReferenceClient):
    def send_frame(self, opcode: int, payload: bytes) -> None:
        self.send(encode_frame(opcode, payload))


@fault("zero-mask", "RFC 6455 5.3: the masking key MUST be unpredictable; this client masks "
       "with 00000000 (its payload goes out in clear).", catches=["client.framing.mask.keys"])
class ZeroMask(ReferenceClient):
    def mask_key(self) -> bytes:
        return b"\x00\x00\x00\x00"


@fault("constant-mask", "RFC 6455 5.3: each frame MUST get a fresh masking key; this client "
       "draws one key and keeps it.", catches=["client.framing.mask.keys"])
class ConstantMask(ReferenceClient):
    _key = os.urandom(4)

    def mask_key(self) -> bytes:
        return self._key


@fault("counter-mask", "RFC 6455 10.3: the next masking key MUST NOT be predictable from the "
       "last; this client counts up from a random start.", catches=["client.framing.mask.keys"])
class CounterMask(ReferenceClient):
    _counter = itertools.count(int.from_bytes(os.urandom(4), "big"))

    def mask_key(self) -> bytes:
        return (next(self._counter) % 2**32).to_bytes(4, "big")


@fault("one-byte-mask", "RFC 6455 5.3: the masking key MUST come from a strong source of "
       "entropy; this client draws one random byte and pads it with zeros.",
       catches=["client.framing.mask.keys"])
class OneByteMask(ReferenceClient):
    def mask_key(self) -> bytes:
        return os.urandom(1) + b"\x00\x00\x00"


class _Tolerant(ReferenceClient):
    """Reads past :attr:`tolerated` instead of failing the connection."""


@fault("ignores-rsv", "RFC 6455 5.2: RSV bits no extension defines MUST fail the connection; "
       "this client reads past them.", catches=["client.rsv.*"])
class IgnoresRsv(_Tolerant):
    tolerated = frozenset({Violation.RSV_BITS, Violation.COMPRESSED_CONTROL})


@fault("ignores-reserved-opcode", "RFC 6455 5.2: an unknown opcode MUST fail the connection; "
       "this client reads past it.", catches=["client.opcodes.reserved.*"])
class IgnoresReservedOpcode(_Tolerant):
    tolerated = frozenset({Violation.RESERVED_OPCODE})


@fault("ignores-long-control", "RFC 6455 5.5: a control frame over 125 bytes is a protocol "
       "error; this client reads past it.",
       catches=["client.framing.control.ping-126", "client.close.bad-payload.reason-124"])
class IgnoresLongControl(_Tolerant):
    tolerated = frozenset({Violation.CONTROL_TOO_LONG})


@fault("ignores-fragmented-control", "RFC 6455 5.5: control frames MUST NOT be fragmented; "
       "this client reads past a fragmented one.",
       catches=["client.framing.control.p*-fragmented"])
class IgnoresFragmentedControl(_Tolerant):
    tolerated = frozenset({Violation.CONTROL_FRAGMENTED})


@fault("ignores-fragment-order", "RFC 6455 5.4: fragments out of order are a protocol error; "
       "this client reads past them.",
       catches=["client.fragmentation.order.*-one-write", "client.fragmentation.order.*-per-frame",
                "client.fragmentation.order.*-message"],
       # one byte a write, reading past the header leaves the payload to be read as frames
       also=["client.fragmentation.order.*-chopped"])
class IgnoresFragmentOrder(_Tolerant):
    tolerated = frozenset({Violation.UNEXPECTED_CONTINUATION,
                           Violation.EXPECTED_CONTINUATION})


@fault("ignores-invalid-utf8", "RFC 6455 8.1: text that is not UTF-8 MUST fail the connection; "
       "this client reads past it.",
       catches=["client.utf8.invalid.one-frame", "client.utf8.invalid.bytewise",
                "client.close.bad-payload.reason-not-utf8"],
       # read past, the rest of the message is a continuation frame with no start
       also=["client.utf8.invalid.fail-fast-*", "client.utf8.sequence.*"])
class IgnoresInvalidUtf8(_Tolerant):
    tolerated = frozenset({Violation.INVALID_UTF8})


@fault("ignores-masked-frame", "RFC 6455 5.1: a client MUST close the connection on a masked "
       "frame; this client reads past it.",
       catches=["client.framing.mask.server-frame-masked"])
class IgnoresMaskedFrame(_Tolerant):
    tolerated = frozenset({Violation.MASKED_FRAME})
