"""Every fuzz verdict checked by the independent judge: the oracle is not trusted alone.

The runner grades a conversation with the oracle, which derives its
expectation from the suite's own sans-IO core; :func:`confirm` grades the
transcript of the same play again with :mod:`wsspec.fuzz.judge` (wsproto and
rules of its own) and raises :class:`JudgesDisagree` when the two grades
differ, so a fuzz case never reports a verdict only one of them gives. A
handshake probe is confirmed the same way by :mod:`wsspec.fuzz.handshake_judge`.

Which transcript: the runner plays a conversation once per oracle
alternative it tries; the last play is the one that decided (it matched an
alternative, or it deviated where no further alternative departs), so that
is the one judged. A transcript the judge cannot grade (it stops before the
connection ends, and nothing in it is wrong) disagrees with a ``fail``: the
oracle found something the judge cannot see.
"""

from __future__ import annotations

from typing import Protocol

from wsspec.verdicts import HarnessError, Verdict

from .handshake_judge import judge_handshake
from .judge import Judgement, judge
from .transcript import HandshakeAnswer, Transcript

__all__ = ["JudgesDisagree", "confirm", "confirm_handshake"]


class JudgesDisagree(HarnessError):
    """The oracle and the independent judge grade one play differently: the
    verdict cannot be trusted (the case is an error, not a failure)."""


class _Graded(Protocol):
    """What :func:`confirm` needs of an outcome (the runner's ``Outcome``)."""

    observed: str
    judgement: Judgement | None

    @property
    def verdict(self) -> Verdict: ...


def _check(outcome: _Graded, judgement: Judgement, lines: list[str]) -> None:
    outcome.judgement = judgement
    oracle = outcome.verdict.value
    if judgement.grade == oracle:
        return
    judged = judgement.grade or "no verdict (the transcript stops before it can tell)"
    raise JudgesDisagree("\n".join([
        f"the fuzz oracle and the independent judge disagree: oracle {oracle}, judge {judged}",
        f"oracle: {outcome.observed}",
        f"judge: {judgement.reason}",
        "transcript (-> client frame, <- server event):",
        *lines,
    ]))


def confirm(outcome: _Graded, transcript: Transcript) -> None:
    """Grade ``transcript`` with the independent judge, keep its judgement on
    ``outcome``, and raise :class:`JudgesDisagree` unless it gives the oracle's
    verdict."""
    _check(outcome, judge(transcript), transcript.describe()[:80])


def confirm_handshake(outcome: _Graded, request: bytes, host: str,
                      answer: HandshakeAnswer) -> None:
    """The same for a handshake probe: ``request`` as sent, ``host`` the Host of
    the target's own valid request, ``answer`` what came back."""
    lines = ["  -> " + line for line in request.decode("latin-1").split("\r\n")[:20]]
    lines.append(f"  <- {answer.status or answer.ending} {answer.detail}".rstrip())
    _check(outcome, judge_handshake(request, host, answer), lines)
