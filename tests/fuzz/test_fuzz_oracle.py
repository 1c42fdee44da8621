"""The oracle: what a conforming server does with a sequence of client frames."""

from __future__ import annotations

from harness.fuzz.oracle import EndingKind, predict
from harness.protocol.close import encode_close_payload
from harness.protocol.deflate import DeflateParams, compress_variant
from harness.protocol.errors import Violation
from harness.protocol.frames import Frame, LengthForm, Opcode

KEY = b"\x37\xfa\x21\x3d"


def f(opcode: int, payload: bytes = b"", **fields: object) -> Frame:
    fields.setdefault("mask_key", KEY)
    return Frame(opcode, payload, **fields)  # type: ignore[arg-type]


def test_fragmented_text_with_a_ping_between_fragments() -> None:
    frames = [f(Opcode.TEXT, b"h\xc3", fin=False), f(Opcode.PING, b"p"),
              f(Opcode.CONTINUATION, b"\xa9llo")]
    expectation = predict(frames)
    assert [(r.kind, r.data, r.frame_index) for r in expectation.reactions] == [
        ("pong", b"p", 1), ("echo", "héllo".encode(), 2)]
    assert expectation.reactions[1].opcode == Opcode.TEXT
    assert expectation.ending.kind is EndingKind.OPEN
    assert expectation.lenient is None


def test_no_echo_when_the_profile_says_so() -> None:
    assert predict([f(Opcode.BINARY, b"x")], echo=False).reactions == ()


def test_unmasked_frame_fails_with_1002_and_nothing_after_is_processed() -> None:
    frames = [f(Opcode.BINARY, b"a"), f(Opcode.BINARY, b"b", mask_key=None),
              f(Opcode.PING, b"c")]
    expectation = predict(frames)
    assert [r.data for r in expectation.reactions] == [b"a"]
    ending = expectation.ending
    assert (ending.kind, ending.frame_index, ending.codes) == (EndingKind.FAIL, 1, (1002,))
    assert ending.violation is not None
    assert ending.violation.violation is Violation.UNMASKED_FRAME


def test_close_is_answered_and_ends_the_conversation() -> None:
    frames = [f(Opcode.CLOSE, encode_close_payload(4001, "bye")), f(Opcode.PING, b"late")]
    expectation = predict(frames)
    assert expectation.reactions == ()
    assert expectation.ending.kind is EndingKind.CLOSE
    assert expectation.ending.codes == (4001, 1000)
    assert predict([f(Opcode.CLOSE)]).ending.codes == (None, 1000)


def test_bad_close_payloads_fail_with_the_core_codes() -> None:
    assert predict([f(Opcode.CLOSE, encode_close_payload(1005))]).ending.codes == (1002,)
    assert predict([f(Opcode.CLOSE, b"\x03")]).ending.codes == (1002,)
    bad_reason = encode_close_payload(1000, b"\xff")
    assert predict([f(Opcode.CLOSE, bad_reason)]).ending.codes == (1007,)


def test_invalid_utf8_has_a_lenient_end_of_message_alternative() -> None:
    frames = [f(Opcode.TEXT, b"\xff", fin=False), f(Opcode.PING, b"p"),
              f(Opcode.CONTINUATION, b"ok")]
    expectation = predict(frames)
    assert (expectation.ending.kind, expectation.ending.frame_index) == (EndingKind.FAIL, 0)
    assert expectation.ending.codes == (1007,)
    lenient = expectation.lenient
    assert lenient is not None and expectation.lenient_grade == "non-strict"
    assert [r.kind for r in lenient.reactions] == ["pong"]
    assert (lenient.ending.frame_index, lenient.ending.codes) == (2, (1007,))


def test_invalid_utf8_in_a_whole_message_has_no_alternative() -> None:
    assert predict([f(Opcode.TEXT, b"a\xffb")]).lenient is None


def test_longer_length_field_may_be_refused_or_processed() -> None:
    frames = [f(Opcode.BINARY, b"abc", length_form=LengthForm.MEDIUM)]
    expectation = predict(frames)
    assert expectation.ending.violation is not None
    assert expectation.ending.violation.violation is Violation.NON_MINIMAL_LENGTH
    assert expectation.lenient is not None and expectation.lenient_grade == "pass"
    assert [r.data for r in expectation.lenient.reactions] == [b"abc"]
    assert expectation.lenient.ending.kind is EndingKind.OPEN


def test_the_verdict_does_not_depend_on_fragment_sizes() -> None:
    data = "añ€😀".encode()
    for cut in range(len(data) + 1):
        frames = [f(Opcode.TEXT, data[:cut], fin=False), f(Opcode.CONTINUATION, data[cut:])]
        assert [r.data for r in predict(frames).reactions] == [data]


def test_compressed_messages_are_echoed_inflated() -> None:
    frames = [f(Opcode.TEXT, compress_variant(b"hello", "stored"), rsv1=True)]
    expectation = predict(frames, deflate=DeflateParams())
    assert [r.data for r in expectation.reactions] == [b"hello"]
    refused = predict(frames)  # no deflate agreed: RSV1 is a protocol error
    assert refused.ending.codes == (1002,)


def test_message_cap_from_the_profile() -> None:
    expectation = predict([f(Opcode.BINARY, bytes(200))], max_message_size=100)
    assert expectation.ending.codes == (1009,)
