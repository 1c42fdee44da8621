"""permessage-deflate (RFC 7692), sans-IO: offers, negotiation, compression.

Theory of operation
-------------------
Negotiation is plain data: a client's offer is a :class:`DeflateOffer`, the
agreed configuration a :class:`DeflateParams`.  :func:`check_deflate_response`
judges a server's answer as the suite's client; :func:`negotiate` is the
reference server's side, strict and simple: it honours everything an offer
asks for and declines every offer it cannot honour exactly.

Compression follows RFC 7692 §7.2: a message is DEFLATE data flushed to a byte
boundary with its trailing ``00 00 ff ff`` removed; the receiver appends those
four bytes back before inflating.  :class:`Inflater` accepts everything a
compliant sender may produce (§7.2.3: several blocks, stored blocks, a block
with BFINAL set, the empty final fragment) and is built to be fed by an
untrusted peer:

* it never produces more than ``max_size + 1`` bytes per call, so a small
  message that inflates to gigabytes costs no more memory than the cap;
* a back-reference further than the agreed window is reported as
  :attr:`Violation.WINDOW_TOO_LARGE`.  zlib only checks distances against
  its window plus the output of the current inflate step, so the inflater
  bounds each step to one window: every distance beyond *twice* the agreed
  window is caught, shorter excesses may pass unnoticed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import HandshakeViolation, ProtocolViolation, Violation
from .handshake import parse_extension_header

__all__ = [
    "EXTENSION_NAME",
    "DeflateOffer",
    "DeflateParams",
    "Deflater",
    "Inflater",
    "build_offer_header",
    "check_deflate_response",
    "compress_variant",
    "deflate_bomb",
    "negotiate",
    "offer_problems",
    "parse_extension_header",
]

EXTENSION_NAME = "permessage-deflate"

#: What a sender strips from each message and a receiver appends (RFC 7692 §7.2.1).
_TAIL = b"\x00\x00\xff\xff"

_SERVER_NCT = "server_no_context_takeover"
_CLIENT_NCT = "client_no_context_takeover"
_SERVER_MWB = "server_max_window_bits"
_CLIENT_MWB = "client_max_window_bits"
_PARAMETERS = (_SERVER_NCT, _CLIENT_NCT, _SERVER_MWB, _CLIENT_MWB)

# RFC 7692 §7.1.2: window bits are a decimal integer 8..15 without leading zeros.
_WINDOW_BITS_RE = re.compile(r"(?:8|9|1[0-5])\Z")


@dataclass(frozen=True)
class DeflateOffer:
    """One permessage-deflate element of a client's offer (RFC 7692 §7.1).

    ``client_max_window_bits=True`` sends the parameter without a value
    ("I support it"), which only this parameter allows in an offer.
    ``extra`` parameters are appended raw, after the typed ones, so cases can
    send what a server must decline: unknown names, duplicates, values such as
    ``"010"`` or ``"abc"``.  A value that needs quoting is given quoted.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | bool | None = None
    extra: tuple[tuple[str, str | None], ...] = ()

    def encode(self) -> str:
        """The element, e.g. ``permessage-deflate; server_no_context_takeover``."""
        params: list[tuple[str, str | None]] = []
        if self.server_no_context_takeover:
            params.append((_SERVER_NCT, None))
        if self.client_no_context_takeover:
            params.append((_CLIENT_NCT, None))
        if self.server_max_window_bits is not None:
            params.append((_SERVER_MWB, str(self.server_max_window_bits)))
        if self.client_max_window_bits is True:
            params.append((_CLIENT_MWB, None))
        elif self.client_max_window_bits is not None and self.client_max_window_bits is not False:
            params.append((_CLIENT_MWB, str(self.client_max_window_bits)))
        params.extend(self.extra)
        return "; ".join(
            [EXTENSION_NAME]
            + [name if value is None else f"{name}={value}" for name, value in params]
        )


def build_offer_header(offers: Sequence[DeflateOffer]) -> str:
    """A ``Sec-WebSocket-Extensions`` value offering each of ``offers``, in order of preference."""
    return ", ".join(offer.encode() for offer in offers)


@dataclass(frozen=True)
class DeflateParams:
    """The configuration both ends agreed on; window bits are 8..15."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15


# --------------------------------------------------------------------------
# Client side: judging a server's answer.
# --------------------------------------------------------------------------


def _params_problems(params: list[tuple[str, str | None]], *, response: bool) -> list[str]:
    """Syntax problems of one element's parameters (RFC 7692 §5.1, §7.1)."""
    where = "the response" if response else "the offer"
    problems: list[str] = []
    seen: set[str] = set()
    for name, value in params:
        if name not in _PARAMETERS:
            problems.append(f"RFC 7692 §5.1: {where} has unknown parameter {name!r}.")
            continue
        if name in seen:
            problems.append(f"RFC 7692 §5.1: {where} has parameter {name!r} more than once.")
        seen.add(name)
        if name in (_SERVER_NCT, _CLIENT_NCT):
            if value is not None:
                problems.append(
                    f"RFC 7692 §7.1.1: {name} takes no value, {where} gives it {value!r}."
                )
        elif value is None:
            # Only an offer may send client_max_window_bits without a value.
            if response or name == _SERVER_MWB:
                problems.append(f"RFC 7692 §7.1.2: {name} needs a value in {where}.")
        elif not _WINDOW_BITS_RE.match(value):
            problems.append(
                f"RFC 7692 §7.1.2: {name}={value!r} in {where} is not a decimal 8 to 15 "
                f"without leading zeros."
            )
    return problems


def _as_dict(params: list[tuple[str, str | None]]) -> dict[str, str | None]:
    # The first occurrence wins; duplicates are reported separately.
    found: dict[str, str | None] = {}
    for name, value in params:
        found.setdefault(name, value)
    return found


def offer_problems(params: list[tuple[str, str | None]]) -> list[str]:
    """Every rule of RFC 7692 §7.1 the parameters of one offered element break
    (unknown or repeated parameters, invalid values); empty: a valid offer."""
    return _params_problems(params, response=False)


def _offer_problems(offer: DeflateOffer) -> list[str]:
    try:
        elements = parse_extension_header([offer.encode()])
    except HandshakeViolation as exc:
        return list(exc.problems)
    return _params_problems(elements[0][1], response=False)


def _mismatches(response: dict[str, str | None], offer: DeflateOffer) -> list[str]:
    """Why a (syntactically valid) response cannot be an answer to ``offer``."""
    problems: list[str] = []
    if offer.server_no_context_takeover and _SERVER_NCT not in response:
        problems.append(
            "RFC 7692 §7.1.1.1: the offer has server_no_context_takeover, "
            "the response must include it."
        )
    server_bits = response.get(_SERVER_MWB)
    if offer.server_max_window_bits is not None:
        if _SERVER_MWB not in response:
            problems.append(
                f"RFC 7692 §7.1.2.1: the offer has server_max_window_bits="
                f"{offer.server_max_window_bits}, the response must include it."
            )
        elif server_bits is not None and int(server_bits) > offer.server_max_window_bits:
            problems.append(
                f"RFC 7692 §7.1.2.1: server_max_window_bits={server_bits} in the response is "
                f"above the offered {offer.server_max_window_bits}."
            )
    client_bits = response.get(_CLIENT_MWB)
    offered_client = offer.client_max_window_bits
    if _CLIENT_MWB in response:
        if offered_client is None or offered_client is False:
            problems.append(
                "RFC 7692 §7.1.2.2: client_max_window_bits is in the response but not in the offer."
            )
        elif (
            offered_client is not True
            and client_bits is not None
            and int(client_bits) > offered_client
        ):
            problems.append(
                f"RFC 7692 §7.1.2.2: client_max_window_bits={client_bits} in the response is "
                f"above the offered {offered_client}."
            )
    return problems


def check_deflate_response(
    values: list[str], offers: Sequence[DeflateOffer]
) -> tuple[DeflateParams | None, list[str]]:
    """The agreed configuration and every RFC 7692 rule a server's answer breaks.

    ``values`` are the response's ``Sec-WebSocket-Extensions`` values,
    ``offers`` what was offered.  The agreed parameters are None when the
    server declined permessage-deflate.  The accepted offer is the first one
    the response is compatible with, preferring offers the server may accept:
    a response that only fits an offer the server had to decline (§5.1) is a
    problem in itself.  Empty problem list: a valid answer.
    """
    try:
        elements = parse_extension_header(values)
    except HandshakeViolation as exc:
        return None, list(exc.problems)
    deflate = [params for name, params in elements if name.lower() == EXTENSION_NAME]
    if not deflate:
        return None, []
    problems: list[str] = []
    if len(deflate) > 1:
        problems.append(
            f"RFC 7692 §5: the response accepts permessage-deflate {len(deflate)} times; "
            f"it must select one offer."
        )
    params = deflate[0]
    syntax = _params_problems(params, response=True)
    if syntax:
        return None, problems + syntax
    response = _as_dict(params)
    accepted: DeflateOffer | None = None
    fallback: DeflateOffer | None = None
    reasons: list[tuple[int, list[str]]] = []
    for index, offer in enumerate(offers):
        mismatches = _mismatches(response, offer)
        if mismatches:
            reasons.append((index, mismatches))
        elif not _offer_problems(offer):
            accepted = offer
            break
        elif fallback is None:
            fallback = offer
    if accepted is None and fallback is not None:
        accepted = fallback
        problems.append(
            f"RFC 7692 §5.1: the response accepts the offer {fallback.encode()!r}, "
            f"which the server must decline: {' '.join(_offer_problems(fallback))}"
        )
    if accepted is None:
        if not offers:
            problems.append("RFC 6455 §9.1: permessage-deflate was accepted but not offered.")
        elif len(reasons) == 1:
            problems.extend(reasons[0][1])
        else:
            problems.extend(
                f"RFC 7692 §7.1: the response fits no offer; offer {index + 1}: {' '.join(why)}"
                for index, why in reasons
            )
        return None, problems
    client_bits = response.get(_CLIENT_MWB)
    offered_client = accepted.client_max_window_bits
    if client_bits is not None:
        client_window = int(client_bits)
    elif isinstance(offered_client, int) and not isinstance(offered_client, bool):
        # RFC 7692 §7.1.2.2: a client that offered a value keeps to it even
        # when the server does not repeat it.
        client_window = offered_client
    else:
        client_window = 15
    server_bits = response.get(_SERVER_MWB)
    agreed = DeflateParams(
        server_no_context_takeover=_SERVER_NCT in response,
        # RFC 7692 §7.1.1.2: a client that offered client_no_context_takeover
        # keeps that promise even when the server does not repeat it.
        client_no_context_takeover=_CLIENT_NCT in response or accepted.client_no_context_takeover,
        server_max_window_bits=15 if server_bits is None else int(server_bits),
        client_max_window_bits=client_window,
    )
    return agreed, problems


# --------------------------------------------------------------------------
# Server side: choosing an offer.
# --------------------------------------------------------------------------


def negotiate(values: list[str], *, enabled: bool = True) -> tuple[str, DeflateParams] | None:
    """Accept the first valid permessage-deflate offer in a request's extension header.

    ``values`` are the request's ``Sec-WebSocket-Extensions`` values.  Returns
    the response element and the agreed parameters, or None when deflate is
    disabled, not offered, or every offer must be declined (RFC 7692 §5.1):
    unknown or repeated parameters, invalid values, and
    ``server_max_window_bits=8``, which zlib cannot honour (its raw deflate
    needs a window of at least 9 bits and the server must not use a larger
    window than offered, §7.1.2.1).  Everything an accepted offer asks for is
    honoured and repeated in the response.

    Raises :class:`HandshakeViolation` when the header does not follow the RFC
    6455 §9.1 grammar: the request is malformed and deserves a 400.
    """
    if not enabled:
        return None
    for name, params in parse_extension_header(values):
        if name.lower() != EXTENSION_NAME or _params_problems(params, response=False):
            continue
        offer = _as_dict(params)
        server_bits = offer.get(_SERVER_MWB)
        if server_bits == "8":
            continue
        client_bits = offer.get(_CLIENT_MWB)
        agreed = DeflateParams(
            server_no_context_takeover=_SERVER_NCT in offer,
            client_no_context_takeover=_CLIENT_NCT in offer,
            server_max_window_bits=15 if server_bits is None else int(server_bits),
            client_max_window_bits=15 if client_bits is None else int(client_bits),
        )
        response = [EXTENSION_NAME]
        if agreed.server_no_context_takeover:
            response.append(_SERVER_NCT)
        if agreed.client_no_context_takeover:
            response.append(_CLIENT_NCT)
        if server_bits is not None:
            response.append(f"{_SERVER_MWB}={server_bits}")
        if client_bits is not None:
            response.append(f"{_CLIENT_MWB}={client_bits}")
        return "; ".join(response), agreed
    return None


# --------------------------------------------------------------------------
# Compression.
# --------------------------------------------------------------------------


def _check_window_bits(window_bits: int) -> None:
    if not 8 <= window_bits <= 15:
        raise ValueError(f"window_bits must be 8 to 15, got {window_bits}")


class Inflater:
    """Inflates the messages a peer compressed (RFC 7692 §7.2.2).

    Call :meth:`reset_message` before the first frame of each message and
    :meth:`decompress` with each frame's payload.  ``window_bits`` is the
    window the peer agreed to compress with; ``no_context_takeover`` that it
    agreed to start each message with an empty window.
    """

    def __init__(self, *, window_bits: int = 15, no_context_takeover: bool = False) -> None:
        _check_window_bits(window_bits)
        self._window_bits = window_bits
        self._window_size = 1 << window_bits
        self._step = max(self._window_size, 4096)
        self._no_context_takeover = no_context_takeover
        # The latest window of output: a stream that ends (BFINAL) and goes on
        # in a new one may still refer back to it.
        self._history = bytearray()
        self._inflate = zlib.decompressobj(-window_bits)

    def reset_message(self) -> None:
        """A new message starts: with no context takeover, forget the previous ones."""
        if self._no_context_takeover:
            self._history.clear()
            self._inflate = zlib.decompressobj(-self._window_bits)

    def decompress(self, data: bytes, *, final: bool, max_size: int) -> bytes:
        """Inflate one frame's payload; ``final`` for the last frame of the message.

        Raises :class:`ProtocolViolation`: MESSAGE_TOO_LARGE as soon as the
        output would exceed ``max_size`` bytes (at most ``max_size + 1`` are
        ever produced), WINDOW_TOO_LARGE for a back-reference beyond the
        agreed window (or, without context takeover, into an earlier
        message), BAD_COMPRESSED_DATA for anything else zlib refuses.
        """
        payload = memoryview(data + _TAIL if final else data)
        position = 0
        limit = max_size + 1
        out = bytearray()
        while True:
            # Bounded steps in and out: zlib checks back-references against
            # its window plus this step's output, and unconsumed input is
            # copied on every call.
            piece = payload[position : position + self._step]
            room = min(limit - len(out), self._window_size)
            try:
                chunk = self._inflate.decompress(piece, room)
            except zlib.error as exc:
                raise self._violation(exc) from None
            out += chunk
            if len(out) > max_size:
                raise ProtocolViolation(
                    Violation.MESSAGE_TOO_LARGE,
                    f"the compressed message inflates to more than {max_size} bytes",
                )
            self._history += chunk
            del self._history[: -self._window_size]
            if self._inflate.eof:
                position += len(piece) - len(self._inflate.unused_data)
                self._restart()
                rest = payload[position:]
                # The tail appended after a BFINAL block is not data.  (A
                # sender that also kept the empty stored block of §7.2.1
                # leaves a 00 before it, which the new stream reads harmlessly.)
                if not rest or (final and rest == _TAIL):
                    return bytes(out)
            else:
                position += len(piece) - len(self._inflate.unconsumed_tail)
                # Short of room with all input in: the frame is fully inflated.
                if len(chunk) < room and position >= len(payload):
                    return bytes(out)

    def _restart(self) -> None:
        self._inflate = zlib.decompressobj(-self._window_bits, zdict=bytes(self._history))

    def _violation(self, exc: zlib.error) -> ProtocolViolation:
        if "too far back" in str(exc):
            return ProtocolViolation(
                Violation.WINDOW_TOO_LARGE,
                f"the compressed data refers back further than the agreed window of "
                f"{self._window_size} bytes"
                + (" or into an earlier message" if self._no_context_takeover else "")
                + f" (zlib: {exc})",
            )
        return ProtocolViolation(
            Violation.BAD_COMPRESSED_DATA, f"the payload is not valid DEFLATE data (zlib: {exc})"
        )


class Deflater:
    """Compresses whole messages for sending (RFC 7692 §7.2.1).

    ``window_bits`` is the window agreed for this side; ``no_context_takeover``
    starts each message with an empty window.  zlib's raw deflate cannot use
    a window of 8 bits, so for 8 the deflater uses 9 bits with Huffman coding
    only: without back-references the output is valid for any window.
    """

    def __init__(
        self, *, window_bits: int = 15, no_context_takeover: bool = False, level: int = 6
    ) -> None:
        _check_window_bits(window_bits)
        self._window_bits = max(window_bits, 9)
        self._strategy = zlib.Z_HUFFMAN_ONLY if window_bits == 8 else zlib.Z_DEFAULT_STRATEGY
        self._level = level
        self._no_context_takeover = no_context_takeover
        self._compress = self._new()

    def _new(self) -> zlib._Compress:
        return zlib.compressobj(self._level, zlib.DEFLATED, -self._window_bits, 8, self._strategy)

    def compress(self, data: bytes) -> bytes:
        """One message's payload: ``data`` deflated, flushed, tail ``00 00 ff ff`` removed."""
        if self._no_context_takeover:
            self._compress = self._new()
        out = self._compress.compress(data) + self._compress.flush(zlib.Z_SYNC_FLUSH)
        # A sync flush always ends with an empty stored block, i.e. the tail.
        return out[: -len(_TAIL)]


CompressVariant = Literal["sync", "empty-final-block", "bfinal", "stored"]


def compress_variant(data: bytes, variant: CompressVariant) -> bytes:
    """``data`` as one message payload in a form a compliant sender may produce (RFC 7692 §7.2.3).

    Each is inflated by a receiver that appends ``00 00 ff ff`` (no context):

    * ``"sync"``: DEFLATE data after a sync flush, tail removed (§7.2.1);
    * ``"empty-final-block"``: a sync flush that keeps its tail, then ``00``,
      the empty block that ends the message; sent as the last frame on its
      own it is the empty final fragment of §7.2.3.6;
    * ``"bfinal"``: a stream ended with a BFINAL=1 block, then ``00`` (§7.2.3.4);
    * ``"stored"``: uncompressed stored blocks of up to 65535 bytes (§7.2.3.2).
    """
    if variant == "sync":
        return Deflater().compress(data)
    if variant == "empty-final-block":
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH) + b"\x00"
    if variant == "bfinal":
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush(zlib.Z_FINISH) + b"\x00"
    if variant == "stored":
        blocks = bytearray()
        for start in range(0, len(data), 0xFFFF):
            block = data[start : start + 0xFFFF]
            # Header byte: BFINAL=0, BTYPE=00, padding; then LEN and its complement.
            blocks += b"\x00" + len(block).to_bytes(2, "little")
            blocks += (len(block) ^ 0xFFFF).to_bytes(2, "little") + block
        # The empty stored block whose LEN/NLEN the receiver's tail supplies.
        return bytes(blocks) + b"\x00"
    raise ValueError(f"unknown variant {variant!r}")


def deflate_bomb(size: int) -> bytes:
    """A message payload (tail removed) that inflates to ``size`` zero bytes.

    Built from a bounded buffer, so a bomb of any size costs little memory;
    zlib reaches about 1000:1 on zeros.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(min(size, 1 << 20))
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        step = min(remaining, len(zeros))
        parts.append(compressor.compress(zeros[:step] if step < len(zeros) else zeros))
        remaining -= step
    parts.append(compressor.flush(zlib.Z_SYNC_FLUSH))
    return b"".join(parts)[: -len(_TAIL)]
