"""The fuzz rule: for any input, in any pieces, the parsers return frames (and
messages) or raise ProtocolViolation, and nothing else; they never hang and
never hold more than they were given."""

from __future__ import annotations

import zlib

from hypothesis import given
from hypothesis import strategies as st
from wsspec.protocol import (
    Frame,
    FrameParser,
    LengthForm,
    Message,
    ProtocolViolation,
    Receiver,
    Violation,
    encode_frame,
)


class ZlibDecompressor:
    """Raw DEFLATE with context takeover, as permessage-deflate uses it."""

    def __init__(self) -> None:
        self.inflater = zlib.decompressobj(-15)

    def decompress(self, data: bytes, *, final: bool, max_size: int) -> bytes:
        try:
            tail = b"\x00\x00\xff\xff" if final else b""
            return self.inflater.decompress(data + tail, max_size + 1)
        except zlib.error as exc:
            raise ProtocolViolation(Violation.BAD_COMPRESSED_DATA, str(exc)) from None

    def reset_message(self) -> None:
        pass


def pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets (repeated offsets give empty pieces)."""
    points = sorted(min(cut, len(data)) for cut in cuts)
    return [data[start:end] for start, end in zip([0, *points], [*points, len(data)], strict=True)]


FORM_LIMITS = {LengthForm.SHORT: 125, LengthForm.MEDIUM: 65535, LengthForm.LONG: 2**64 - 1}


@st.composite
def any_frames(draw: st.DrawFn) -> bytes:
    """A frame with every field drawn freely: valid, invalid, lying about its length."""
    payload = draw(st.binary(max_size=300))
    declared = draw(st.one_of(st.none(), st.integers(0, 400), st.just(2**63), st.just(2**40)))
    length = len(payload) if declared is None else declared
    fitting = [form for form, limit in FORM_LIMITS.items() if length <= limit]
    form = draw(st.sampled_from([None, *fitting]))
    return encode_frame(
        draw(st.integers(0, 15)),
        payload,
        fin=draw(st.booleans()),
        rsv1=draw(st.booleans()),
        rsv2=draw(st.booleans()),
        rsv3=draw(st.booleans()),
        mask_key=draw(st.one_of(st.none(), st.binary(min_size=4, max_size=4))),
        length_form=form,
        declared_length=declared,
    )


inputs = st.one_of(
    st.binary(max_size=400),
    st.lists(any_frames(), min_size=1, max_size=5).map(b"".join),
    st.lists(st.one_of(any_frames(), st.binary(max_size=20)), max_size=5).map(b"".join),
)


@given(st.data())
def test_frame_parser_returns_frames_or_raises_a_violation(data):
    wire = data.draw(inputs, label="wire")
    chunks = pieces(wire, data.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    parser = FrameParser(
        expect_masked=data.draw(st.booleans()),
        allowed_rsv=data.draw(st.integers(0, 7)),
        max_frame_size=data.draw(st.sampled_from([0, 100, 64 * 2**20])),
    )
    fed = 0
    violation = None
    for chunk in chunks:
        fed += len(chunk)
        try:
            frames = parser.feed(chunk)
        except ProtocolViolation as exc:
            violation = exc
            break
        assert all(isinstance(frame, Frame) for frame in frames)
        assert 0 <= parser.buffered <= fed
    if violation is not None:
        assert isinstance(violation.violation, Violation)
        try:
            parser.feed(b"\x81\x00")
        except ProtocolViolation as again:
            assert again is violation
        else:  # pragma: no cover - the assertion's message
            raise AssertionError("a failed parser accepted more input")


@given(st.data())
def test_receiver_returns_events_or_raises_a_violation(data):
    wire = data.draw(inputs, label="wire")
    chunks = pieces(wire, data.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    compressed = data.draw(st.booleans())
    receiver = Receiver(
        expect_masked=data.draw(st.booleans()),
        max_frame_size=data.draw(st.sampled_from([50, 64 * 2**20])),
        max_message_size=data.draw(st.sampled_from([0, 100, 64 * 2**20])),
        decompressor=ZlibDecompressor() if compressed else None,
    )
    for chunk in chunks:
        try:
            events = receiver.feed(chunk)
        except ProtocolViolation as exc:
            assert isinstance(exc.violation, Violation)
            break
        assert all(isinstance(event, Frame | Message) for event in events)
