"""Real third-party clients under ``--client-cmd`` (opt-in: ``WSSPEC_THIRDPARTY=1``).

Each library's echo client (``wsspec.targets.clients.thirdparty``) runs the client catalogue
without the slow cases. What they break is theirs (docs/clients.md lists it); here every
case must be graded and nothing may be an ``error`` of the harness.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from wsspec.targets.clients.thirdparty import CLIENTS

from .helpers import run_clients

pytestmark = [
    pytest.mark.thirdparty,
    pytest.mark.skipif(os.environ.get("WSSPEC_THIRDPARTY", "").strip() in ("", "0"),
                       reason="third-party clients are opt-in: set WSSPEC_THIRDPARTY=1"),
]


@pytest.mark.parametrize("library", sorted(CLIENTS))
def test_thirdparty_client_is_graded(library: str, tmp_path: Path) -> None:
    pytest.importorskip(library)
    command = f"{sys.executable} -m wsspec.targets.clients.thirdparty {library} {{url}}"
    run = run_clients(command, tmp_path, "-n", "2", "-q", "-m", "not slow",
                      "--case-timeout=2", profile=None, timeout=900)
    verdicts = run.verdicts()
    assert len(verdicts) >= 270, run.output[-3000:]
    assert "error" not in verdicts.values(), run.output[-3000:]
    assert verdicts["client.framing.echo.text-65536"] == "pass"
