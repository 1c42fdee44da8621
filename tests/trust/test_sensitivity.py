"""Every deliberately faulty server is caught by the cases that check the rule it
breaks, and by no others.

What to expect comes from each fault's declaration (:class:`wsspec.targets.faulty.Fault`,
in the module of its section), and nothing else: each run starts the reference
server with one fault (``python -m wsspec.targets.faulty --fault NAME``) and the
profile it declares, and runs the sections its patterns name (narrowed by its
``scope``) in a child process (``--case-timeout=1``, no ``slow`` cases). Every
case matching its ``catches`` must give the declared verdict (``fail``, or
``non-strict`` for a fault that only breaks a SHOULD), every pattern must match
a case, and no case outside its ``catches`` and ``also`` may fail, error or be
non-strict. ``docs/kill-matrix.md`` (``scripts/kill_matrix.py``) is the complete
picture, every fault against the whole catalogue; this test is the guard that
keeps each fault's declared catches true. Faults declared ``searched`` are
found by the fuzz section's search and checked by ``tests/fuzz``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import load_script
from wsspec.targets.faulty import Fault
from wsspec.targets.profiles import PROFILES

km = load_script("kill_matrix")

CHECKED = list(km.checked_faults().values())


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.mark.parametrize("fault", CHECKED, ids=[fault.name for fault in CHECKED])
def test_fault_is_caught_by_its_cases(fault: Fault, bytecode_cache: Path,
                                      tmp_path: Path) -> None:
    target = km.reference_target(fault.name, profile=PROFILES[fault.profile])
    result = km.run_suite(target, markers=f"({' or '.join(fault.sections)}) and not slow",
                          keywords=fault.scope, case_timeout=1.0, report_dir=tmp_path,
                          timeout=600, env=km.child_env(bytecode_cache))
    verdicts, observed = result.verdicts, result.observed
    assert verdicts, result.output[-3000:]
    problems = [f"{pattern} matches no case of the run" for pattern in fault.catches
                if not any(km.matches(case, (pattern,)) for case in verdicts)]
    problems += [f"{case} is {verdict}, expected {fault.verdict} "
                 f"({observed.get(case, '')[:120]})"
                 for case, verdict in sorted(verdicts.items())
                 if km.matches(case, fault.catches) and verdict != fault.verdict]
    problems += [f"{case} is {verdict}, but the fault should not change it "
                 f"({observed.get(case, '')[:120]})"
                 for case, verdict in sorted(verdicts.items())
                 if verdict in km.CATCHING and not km.matches(case, (*fault.catches,
                                                                     *fault.also))]
    assert not problems, "\n".join(problems[:40])
