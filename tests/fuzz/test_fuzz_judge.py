"""The independent judge, and the cross-check of every fuzz verdict with it.

First the judge alone, on transcripts written by hand: each choice RFC 6455
leaves a server, graded as its module docstring says. Then the cross-check
live: Hypothesis generates conversations from every fuzz strategy, each is
played against the reference server and against faulty servers (in this
process, on 127.0.0.1), and every verdict the oracle gives must be the one
the judge gives (the runner raises ``JudgesDisagree`` otherwise). Last, an
oracle made wrong on purpose is caught by the judge, and a server that goes
on answering pings after the frame that fails the connection is failed by
both.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wsspec.dsl import Target
from wsspec.fuzz import runner
from wsspec.fuzz import strategies as ws
from wsspec.fuzz.crosscheck import JudgesDisagree
from wsspec.fuzz.judge import judge
from wsspec.fuzz.oracle import Expectation, ServerEnd, predict
from wsspec.fuzz.runner import Outcome, _best_alternative, _Play, play_example
from wsspec.fuzz.script import Conversation, Step
from wsspec.fuzz.transcript import Transcript
from wsspec.profile import load_profile
from wsspec.protocol.close import encode_close_payload
from wsspec.protocol.deflate import DeflateParams, compress_variant
from wsspec.protocol.frames import Frame, LengthForm, Opcode
from wsspec.targets import profiles
from wsspec.targets.faulty import behaviour_with
from wsspec.targets.faulty.fuzz import _Tap
from wsspec.targets.reference import RunningServer, run_in_thread
from wsspec.verdicts import CaseRecord, Verdict

KEY = b"\x37\xfa\x21\x3d"


def f(opcode: int, payload: bytes = b"", **fields: object) -> Frame:
    fields.setdefault("mask_key", KEY)
    return Frame(opcode, payload, **fields)  # type: ignore[arg-type]


def transcript(frames: list[Frame], events: list[tuple[object, ...]], *,
               deflate: DeflateParams | None = None) -> Transcript:
    """Every frame sent first, then ``events``: (kind, data or code), read after all."""
    t = Transcript(deflate=deflate)
    for frame in frames:
        t.send(frame)
    for kind, *rest in events:
        value = rest[0] if rest else None
        if kind == "close":
            t.receive("close", code=value if isinstance(value, int) else None)
        elif kind in ("text", "binary"):
            assert isinstance(value, bytes)
            t.receive("message", opcode=Opcode.TEXT if kind == "text" else Opcode.BINARY,
                      data=value)
        else:
            t.receive(kind, data=value if isinstance(value, bytes) else b"")  # type: ignore[arg-type]
    return t


def grade(frames: list[Frame], *events: tuple[object, ...], **options: object) -> str | None:
    return judge(transcript(frames, list(events), **options)).grade  # type: ignore[arg-type]


# -- the judge alone ------------------------------------------------------------


def test_echoes_and_pongs_in_order_pass_and_anything_missing_fails() -> None:
    frames = [f(Opcode.TEXT, b"hi", fin=False), f(Opcode.PING, b"p"),
              f(Opcode.CONTINUATION, b"!")]
    assert grade(frames, ("pong", b"p"), ("text", b"hi!")) == "pass"
    assert grade(frames, ("text", b"hi!"), ("timeout",)) == "fail"
    assert grade(frames, ("pong", b"p"), ("text", b"hi?")) == "fail"
    assert grade(frames, ("pong", b"p"), ("timeout",)) == "fail"
    # unsolicited pongs are allowed (RFC 6455 5.5.3)
    assert grade(frames, ("pong", b"other"), ("pong", b"p"), ("text", b"hi!")) == "pass"


def test_a_pong_may_answer_only_the_latest_ping() -> None:
    frames = [f(Opcode.PING, b"1"), f(Opcode.PING, b"2")]
    assert grade(frames, ("pong", b"2")) == "pass"
    assert grade(frames, ("pong", b"1")) is None  # stops before the second pong


def test_nothing_is_processed_after_the_failing_frame() -> None:
    frames = [f(Opcode.BINARY, b"x", mask_key=None), f(Opcode.PING, b"late")]
    assert grade(frames, ("close", 1002), ("fin",)) == "pass"
    assert grade(frames, ("pong", b"late"), ("close", 1002), ("fin",)) == "fail"
    assert grade(frames, ("fin",)) == "pass"  # RFC 6455 5.1: the close frame is MAY
    assert grade(frames, ("close", 1000), ("fin",)) == "non-strict"  # another code
    assert grade(frames, ("close", 1005), ("fin",)) == "fail"  # no endpoint sends it
    assert grade(frames, ("timeout",)) == "fail"
    rsv = [f(Opcode.BINARY, b"x", rsv2=True)]
    assert grade(rsv, ("fin",)) == "non-strict"  # RFC 6455 7.1.7 SHOULD send a close


def test_nothing_is_processed_after_the_close() -> None:
    frames = [f(Opcode.CLOSE, encode_close_payload(1000)), f(Opcode.PING, b"late"),
              f(Opcode.TEXT, b"late")]
    assert grade(frames, ("close", 1000), ("fin",)) == "pass"
    assert grade(frames, ("pong", b"late"), ("close", 1000), ("fin",)) == "fail"
    assert grade(frames, ("text", b"late"), ("close", 1000), ("fin",)) == "fail"
    assert grade(frames, ("close", 1000), ("text", b"late"), ("fin",)) == "fail"
    assert grade(frames, ("fin",)) == "fail"  # a close must be answered (5.5.1)


def test_a_close_before_the_frame_that_ends_the_connection_fails() -> None:
    t = Transcript()
    t.send(f(Opcode.TEXT, b"ok"))
    t.receive("close", code=1002)
    t.send(f(Opcode.BINARY, b"x", mask_key=None))
    t.receive("fin")
    assert judge(t).grade == "fail"


def test_answers_to_a_close() -> None:
    close = [f(Opcode.BINARY, b"before"), f(Opcode.CLOSE, encode_close_payload(4001, "bye"))]
    assert grade(close, ("binary", b"before"), ("close", 4001), ("fin",)) == "pass"
    assert grade(close, ("binary", b"before"), ("close", 1000), ("fin",)) == "pass"
    assert grade(close, ("binary", b"before"), ("close", 1001), ("fin",)) == "non-strict"
    assert grade(close, ("binary", b"before"), ("close", 1005), ("fin",)) == "fail"
    assert grade(close, ("close", 1000), ("fin",)) == "informational"  # echo left unsent
    assert grade(close, ("binary", b"before"), ("close", 1000), ("timeout",)) == "fail"


@pytest.mark.parametrize("code", [1012, 1013, 1014])
def test_codes_registered_after_rfc6455(code: int) -> None:
    frames = [f(Opcode.CLOSE, encode_close_payload(code))]
    assert grade(frames, ("close", code), ("fin",)) == "pass"
    assert grade(frames, ("close", 1002), ("fin",)) == "informational"


def test_codes_above_4999_and_reasons_that_are_not_utf8() -> None:
    above = [f(Opcode.CLOSE, encode_close_payload(5000))]
    assert grade(above, ("close", 1002), ("fin",)) == "pass"
    assert grade(above, ("close", 1000), ("fin",)) == "informational"
    assert grade(above, ("close", 5000), ("fin",)) == "fail"
    reason = [f(Opcode.CLOSE, encode_close_payload(1000, b"ok\xff"))]
    assert grade(reason, ("close", 1007), ("fin",)) == "pass"
    assert grade(reason, ("close", 1002), ("fin",)) == "non-strict"
    assert grade(reason, ("close", 1000), ("fin",)) == "fail"


def test_a_longer_length_field_may_be_refused_or_processed() -> None:
    frames = [f(Opcode.TEXT, b"a", length_form=LengthForm.MEDIUM),
              f(Opcode.TEXT, b"b", length_form=LengthForm.LONG)]
    assert grade(frames, ("close", 1002), ("fin",)) == "pass"
    assert grade(frames, ("text", b"a"), ("close", 1002), ("fin",)) == "pass"
    assert grade(frames, ("text", b"a"), ("text", b"b")) == "pass"
    assert grade(frames, ("text", b"b"), ("close", 1002), ("fin",)) == "fail"


def test_invalid_utf8_fails_at_once_or_at_the_end_of_the_message() -> None:
    # U+D800 cut after its second byte: no valid UTF-8 begins "ed a0".
    frames = [f(Opcode.TEXT, b"\xed\xa0", fin=False), f(Opcode.PING, b"p"),
              f(Opcode.CONTINUATION, b"\x80", fin=False), f(Opcode.PING, b"q"),
              f(Opcode.CONTINUATION, b"")]
    assert grade(frames, ("close", 1007), ("fin",)) == "pass"
    late = [("pong", b"p"), ("pong", b"q"), ("close", 1007), ("fin",)]
    assert grade(frames, *late) == "non-strict"
    # failing at the end of the message with the second pong left unsent
    assert grade(frames, ("pong", b"p"), ("close", 1007), ("fin",)) == "non-strict"
    assert grade(frames, ("pong", b"p"), ("pong", b"q"), ("text", b"\xed\xa0\x80")) == "fail"
    assert grade(frames, ("close", 1002), ("fin",)) == "non-strict"  # another code


def test_permessage_deflate_across_control_frames_and_final_blocks() -> None:
    params = DeflateParams()
    first = compress_variant(b"hello", "bfinal")
    frames = [f(Opcode.TEXT, first[:2], fin=False, rsv1=True), f(Opcode.PING, b"p"),
              f(Opcode.CONTINUATION, first[2:]),
              f(Opcode.BINARY, compress_variant(b"again", "sync"), rsv1=True)]
    assert grade(frames, ("pong", b"p"), ("text", b"hello"), ("binary", b"again"),
                 deflate=params) == "pass"
    broken = [f(Opcode.TEXT, b"\x07\x00\x00", rsv1=True)]
    for code in (1002, 1007):
        assert grade(broken, ("close", code), ("fin",), deflate=params) == "pass"
    assert grade([f(Opcode.PING, b"x", rsv1=True)], ("close", 1002), ("fin",),
                 deflate=params) == "pass"


def test_a_play_is_graded_by_the_best_alternative_it_matches() -> None:
    # Found against websockets: a message with a 64-bit length field, then a stray
    # continuation; the second play (the message processed) saw a close 1002 and no
    # echo, which is also what refusing the first frame looks like: pass, not
    # non-strict for the echo left unsent.
    frames = [f(Opcode.BINARY, b"\xd2\xdb", length_form=LengthForm.LONG),
              f(Opcode.CONTINUATION, b"\xff", length_form=LengthForm.MEDIUM)]
    chain = list(predict(frames).alternatives())
    second = Outcome(Verdict.NON_STRICT, observed="the echo was left unsent")
    play = _Play(second, False, Transcript(), chain, [], ServerEnd("close", 1002))
    assert _best_alternative(play, 1).verdict is Verdict.PASS
    assert grade(frames, ("close", 1002), ("fin",)) == "pass"
    echoed = _Play(second, False, Transcript(), chain, list(chain[1][0].reactions),
                   ServerEnd("close", 1002))
    assert _best_alternative(echoed, 1) is second


def test_a_transcript_that_stops_early_gets_no_verdict() -> None:
    frames = [f(Opcode.BINARY, b"x", mask_key=None)]
    verdict = judge(transcript(frames, []))
    assert verdict.grade is None and "stops" in verdict.reason


# -- every fuzz verdict, cross-checked live --------------------------------------

PROFILE = load_profile(os.path.join(os.path.dirname(profiles.__file__), "reference.toml"))


class ProcessesAfterFailure(_Tap):
    """A reserved opcode fails the connection, but only after every frame that came
    with it was processed: pongs and echoes after the failing frame."""

    def __init__(self) -> None:
        super().__init__()
        self._held = b""

    def _frame(self, frame: Frame, raw: bytes) -> bytes:
        if frame.opcode in (0x3, 0xB) and not self._held:
            self._held = raw
            return b""
        return raw

    def incoming(self, data: bytes) -> bytes:
        passed = super().incoming(data)
        held, self._held = self._held, b""
        return passed + held


#: Servers whose every fuzz verdict is cross-checked: the reference, faults of each
#: section, and one that processes frames after failing the connection.
SERVERS = ["reference", "accept-unmasked", "accept-reserved-opcode", "ignore-utf8",
           "no-fail-fast-utf8", "accept-invalid-close-code", "close-echo-wrong-code",
           "fail-without-close-frame", "close-reason-not-utf8", "split-code-point-fails",
           "control-inside-fragments-fails", "extended-length-corrupts",
           "accept-rsv1-continuation", "accept-oversize-control", "processes-after-failure"]


def strategies() -> dict[str, st.SearchStrategy[Conversation]]:
    close = ws.steps(ws.close_frames().map(lambda frame: [frame]))
    broken = ws.steps(st.lists(ws.any_frames(), min_size=1, max_size=2))
    return {
        "messages": ws.conversations(ws.message_steps(), final=close),
        "utf8": ws.conversations(ws.steps(ws.text_message_frames(valid=None))),
        "frames": ws.conversations(st.one_of(ws.message_steps(), broken)),
        "close": ws.conversations(ws.message_steps(), max_steps=2, final=close,
                                  final_always=True),
        "deflate": ws.conversations(ws.steps(ws.deflate_message_frames()), deflate=True),
    }


#: Examples per server and strategy (WSSPEC_JUDGE_EXAMPLES overrides).
EXAMPLES = int(os.environ.get("WSSPEC_JUDGE_EXAMPLES", "30"))


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    name = request.param
    behaviour = (ProcessesAfterFailure if name == "processes-after-failure"
                 else behaviour_with([] if name == "reference" else [name]))
    running = run_in_thread(PROFILE, behaviour=behaviour)
    try:
        yield running
    finally:
        running.stop()


def record() -> CaseRecord:
    return CaseRecord("fuzz.crosscheck", "fuzz", "", "", "", None)


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_every_fuzz_verdict_is_the_judges(server: RunningServer) -> None:
    target = Target(server.url, PROFILE, timeout=1.0)
    tally: Counter[str] = Counter()
    for name, strategy in strategies().items():

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def play(conversation: Conversation) -> None:
            outcome = play_example(target, record(), conversation)  # raises JudgesDisagree
            assert outcome.judgement is not None
            assert outcome.judgement.grade == outcome.verdict.value
            tally[outcome.verdict.value] += 1

        play()
        assert sum(tally.values()) >= EXAMPLES, name
    assert sum(tally.values()) == EXAMPLES * len(strategies())


def test_a_wrong_oracle_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_echoes(*args: object, **kwargs: object) -> Expectation:
        expectation = predict(*args, **kwargs)  # type: ignore[arg-type]
        kept = tuple(r for r in expectation.reactions if r.kind != "echo")
        return Expectation(kept, expectation.ending)

    predict = runner.predict
    monkeypatch.setattr(runner, "predict", no_echoes)
    with run_in_thread(PROFILE) as running:
        target = Target(running.url, PROFILE, timeout=1.0)
        conversation = Conversation((Step((f(Opcode.TEXT, b"hello"),)),))
        with pytest.raises(JudgesDisagree, match="oracle fail, judge no verdict"):
            play_example(target, record(), conversation)


def test_a_pong_after_the_failing_frame_fails() -> None:
    conversation = Conversation((Step((f(0x3, b"x"), f(Opcode.PING, b"late"))),))
    with run_in_thread(PROFILE, behaviour=ProcessesAfterFailure) as running:
        outcome = play_example(Target(running.url, PROFILE, timeout=1.0), record(),
                               conversation)
    assert outcome.failed and "a ping sent after the connection ended" in outcome.observed
    assert outcome.judgement is not None and outcome.judgement.grade == "fail"
    with run_in_thread(PROFILE) as running:
        outcome = play_example(Target(running.url, PROFILE, timeout=1.0), record(),
                               conversation)
    assert outcome.verdict.value == "pass"
