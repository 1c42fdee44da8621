"""Running the client catalogue as a user does: ``pytest --client-cmd=...`` in a fresh process."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from conftest import Run, run_tool
from wsspec.cases import CaseInfo
from wsspec.targets.clients.reference import REFERENCE_CLIENT_PROFILE


class _Collector:
    def __init__(self) -> None:
        self.cases: dict[str, tuple[CaseInfo, str]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from wsspec.runstate import INFO_KEY

        for item in session.items:
            if INFO_KEY in item.stash:
                self.cases[item.stash[INFO_KEY].id] = (item.stash[INFO_KEY],
                                                       f"{item.path}::{item.name}")


def client_cases() -> dict[str, tuple[CaseInfo, str]]:
    """Every client case: its id -> its metadata and the node id that runs it alone."""
    collector = _Collector()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = pytest.main(["--collect-only", "-q", "-q", "--client-cmd=client {url}",
                            "-p", "no:cacheprovider", "-p", "no:warnings"],
                           plugins=[collector])
    assert code == pytest.ExitCode.OK, out.getvalue()[-2000:]
    return collector.cases


def run_clients(command: str, cwd: Path, *args: str,
                profile: Path | None = REFERENCE_CLIENT_PROFILE, timeout: float = 300.0) -> Run:
    """``pytest --client-cmd=COMMAND ARGS`` in ``cwd``, with the reference client's profile."""
    options = [f"--client-cmd={command}"]
    if profile is not None:
        options.append(f"--client-profile={profile}")
    return run_tool([*options, *args], cwd, timeout)
