"""The public strategies: what they build, that it round-trips, and that it shrinks well."""

from __future__ import annotations

from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from wsspec.fuzz import strategies as ws
from wsspec.fuzz.oracle import EndingKind, predict
from wsspec.fuzz.script import Conversation, HandshakeProbe
from wsspec.protocol.frames import Opcode
from wsspec.protocol.handshake import RequestParser, build_request, check_request

FAST = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(ws.conversations(ws.message_steps()))
def test_valid_conversations_are_valid(conversation: Conversation) -> None:
    expectation = predict(conversation.frames)
    assert expectation.ending.kind is EndingKind.OPEN
    pings = [fr.payload for fr in conversation.frames if fr.opcode == Opcode.PING]
    assert [r.data for r in expectation.reactions if r.kind == "pong"] == pings


@FAST
@given(ws.conversations(st.one_of(ws.message_steps(),
                                  ws.steps(st.lists(ws.any_frames(), min_size=1)))))
def test_conversations_round_trip_byte_for_byte(conversation: Conversation) -> None:
    again = Conversation.from_dict(conversation.to_dict())
    assert again == conversation
    assert [s.writes for s in again.steps] == [s.writes for s in conversation.steps]
    for step in conversation.steps:
        assert b"".join(step.writes) == step.wire
        assert len(step.writes) <= 64


@FAST
@given(ws.text_message_frames(valid=False))
def test_broken_text_fails_with_1007(frames: list) -> None:  # type: ignore[type-arg]
    ending = predict(frames).ending
    assert ending.kind is EndingKind.FAIL and ending.codes == (1007,)


@FAST
@given(ws.any_frames(defects=("unmasked",)))
def test_defects_are_applied(frame: object) -> None:
    assert not frame.masked  # type: ignore[attr-defined]


@FAST
@given(ws.close_payloads())
def test_close_payloads_encode(payload: bytes) -> None:
    assert len(payload) != 1 or payload in (b"\x03", b"\xe8", b"\x00")


@FAST
@given(ws.handshake_probes(build_request("example.com", "/chat")))
def test_handshake_probes_parse_and_are_judged(probe: HandshakeProbe) -> None:
    assert HandshakeProbe.from_dict(probe.to_dict()) == probe
    if not probe.mutations:
        request = RequestParser().feed(probe.request)
        assert request is not None and check_request(request)[0] == 101


def test_a_ping_between_fragments_shrinks_to_three_frames() -> None:
    def ping_inside_a_message(conversation: Conversation) -> bool:
        in_message = False
        for frame in conversation.frames:
            if frame.opcode == Opcode.PING and in_message:
                return True
            if frame.opcode < 0x8:
                in_message = not frame.fin
        return False

    found = find(ws.conversations(ws.message_steps()), ping_inside_a_message,
                 settings=settings(database=None, max_examples=2000))
    assert [fr.opcode for fr in found.frames] == [Opcode.TEXT, Opcode.PING,
                                                  Opcode.CONTINUATION]
    assert all(fr.payload == b"" for fr in found.frames)
    assert found.frames[0].mask_key == ws.MASK_KEYS[0]
    assert [s.chunks for s in found.steps] == [()]
