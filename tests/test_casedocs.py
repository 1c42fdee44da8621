"""docs/cases.md is generated from the cases and must not go stale."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_cases_page_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wsspec.casedocs", "docs/cases.md", "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_cases_page_lists_every_case_with_its_requirement() -> None:
    text = (REPO / "docs" / "cases.md").read_text()
    assert "`framing.echo.text`" in text
    assert "RFC6455 6.2 MUST" in text
