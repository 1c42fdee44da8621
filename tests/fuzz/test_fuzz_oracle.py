"""The oracle: what a conforming server does with a sequence of client frames."""

from __future__ import annotations

import pytest
from wsspec.conformance._utf8_sequences import SEQUENCES
from wsspec.conformance.test_close import INVALID_CODES, INVALID_REASONS, VALID_CODES, row_names
from wsspec.conformance.test_deflate import INVALID_DATA
from wsspec.conformance.test_framing import NON_MINIMAL, payload_of
from wsspec.conformance.test_utf8 import (
    BEYOND_UNICODE_INSIDE,
    FAIL_FAST,
    MODES,
    SURROGATE_INSIDE,
    every_byte,
    split_at,
)
from wsspec.fuzz.oracle import EndingKind, ServerEnd, predict, worse
from wsspec.protocol.close import (
    encode_close_payload,
    is_beyond_rfc6455_ranges,
    is_registered_after_rfc6455,
)
from wsspec.protocol.deflate import DeflateParams, compress_variant
from wsspec.protocol.errors import Violation
from wsspec.protocol.frames import Frame, LengthForm, Opcode

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


# -- the oracle grades as the catalogue does ----------------------------------------
#
# An answer is the reactions the server sent, then how it ended: "open", "tcp" (TCP
# closed without a close frame) or the code of its close frame. The oracle's verdict
# is the grade of the first of its alternatives that the answer meets, as the runner
# plays them; each table gives the catalogue case's verdict for the same answer.

Answer = tuple[list[tuple[str, bytes]], str | int | None]


def oracle_verdict(frames: list[Frame], answer: Answer) -> str:
    reactions, end = answer
    for expectation, grade, _notes in predict(frames).alternatives():
        expected = list(expectation.reactions)
        if [(r.kind, r.data) for r in expected[:len(reactions)]] != reactions:
            continue
        unanswered = expected[len(reactions):]
        ending = expectation.ending
        if ending.kind is EndingKind.OPEN:
            if end == "open" and not unanswered:
                return grade
            continue
        if end == "open":
            continue
        if end == "tcp":
            found, _note = ending.grade_end(ServerEnd("fin"))
        else:
            found, _note = ending.grade_end(ServerEnd("close", None if end is None else int(end)))
        if found != "fail":
            return worse(worse(grade, found), ending.grade_unanswered(unanswered)[0])
    return "fail"


def close_with(code: int, reason: bytes = b"") -> list[Frame]:
    return [f(Opcode.BINARY, b"before"), f(Opcode.CLOSE, encode_close_payload(code, reason))]


ECHOED = [("echo", b"before")]

#: close.code.invalid-5000 / -65535: 1002 passes, 1000 is informational (RFC 6455
#: 7.4.2 defines no range above 4999; Autobahn 7.13.x), TCP close alone is non-strict,
#: any other answer fails.
ABOVE_4999 = [("close-1002", 1002, "pass"), ("close-1000", 1000, "informational"),
              ("tcp", "tcp", "non-strict"), ("close-1001", 1001, "fail"),
              ("echoed", None, "fail"), ("empty-close", None, "fail")]


@pytest.mark.parametrize("code", [code for code, _, _ in INVALID_CODES
                                  if is_beyond_rfc6455_ranges(code)])
@pytest.mark.parametrize(("answer", "end", "catalogue"), ABOVE_4999,
                         ids=[row[0] for row in ABOVE_4999])
def test_close_code_above_4999_is_graded_as_the_catalogue(code: int, answer: str,
                                                          end: str | int | None,
                                                          catalogue: str) -> None:
    if answer == "echoed":
        end = code
    assert oracle_verdict(close_with(code), (ECHOED, end)) == catalogue
    assert oracle_verdict(close_with(code)[1:], ([], end)) == catalogue


def test_close_code_above_4999_answered_with_1000_is_noted_and_described() -> None:
    ending = predict([f(Opcode.CLOSE, encode_close_payload(5000))]).ending
    assert (ending.kind, ending.codes, ending.informational_codes) == (
        EndingKind.FAIL, (1002,), (1000,))
    grade, note = ending.grade_end(ServerEnd("close", 1000))
    assert grade == "informational" and "7.4.2" in note and "4999" in note
    assert "1000 recorded as informational" in ending.describe()


def test_close_code_above_4999_with_another_fault_has_no_informational_answer() -> None:
    bad_reason = [f(Opcode.CLOSE, encode_close_payload(5000, b"\xff"))]
    assert oracle_verdict(bad_reason, ([], 1000)) == "fail"
    too_long = [f(Opcode.CLOSE, encode_close_payload(5000, b"x" * 124))]
    assert oracle_verdict(too_long, ([], 1000)) == "fail"
    unmasked = [f(Opcode.CLOSE, encode_close_payload(5000), mask_key=None)]
    assert oracle_verdict(unmasked, ([], 1000)) == "fail"


#: close.code.valid-1012 / -1013 / -1014: echoing the code or 1000 passes, 1002 is
#: informational (registered with IANA after RFC 6455, in the range its 7.4.2
#: reserves), another valid code is non-strict, no close frame fails.
REGISTERED_LATER = [("echoed", None, "pass"), ("close-1000", 1000, "pass"),
                    ("close-1002", 1002, "informational"), ("close-1001", 1001, "non-strict"),
                    ("tcp", "tcp", "fail"), ("close-1005", 1005, "fail")]


@pytest.mark.parametrize("code", [code for code, _ in VALID_CODES
                                  if is_registered_after_rfc6455(code)])
@pytest.mark.parametrize(("answer", "end", "catalogue"), REGISTERED_LATER,
                         ids=[row[0] for row in REGISTERED_LATER])
def test_close_code_registered_after_rfc6455_is_graded_as_the_catalogue(
        code: int, answer: str, end: str | int | None, catalogue: str) -> None:
    if answer == "echoed":
        end = code
    assert oracle_verdict(close_with(code), (ECHOED, end)) == catalogue
    assert oracle_verdict(close_with(code)[1:], ([], end)) == catalogue


def test_only_codes_registered_after_rfc6455_take_1002_as_informational() -> None:
    assert {code for code, _ in VALID_CODES if oracle_verdict(close_with(code), (
        ECHOED, 1002)) == "informational"} == {1012, 1013, 1014}
    # close.code.valid-1011 and the others: 1002 is another valid code, non-strict.
    assert oracle_verdict(close_with(1011), (ECHOED, 1002)) == "non-strict"
    assert oracle_verdict(close_with(1002), (ECHOED, 1002)) == "pass"


def test_registered_later_code_with_a_bad_reason_may_be_failed_as_reserved() -> None:
    frames = [f(Opcode.CLOSE, encode_close_payload(1014, b"\xff"))]
    assert oracle_verdict(frames, ([], 1007)) == "pass"
    assert oracle_verdict(frames, ([], 1002)) == "informational"
    assert oracle_verdict(frames, ([], 1000)) == "fail"


#: close.code.invalid-<code> below 5000: only 1002 passes; TCP close alone is
#: non-strict; an ordinary answer, or failing with another code, fails.
STILL_FAILED = [("close-1002", 1002, "pass"), ("tcp", "tcp", "non-strict"),
                ("close-1000", 1000, "fail"), ("close-1001", 1001, "fail"),
                ("close-1011", 1011, "fail"), ("empty-close", None, "fail")]


@pytest.mark.parametrize("code", [code for code, _, _ in INVALID_CODES
                                  if not is_beyond_rfc6455_ranges(code)])
@pytest.mark.parametrize(("answer", "end", "catalogue"), STILL_FAILED,
                         ids=[row[0] for row in STILL_FAILED])
def test_invalid_close_codes_below_5000_still_fail(code: int, answer: str,
                                                   end: str | int | None,
                                                   catalogue: str) -> None:
    assert oracle_verdict(close_with(code), (ECHOED, end)) == catalogue
    ending = predict(close_with(code)).ending
    assert ending.informational_codes == () and ending.codes == (1002,)


def test_failing_with_another_code_is_graded_by_the_failure_shape_table() -> None:
    # rsv, opcodes: the connection fails (7.1.7): 1002 passes; another code, none, or a
    # TCP close is non-strict (the close frame and its code are SHOULD).
    for frames in ([f(Opcode.BINARY, b"x", rsv2=True)], [f(0x3, b"x")],
                   [f(Opcode.CONTINUATION, b"x")]):
        assert oracle_verdict(frames, ([], 1002)) == "pass"
        assert oracle_verdict(frames, ([], "tcp")) == "non-strict"
        for other in (1000, 1001, 1007, 1011, None):
            assert oracle_verdict(frames, ([], other)) == "non-strict", (frames, other)
        assert oracle_verdict(frames, ([], 1005)) == "fail"  # no endpoint may send it
    # framing.unmasked: 5.1 closes the connection, the close frame (1002) being MAY.
    unmasked = [f(Opcode.BINARY, b"x", mask_key=None)]
    assert oracle_verdict(unmasked, ([], 1002)) == "pass"
    assert oracle_verdict(unmasked, ([], "tcp")) == "pass"
    assert oracle_verdict(unmasked, ([], 1011)) == "non-strict"


def answered(opcode: int, payload: bytes) -> tuple[str, bytes]:
    return ("pong", payload) if opcode == Opcode.PING else ("echo", payload)


#: framing.length.non-minimal.<frame>: processing the frame as if its length were
#: minimal passes, and so does failing with 1002; TCP close alone is non-strict;
#: a close with another code fails (RFC 6455 5.2 binds the sender only).
@pytest.mark.parametrize("name", list(NON_MINIMAL))
def test_non_minimal_length_is_graded_as_the_catalogue(name: str) -> None:
    opcode, size, form = NON_MINIMAL[name]
    payload = payload_of("text" if opcode == Opcode.TEXT else "binary", size)
    data = payload.encode() if isinstance(payload, str) else payload
    frames = [f(opcode, data, length_form=form), f(Opcode.PING, b"after")]
    accepted = [answered(opcode, data), ("pong", b"after")]
    assert oracle_verdict(frames, (accepted, "open")) == "pass"
    assert oracle_verdict(frames, ([], 1002)) == "pass"
    assert oracle_verdict(frames, ([], "tcp")) == "non-strict"
    assert oracle_verdict(frames, ([], 1009)) == "non-strict"  # another code: 7.1.7 SHOULD
    assert oracle_verdict(frames, ([("pong", b"after")], "open")) == "fail"


def test_every_longer_length_field_processed_passes() -> None:
    # As websockets, aiohttp and gin do: five frames, each processed, the connection open.
    frames = [f(Opcode.TEXT, b"", length_form=LengthForm.MEDIUM) for _ in range(5)]
    chain = list(predict(frames).alternatives())
    assert [grade for _, grade, _ in chain] == ["pass"] * 6
    assert [e.ending.frame_index for e, _, _ in chain] == [0, 1, 2, 3, 4, None]
    assert oracle_verdict(frames, ([("echo", b"")] * 5, "open")) == "pass"
    # A server that processes the first three and refuses the fourth passes too.
    assert oracle_verdict(frames, ([("echo", b"")] * 3, 1002)) == "pass"


def test_alternatives_carry_the_worst_grade_and_every_note() -> None:
    frames = [f(Opcode.TEXT, b"ok", fin=False, length_form=LengthForm.LONG),
              f(Opcode.CONTINUATION, b"\xff", fin=False), f(Opcode.CONTINUATION, b"")]
    chain = list(predict(frames).alternatives())
    assert [(e.ending.frame_index, e.ending.codes, grade, len(notes))
            for e, grade, notes in chain] == [
        (0, (1002,), "pass", 0), (1, (1007,), "pass", 1), (2, (1007,), "non-strict", 2)]
    assert worse("pass", "informational") == "informational"
    assert worse("non-strict", "informational") == "informational"


def test_close_answered_before_an_echo_is_graded_as_the_catalogue() -> None:
    # Found against websockets: a message with a longer length field than needed, a
    # close, then a ping; the close was answered before the message was echoed.
    # close.order.messages-then-close-*: informational (RFC 6455 5.5.1).
    frames = [f(Opcode.BINARY, b"\x15", length_form=LengthForm.MEDIUM),
              f(Opcode.CLOSE, length_form=LengthForm.MEDIUM), f(Opcode.PING, b"late")]
    assert oracle_verdict(frames, ([("echo", b"\x15")], None)) == "pass"
    # an empty close frame refusing frame #1 is another code (non-strict), ranking
    # before the informational reading of an early close answer
    assert oracle_verdict(frames, ([], None)) == "non-strict"
    # refusing frame #1 with 1000 is another code (the table's MUST row: non-strict),
    # which ranks before the informational reading of an early close answer
    assert oracle_verdict(frames, ([], 1000)) == "non-strict"
    assert oracle_verdict(frames, ([], "tcp")) == "non-strict"  # refused at frame #1
    processed = list(predict(frames).alternatives())[-1][0]
    assert processed.ending.kind is EndingKind.CLOSE
    grade, note = processed.ending.grade_unanswered(processed.reactions)
    assert grade == "informational" and "RFC6455 5.5.1" in note


def test_unanswered_frames_before_a_failure_or_a_pong_stay_non_strict() -> None:
    # rsv, opcodes: a failure before the echo of the message ahead is non-strict.
    frames = [f(Opcode.TEXT, b"Hello"), f(Opcode.BINARY, b"x", rsv3=True)]
    assert oracle_verdict(frames, ([("echo", b"Hello")], 1002)) == "pass"
    assert oracle_verdict(frames, ([], 1002)) == "non-strict"
    pinged = [f(Opcode.PING, b"p"), f(Opcode.CLOSE, encode_close_payload(1000))]
    assert oracle_verdict(pinged, ([("pong", b"p")], 1000)) == "pass"
    assert oracle_verdict(pinged, ([], 1000)) == "non-strict"


#: close.reason.invalid-utf8-*: failing with 1007 passes, with 1002 is non-strict (RFC
#: 6455 8.1 fails the connection; 7.4.1 gives 1007 to data that is not UTF-8), TCP close
#: alone is non-strict, any other answer fails: echoing the close or accepting it with
#: 1000 too.
BAD_REASON = [("close-1007", 1007, "pass"), ("close-1002", 1002, "non-strict"),
              ("tcp", "tcp", "non-strict"), ("echoed", 1000, "fail"),
              ("close-1001", 1001, "fail"), ("close-1011", 1011, "fail"),
              ("empty-close", None, "fail")]


@pytest.mark.parametrize(("name", "reason", "autobahn"), INVALID_REASONS,
                         ids=row_names(INVALID_REASONS))
@pytest.mark.parametrize(("answer", "end", "catalogue"), BAD_REASON,
                         ids=row_names(BAD_REASON))
def test_close_reason_not_utf8_is_graded_as_the_catalogue(
        name: str, reason: bytes, autobahn: str | None, answer: str, end: str | int | None,
        catalogue: str) -> None:
    assert oracle_verdict(close_with(1000, reason), (ECHOED, end)) == catalogue
    assert oracle_verdict(close_with(1000, reason)[1:], ([], end)) == catalogue


def test_close_reason_not_utf8_failed_with_1002_is_noted_and_described() -> None:
    ending = predict([f(Opcode.CLOSE, encode_close_payload(1000, b"ok \xc0\xaf"))]).ending
    assert (ending.kind, ending.codes, ending.non_strict_codes, ending.informational_codes) == (
        EndingKind.FAIL, (1007,), (1002,), ())
    grade, note = ending.grade_end(ServerEnd("close", 1002))
    assert grade == "non-strict" and "1007" in note and "RFC6455 7.4.1" in note
    assert "1002 recorded as non-strict" in ending.describe()


@pytest.mark.parametrize("code", [1000, 1001, 3000, 4001])
@pytest.mark.parametrize(("name", "reason", "autobahn"), INVALID_REASONS,
                         ids=row_names(INVALID_REASONS))
def test_close_reason_not_utf8_accepted_with_1000_still_fails(
        code: int, name: str, reason: bytes, autobahn: str | None) -> None:
    frames = close_with(code, reason)
    assert predict(frames).ending.kind is EndingKind.FAIL
    assert oracle_verdict(frames, (ECHOED, 1000)) == "fail"
    assert oracle_verdict(frames[1:], ([], 1000)) == "fail"
    assert oracle_verdict(frames[1:], ([], code)) == "fail"  # the close echoed


#: utf8.<group>.<n>.<mode> and utf8.invalid-fragmented.*: failing with 1007 passes,
#: TCP close alone is non-strict, 1002 or any other answer fails (7.4.1 gives 1007 to
#: text that is not UTF-8).
# another close code, or none, is the failure-shape table's MUST row: non-strict
BAD_TEXT = [("close-1007", 1007, "pass"), ("tcp", "tcp", "non-strict"),
            ("close-1002", 1002, "non-strict"), ("close-1000", 1000, "non-strict"),
            ("close-1011", 1011, "non-strict"), ("empty-close", None, "non-strict")]


def text_message(payload: bytes, fragments: list[bytes] | None = None) -> list[Frame]:
    """``payload`` as one text message: one frame, or one frame per fragment."""
    parts = fragments if fragments is not None else [payload]
    last = len(parts) - 1
    return [f(Opcode.TEXT if i == 0 else Opcode.CONTINUATION, part, fin=i == last)
            for i, part in enumerate(parts)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("answer", "end", "catalogue"), BAD_TEXT, ids=row_names(BAD_TEXT))
def test_invalid_text_is_graded_as_the_catalogue(mode: str, answer: str, end: str | int | None,
                                                 catalogue: str) -> None:
    payloads = [(row.id, row.payload) for row in SEQUENCES if not row.valid]
    payloads.append(("surrogate-inside", SURROGATE_INSIDE))
    assert len(payloads) > 50
    for row, payload in payloads:
        frames = text_message(payload, every_byte(payload) if mode == "bytewise" else None)
        assert predict(frames).ending.non_strict_codes == ()
        assert oracle_verdict(frames, ([], end)) == catalogue, row


@pytest.mark.parametrize(("variant", "sending", "cuts"), FAIL_FAST, ids=row_names(FAIL_FAST))
def test_fail_fast_text_is_graded_as_the_catalogue(variant: str, sending: str,
                                                   cuts: tuple[int, int]) -> None:
    # utf8.fail-fast.*: failing as the invalid byte arrives passes with 1007; once the
    # message is complete (the pong of the second part sent first) it is non-strict;
    # with another code, or a TCP close alone, it is non-strict either way.
    first, second, rest = split_at(BEYOND_UNICODE_INSIDE, *cuts)
    if sending == "chops":
        # One frame: the oracle reads frames whole, so how soon within the frame the
        # target fails is not graded here.
        frames = text_message(first + second + rest)
        at_once: list[tuple[str, bytes]] = []
    else:
        frames = [f(Opcode.TEXT, first, fin=False), f(Opcode.PING, b"first part"),
                  f(Opcode.CONTINUATION, second, fin=False), f(Opcode.PING, b"second part"),
                  f(Opcode.CONTINUATION, rest)]
        at_once = [("pong", b"first part")]
        late = [*at_once, ("pong", b"second part")]
        assert oracle_verdict(frames, (late, 1007)) == "non-strict"
        assert oracle_verdict(frames, (late, "tcp")) == "non-strict"
        assert oracle_verdict(frames, (late, 1002)) == "non-strict"
    assert oracle_verdict(frames, (at_once, 1007)) == "pass"
    assert oracle_verdict(frames, (at_once, "tcp")) == "non-strict"
    for other in (1002, 1000, None):  # another code, or none: the table's MUST row
        assert oracle_verdict(frames, (at_once, other)) == "non-strict"


@pytest.mark.parametrize("name", [n for n, (_, codes) in INVALID_DATA.items() if 1002 in codes])
def test_data_that_does_not_inflate_is_graded_as_the_catalogue(name: str) -> None:
    # deflate.invalid.*: RFC 7692 6.2 names no close code; 1007 and 1002 both pass there.
    payload, codes = INVALID_DATA[name]
    expectation = predict([f(Opcode.TEXT, payload, rsv1=True)], deflate=DeflateParams())
    ending = expectation.ending
    assert ending.kind is EndingKind.FAIL
    graded = {code: ending.grade_end(ServerEnd("close", code))[0]
              for code in (*codes, 1000, 1009)}
    assert graded == {  # another code: the failure-shape table's MUST row
        **dict.fromkeys(codes, "pass"), 1000: "non-strict", 1009: "non-strict"}
    assert ending.grade_end(ServerEnd("fin"))[0] == "non-strict"
