"""A case's verdict and wire log in pytest-html's report.

When pytest-html is loaded, each case's row of its report carries two blocks:
the verdict (id, verdict, RFC rule, expected and observed) and the wire log the
wsspec reports kept for the case, one line an entry as failure messages show it.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
from wsspec.wirelog import entry_line

__all__ = ["add_extras"]

_VERDICT_FIELDS = ("id", "verdict", "rfc", "expected", "observed")


def add_extras(report: pytest.TestReport, case: dict[str, Any]) -> None:
    """Append the case's blocks to ``report.extras``, the attribute pytest-html reads."""
    from pytest_html import extras

    def block(title: str, text: str) -> dict[str, Any]:
        return dict(extras.html(f"<div class='wsspec'><h4>{html.escape(title)}</h4>"
                                f"<pre>{html.escape(text)}</pre></div>"))

    verdict = "\n".join(f"{key}: {case[key]}" for key in _VERDICT_FIELDS if case.get(key))
    lines = [entry_line(entry) for entry in case["wirelog"]]
    report.extras = [  # type: ignore[attr-defined]
        *getattr(report, "extras", []), block("wsspec verdict", verdict),
        block(f"wsspec wire log ({len(lines)} entries)", "\n".join(lines))]
