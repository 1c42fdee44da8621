"""Verdicts: how a case grades a target, and the record each case leaves.

A case passes by returning. It fails by raising :class:`CaseFailed` (through
the DSL's ``expect_*`` calls, or :func:`fail`), is ``unsupported``
through :func:`unsupported` (a pytest skip), and may downgrade itself to
``non-strict`` or ``informational`` without stopping. The plugin turns the
final :class:`CaseRecord` into the pytest outcome of DESIGN.md's table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pytest
from wsspec.wirelog import WireLog


class Verdict(str, enum.Enum):
    """The six verdicts, declared from best to worst: the one order every part of
    wsspec uses (:meth:`worse`, :attr:`rank`, baselines, the fuzz oracle, reports)."""

    PASS = "pass"
    NON_STRICT = "non-strict"
    INFORMATIONAL = "informational"
    UNSUPPORTED = "unsupported"
    FAIL = "fail"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """The verdict's place in the order: 0 for ``pass`` up to 5 for ``error``."""
        return list(Verdict).index(self)

    def worse(self, other: Verdict) -> Verdict:
        """The worse of the two (``self`` when they are equal)."""
        return self if self.rank >= other.rank else other


#: what each verdict means, in words, for reports and the terminal summary.
EXPLANATIONS = {
    Verdict.PASS: "behaves as the RFC requires",
    Verdict.NON_STRICT: "allowed, but not the preferred behaviour (a SHOULD is not met)",
    Verdict.INFORMATIONAL: "no right answer; the behaviour is recorded",
    Verdict.UNSUPPORTED: "the profile says the target does not offer what the case needs",
    Verdict.FAIL: "breaks a MUST / MUST NOT, or a policy the profile declares",
    Verdict.ERROR: "the case could not be run (target unreachable or harness fault)",
}


class CaseFailed(AssertionError):
    """The target broke the rule the case checks (or another rule on the way)."""

    def __init__(self, expected: str, observed: str, wirelog_tail: list[str] | None = None) -> None:
        self.expected = expected
        self.observed = observed
        self.wirelog_tail = wirelog_tail or []
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"expected: {self.expected}", f"observed: {self.observed}"]
        if self.wirelog_tail:
            lines.append("last wire log entries:")
            lines.extend("  " + line for line in self.wirelog_tail)
        return "\n".join(lines)


class HarnessError(Exception):
    """The case could not be run; graded ``error``, never ``fail``."""


@dataclass
class CaseRecord:
    """What one case leaves behind for the reports."""

    id: str
    section: str
    title: str
    rfc: str
    requirement: str
    autobahn: str | None
    verdict: Verdict = Verdict.PASS
    expected: str = ""
    observed: str = ""
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    wirelog: WireLog = field(default_factory=WireLog)

    def downgrade(self, verdict: Verdict, note: str) -> None:
        """Lower the verdict to ``non-strict`` or ``informational`` with a reason."""
        if verdict not in (Verdict.NON_STRICT, Verdict.INFORMATIONAL):
            raise ValueError(f"downgrade takes non-strict or informational, not {verdict.value}")
        self.verdict = self.verdict.worse(verdict)
        self.notes.append(note)

    def observe(self, expected: str, observed: str) -> None:
        """State what the case expected and what it saw (shown even on pass)."""
        self.expected, self.observed = expected, observed

    def to_dict(self) -> dict[str, Any]:
        observed = self.observed
        if self.notes:
            observed = "; ".join([observed, *self.notes]) if observed else "; ".join(self.notes)
        return {
            "id": self.id,
            "section": self.section,
            "title": self.title,
            "rfc": self.rfc,
            "requirement": self.requirement,
            "autobahn": self.autobahn,
            "verdict": self.verdict.value,
            "expected": self.expected,
            "observed": observed,
            "duration_s": round(self.duration_s, 6),
            "wirelog": self.wirelog.to_list(),
        }


def fail(expected: str, observed: str) -> NoReturn:
    """Grade the running case ``fail``."""
    raise CaseFailed(expected, observed)


class CaseSettled(Exception):
    """The case's verdict is settled before its end (already recorded on its
    :class:`CaseRecord`, e.g. ``informational`` for a refusal the RFC leaves to
    the server); the rest of the case is not run."""


class CaseUnsupported(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The suite's own skip: the target lacks what the case needs. The only skip graded
    ``unsupported``; any other skip of a case (another plugin's, a missing dependency) is
    an ``error``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"unsupported: {reason}")
        self.reason = reason


def unsupported(reason: str) -> NoReturn:
    """Grade the running case ``unsupported`` (a pytest skip with the reason)."""
    raise CaseUnsupported(reason)
