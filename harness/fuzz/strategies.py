"""Hypothesis strategies for WebSocket traffic, valid and invalid.

Usable in any Hypothesis test, a server's own included::

    from hypothesis import given
    from wsspec.fuzz import strategies as ws

    @given(ws.conversations(ws.message_steps()))
    def test_my_server(conversation): ...

Every strategy builds its values from small, simple choices
(``st.sampled_from`` over short tables whose first entry is the plainest
value, ``st.integers`` with small bounds, ``st.lists``), so a failing example
shrinks to few frames with short payloads, the plainest mask key, no
fragmentation and one TCP write. Frames always carry their mask key (or none,
on purpose): a value encodes to the same bytes every time.

The strategies say nothing about what a server must do with what they
build; :mod:`wsspec.fuzz.oracle` does.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import replace

from hypothesis import strategies as st
from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.deflate import compress_variant
from wsspec.protocol.frames import Frame, LengthForm, Opcode
from wsspec.protocol.handshake import HandshakeRequest

from .script import Conversation, HandshakeProbe, Step

__all__ = [
    "ALPHABET",
    "CLOSE_PAYLOAD_KINDS",
    "FRAME_DEFECTS",
    "INVALID_CLOSE_CODES",
    "INVALID_UTF8",
    "MASK_KEYS",
    "VALID_CLOSE_CODES",
    "any_frames",
    "binary_payloads",
    "chunkings",
    "close_frames",
    "close_payloads",
    "control_frames",
    "conversations",
    "deflate_message_frames",
    "fragmented",
    "handshake_probes",
    "mask_keys",
    "message_frames",
    "message_steps",
    "mutate",
    "steps",
    "text_message_frames",
    "texts",
    "valid_close_payloads",
]

#: Mask keys a client frame may carry; the first is the one examples shrink to.
MASK_KEYS: tuple[bytes, ...] = (
    b"\x37\xfa\x21\x3d",  # the key of RFC 6455 5.7's examples
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\x01\x80\x7f\xfe",
)

#: Characters text is built from: one-, two-, three- and four-byte UTF-8,
#: boundaries of each length included, so fragment cuts fall inside code points.
ALPHABET: tuple[str, ...] = (
    "a", "é", "€", "😀", " ", "Z", "\x00", "\x7f", "ß", "\u07ff", "中", "\ufeff",
    "\uffff", "\U00010000", "\U0010ffff",
)

#: Byte sequences that are never valid UTF-8, however they are surrounded
#: (a lone continuation byte, overlong forms, a surrogate, beyond U+10FFFF,
#: bytes UTF-8 never uses, a truncated sequence before ASCII).
INVALID_UTF8: tuple[bytes, ...] = (
    b"\xff", b"\x80", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80", b"\xfe", b"\xce\xba\xe1\xbd", b"\xe2\x82\x41",
)

#: Close codes a client may send (RFC 6455 7.4, the IANA registry, private use).
VALID_CLOSE_CODES: tuple[int, ...] = (
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
    4000, 4999,
)

#: Close codes that must never be on the wire: reserved, unassigned or out of range.
INVALID_CLOSE_CODES: tuple[int, ...] = (
    0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
)

_CONTROL_OPCODES = (Opcode.PING, Opcode.PONG)
_RESERVED_OPCODES = (0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF)
#: Payload sizes around the length-field boundaries of RFC 6455 5.2.
_EDGE_SIZES = (125, 126, 127, 1000, 65535, 65536)


@functools.cache
def mask_keys() -> st.SearchStrategy[bytes]:
    """A client mask key from :data:`MASK_KEYS`."""
    return st.sampled_from(MASK_KEYS)


@functools.cache
def texts(max_chars: int = 24) -> st.SearchStrategy[str]:
    """Text made of :data:`ALPHABET` characters (shrinks towards ``"aaa"`` and ``""``)."""
    return st.lists(st.sampled_from(ALPHABET), max_size=max_chars).map("".join)


_PATTERN = bytes(i * 7 % 251 for i in range(251)) * (65536 // 251 + 1)


def _pattern(size: int) -> bytes:
    """``size`` bytes of a fixed pattern that is not UTF-8 text (up to 65536)."""
    return _PATTERN[:size]


@functools.cache
def binary_payloads(max_size: int = 24, *, edges: bool = True) -> st.SearchStrategy[bytes]:
    """Bytes of up to ``max_size``, and with ``edges`` sometimes a payload of one
    of the sizes where the length field changes form (125, 126, 127 … 65536)."""
    small = st.binary(max_size=max_size)
    if not edges:
        return small
    # A choice drawn next to the small payload, not one_of: it shrinks to "small".
    return st.tuples(st.sampled_from((None, *_EDGE_SIZES)), small).map(
        lambda pair: pair[1] if pair[0] is None else _pattern(pair[0]))


@functools.cache
def chunkings() -> st.SearchStrategy[tuple[int, ...]]:
    """How a step's bytes are cut into TCP writes: sizes cycled, ``()`` for one write."""
    return st.lists(st.integers(1, 9), max_size=3).map(tuple)


@functools.cache
def control_frames(*, pongs: bool = True) -> st.SearchStrategy[Frame]:
    """A valid ping (or an unsolicited pong) with a payload of 0–125 bytes."""
    opcodes = _CONTROL_OPCODES if pongs else (Opcode.PING,)
    payload = st.tuples(st.sampled_from((False, False, False, True)), st.binary(max_size=8)).map(
        lambda pair: _pattern(125) if pair[0] else pair[1])
    return st.builds(lambda op, data, key: Frame(op, data, mask_key=key),
                     st.sampled_from(opcodes), payload, mask_keys())


def _fragment(draw: st.DrawFn, opcode: int, data: bytes, *, max_fragments: int = 5,
              controls: st.SearchStrategy[Frame] | None = None,
              rsv1: bool = False) -> list[Frame]:
    # The body of fragmented(), called with the caller's draw: a composite made
    # anew for each message would be validated anew by Hypothesis each time.
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=max_fragments - 1)))
    bounds = [0, *cuts, len(data)]
    pieces = [data[a:b] for a, b in itertools.pairwise(bounds)]
    frames: list[Frame] = []
    for index, piece in enumerate(pieces):
        if index and controls is not None:
            frames += draw(st.lists(controls, max_size=2))
        frames.append(Frame(opcode if index == 0 else Opcode.CONTINUATION, piece,
                            fin=index == len(pieces) - 1, rsv1=rsv1 and index == 0,
                            mask_key=draw(mask_keys())))
    return frames


@st.composite
def fragmented(draw: st.DrawFn, opcode: int, data: bytes, *, max_fragments: int = 5,
               controls: st.SearchStrategy[Frame] | None = None,
               rsv1: bool = False) -> list[Frame]:
    """``data`` as one message of ``opcode``: cut at arbitrary byte offsets (empty
    fragments and cuts inside a code point included) into up to
    ``max_fragments`` frames, with up to two ``controls`` frames between fragments.
    ``rsv1`` marks the first frame (a compressed message)."""
    return _fragment(draw, opcode, data, max_fragments=max_fragments, controls=controls,
                     rsv1=rsv1)


@st.composite
def text_message_frames(draw: st.DrawFn, *, valid: bool | None = True,
                        controls: bool = True) -> list[Frame]:
    """A text message, fragmented anywhere with pings and pongs between fragments.

    ``valid=False`` puts a sequence from :data:`INVALID_UTF8` somewhere in the
    message; ``None`` does so one time in four.
    """
    broken = (not valid) if valid is not None else draw(st.sampled_from((False, False, False,
                                                                         True)))
    data = draw(texts()).encode("utf-8")
    if broken:
        at = draw(st.integers(0, len(data)))
        # Keep the prefix a whole number of characters: the bad bytes are the error.
        while at and at < len(data) and (data[at] & 0xC0) == 0x80:
            at -= 1
        data = data[:at] + draw(st.sampled_from(INVALID_UTF8)) + data[at:]
    return _fragment(draw, Opcode.TEXT, data, controls=control_frames() if controls else None)


_VALID_TEXT_MESSAGES = {flag: text_message_frames(valid=True, controls=flag)
                        for flag in (True, False)}


@st.composite
def message_frames(draw: st.DrawFn, *, controls: bool = True) -> list[Frame]:
    """A valid text or binary message, fragmented, with control frames between fragments."""
    if draw(st.sampled_from((Opcode.TEXT, Opcode.BINARY))) == Opcode.TEXT:
        return draw(_VALID_TEXT_MESSAGES[controls])
    data = draw(binary_payloads())
    return _fragment(draw, Opcode.BINARY, data, controls=control_frames() if controls else None)


@functools.cache
def valid_close_payloads() -> st.SearchStrategy[bytes]:
    """Close payloads a server must accept: a valid code with a short UTF-8 reason, or empty."""
    return st.one_of(
        st.builds(encode_close_payload, st.sampled_from(VALID_CLOSE_CODES), texts(max_chars=12)),
        st.just(b""),
    )


#: The shapes :func:`close_payloads` draws from; the first is the one examples shrink to.
CLOSE_PAYLOAD_KINDS: tuple[str, ...] = (
    "valid", "empty", "invalid-code", "one-byte", "bad-reason", "too-long",
)


@st.composite
def close_payloads(draw: st.DrawFn,
                   kinds: Sequence[str] = CLOSE_PAYLOAD_KINDS) -> bytes:
    """Close frame payloads of every shape in ``kinds``: a valid code with a UTF-8
    reason, the empty payload, then what a server must refuse: an invalid or
    reserved code, a single byte, a reason that is not UTF-8, over 125 bytes."""
    kind = draw(st.sampled_from(tuple(kinds)))
    if kind == "empty":
        return b""
    if kind == "one-byte":
        return draw(st.sampled_from((b"\x03", b"\xe8", b"\x00")))
    codes = INVALID_CLOSE_CODES if kind == "invalid-code" else VALID_CLOSE_CODES
    code = draw(st.sampled_from(codes))
    if kind == "bad-reason":
        return encode_close_payload(code, b"ok" + draw(st.sampled_from(INVALID_UTF8)))
    if kind == "too-long":
        return encode_close_payload(code, draw(st.sampled_from(("x" * 124, "é" * 62))))
    return encode_close_payload(code, draw(texts(max_chars=12)))


def close_frames(payloads: st.SearchStrategy[bytes] | None = None) -> st.SearchStrategy[Frame]:
    """A close frame with a payload from ``payloads`` (default :func:`close_payloads`)."""
    return st.builds(lambda data, key: Frame(Opcode.CLOSE, data, mask_key=key),
                     payloads if payloads is not None else close_payloads(), mask_keys())


_RSV = ((False, False, False), (True, False, False), (False, True, False), (False, False, True))


#: What :func:`any_frames` may do wrong; None first, so examples shrink to valid frames.
FRAME_DEFECTS: tuple[str | None, ...] = (
    None, "unmasked", "reserved-opcode", "rsv-bit", "long-length-field", "fin-clear",
    "oversized-control", "bad-payload",
)


@st.composite
def any_frames(draw: st.DrawFn, defects: Sequence[str | None] = FRAME_DEFECTS) -> Frame:
    """One frame of any shape: a data or control frame with at most one defect from
    ``defects`` (default :data:`FRAME_DEFECTS`: unmasked, a reserved opcode, an
    RSV bit, a longer length field than needed, FIN clear, a control payload
    over 125 bytes, a payload that breaks its opcode's rules; None for none).
    Whether the frame is acceptable where it stands is for the oracle to say."""
    defect = draw(st.sampled_from(tuple(defects)))
    opcode: int = draw(st.sampled_from((Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION,
                                        Opcode.PING, Opcode.PONG, Opcode.CLOSE)))
    if defect == "reserved-opcode":
        opcode = draw(st.sampled_from(_RESERVED_OPCODES))
    if opcode == Opcode.TEXT:
        payload = draw(texts()).encode("utf-8")
    elif opcode == Opcode.CLOSE:
        payload = draw(valid_close_payloads())
    elif opcode in _CONTROL_OPCODES:
        payload = draw(st.binary(max_size=8))
    else:
        payload = draw(binary_payloads(edges=False))
    if defect == "bad-payload":
        if opcode == Opcode.CLOSE:
            payload = draw(close_payloads())
        elif opcode in (Opcode.TEXT, Opcode.CONTINUATION):
            payload = payload + draw(st.sampled_from(INVALID_UTF8))
    if defect == "oversized-control" and opcode >= 0x8:
        payload = _pattern(draw(st.sampled_from((126, 127, 200))))
    rsv1, rsv2, rsv3 = draw(st.sampled_from(_RSV[1:])) if defect == "rsv-bit" else _RSV[0]
    key = None if defect == "unmasked" else draw(mask_keys())
    form = None
    if defect == "long-length-field":
        form = draw(st.sampled_from((LengthForm.MEDIUM, LengthForm.LONG)))
        if form is LengthForm.MEDIUM and len(payload) > 0xFFFF:
            form = LengthForm.LONG
    return Frame(opcode, payload, fin=defect != "fin-clear", rsv1=rsv1, rsv2=rsv2, rsv3=rsv3,
                 mask_key=key, length_form=form)


def steps(frames: st.SearchStrategy[list[Frame]]) -> st.SearchStrategy[Step]:
    """A :class:`Step` of the frames ``frames`` draws, cut into TCP writes by :func:`chunkings`."""
    return st.builds(lambda fs, chunks: Step(tuple(fs), chunks), frames, chunkings())


def message_steps(*, controls: bool = True) -> st.SearchStrategy[Step]:
    """A step holding one valid message (fragmented, controls between fragments)
    or a lone ping or pong."""
    return st.one_of(
        steps(message_frames(controls=controls)),
        steps(control_frames().map(lambda frame: [frame])),
    )


def conversations(
    body: st.SearchStrategy[Step],
    *,
    max_steps: int = 5,
    final: st.SearchStrategy[Step] | None = None,
    final_always: bool = False,
    deflate: bool = False,
) -> st.SearchStrategy[Conversation]:
    """Up to ``max_steps`` steps from ``body``, then one from ``final`` (e.g. a
    close): always with ``final_always``, else maybe."""
    if final is None:
        last: st.SearchStrategy[Step | None] = st.none()
    else:
        last = final if final_always else st.one_of(st.none(), final)
    # The final step is drawn first: small budgets then vary it more.
    return st.builds(
        lambda end, body_steps: Conversation(
            tuple(body_steps) + ((end,) if end is not None else ()), deflate=deflate),
        last, st.lists(body, max_size=max_steps),
    )


_DEFLATE_VARIANTS = ("sync", "stored", "bfinal", "empty-final-block")
#: A raw DEFLATE block of the reserved type 11: invalid for every inflater.
_BAD_DEFLATE = b"\x07\x00\x00"


@st.composite
def deflate_message_frames(draw: st.DrawFn) -> list[Frame]:
    """A permessage-deflate message (RFC 7692): compressed on its own, in any of the
    forms a sender may produce, fragmented with pings between fragments; or
    uncompressed; or broken: RSV1 on a continuation or a ping, or data that is
    not DEFLATE."""
    kind = draw(st.sampled_from(("compressed", "plain", "rsv1-continuation", "rsv1-ping",
                                 "not-deflate")))
    text = draw(st.sampled_from((True, False)))
    data = draw(texts()).encode("utf-8") if text else draw(binary_payloads(edges=False))
    opcode = Opcode.TEXT if text else Opcode.BINARY
    if kind == "plain":
        return _fragment(draw, opcode, data, controls=control_frames(pongs=False))
    if kind == "rsv1-ping":
        return [Frame(Opcode.PING, data[:8], rsv1=True, mask_key=draw(mask_keys()))]
    payload = _BAD_DEFLATE if kind == "not-deflate" else compress_variant(
        data, draw(st.sampled_from(_DEFLATE_VARIANTS)))
    frames = _fragment(draw, opcode, payload, controls=control_frames(pongs=False), rsv1=True)
    if kind == "rsv1-continuation":
        if len(frames) == 1:
            frames = [replace(frames[0], fin=False),
                      Frame(Opcode.CONTINUATION, b"", mask_key=MASK_KEYS[0])]
        frames[-1] = replace(frames[-1], rsv1=True)
    return frames


# -- the opening handshake ------------------------------------------------------

_SPOKEN = ("Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version")
_VALUES: dict[str, tuple[str, ...]] = {
    "Upgrade": ("WebSocket", "h2c", ""),
    "Connection": ("upgrade", "keep-alive, Upgrade", "keep-alive", "close"),
    "Sec-WebSocket-Key": ("x3JJHMbDL1EzLkh9GBhXDw==", "dGhlIHNhbXBsZSBub25jZQ",
                          "AAAAAAAAAAAAAAAAAAAAAAAAAA==", "not base64 at all!!!!!!=", ""),
    "Sec-WebSocket-Version": ("8", "12", "14", "abc", ""),
    "Host": ("example.com:80",),
}


def _mutations() -> st.SearchStrategy[tuple[str, ...]]:
    return st.one_of(
        st.sampled_from([("value", name, value) for name, values in _VALUES.items()
                         for value in values]),
        st.tuples(st.just("drop"), st.sampled_from(_SPOKEN)),
        st.tuples(st.just("duplicate"), st.sampled_from(_SPOKEN)),
        st.tuples(st.just("name-case"), st.sampled_from(_SPOKEN), st.sampled_from(("lower",
                                                                                     "upper"))),
        st.tuples(st.just("extra-header"), st.sampled_from(("X-Wsspec-Fuzz", "Accept",
                                                            "Sec-WebSocket-Foo"))),
        st.tuples(st.just("method"), st.sampled_from(("POST", "PUT", "DELETE"))),
        st.tuples(st.just("http-version"), st.sampled_from(("1.0",))),
    )


def mutate(request: HandshakeRequest, mutation: tuple[str, ...]) -> HandshakeRequest:
    """``request`` with one mutation of :func:`handshake_probes` applied: ``("value", name,
    value)``, ``("drop", name)``, ``("duplicate", name)``, ``("name-case", name, "lower" or
    "upper")``, ``("extra-header", name)``, ``("method", method)``, ``("http-version", v)``."""
    kind, *args = mutation
    if kind == "value":
        name, value = args
        return replace(request, headers=[(n, value if n.lower() == name.lower() else v)
                                         for n, v in request.headers])
    if kind == "drop":
        return request.without(args[0])
    if kind == "duplicate":
        name = args[0]
        values = request.get(name)
        other = {"Sec-WebSocket-Key": "x3JJHMbDL1EzLkh9GBhXDw==", "Host": "example.com"}
        return request.with_header(name, other.get(name, values[0] if values else "x"))
    if kind == "name-case":
        name, case = args
        return replace(request, headers=[
            ((n.lower() if case == "lower" else n.upper()) if n.lower() == name.lower() else n, v)
            for n, v in request.headers])
    if kind == "extra-header":
        return request.with_header(args[0], "wsspec")
    if kind == "method":
        return replace(request, method=args[0])
    return replace(request, http_version=args[0])


def handshake_probes(base: HandshakeRequest) -> st.SearchStrategy[HandshakeProbe]:
    """``base`` (a valid request) with up to three of its RFC 6455 4.1 fields
    mutated one by one: a header dropped, duplicated, renamed in another case
    or given another value, an unknown header added, another method or HTTP
    version; sent in one write or cut into small ones."""

    def build(mutations: Sequence[tuple[str, ...]], chunks: tuple[int, ...]) -> HandshakeProbe:
        request = base
        for mutation in mutations:
            request = mutate(request, mutation)
        return HandshakeProbe(request.encode(), chunks,
                              tuple(":".join(m) for m in mutations))

    return st.builds(build, st.lists(_mutations(), max_size=3), chunkings())
