"""Helpers of the load tests: servers in their own process, a load run read back."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from wsspec.launcher import python_command

#: skip a module when the load extra is missing
needs_load_extra = pytest.mark.skipif(
    importlib.util.find_spec("hdrh") is None,
    reason="wsspec load needs the load extra (pip install -e '.[load]')")

#: the long runs (soaks of thousands of connections) are opt-in: WSSPEC_LOAD_LONG=1
LONG = os.environ.get("WSSPEC_LOAD_LONG") == "1"
_SKIP_UNLESS_LONG = pytest.mark.skipif(not LONG, reason="a long load run: set WSSPEC_LOAD_LONG=1")


def needs_long(test: Callable[..., None]) -> Callable[..., None]:
    """Mark ``test`` as a long run (marker ``load_long``), skipped unless opted in."""
    return pytest.mark.load_long(_SKIP_UNLESS_LONG(test))


def faulty_cmd(fault: str, *extra: str) -> str:
    return python_command("wsspec.targets.loadfaulty", "--fault", fault, "--port", "{port}",
                          *extra)


def reference_cmd(*extra: str) -> str:
    return python_command("wsspec.targets.reference", "--port", "{port}", *extra)


def run_load(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """``wsspec load ARGS -q --report-dir TMP``: the exit status and the load section."""
    from wsspec.load.cli import main as load_main

    out = tmp_path / "reports"
    status = load_main([*args, "-q", "--report-dir", str(out)])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return status, report


def stage_of_first(section: dict[str, Any], kind: str, table: str = "violations") -> int | None:
    """The index of the first stage that counted ``kind``."""
    for stage in section["stages"]:
        if stage[table].get(kind):
            return int(stage["index"])
    return None
