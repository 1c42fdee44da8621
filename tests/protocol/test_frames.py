"""Frames: encode_frame writes anything, FrameParser accepts only RFC 6455."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsspec.protocol import (
    Frame,
    FrameParser,
    LengthForm,
    Opcode,
    ProtocolViolation,
    Violation,
    encode_frame,
    is_control,
    is_reserved,
    opcode_name,
)

KEY = b"\x37\xfa\x21\x3d"


# --- strategies ---------------------------------------------------------------


def pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets (repeated offsets give empty pieces)."""
    points = sorted(min(cut, len(data)) for cut in cuts)
    return [data[start:end] for start, end in zip([0, *points], [*points, len(data)], strict=True)]


def chops(data: bytes) -> st.SearchStrategy[list[bytes]]:
    """Every way of cutting ``data`` into pieces: anywhere, a byte at a time, whole."""
    anywhere = st.lists(st.integers(0, len(data)), max_size=12).map(lambda cuts: pieces(data, cuts))
    choices = [st.just([data]), anywhere]
    if len(data) <= 2048:
        choices.append(st.just([data[i : i + 1] for i in range(len(data))]))
    return st.one_of(*choices)


SPECIAL_LENGTHS = [0, 1, 124, 125, 126, 127, 128, 65534, 65535, 65536, 65537]


@st.composite
def payloads(draw: st.DrawFn, max_size: int = 70_000) -> bytes:
    """Payloads with lengths around every boundary of the length forms, and some large."""
    size = draw(
        st.one_of(
            st.sampled_from([n for n in SPECIAL_LENGTHS if n <= max_size]),
            st.integers(0, min(300, max_size)),
            st.integers(0, max_size),
        )
    )
    if size <= 64:
        return draw(st.binary(min_size=size, max_size=size))
    # Large payloads come from a seeded generator: drawing them byte by byte
    # would make Hypothesis slow without finding more.
    return draw(st.randoms(use_true_random=False)).randbytes(size)


@st.composite
def valid_frames(draw: st.DrawFn, allowed_rsv: int = 0, masked: bool = False) -> Frame:
    """Any frame a strict parser must accept, given the RSV bits it allows."""
    opcode = draw(st.sampled_from(list(Opcode)))
    control = is_control(opcode)
    rsv = draw(st.integers(0, 7)) & allowed_rsv
    return Frame(
        opcode,
        draw(payloads(max_size=125)) if control else draw(payloads()),
        fin=True if control else draw(st.booleans()),
        rsv1=bool(rsv & 0b100),
        rsv2=bool(rsv & 0b010),
        rsv3=bool(rsv & 0b001),
        mask_key=draw(st.binary(min_size=4, max_size=4)) if masked else None,
    )


def feed_all(parser: FrameParser, chunks: list[bytes]) -> list[Frame]:
    frames = []
    for chunk in chunks:
        frames += parser.feed(chunk)
    return frames


def same_frame(parsed: Frame, built: Frame) -> bool:
    fields = ("opcode", "payload", "fin", "rsv1", "rsv2", "rsv3", "masked", "mask_key")
    return all(getattr(parsed, name) == getattr(built, name) for name in fields)


# --- opcodes -------------------------------------------------------------------


def test_opcodes():
    assert [int(op) for op in Opcode] == [0, 1, 2, 8, 9, 10]
    assert [op for op in range(16) if is_control(op)] == list(range(8, 16))
    assert [op for op in range(16) if is_reserved(op)] == [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]
    assert [opcode_name(op) for op in (0, 1, 2, 3, 8, 9, 10, 11, 15)] == [
        "CONTINUATION", "TEXT", "BINARY", "RESERVED-0x3", "CLOSE", "PING", "PONG",
        "RESERVED-0xB", "RESERVED-0xF",
    ]  # fmt: skip


@pytest.mark.parametrize("opcode", [-1, 16])
def test_opcode_name_outside_four_bits(opcode):
    with pytest.raises(ValueError):
        opcode_name(opcode)


# --- encode_frame ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "wire"),
    [
        # The examples of RFC 6455 §5.7.
        ({"opcode": 1, "payload": b"Hello"}, "810548656c6c6f"),
        ({"opcode": 1, "payload": b"Hello", "mask_key": KEY}, "818537fa213d7f9f4d5158"),
        ({"opcode": 1, "payload": b"Hel", "fin": False}, "010348656c"),
        ({"opcode": 0, "payload": b"lo"}, "80026c6f"),
        ({"opcode": 9, "payload": b"Hello"}, "890548656c6c6f"),
        ({"opcode": 10, "payload": b"Hello", "mask_key": KEY}, "8a8537fa213d7f9f4d5158"),
        ({"opcode": 2, "payload": bytes(256)}, "827e0100" + "00" * 256),
        ({"opcode": 2, "payload": bytes(65536)}, "827f0000000000010000" + "00" * 65536),
        # What a fuzzer needs: reserved opcodes and bits, lying and odd lengths.
        ({"opcode": 3}, "8300"),
        ({"opcode": 15, "fin": False, "rsv1": True, "rsv2": True, "rsv3": True}, "7f00"),
        ({"opcode": 2, "payload": b"ab", "length_form": LengthForm.MEDIUM}, "827e00026162"),
        (
            {"opcode": 2, "payload": b"ab", "length_form": LengthForm.LONG},
            "827f00000000000000026162",
        ),
        ({"opcode": 2, "payload": b"ab", "declared_length": 125}, "827d6162"),
        ({"opcode": 2, "declared_length": 2**64 - 1}, "827fffffffffffffffff"),
        ({"opcode": 2, "declared_length": 2**63}, "827f8000000000000000"),
        ({"opcode": 9, "payload": b"x" * 126}, "897e007e" + "78" * 126),
        ({"opcode": 2, "declared_length": 0, "mask_key": KEY}, "828037fa213d"),
    ],
)
def test_encode_frame(kwargs, wire):
    assert encode_frame(**kwargs) == bytes.fromhex(wire)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opcode": 16},
        {"opcode": -1},
        {"opcode": 1, "mask_key": b"abc"},
        {"opcode": 1, "mask_key": b"abcde"},
        {"opcode": 1, "payload": b"x" * 126, "length_form": LengthForm.SHORT},
        {"opcode": 1, "payload": bytes(65536), "length_form": LengthForm.MEDIUM},
        {"opcode": 1, "declared_length": 126, "length_form": LengthForm.SHORT},
        {"opcode": 1, "declared_length": 65536, "length_form": LengthForm.MEDIUM},
        {"opcode": 1, "declared_length": 2**64},
        {"opcode": 1, "declared_length": -1},
    ],
)
def test_encode_frame_refuses_only_what_cannot_be_written(kwargs):
    with pytest.raises(ValueError):
        encode_frame(**kwargs)


# --- Frame -------------------------------------------------------------------------


def test_frame_mask_key_and_masked_agree():
    assert Frame(Opcode.TEXT, b"x", mask_key=KEY).masked
    with pytest.raises(ValueError):
        Frame(Opcode.TEXT, b"x", masked=True)


def test_frame_encode_uses_its_own_fields():
    frame = Frame(Opcode.BINARY, b"ab", fin=False, rsv2=True, mask_key=KEY,
                  length_form=LengthForm.MEDIUM)  # fmt: skip
    assert frame.encode() == encode_frame(
        2, b"ab", fin=False, rsv2=True, mask_key=KEY, length_form=LengthForm.MEDIUM
    )


@pytest.mark.parametrize(
    ("frame", "line"),
    [
        (Frame(Opcode.TEXT, b"hello", mask_key=KEY), 'TEXT fin=1 rsv=000 len=5 masked "hello"'),
        (Frame(Opcode.TEXT, b""), "TEXT fin=1 rsv=000 len=0"),
        (Frame(Opcode.TEXT, "é\n".encode()), 'TEXT fin=1 rsv=000 len=3 "é\\n"'),
        (Frame(Opcode.TEXT, b"\xff\xfe"), "TEXT fin=1 rsv=000 len=2 ff fe"),
        (Frame(Opcode.BINARY, b"\x00\x01", fin=False, rsv1=True),
         "BINARY fin=0 rsv=100 len=2 00 01"),
        (Frame(Opcode.PING, b"ping"), 'PING fin=1 rsv=000 len=4 "ping"'),
        (Frame(Opcode.CLOSE, b"\x03\xe8bye"), 'CLOSE fin=1 rsv=000 len=5 code=1000 reason="bye"'),
        (Frame(Opcode.CLOSE, b"\x03\xe8"), "CLOSE fin=1 rsv=000 len=2 code=1000"),
        (Frame(Opcode.CLOSE, b"\x03"), "CLOSE fin=1 rsv=000 len=1 03"),
        (Frame(3, b"", rsv3=True), "RESERVED-0x3 fin=1 rsv=001 len=0"),
        (Frame(Opcode.BINARY, bytes(100)), "BINARY fin=1 rsv=000 len=100 " + "00 " * 24 + "…"),
        (Frame(Opcode.TEXT, b"a" * 1000), f'TEXT fin=1 rsv=000 len=1000 "{"a" * 48}…"'),
    ],
)  # fmt: skip
def test_describe(frame, line):
    assert frame.describe() == line


def test_to_dict():
    record = Frame(Opcode.TEXT, b"hello", mask_key=KEY).to_dict()
    assert record == {
        "opcode": "TEXT", "opcode_int": 1, "fin": True, "rsv1": False, "rsv2": False,
        "rsv3": False, "masked": True, "length": 5, "payload_hex": "68656c6c6f",
        "truncated": False, "text": "hello",
    }  # fmt: skip
    json.dumps(record)


def test_to_dict_truncates_long_payloads():
    text = "€" * 200  # 600 bytes; 256 bytes cut the 86th character in two
    record = Frame(Opcode.TEXT, text.encode()).to_dict()
    assert record["length"] == 600
    assert record["truncated"] is True
    assert record["payload_hex"] == text.encode()[:256].hex()
    assert record["text"] == "€" * 85
    binary = Frame(Opcode.BINARY, b"\xff" * 300).to_dict()
    assert "text" not in binary
    assert binary["payload_hex"] == "ff" * 256


def test_to_dict_of_close_frames():
    assert Frame(Opcode.CLOSE, b"\x03\xe9ok").to_dict()["close_code"] == 1001
    assert Frame(Opcode.CLOSE, b"\x03\xe9ok").to_dict()["reason"] == "ok"
    assert "close_code" not in Frame(Opcode.CLOSE, b"\x03").to_dict()
    assert "text" not in Frame(Opcode.TEXT, b"\xff").to_dict()


# --- parsing valid frames -------------------------------------------------------


@given(st.data())
def test_build_then_parse_is_identity(data):
    masked = data.draw(st.booleans(), label="masked")
    allowed_rsv = data.draw(st.integers(0, 7), label="allowed_rsv")
    frames = data.draw(st.lists(valid_frames(allowed_rsv, masked), min_size=1, max_size=4))
    wire = b"".join(frame.encode() for frame in frames)
    chunks = data.draw(chops(wire), label="chunks")

    parser = FrameParser(expect_masked=masked, allowed_rsv=allowed_rsv)
    parsed = feed_all(parser, chunks)

    assert len(parsed) == len(frames)
    for got, built in zip(parsed, frames, strict=True):
        assert same_frame(got, built)
    assert b"".join(frame.encode() for frame in parsed) == wire
    assert parser.buffered == 0


@pytest.mark.parametrize("size", SPECIAL_LENGTHS)
@pytest.mark.parametrize("masked", [False, True])
def test_length_boundaries(size, masked):
    payload = bytes(i % 251 for i in range(size))
    wire = encode_frame(Opcode.BINARY, payload, mask_key=KEY if masked else None)
    (frame,) = FrameParser(expect_masked=masked).feed(wire)
    assert frame.payload == payload
    expected_form = (
        LengthForm.SHORT if size <= 125 else LengthForm.MEDIUM if size <= 65535 else LengthForm.LONG
    )
    assert frame.length_form is expected_form


def test_feed_returns_the_frames_each_piece_completes():
    parser = FrameParser()
    wire = encode_frame(Opcode.TEXT, b"one") + encode_frame(Opcode.TEXT, b"two")
    assert parser.feed(wire[:3]) == []
    assert parser.buffered == 3
    assert [f.payload for f in parser.feed(wire[3:7])] == [b"one"]
    assert parser.buffered == 2
    assert parser.feed(b"") == []
    assert [f.payload for f in parser.feed(wire[7:])] == [b"two"]
    assert parser.buffered == 0
    assert parser.failed is None


def test_input_buffers_are_copied():
    # A driver may reuse its read buffer: bytes already fed must not change.
    wire = encode_frame(Opcode.BINARY, b"abcd")
    buffer = bytearray(wire[:4])
    assert FrameParser().feed(buffer) == []
    parser = FrameParser()
    parser.feed(buffer)
    buffer[:] = b"\xff" * 4
    (frame,) = parser.feed(memoryview(wire)[4:])
    assert frame.payload == b"abcd"


def test_large_frame_in_small_pieces():
    # 16 MiB in 4 KiB pieces: a parser that re-copied its buffer on every
    # piece would take minutes here.
    payload = bytes(range(256)) * (16 * 2**20 // 256)
    wire = encode_frame(Opcode.BINARY, payload, mask_key=KEY)
    parser = FrameParser(expect_masked=True)
    frames = []
    for start in range(0, len(wire), 4096):
        frames += parser.feed(wire[start : start + 4096])
        assert parser.buffered <= len(wire)
    assert len(frames) == 1
    assert frames[0].payload == payload


def test_allowed_rsv_must_be_three_bits():
    with pytest.raises(ValueError):
        FrameParser(allowed_rsv=8)


# --- violations -------------------------------------------------------------------

# Each case: the parser's settings, the bytes, the violation. ``header`` is the
# prefix after which the violation must already be raised (fail fast).
VIOLATIONS = [
    pytest.param({}, encode_frame(1, b"hi", mask_key=KEY), 2, Violation.MASKED_FRAME,
                 id="masked-from-server"),
    pytest.param({"expect_masked": True}, encode_frame(1, b"hi"), 2, Violation.UNMASKED_FRAME,
                 id="unmasked-from-client"),
    pytest.param({}, encode_frame(1, b"hi", rsv1=True), 2, Violation.RSV_BITS, id="rsv1"),
    pytest.param({}, encode_frame(1, b"hi", rsv2=True), 2, Violation.RSV_BITS, id="rsv2"),
    pytest.param({}, encode_frame(1, b"hi", rsv3=True), 2, Violation.RSV_BITS, id="rsv3"),
    pytest.param({"allowed_rsv": 0b100}, encode_frame(1, b"hi", rsv2=True), 2,
                 Violation.RSV_BITS, id="rsv2-with-rsv1-allowed"),
    pytest.param({"allowed_rsv": 0b011}, encode_frame(1, b"hi", rsv1=True), 2,
                 Violation.RSV_BITS, id="rsv1-with-others-allowed"),
    *(pytest.param({}, encode_frame(op, b"hi"), 2, Violation.RESERVED_OPCODE,
                   id=f"opcode-{op:x}") for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)),
    pytest.param({}, encode_frame(9, b"x" * 126), 4, Violation.CONTROL_TOO_LONG,
                 id="ping-126"),
    pytest.param({}, encode_frame(8, b"\x03\xe8" + b"x" * 200), 4, Violation.CONTROL_TOO_LONG,
                 id="close-202"),
    pytest.param({}, encode_frame(10, b"x" * 70000), 10, Violation.CONTROL_TOO_LONG,
                 id="pong-70000"),
    pytest.param({}, encode_frame(9, b"hi", fin=False), 2, Violation.CONTROL_FRAGMENTED,
                 id="ping-fin0"),
    pytest.param({}, encode_frame(8, b"", fin=False), 2, Violation.CONTROL_FRAGMENTED,
                 id="close-fin0"),
    pytest.param({}, encode_frame(10, b"", fin=False), 2, Violation.CONTROL_FRAGMENTED,
                 id="pong-fin0"),
    pytest.param({}, encode_frame(2, b"hi", length_form=LengthForm.MEDIUM), 4,
                 Violation.NON_MINIMAL_LENGTH, id="16-bit-for-2"),
    pytest.param({}, encode_frame(2, b"x" * 125, length_form=LengthForm.MEDIUM), 4,
                 Violation.NON_MINIMAL_LENGTH, id="16-bit-for-125"),
    pytest.param({}, encode_frame(2, b"hi", length_form=LengthForm.LONG), 10,
                 Violation.NON_MINIMAL_LENGTH, id="64-bit-for-2"),
    pytest.param({}, encode_frame(2, bytes(65535), length_form=LengthForm.LONG), 10,
                 Violation.NON_MINIMAL_LENGTH, id="64-bit-for-65535"),
    pytest.param({}, encode_frame(9, b"hi", length_form=LengthForm.MEDIUM), 4,
                 Violation.NON_MINIMAL_LENGTH, id="ping-16-bit-for-2"),
    pytest.param({}, encode_frame(2, b"", declared_length=2**63), 10,
                 Violation.LENGTH_TOP_BIT, id="top-bit"),
    pytest.param({}, encode_frame(2, b"", declared_length=2**64 - 1), 10,
                 Violation.LENGTH_TOP_BIT, id="all-bits"),
    pytest.param({"max_frame_size": 1000}, encode_frame(2, bytes(1001)), 4,
                 Violation.FRAME_TOO_LARGE, id="1001-over-1000"),
    pytest.param({}, encode_frame(2, b"", declared_length=2**40), 10,
                 Violation.FRAME_TOO_LARGE, id="one-tebibyte-declared"),
    pytest.param({"max_frame_size": 0}, encode_frame(2, b"x"), 2,
                 Violation.FRAME_TOO_LARGE, id="1-over-0"),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "wire", "header", "violation"), VIOLATIONS)
def test_violation(settings, wire, header, violation):
    parser = FrameParser(**settings)
    with pytest.raises(ProtocolViolation) as caught:
        parser.feed(wire)
    assert caught.value.violation is violation
    assert caught.value.close_code == violation.close_code
    assert caught.value.detail


@pytest.mark.parametrize(("settings", "wire", "header", "violation"), VIOLATIONS)
def test_violation_is_raised_when_the_header_completes(settings, wire, header, violation):
    parser = FrameParser(**settings)
    for i in range(header - 1):
        assert parser.feed(wire[i : i + 1]) == []
    with pytest.raises(ProtocolViolation) as caught:
        parser.feed(wire[header - 1 : header])
    assert caught.value.violation is violation


def test_failed_parser_raises_the_same_violation_again():
    parser = FrameParser()
    good = encode_frame(Opcode.TEXT, b"ok")
    with pytest.raises(ProtocolViolation) as first:
        parser.feed(good + good + encode_frame(3))
    assert [f.payload for f in parser.frames_before_failure] == [b"ok", b"ok"]
    assert parser.failed is first.value
    for more in (b"", good):
        with pytest.raises(ProtocolViolation) as again:
            parser.feed(more)
        assert again.value is first.value


def test_first_rule_in_documented_order_wins():
    wire = encode_frame(11, b"x" * 200, fin=False, rsv1=True, mask_key=KEY)
    with pytest.raises(ProtocolViolation) as caught:
        FrameParser().feed(wire)
    assert caught.value.violation is Violation.RESERVED_OPCODE
    wire = encode_frame(9, b"x" * 200, fin=False, rsv1=True, mask_key=KEY)
    with pytest.raises(ProtocolViolation) as caught:
        FrameParser().feed(wire)
    assert caught.value.violation is Violation.RSV_BITS
