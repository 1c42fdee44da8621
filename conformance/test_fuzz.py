"""Fuzzing (RFC 6455 sections 4.2.1, 5, 7 and 8.1; RFC 7692; Autobahn|Testsuite has no
counterpart: its cases are fixed sequences, these are generated).

Each case is a Hypothesis campaign: conversations of client frames are
generated, played against the target on live connections, and every reaction
is checked against the oracle (:mod:`wsspec.fuzz.oracle`), which derives
what a conforming server must do from the suite's own sans-IO core: echo
these messages in order, answer these pings, then stay open, answer the
close, or fail the connection with this code at this frame. Every verdict is
confirmed by an independent judge built on wsproto (:mod:`wsspec.fuzz.judge`),
which shares no code with that core; where the two disagree the case is an
error, not a verdict. A deviation is shrunk to a minimal conversation, shown
as frames and hex, and written to ``<report-dir>/fuzz/<case>-<n>.json`` for
``wsspec replay``.

How much is generated: ``--fuzz-profile`` (``ci`` by default: derandomized
and small; ``dev``; ``deep``), ``--fuzz-examples``, ``--fuzz-budget`` seconds
per case, ``--fuzz-seed``, ``--fuzz-db`` (docs/fuzzing.md).

PYTEST_DONT_REWRITE: the cases judge through expectations, never ``assert``.
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from wsspec.cases import case
from wsspec.dsl import Target
from wsspec.fuzz import strategies as ws
from wsspec.fuzz.case import run_fuzz_case


@case(
    "fuzz.handshake.mutations",
    title="opening handshakes with fields dropped, duplicated, renamed or changed",
    rfc="RFC6455 4.2.1 MUST",
    requirement="A server accepts an opening handshake that meets section 4.2.1 with a "
    "correct 101, and refuses one that does not with a 4xx status, whatever is mutated.",
)
def test_handshake_mutations(request: pytest.FixtureRequest, wsspec_target: Target) -> None:
    from wsspec.dsl import Client
    from wsspec.verdicts import CaseRecord

    base = Client(wsspec_target, CaseRecord("", "fuzz", "", "", "", None)).request(
        key="dGhlIHNhbXBsZSBub25jZQ==")
    run_fuzz_case(request, wsspec_target, ws.handshake_probes(base),
                  what="mutated opening handshakes")


@case(
    "fuzz.messages.valid",
    title="valid messages fragmented anywhere, pings and pongs between fragments, any TCP writes",
    rfc="RFC6455 5.4 MUST",
    requirement="A server delivers every valid message whole and in order however it is "
    "fragmented and cut into TCP writes, answers every ping with its payload even between "
    "fragments, and answers a close.",
)
def test_valid_messages(request: pytest.FixtureRequest, wsspec_target: Target) -> None:
    close = ws.steps(ws.close_frames(ws.valid_close_payloads()).map(lambda f: [f]))
    run_fuzz_case(request, wsspec_target, ws.conversations(ws.message_steps(), final=close),
                  what="conversations of valid messages and control frames")


@case(
    "fuzz.text.utf8",
    title="text messages, valid or not UTF-8, cut anywhere (inside code points too)",
    rfc="RFC6455 8.1 MUST",
    requirement="A server echoes valid UTF-8 text however its fragments cut code points, "
    "and fails the connection with 1007 on text that is not UTF-8.",
)
def test_text_messages(request: pytest.FixtureRequest, wsspec_target: Target) -> None:
    run_fuzz_case(request, wsspec_target,
                  ws.conversations(ws.steps(ws.text_message_frames(valid=None))),
                  what="conversations of fragmented text messages")


#: The defects of a frame, each the subject of one case (see ``any_frames``).
FRAME_DEFECTS = {
    "unmasked": "a client frame without a mask",
    "reserved-opcode": "a reserved opcode",
    "rsv-bit": "an RSV bit no extension defines",
    "long-length-field": "a length field longer than needed",
    "fin-clear": "FIN clear (control frames, data frames out of order)",
    "oversized-control": "a control frame over 125 bytes",
    "bad-payload": "invalid UTF-8 in text, a close payload that breaks 7.4",
}


@pytest.mark.parametrize("defect", list(FRAME_DEFECTS))
@case(
    "fuzz.frames.{defect}",
    title="valid traffic with frames of {defect} among it",
    rfc="RFC6455 5.2 MUST",
    requirement="A server processes valid frames, and at the first frame that breaks a rule "
    "({defect}) fails the connection with the code that rule calls for, processing nothing "
    "after it.",
)
def test_frames_with_defects(request: pytest.FixtureRequest, wsspec_target: Target,
                             defect: str) -> None:
    broken = ws.steps(st.lists(ws.any_frames(defects=(defect,)), min_size=1, max_size=2))
    run_fuzz_case(request, wsspec_target,
                  ws.conversations(st.one_of(ws.message_steps(), broken)),
                  what=f"conversations with frames of {FRAME_DEFECTS[defect]}")


@case(
    "fuzz.close.payloads",
    title="a close frame with any payload, after some traffic",
    rfc="RFC6455 5.5.1 MUST",
    requirement="A server answers a close frame with a valid payload by a close frame and "
    "fails the connection with 1002 (1007 for a reason that is not UTF-8) on any other.",
)
def test_close_payloads(request: pytest.FixtureRequest, wsspec_target: Target) -> None:
    close = ws.steps(ws.close_frames().map(lambda f: [f]))
    run_fuzz_case(request, wsspec_target,
                  ws.conversations(ws.message_steps(), max_steps=2, final=close,
                                   final_always=True),
                  what="conversations ending with a close frame")


@case(
    "fuzz.deflate.messages",
    title="permessage-deflate messages in every valid form, fragmented, and broken ones",
    rfc="RFC7692 6 MUST",
    requirement="A server that agreed on permessage-deflate inflates every compressed "
    "message however it is compressed and fragmented, and fails the connection on RSV1 "
    "where it is not allowed or on data that is not DEFLATE.",
    needs=("deflate",),
)
def test_deflate_messages(request: pytest.FixtureRequest, wsspec_target: Target) -> None:
    run_fuzz_case(request, wsspec_target,
                  ws.conversations(ws.steps(ws.deflate_message_frames()), deflate=True),
                  what="conversations of permessage-deflate messages")
