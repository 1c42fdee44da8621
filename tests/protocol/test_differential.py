"""The parser against two other implementations: websockets and wsproto.

Both parse frames sent by a server (unmasked). On valid frames all three must
agree on every field; on invalid ones, on refusing them. Where another
library is laxer than RFC 6455 requires, the difference is listed below and
asserted exactly, so that a change on either side shows up.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.frames import Close as WsClose
from websockets.frames import Frame as WsFrame
from websockets.streams import StreamReader
from wsproto.frame_protocol import FrameProtocol, ParseFailed
from wsspec.protocol import (
    Frame,
    FrameParser,
    LengthForm,
    Opcode,
    ProtocolViolation,
    Receiver,
    Violation,
    encode_close_payload,
    encode_frame,
    is_valid_on_wire,
    parse_close_payload,
)

KEY = b"\x37\xfa\x21\x3d"

# What each parser makes of some bytes: the frames as (opcode, fin, payload)
# tuples, "rejected", or "incomplete" (it waits for more bytes).
Outcome = list[tuple[int, bool, bytes]] | str


def ours(wire: bytes) -> Outcome:
    try:
        return [(f.opcode, f.fin, f.payload) for f in FrameParser().feed(wire)]
    except ProtocolViolation:
        return "rejected"


def ours_receiver(wire: bytes) -> Outcome:
    try:
        events = Receiver().feed(wire)
    except ProtocolViolation:
        return "rejected"
    return [(e.opcode, e.fin, e.payload) for e in events if isinstance(e, Frame)]


def websockets_parse(wire: bytes) -> Outcome:
    """websockets' client-side frame parser, driven the way its protocol drives it."""
    reader = StreamReader()
    reader.feed_data(wire)
    frames: list[tuple[int, bool, bytes]] = []
    while reader.buffer:
        parser = WsFrame.parse(reader.read_exact, mask=False, max_size=None, extensions=[])
        try:
            next(parser)
        except StopIteration as done:
            frame = done.value
            frames.append((int(frame.opcode), frame.fin, bytes(frame.data)))
        except (ProtocolError, PayloadTooBig):
            return "rejected"
        else:
            return "incomplete"
    return frames


def wsproto_parse(wire: bytes) -> Outcome:
    """wsproto's client side (it parses what a server sends), frames and messages.

    wsproto reports the opcode of the message rather than of the frame, and
    text as str, close payloads as (code, reason): mapped back to bytes here.
    """
    protocol = FrameProtocol(client=True, extensions=[])
    protocol.receive_bytes(wire)
    frames: list[tuple[int, bool, bytes]] = []
    in_message = False
    try:
        for frame in protocol.received_frames():
            opcode = int(frame.opcode)
            payload = frame.payload
            if opcode == Opcode.CLOSE:
                code, reason = payload
                payload = b"" if code == 1005 else encode_close_payload(code, reason)
            elif isinstance(payload, str):
                payload = payload.encode()
            if opcode < 8:
                if in_message:
                    opcode = Opcode.CONTINUATION
                in_message = not frame.message_finished
            frames.append((opcode, frame.message_finished, bytes(payload)))
    except ParseFailed:
        return "rejected"
    return frames


# --- valid streams --------------------------------------------------------------


@st.composite
def valid_streams(draw: st.DrawFn) -> bytes:
    """Server frames forming valid messages: text cut between characters
    (wsproto hands out text as str per frame), binary cut anywhere, control
    frames in between, and perhaps a close frame at the end."""
    wire = b""
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "binary", "ping", "pong"]))
        if kind in ("ping", "pong"):
            opcode = Opcode.PING if kind == "ping" else Opcode.PONG
            wire += encode_frame(opcode, draw(st.binary(max_size=125)))
            continue
        if kind == "text":
            chars = draw(st.lists(st.text(max_size=30), min_size=1, max_size=4))
            parts = [chunk.encode() for chunk in chars]
            opcode = Opcode.TEXT
        else:
            size = draw(st.sampled_from([0, 1, 125, 126, 65535, 65536, 70000]))
            data = draw(st.randoms(use_true_random=False)).randbytes(size)
            cut = draw(st.integers(0, size))
            parts = [data[:cut], data[cut:]] if draw(st.booleans()) else [data]
            opcode = Opcode.BINARY
        for i, part in enumerate(parts):
            wire += encode_frame(opcode if i == 0 else Opcode.CONTINUATION, part,
                                 fin=i == len(parts) - 1)  # fmt: skip
    if draw(st.booleans()):
        code = draw(st.sampled_from([1000, 1001, 1011, 3000, 4999]))
        wire += encode_frame(Opcode.CLOSE, encode_close_payload(code, draw(st.text(max_size=20))))
    return wire


@given(valid_streams())
def test_valid_frames_parse_the_same(wire):
    expected = ours(wire)
    assert isinstance(expected, list) and expected
    assert ours_receiver(wire) == expected
    assert websockets_parse(wire) == expected
    assert wsproto_parse(wire) == expected


class _RecordRsv:
    """A websockets extension that records the frame it decodes, then clears
    its RSV bits so that websockets' own check() lets it through."""

    seen: WsFrame

    def decode(self, frame: WsFrame, *, max_size: int | None = None) -> WsFrame:
        self.seen = frame
        return WsFrame(frame.opcode, frame.data, frame.fin)


@pytest.mark.parametrize("rsv", range(8))
def test_rsv_bits_match_websockets(rsv):
    # wsproto does not report RSV bits; websockets does, to its extensions.
    bits = {"rsv1": bool(rsv & 4), "rsv2": bool(rsv & 2), "rsv3": bool(rsv & 1)}
    wire = encode_frame(Opcode.BINARY, b"x", **bits)
    (frame,) = FrameParser(allowed_rsv=0b111).feed(wire)
    extension = _RecordRsv()
    reader = StreamReader()
    reader.feed_data(wire)
    with pytest.raises(StopIteration):
        next(WsFrame.parse(reader.read_exact, mask=False, extensions=[extension]))
    theirs = extension.seen
    assert (theirs.rsv1, theirs.rsv2, theirs.rsv3) == (frame.rsv1, frame.rsv2, frame.rsv3)


# --- invalid frames ---------------------------------------------------------------

REJECTED_BY_ALL = [
    pytest.param(encode_frame(3, b"x"), id="reserved-opcode-3"),
    pytest.param(encode_frame(7), id="reserved-opcode-7"),
    pytest.param(encode_frame(11, b"x"), id="reserved-opcode-b"),
    pytest.param(encode_frame(15), id="reserved-opcode-f"),
    pytest.param(encode_frame(Opcode.PING, b"x" * 126), id="ping-126"),
    pytest.param(encode_frame(Opcode.PONG, b"x" * 65536), id="pong-65536"),
    pytest.param(encode_frame(Opcode.CLOSE, b"\x03\xe8" + b"x" * 124), id="close-126"),
    pytest.param(encode_frame(Opcode.PING, b"x", fin=False), id="ping-fin0"),
    pytest.param(encode_frame(Opcode.CLOSE, b"", fin=False), id="close-fin0"),
    pytest.param(encode_frame(Opcode.TEXT, b"x", rsv1=True), id="rsv1"),
    pytest.param(encode_frame(Opcode.BINARY, b"x", rsv2=True), id="rsv2"),
    pytest.param(encode_frame(Opcode.PING, b"x", rsv3=True), id="rsv3"),
    pytest.param(encode_frame(Opcode.TEXT, b"x", mask_key=KEY), id="masked"),
    pytest.param(encode_frame(Opcode.PONG, b"", mask_key=KEY), id="masked-pong"),
    pytest.param(encode_frame(Opcode.TEXT, b"ok") + encode_frame(4), id="after-a-valid-frame"),
]


@pytest.mark.parametrize("wire", REJECTED_BY_ALL)
def test_invalid_frames_rejected_by_all(wire):
    assert ours(wire) == "rejected"
    assert websockets_parse(wire) == "rejected"
    assert wsproto_parse(wire) == "rejected"


# Expected differences: RFC 6455 §5.2 says the length "MUST" use the minimal
# number of bytes and the 64-bit form's most significant bit "MUST be 0".
# wsproto enforces both; websockets does neither: it accepts non-minimal
# lengths, and with no max_size it waits for the 2**63 bytes a top-bit length
# announces (with a max_size it refuses it as too big, not as malformed).
EXPECTED_DIFFERENCES = [
    pytest.param(encode_frame(Opcode.TEXT, b"hi", length_form=LengthForm.MEDIUM),
                 [(Opcode.TEXT, True, b"hi")], id="16-bit-length-for-2"),
    pytest.param(encode_frame(Opcode.BINARY, bytes(200), length_form=LengthForm.LONG),
                 [(Opcode.BINARY, True, bytes(200))], id="64-bit-length-for-200"),
    pytest.param(encode_frame(Opcode.BINARY, bytes(65535), length_form=LengthForm.LONG),
                 [(Opcode.BINARY, True, bytes(65535))], id="64-bit-length-for-65535"),
    pytest.param(encode_frame(Opcode.BINARY, b"", declared_length=2**63),
                 "incomplete", id="64-bit-length-top-bit"),
]  # fmt: skip


@pytest.mark.parametrize(("wire", "websockets_outcome"), EXPECTED_DIFFERENCES)
def test_where_websockets_is_lax(wire, websockets_outcome):
    assert ours(wire) == "rejected"
    assert wsproto_parse(wire) == "rejected"
    assert websockets_parse(wire) == websockets_outcome


def test_top_bit_length_is_too_big_for_websockets_with_a_limit():
    reader = StreamReader()
    reader.feed_data(encode_frame(Opcode.BINARY, b"", declared_length=2**63))
    with pytest.raises(PayloadTooBig):
        next(WsFrame.parse(reader.read_exact, mask=False, max_size=2**20))
    with pytest.raises(ProtocolViolation) as caught:
        FrameParser().feed(encode_frame(Opcode.BINARY, b"", declared_length=2**63))
    assert caught.value.violation is Violation.LENGTH_TOP_BIT


# --- rules across frames (Receiver against wsproto, which checks them too) -----

MESSAGE_LEVEL = [
    pytest.param(encode_frame(Opcode.CONTINUATION, b"x"), id="unexpected-continuation"),
    pytest.param(encode_frame(Opcode.TEXT, b"x", fin=False) + encode_frame(Opcode.BINARY, b"y"),
                 id="expected-continuation"),
    pytest.param(encode_frame(Opcode.TEXT, b"\xff"), id="invalid-utf8"),
    pytest.param(encode_frame(Opcode.TEXT, b"\xed\xa0\x80"), id="surrogate"),
    pytest.param(encode_frame(Opcode.CLOSE, b"\x03"), id="close-1-byte"),
    pytest.param(encode_frame(Opcode.CLOSE, b"\x03\xe8\xff"), id="close-reason-not-utf8"),
]  # fmt: skip


@pytest.mark.parametrize("wire", MESSAGE_LEVEL)
def test_message_rules_match_wsproto(wire):
    assert ours_receiver(wire) == "rejected"
    assert wsproto_parse(wire) == "rejected"


def websockets_accepts_close_code(code: int) -> bool:
    try:
        WsClose.parse(code.to_bytes(2, "big"))
    except ProtocolError:
        return False
    return True


def wsproto_accepts_close_code(code: int) -> bool:
    return wsproto_parse(encode_frame(Opcode.CLOSE, code.to_bytes(2, "big"))) != "rejected"


def test_close_codes_match_websockets_everywhere():
    for code in range(65536):
        assert websockets_accepts_close_code(code) is is_valid_on_wire(code), code


def test_close_codes_match_wsproto_but_one():
    # Expected difference: 1014 (Bad Gateway) was registered with IANA after
    # wsproto's table was written; wsproto refuses it as an unknown code.
    differences = [
        code
        for code in range(65536)
        if wsproto_accepts_close_code(code) is not is_valid_on_wire(code)
    ]
    assert differences == [1014]
    assert parse_close_payload(b"\x03\xf6").code == 1014
