"""A case's verdict from what its setup or call raised, and its way into pytest's report.

:func:`grade` reads the exception a case ended with: the suite's own
:class:`~wsspec.verdicts.CaseUnsupported` is ``unsupported``, a
:class:`~wsspec.verdicts.CaseFailed` or an ``AssertionError`` is ``fail``, and
anything from outside the case (another plugin's skip or fixture, a missing
dependency) is ``error`` naming its cause and where it came from.
:class:`CaseVerdict` carries a verdict through pytest as the failure text itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from wsspec.verdicts import CaseFailed, CaseRecord, HarnessError

__all__ = ["CaseVerdict", "grade"]


class CaseVerdict(pytest.fail.Exception):  # type: ignore[misc,name-defined]
    """A case's verdict (:class:`CaseFailed`, :class:`HarnessError`) on its way to
    the report. Its text is the failure itself (expected, observed, the wire log's
    tail, the case's line) rather than a Python traceback through the harness and
    the event loop, which says nothing about the target and costs pytest more to
    format than the case took to run."""

    def __init__(self, verdict: CaseFailed | HarnessError, case_file: str) -> None:
        from wsspec.verdicts import CaseFailed

        text = verdict.render() if isinstance(verdict, CaseFailed) else str(verdict)
        line = _case_line(verdict, case_file)
        super().__init__(text + (f"\n{line}" if line else ""), pytrace=False)
        self.verdict = verdict


# Shown as "CaseVerdict: expected: ..." in pytest's summary, as pytest shows its own
# outcome exceptions, not under the module that defines it.
CaseVerdict.__module__ = "builtins"


def _case_line(exc: BaseException, case_file: str) -> str:
    """Where in the case the exception came from (its last frame in ``case_file``)."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == case_file:
            where = f"at {Path(case_file).name}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    return where


def grade(record: CaseRecord, call: pytest.CallInfo[None]) -> None:
    """The verdict of a case from what its setup or call raised. ``unsupported`` is what
    the suite's own :class:`~wsspec.verdicts.CaseUnsupported` says; anything else from
    outside the case (another plugin's skip or fixture, a missing dependency) is an
    ``error`` whose observed text names it and where it came from."""
    from wsspec.verdicts import CaseFailed, CaseUnsupported, HarnessError, Verdict

    excinfo = call.excinfo
    if excinfo is None:
        return
    exc = excinfo.value
    if isinstance(exc, CaseVerdict):
        exc = exc.verdict
    if isinstance(exc, CaseUnsupported):
        record.verdict = Verdict.UNSUPPORTED
        record.observed = exc.reason
    elif isinstance(exc, pytest.skip.Exception):
        record.verdict = Verdict.ERROR
        record.observed = (f"skipped from outside the suite{_origin(excinfo)}: {exc.msg} "
                           f"(only the target's profile may leave a case unsupported)")
    elif isinstance(exc, CaseFailed):
        record.verdict = Verdict.FAIL
        record.expected, record.observed = exc.expected, exc.observed
    elif isinstance(exc, AssertionError):
        record.verdict = Verdict.FAIL
        record.observed = str(exc) or "assertion failed"
    elif isinstance(exc, HarnessError):
        record.verdict = Verdict.ERROR
        record.observed = str(exc)
    else:
        record.verdict = Verdict.ERROR
        record.observed = f"{type(exc).__name__}: {exc}{_origin(excinfo)}"


def _origin(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """`` (at FILE:LINE)``: the last frame of the traceback outside pytest itself."""
    for entry in reversed(excinfo.traceback):
        path = str(entry.path)
        if f"{os.sep}_pytest{os.sep}" not in path and f"{os.sep}pluggy{os.sep}" not in path:
            return f" (at {path}:{entry.lineno + 1})"
    return ""
