"""The client kill matrix: every faulty client is caught by the cases declared to catch it.

Each fault runs the client cases its ``catches`` patterns name (up to
:data:`SAMPLE` per pattern; all of them with ``WSSPEC_CLIENT_KILL_FULL=1``), in
a fresh ``pytest --client-cmd`` process with a short case timeout, since a
fault that reads past an offence shows itself by never failing the
connection. Each of those cases must give the fault's verdict. The
reference client passes every case (``test_reference_client.py``).
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import pytest
from wsspec.cases import CaseInfo
from wsspec.targets.clients.faulty import CLIENT_FAULTS, ClientFault
from wsspec.targets.clients.reference import (
    REFERENCE_CLIENT_PROFILE,
    TIMERS_CLIENT_PROFILE,
    reference_command,
)

from .helpers import client_cases, run_clients

#: cases run per catch pattern by default: enough to show the fault is caught where declared.
SAMPLE = 3
FULL = os.environ.get("WSSPEC_CLIENT_KILL_FULL") == "1"


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[CaseInfo, str]]:
    return client_cases()


def matching(patterns: tuple[str, ...], ids: list[str], sample: int | None) -> list[str]:
    chosen: list[str] = []
    for pattern in patterns:
        found = [case_id for case_id in ids if fnmatch.fnmatchcase(case_id, pattern)]
        assert found, f"pattern {pattern!r} names no client case"
        chosen.extend(case_id for case_id in found[:sample] if case_id not in chosen)
    return chosen


def test_every_fault_names_real_cases(cases: dict[str, tuple[CaseInfo, str]]) -> None:
    for fault in CLIENT_FAULTS.values():
        matching(fault.catches + fault.also, list(cases), None)


def test_there_are_at_least_25_faults_in_every_module() -> None:
    assert len(CLIENT_FAULTS) >= 25
    assert {fault.section for fault in CLIENT_FAULTS.values()} == {
        "handshake", "framing", "deflate", "session", "timers"}


@pytest.mark.parametrize("fault", CLIENT_FAULTS.values(), ids=lambda fault: fault.name)
def test_fault_is_caught(fault: ClientFault, cases: dict[str, tuple[CaseInfo, str]],
                         tmp_path: Path) -> None:
    chosen = matching(fault.catches, list(cases), None if FULL else SAMPLE)
    profile = TIMERS_CLIENT_PROFILE if fault.timers else REFERENCE_CLIENT_PROFILE
    run = run_clients(reference_command(fault=fault.name, timers=fault.timers), tmp_path,
                      "--case-timeout=1", "-q", *(cases[case_id][1] for case_id in chosen),
                      profile=profile)
    verdicts = run.verdicts()
    missed = {case_id: verdicts.get(case_id) for case_id in chosen
              if verdicts.get(case_id) != fault.verdict}
    assert not missed, (f"{fault.name} ({fault.rule}) should be {fault.verdict} on "
                        f"{missed}\n{run.output[-3000:]}")
