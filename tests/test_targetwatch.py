"""The early-stop core: signs read from wire logs, streaks, and the diagnosis line
(no sockets: wire logs are written here as the drivers write them)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from wsspec.earlystop import StopBoard
from wsspec.protocol.handshake import build_accept_response, build_request, generate_key
from wsspec.targetwatch import (
    STREAK,
    CaseSigns,
    Sign,
    TargetWatch,
    exited_diagnosis,
    read_case,
)
from wsspec.wirelog import WireLog

VALID = build_request("127.0.0.1:9001", "/").encode()
#: a request RFC 6455 refuses (no Sec-WebSocket-Version): a 400 for it is right.
INVALID = build_request("127.0.0.1:9001", "/").without("Sec-WebSocket-Version").encode()
OK_200 = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>"


def switching() -> bytes:
    return build_accept_response(generate_key())


def log_of(*steps: tuple[str, bytes | str]) -> WireLog:
    """A wire log written as a driver writes one: ("connect", ""), ("out", bytes),
    ("in", bytes), ("fin", ""), ("close", "")."""
    log = WireLog()
    for kind, data in steps:
        if kind == "connect":
            log.event("connected to 127.0.0.1:9001 (tcp)")
        elif kind == "connect-failed":
            log.event(f"connect failed: {data}")
        elif kind in ("out", "in"):
            assert isinstance(data, bytes)
            log.raw(kind, data)  # type: ignore[arg-type]
        elif kind == "fin":
            log.event("peer closed the connection (FIN)")
        elif kind == "close":
            log.event("connection closed by the client")
    return log


def signs(verdict: str, *steps: tuple[str, bytes | str], waited: float = 5.0) -> CaseSigns:
    return read_case(verdict, log_of(*steps), case_timeout=5.0, now=time.monotonic() + waited)


def test_a_valid_request_without_any_answer_is_no_answer() -> None:
    seen = signs("fail", ("connect", ""), ("out", VALID))
    assert seen.sign is Sign.NO_ANSWER
    assert seen.partial_bytes == 0 and seen.last_byte_at is None


def test_a_trickled_answer_is_no_answer_with_its_bytes_counted() -> None:
    seen = signs("fail", ("connect", ""), ("out", VALID), ("in", b"HTTP/"))
    assert seen.sign is Sign.NO_ANSWER and seen.partial_bytes == 5
    assert seen.last_byte_at is not None


def test_a_short_wait_is_no_sign() -> None:
    # the case gave up at once (a raw-socket case): nothing was waited for
    assert signs("fail", ("connect", ""), ("out", VALID), waited=0.0).sign is Sign.NEUTRAL


def test_a_target_that_closes_is_not_silent() -> None:
    assert signs("fail", ("connect", ""), ("out", VALID), ("fin", "")).sign is Sign.NEUTRAL


def test_an_invalid_request_left_unanswered_is_no_sign() -> None:
    # a target may wait for the rest of a request it cannot parse
    assert signs("fail", ("connect", ""), ("out", INVALID)).sign is Sign.NEUTRAL


def test_a_101_or_a_pass_is_answering() -> None:
    assert signs("fail", ("connect", ""), ("out", VALID), ("in", switching())).sign \
        is Sign.ANSWERING
    assert signs("pass", ("connect", ""), ("out", VALID)).sign is Sign.ANSWERING


def test_a_200_to_a_valid_request_is_a_refusal_naming_its_status() -> None:
    seen = signs("fail", ("connect", ""), ("out", VALID), ("in", OK_200))
    assert seen.sign is Sign.SAME_REFUSAL and seen.detail == "HTTP/1.1 200 OK"


@pytest.mark.parametrize("header", [("Origin", "https://elsewhere.example"),
                                    ("Sec-WebSocket-Protocol", "chat"),
                                    ("Sec-WebSocket-Extensions", "x-unknown; a==b"),
                                    ("Authorization", "Bearer expired")])
def test_a_refusal_a_policy_may_make_is_no_sign(header: tuple[str, str]) -> None:
    request = build_request("127.0.0.1:9001", "/").with_header(*header).encode()
    forbidden = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
    assert signs("fail", ("connect", ""), ("out", request), ("in", forbidden)).sign \
        is Sign.NEUTRAL


def test_a_refusal_of_an_invalid_request_is_no_sign() -> None:
    refusal = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    assert signs("fail", ("connect", ""), ("out", INVALID), ("in", refusal)).sign \
        is Sign.NEUTRAL


def test_a_case_that_never_connected_is_unreachable_only_as_an_error() -> None:
    failed = ("connect-failed", "connection refused")
    assert signs("error", failed).sign is Sign.UNREACHABLE
    assert signs("unsupported").sign is Sign.NEUTRAL


def test_the_watch_ends_on_a_streak_of_silence_naming_the_last_byte() -> None:
    watch = TargetWatch()
    now = time.monotonic()
    answered = CaseSigns(Sign.ANSWERING, last_byte_at=now - 12.1)
    assert watch.observe(answered, now=now) is None
    for _ in range(STREAK - 1):
        assert watch.observe(CaseSigns(Sign.NO_ANSWER, waited=5.0), now=now) is None
    diagnosis = watch.observe(CaseSigns(Sign.NO_ANSWER, waited=5.0), now=now)
    assert diagnosis is not None
    assert diagnosis.line == ("target stopped answering opening handshakes: 3 consecutive "
                              "cases without a status line; last byte 12.1 s ago")
    # decided once: later cases do not change it
    assert watch.observe(answered, now=now) is diagnosis


def test_a_case_that_answers_breaks_the_streak() -> None:
    watch = TargetWatch()
    for _ in range(10):
        assert watch.observe(CaseSigns(Sign.NO_ANSWER)) is None
        assert watch.observe(CaseSigns(Sign.NO_ANSWER)) is None
        assert watch.observe(CaseSigns(Sign.ANSWERING)) is None


def test_neutral_cases_neither_count_nor_break() -> None:
    watch = TargetWatch()
    refusal = CaseSigns(Sign.SAME_REFUSAL, detail="HTTP/1.1 200 OK")
    results = [watch.observe(s) for s in (refusal, CaseSigns(Sign.NEUTRAL), refusal,
                                          CaseSigns(Sign.NEUTRAL), refusal)]
    assert results[:4] == [None] * 4
    assert results[4] is not None
    assert results[4].line.startswith("the target answered 200 OK to every upgrade request")
    assert "is a proxy dropping the Upgrade header" in results[4].line


def test_different_refusals_are_not_the_same_refusal() -> None:
    watch = TargetWatch()
    for status in ("HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK",
                   "HTTP/1.1 404 Not Found"):
        assert watch.observe(CaseSigns(Sign.SAME_REFUSAL, detail=status)) is None


def test_a_trickle_is_named_as_slow() -> None:
    watch = TargetWatch()
    line = ""
    for _ in range(STREAK):
        diagnosis = watch.observe(CaseSigns(Sign.NO_ANSWER, partial_bytes=5, waited=5.0,
                                            last_byte_at=time.monotonic()))
        line = diagnosis.line if diagnosis else ""
    assert line.startswith("the target answers opening handshakes too slowly: 3 consecutive "
                           "cases without a complete status line (the last got 5 bytes in "
                           "5.0 s); last byte")


def test_an_exited_command_is_one_line_with_its_status_and_output() -> None:
    line = exited_diagnosis(3, ["listening", "", "licence expired"]).line
    assert line == ("the target command exited with status 3; its last output: "
                    "listening | licence expired")
    assert exited_diagnosis(-9, []).line == "the target command exited with status -9 (no output)"


def test_the_board_keeps_the_first_line_unless_replaced(tmp_path: Path) -> None:
    board = StopBoard(tmp_path / "diagnosis")
    assert board.read() is None
    board.post("first")
    board.post("second")
    assert board.read() == "first"
    board.post("exited", replace=True)
    assert board.read() == "exited"
    assert [p.name for p in tmp_path.iterdir()] == ["diagnosis"]


@pytest.mark.parametrize("verdict", ["pass", "non-strict", "informational"])
def test_a_case_graded_well_counts_as_answering(verdict: str) -> None:
    assert signs(verdict).sign is Sign.ANSWERING
