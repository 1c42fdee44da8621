"""The ping tracker reads the pings out of the client's byte stream however it is cut."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st
from wsspec.dsl.pings import MAX_PING_PAYLOAD, PingTracker
from wsspec.protocol.frames import Opcode, encode_frame

frames = st.lists(st.tuples(
    st.sampled_from([Opcode.PING, Opcode.TEXT, Opcode.BINARY, Opcode.PONG]),
    st.binary(max_size=300),
    st.booleans(),
), max_size=12)


@given(frames, st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=8))
def test_pings_are_found_whatever_the_writes(sent: list[tuple[int, bytes, bool]],
                                             cuts: list[int]) -> None:
    wire = b"".join(encode_frame(op, payload, mask_key=os.urandom(4) if masked else None)
                    for op, payload, masked in sent)
    tracker = PingTracker()
    position, index = 0, 0
    while position < len(wire):
        size = cuts[index % len(cuts)]
        tracker.feed(wire[position:position + size])
        position += size
        index += 1
    assert tracker.outstanding == [payload[:MAX_PING_PAYLOAD] for op, payload, _ in sent
                                   if op == Opcode.PING]


def test_a_pong_answers_its_ping_and_every_earlier_one() -> None:
    tracker = PingTracker()
    tracker.feed(b"".join(encode_frame(Opcode.PING, p, mask_key=b"abcd") for p in (b"1", b"2",
                                                                                  b"3")))
    assert not tracker.answer(b"unsolicited")
    assert tracker.answer(b"2")
    assert tracker.outstanding == [b"3"]
    assert not tracker.answer(b"1")
