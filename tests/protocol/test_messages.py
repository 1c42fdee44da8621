"""Messages: reassembly, rules across frames, compressed messages, Receiver."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsspec.protocol import (
    Frame,
    FrameParser,
    Message,
    MessageAssembler,
    Opcode,
    ProtocolViolation,
    Receiver,
    Violation,
    encode_close_payload,
    encode_frame,
)

KEY = b"\x37\xfa\x21\x3d"
TAIL = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.1: removed by the sender, restored here


class ZlibDecompressor:
    """The smallest permessage-deflate receiver: raw DEFLATE with context takeover."""

    def __init__(self) -> None:
        self.inflater = zlib.decompressobj(-15)
        self.messages = 0

    def decompress(self, data: bytes, *, final: bool, max_size: int) -> bytes:
        try:
            return self.inflater.decompress(data + (TAIL if final else b""), max_size + 1)
        except zlib.error as exc:
            raise ProtocolViolation(Violation.BAD_COMPRESSED_DATA, str(exc)) from None

    def reset_message(self) -> None:
        self.messages += 1


def compress(data: bytes, deflater: zlib._Compress | None = None) -> bytes:
    deflater = deflater or zlib.compressobj(wbits=-15)
    out = deflater.compress(data) + deflater.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(TAIL)
    return out[: -len(TAIL)]


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


def fragments(opcode: Opcode, parts: list[bytes], *, rsv1: bool = False) -> list[Frame]:
    return [
        Frame(
            opcode if i == 0 else Opcode.CONTINUATION,
            part,
            fin=i == len(parts) - 1,
            rsv1=rsv1 and i == 0,
        )
        for i, part in enumerate(parts)
    ]


def receive_all(assembler: MessageAssembler, frames: list[Frame]) -> list[Message]:
    messages = []
    for frame in frames:
        message = assembler.receive(frame)
        if message is not None:
            messages.append(message)
    return messages


# --- MessageAssembler ---------------------------------------------------------


def test_single_frame_messages():
    assembler = MessageAssembler()
    assert assembler.receive(Frame(Opcode.TEXT, "é".encode())) == Message(
        Opcode.TEXT, "é".encode(), 1
    )
    assert assembler.receive(Frame(Opcode.BINARY, b"")) == Message(Opcode.BINARY, b"", 1)
    assert not assembler.in_message


def test_fragmented_message():
    assembler = MessageAssembler()
    frames = fragments(Opcode.TEXT, [b"\xe2", b"", b"\x82", b"\xac!"])
    assert [assembler.receive(f) for f in frames[:3]] == [None, None, None]
    assert assembler.in_message
    message = assembler.receive(frames[3])
    assert message == Message(Opcode.TEXT, "€!".encode(), 4)
    assert message is not None and message.text == "€!"
    assert not assembler.in_message


@pytest.mark.parametrize("opcode", [Opcode.CLOSE, Opcode.PING, Opcode.PONG])
def test_control_frames_are_not_for_the_assembler(opcode):
    with pytest.raises(ValueError):
        MessageAssembler().receive(Frame(opcode, b""))


def text(parts: list[bytes]) -> list[Frame]:
    return fragments(Opcode.TEXT, parts)


ASSEMBLER_VIOLATIONS = [
    pytest.param({}, [Frame(Opcode.CONTINUATION, b"x")], Violation.UNEXPECTED_CONTINUATION,
                 id="continuation-first"),
    pytest.param({}, [Frame(Opcode.TEXT, b"x"), Frame(Opcode.CONTINUATION, b"x")],
                 Violation.UNEXPECTED_CONTINUATION, id="continuation-after-message"),
    pytest.param({}, [Frame(Opcode.TEXT, b"x", fin=False), Frame(Opcode.TEXT, b"x")],
                 Violation.EXPECTED_CONTINUATION, id="text-inside-message"),
    pytest.param({}, [Frame(Opcode.BINARY, b"x", fin=False), Frame(Opcode.TEXT, b"x")],
                 Violation.EXPECTED_CONTINUATION, id="binary-then-text"),
    pytest.param({}, text([b"\xff"]), Violation.INVALID_UTF8, id="invalid-byte"),
    pytest.param({}, text([b"ok", b"\xed\xa0", b"\x80"]), Violation.INVALID_UTF8,
                 id="surrogate-fails-fast"),
    pytest.param({}, text([b"\xe2\x82"]), Violation.INVALID_UTF8, id="ends-inside-character"),
    pytest.param({}, [Frame(Opcode.TEXT, b"x", rsv1=True)], Violation.RSV_BITS,
                 id="rsv1-without-decompressor"),
    pytest.param({}, [Frame(Opcode.TEXT, b"x", fin=False),
                      Frame(Opcode.CONTINUATION, b"x", rsv1=True)],
                 Violation.RSV_BITS, id="rsv1-continuation-without-decompressor"),
    pytest.param({"decompressor": ZlibDecompressor()},
                 [Frame(Opcode.TEXT, compress(b"x"), fin=False, rsv1=True),
                  Frame(Opcode.CONTINUATION, b"", rsv1=True)],
                 Violation.COMPRESSED_CONTINUATION, id="compressed-continuation"),
    pytest.param({"max_message_size": 4}, [Frame(Opcode.BINARY, b"12345")],
                 Violation.MESSAGE_TOO_LARGE, id="one-frame-over"),
    pytest.param({"max_message_size": 4},
                 fragments(Opcode.BINARY, [b"12", b"34", b"5", b"ignored"]),
                 Violation.MESSAGE_TOO_LARGE, id="fragments-over"),
    pytest.param({"max_message_size": 1000, "decompressor": ZlibDecompressor()},
                 [Frame(Opcode.BINARY, compress(bytes(10**6)), rsv1=True)],
                 Violation.MESSAGE_TOO_LARGE, id="inflates-over"),
    pytest.param({"decompressor": ZlibDecompressor()},
                 [Frame(Opcode.TEXT, compress(b"\xff"), rsv1=True)],
                 Violation.INVALID_UTF8, id="inflates-to-invalid-utf8"),
    pytest.param({"decompressor": ZlibDecompressor()},
                 [Frame(Opcode.BINARY, b"\xff\xff\xff", rsv1=True)],
                 Violation.BAD_COMPRESSED_DATA, id="not-deflate"),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "frames", "violation"), ASSEMBLER_VIOLATIONS)
def test_assembler_violation(settings, frames, violation):
    assembler = MessageAssembler(**settings)
    with pytest.raises(ProtocolViolation) as caught:
        receive_all(assembler, frames)
    assert caught.value.violation is violation


def test_invalid_utf8_is_raised_by_the_fragment_that_carries_it():
    assembler = MessageAssembler()
    assert assembler.receive(Frame(Opcode.TEXT, b"fine", fin=False)) is None
    with pytest.raises(ProtocolViolation) as caught:
        assembler.receive(Frame(Opcode.CONTINUATION, b"\xc0", fin=False))
    assert caught.value.violation is Violation.INVALID_UTF8


def test_size_cap_is_checked_before_keeping_the_excess():
    assembler = MessageAssembler(max_message_size=10)
    assembler.receive(Frame(Opcode.BINARY, bytes(10), fin=False))  # exactly at the cap
    with pytest.raises(ProtocolViolation) as caught:
        assembler.receive(Frame(Opcode.CONTINUATION, b"x"))
    assert caught.value.violation is Violation.MESSAGE_TOO_LARGE


def test_binary_is_not_checked_for_utf8():
    (message,) = receive_all(MessageAssembler(), fragments(Opcode.BINARY, [b"\xff", b"\xc0"]))
    assert message.data == b"\xff\xc0"


def test_compressed_messages_with_context_takeover():
    decompressor = ZlibDecompressor()
    assembler = MessageAssembler(decompressor=decompressor)
    deflater = zlib.compressobj(wbits=-15)
    first = compress("héllo".encode(), deflater)
    second = compress("héllo".encode(), deflater)  # refers back to the first
    frames = [
        *fragments(Opcode.TEXT, [first[:1], first[1:]], rsv1=True),
        Frame(Opcode.BINARY, b"plain"),
        *fragments(Opcode.TEXT, [second], rsv1=True),
    ]
    messages = receive_all(assembler, frames)
    assert messages == [
        Message(Opcode.TEXT, "héllo".encode(), 2, compressed=True),
        Message(Opcode.BINARY, b"plain", 1),
        Message(Opcode.TEXT, "héllo".encode(), 1, compressed=True),
    ]
    assert decompressor.messages == 2


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_receiver_with_the_permessage_deflate_inflater(no_context_takeover):
    deflate = pytest.importorskip("wsspec.protocol.deflate")
    receiver = Receiver(decompressor=deflate.Inflater(no_context_takeover=no_context_takeover))
    deflater = zlib.compressobj(wbits=-15)
    wire = b""
    for text_ in ["hello", "hello", "€" * 1000]:
        if no_context_takeover:
            deflater = zlib.compressobj(wbits=-15)
        data = compress(text_.encode(), deflater)
        for frame in fragments(Opcode.TEXT, [data[:3], data[3:]], rsv1=True):
            wire += frame.encode()
    messages = [e for e in receiver.feed(wire) if isinstance(e, Message)]
    assert [m.text for m in messages] == ["hello", "hello", "€" * 1000]


# --- Receiver -----------------------------------------------------------------


@st.composite
def conversations(draw: st.DrawFn) -> tuple[list[Frame], list[Message]]:
    """Messages cut into fragments anywhere (inside characters too), with
    control frames between fragments, as frames and the messages expected."""
    frames: list[Frame] = []
    messages: list[Message] = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            opcode, data = Opcode.TEXT, draw(st.text(max_size=60)).encode()
        else:
            opcode, data = Opcode.BINARY, draw(st.binary(max_size=200))
        cuts = draw(st.lists(st.integers(0, len(data)), max_size=5))
        parts = pieces(data, cuts)
        for frame in fragments(opcode, parts):
            if draw(st.booleans()):
                frames.append(Frame(draw(st.sampled_from([Opcode.PING, Opcode.PONG])), b"p"))
            frames.append(frame)
        messages.append(Message(opcode, data, len(parts)))
    return frames, messages


@given(st.data())
def test_fragment_then_reassemble_is_identity(data):
    frames, messages = data.draw(conversations())
    masked = data.draw(st.booleans())
    wire = b"".join(
        encode_frame(f.opcode, f.payload, fin=f.fin, mask_key=KEY if masked else None)
        for f in frames
    )
    receiver = Receiver(expect_masked=masked)
    events = []
    for chunk in data.draw(chops(wire)):
        events += receiver.feed(chunk)

    # Every frame in order, and each message right after its last frame.
    expected: list[Frame | Message] = []
    remaining = iter(messages)
    for frame in frames:
        expected.append(frame)
        if frame.opcode < 8 and frame.fin:
            expected.append(next(remaining))
    assert len(events) == len(expected)
    for got, want in zip(events, expected, strict=True):
        if isinstance(want, Message):
            assert got == want
        else:
            assert isinstance(got, Frame)
            assert (got.opcode, got.payload, got.fin) == (want.opcode, want.payload, want.fin)
    assert not receiver.in_message
    assert receiver.buffered == 0


@given(st.data())
def test_compressed_fragments_reassemble(data):
    decompressor = ZlibDecompressor()
    deflater = zlib.compressobj(wbits=-15)
    receiver = Receiver(decompressor=decompressor)
    texts = data.draw(st.lists(st.text(max_size=80), min_size=1, max_size=3))
    wire = b""
    for text_ in texts:
        compressed = compress(text_.encode(), deflater)
        cuts = data.draw(st.lists(st.integers(0, len(compressed)), max_size=4))
        for frame in fragments(Opcode.TEXT, pieces(compressed, cuts), rsv1=True):
            wire += frame.encode()
    events = []
    for chunk in data.draw(chops(wire)):
        events += receiver.feed(chunk)
    messages = [event for event in events if isinstance(event, Message)]
    assert [message.text for message in messages] == texts
    assert all(message.compressed for message in messages)


def test_receiver_emits_frames_then_message():
    receiver = Receiver()
    wire = (
        encode_frame(Opcode.TEXT, b"he", fin=False)
        + encode_frame(Opcode.PING, b"")
        + encode_frame(Opcode.CONTINUATION, b"llo")
        + encode_frame(Opcode.CLOSE, encode_close_payload(1000, "bye"))
    )
    events = receiver.feed(wire)
    assert [type(e).__name__ for e in events] == ["Frame", "Frame", "Frame", "Message", "Frame"]
    assert events[3] == Message(Opcode.TEXT, b"hello", 2)


RECEIVER_VIOLATIONS = [
    pytest.param({}, encode_frame(Opcode.CLOSE, b"\x03"), Violation.CLOSE_PAYLOAD_TOO_SHORT,
                 id="close-1-byte"),
    pytest.param({}, encode_frame(Opcode.CLOSE, encode_close_payload(1005)),
                 Violation.INVALID_CLOSE_CODE, id="close-1005"),
    pytest.param({}, encode_frame(Opcode.CLOSE, encode_close_payload(1000, b"\xff")),
                 Violation.INVALID_UTF8, id="close-reason-not-utf8"),
    pytest.param({"decompressor": ZlibDecompressor()}, encode_frame(Opcode.PING, rsv1=True),
                 Violation.COMPRESSED_CONTROL, id="compressed-ping"),
    pytest.param({}, encode_frame(Opcode.PING, rsv1=True), Violation.RSV_BITS,
                 id="rsv1-ping-without-extension"),
    pytest.param({"decompressor": ZlibDecompressor()},
                 encode_frame(Opcode.TEXT, rsv2=True), Violation.RSV_BITS, id="rsv2-with-deflate"),
    pytest.param({}, encode_frame(Opcode.CONTINUATION, b"x"), Violation.UNEXPECTED_CONTINUATION,
                 id="continuation-first"),
    pytest.param({"max_frame_size": 3}, encode_frame(Opcode.BINARY, b"1234"),
                 Violation.FRAME_TOO_LARGE, id="frame-too-large"),
    pytest.param({"max_message_size": 3},
                 encode_frame(Opcode.BINARY, b"12", fin=False)
                 + encode_frame(Opcode.CONTINUATION, b"34"),
                 Violation.MESSAGE_TOO_LARGE, id="message-too-large"),
    pytest.param({"expect_masked": True}, encode_frame(Opcode.BINARY, b"12"),
                 Violation.UNMASKED_FRAME, id="unmasked-client-frame"),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "wire", "violation"), RECEIVER_VIOLATIONS)
def test_receiver_violation(settings, wire, violation):
    receiver = Receiver(**settings)
    with pytest.raises(ProtocolViolation) as caught:
        receiver.feed(wire)
    assert caught.value.violation is violation
    with pytest.raises(ProtocolViolation) as again:
        receiver.feed(b"")
    assert again.value is caught.value


def test_receiver_keeps_what_came_before_a_violation():
    receiver = Receiver()
    wire = (
        encode_frame(Opcode.TEXT, b"a")
        + encode_frame(Opcode.PING, b"p")
        + encode_frame(Opcode.BINARY, b"b", rsv3=True)
    )
    with pytest.raises(ProtocolViolation):
        receiver.feed(wire)
    kinds = [type(event).__name__ for event in receiver.events_before_failure]
    assert kinds == ["Frame", "Message", "Frame"]


def test_rule_broken_by_an_earlier_frame_of_the_same_piece_wins():
    # The CLOSE frame's bad code comes before the reserved opcode on the wire.
    receiver = Receiver()
    wire = encode_frame(Opcode.CLOSE, encode_close_payload(999)) + encode_frame(3)
    with pytest.raises(ProtocolViolation) as caught:
        receiver.feed(wire)
    assert caught.value.violation is Violation.INVALID_CLOSE_CODE
    assert [e.opcode for e in receiver.events_before_failure] == [Opcode.CLOSE]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("piece", [1, 3, 7])
def test_invalid_utf8_fails_before_its_frame_is_complete(masked: bool, piece: int) -> None:
    """RFC 6455 8.1: fail fast, also inside one long text frame still arriving."""
    payload = "κόσμε".encode() * 20 + b"\xff" + b"a" * 500
    key = b"\x01\x02\x03\x04" if masked else None
    wire = encode_frame(Opcode.TEXT, payload, mask_key=key)
    receiver = Receiver(expect_masked=masked)
    cut = wire.index(b"\xff") if not masked else len(wire) - 501
    fed = 0
    with pytest.raises(ProtocolViolation) as caught:
        while fed < len(wire):
            receiver.feed(wire[fed:fed + piece])
            fed += piece
    assert caught.value.violation is Violation.INVALID_UTF8
    assert "before that frame was complete" in caught.value.detail
    assert fed <= cut + piece


def test_invalid_utf8_in_a_continuation_still_arriving_fails_fast() -> None:
    first = encode_frame(Opcode.TEXT, b"caf\xc3", fin=False)
    second = encode_frame(Opcode.CONTINUATION, b"\xa9" + b"\xc0" + b"x" * 300)
    receiver = Receiver()
    receiver.feed(first)
    with pytest.raises(ProtocolViolation) as caught:
        receiver.feed(second[:10])
    assert caught.value.violation is Violation.INVALID_UTF8


def test_valid_text_arriving_byte_by_byte_is_not_failed_early() -> None:
    payload = "κόσμε €𝄞".encode() * 50
    first = encode_frame(Opcode.TEXT, payload[:101], fin=False, mask_key=b"abcd")
    second = encode_frame(Opcode.CONTINUATION, payload[101:], mask_key=b"wxyz")
    receiver = Receiver(expect_masked=True)
    events = [e for byte in first + second for e in receiver.feed(bytes([byte]))]
    assert events[-1] == Message(Opcode.TEXT, payload, 2)


def test_pending_payload_shows_the_unmasked_bytes_received_so_far() -> None:
    parser = FrameParser(expect_masked=True)
    wire = encode_frame(Opcode.BINARY, bytes(range(40)), mask_key=b"\x10\x20\x30\x40")
    assert parser.pending_payload() is None
    parser.feed(wire[:4])
    assert parser.pending_payload() is None  # header (with mask key) not complete
    parser.feed(wire[4:6] + wire[6:13])
    pending = parser.pending_payload()
    assert pending is not None
    assert (pending.opcode, pending.start, pending.data) == (Opcode.BINARY, 0, bytes(range(7)))
    later = parser.pending_payload(5)
    assert later is not None and later.data == bytes(range(5, 7))
    parser.feed(wire[13:])
    assert parser.pending_payload() is None


def test_lookahead_follows_into_the_next_frame_of_the_same_piece() -> None:
    first = encode_frame(Opcode.TEXT, b"a" * 50, fin=False)
    second = encode_frame(Opcode.CONTINUATION, b"b" * 20 + b"\xff" + b"c" * 100)
    receiver = Receiver()
    receiver.feed(first[:30])  # look-ahead into the first frame
    with pytest.raises(ProtocolViolation) as caught:
        receiver.feed(first[30:] + second[:40])  # completes it, then part of the next
    assert caught.value.violation is Violation.INVALID_UTF8
