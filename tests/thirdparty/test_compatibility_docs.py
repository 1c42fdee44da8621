"""docs/compatibility.md's verdict tables are generated from the expected-results
files and the catalogue, and must not go stale. Runs by default: no server needed."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_compatibility_tables_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wsspec.compatdocs", "docs/compatibility.md", "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compatibility_tables_count_every_case_once() -> None:
    text = (REPO / "docs" / "compatibility.md").read_text()
    total_rows = [line for line in text.splitlines() if line.startswith("| **total** |")]
    assert len(total_rows) == 6
    cases = int(text.split("The whole suite (", 1)[1].split(" cases)", 1)[0])
    for row in total_rows:
        cells = [cell.strip("* ") for cell in row.strip("|").split("|")[1:]]
        assert sum(int(cell) for cell in cells if cell != "·") == cases, row
