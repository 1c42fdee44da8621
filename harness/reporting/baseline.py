"""Baselines: the expected results a server project commits, so CI fails only on change.

A baseline is a TOML file listing accepted deviations, each with its reason::

    [cases."framing.rsv.1"]
    verdict = "fail"
    reason = "RSV bits are ignored until the 2.0 parser lands"

Judged against it, a case whose verdict matches its entry is *accepted* (pytest
passes it; the report still shows the observed verdict), a case now better than
its entry is *fixed* (reported, so the baseline can be tightened), a case worse
than its entry is *regressed* and fails. "Better" and "worse" follow the one
verdict order, :class:`~wsspec.verdicts.Verdict`'s. Cases without an entry are
judged as usual.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wsspec.reporting.presentation import VERDICTS
from wsspec.verdicts import Verdict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: the reason ``wsspec baseline`` writes; loading it works but warns.
PLACEHOLDER = "accepted deviation: explain why"

Status = Literal["accepted", "fixed", "regressed"]


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message is one line naming the problem."""


@dataclass(frozen=True)
class Expectation:
    """One accepted result: the verdict a case is expected to get, and why."""

    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class Judgement:
    """How an observed verdict compares with its expectation."""

    status: Status
    expected: Expectation

    @property
    def fails(self) -> bool:
        """Whether the case fails the run because of this comparison."""
        return self.status == "regressed"

    def describe(self) -> str:
        """The ``baseline`` field of the case in ``report.json``."""
        was = self.expected.verdict.value
        if self.status == "accepted":
            return f"accepted ({self.expected.reason})"
        if self.status == "fixed":
            return f"fixed: the baseline expects {was}; update the baseline"
        return f"regressed: the baseline expects {was} ({self.expected.reason})"


@dataclass(frozen=True)
class Baseline:
    """The expectations of a baseline file, by case id."""

    path: str
    cases: Mapping[str, Expectation] = field(default_factory=dict)

    @property
    def placeholders(self) -> list[str]:
        """Ids whose reason is still the placeholder ``wsspec baseline`` wrote."""
        return sorted(i for i, e in self.cases.items() if e.reason.strip() == PLACEHOLDER)

    def judge(self, case_id: str, verdict: Verdict) -> Judgement | None:
        """Compare an observed verdict with the case's entry (``None``: no entry)."""
        expected = self.cases.get(case_id)
        if expected is None:
            return None
        if verdict is expected.verdict:
            status: Status = "accepted"
        elif verdict.rank < expected.verdict.rank:
            status = "fixed"
        else:
            status = "regressed"
        return Judgement(status, expected)


def load_baseline(path: str | Path) -> Baseline:
    """Read and check a baseline file; raises :class:`BaselineError` with one line."""
    where = f"--baseline {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{where}: cannot read it: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BaselineError(f"{where}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"cases"})
    if unknown:
        raise BaselineError(f"{where}: unknown key {unknown[0]!r} (expected [cases.\"<id>\"] "
                            "tables)")
    cases = data.get("cases", {})
    if not isinstance(cases, dict):
        raise BaselineError(f"{where}: 'cases' must be a table of [cases.\"<id>\"] tables")
    verdicts = ", ".join(VERDICTS)
    expectations: dict[str, Expectation] = {}
    for case_id, entry in cases.items():
        name = f"{where}: cases.{json.dumps(case_id)}"
        if not isinstance(entry, dict):
            raise BaselineError(f"{name}: expected a table with verdict and reason")
        extra = sorted(set(entry) - {"verdict", "reason"})
        if extra:
            raise BaselineError(f"{name}: unknown key {extra[0]!r} (verdict and reason only)")
        raw = entry.get("verdict")
        try:
            verdict = Verdict(raw)
        except ValueError:
            raise BaselineError(f"{name}.verdict: {raw!r} is not one of {verdicts}") from None
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise BaselineError(f"{name}.reason: missing; every accepted deviation needs a "
                                "reason")
        expectations[case_id] = Expectation(verdict, reason.strip())
    return Baseline(str(path), expectations)


def _toml_string(text: str) -> str:
    # A JSON string with ASCII escapes is a valid TOML basic string.
    return json.dumps(text, ensure_ascii=True)


def baseline_from_report(report: Mapping[str, Any]) -> str:
    """A baseline file (TOML text) accepting every non-pass verdict of a report."""
    lines = [
        "# wsspec baseline: the accepted deviations of "
        f"{report.get('target', {}).get('url', 'a target')}",
        f"# written from a run started {report.get('started', '?')}; explain every reason.",
        "# A case not listed here is judged as usual; see docs/reports.md.",
    ]
    for case in _non_pass(report["cases"]):
        lines += [
            "",
            f"[cases.{_toml_string(case['id'])}]",
            f"verdict = {_toml_string(case['verdict'])}",
            f"reason = {_toml_string(PLACEHOLDER)}",
        ]
    return "\n".join(lines) + "\n"


def _non_pass(cases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [c for c in cases if c["verdict"] != Verdict.PASS.value]


def tally(cases: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts of accepted, fixed and regressed cases, from their ``baseline`` fields."""
    counts = {"accepted": 0, "fixed": 0, "regressed": 0}
    for case in cases:
        status = str(case.get("baseline", "")).split(" ", 1)[0].rstrip(":")
        if status in counts:
            counts[status] += 1
    return counts
