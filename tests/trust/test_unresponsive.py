"""A run against a target that stops answering ends fast, with one diagnosis line.

The ``wsspec`` command runs the whole catalogue (``-n 2``, the default
``--case-timeout`` of 5 s, the default profile) against hostile servers started
as their own processes: one that never answers (``silent``), one that answers a
byte a second (``trickle``), one that answers every upgrade with a 200 and an
endless body (``http-200``), and a ping flood. Each run ends within
:data:`BOUND` seconds (waiting out every deadline would take an hour) with a
verdict for every case. The first three end early: the terminal summary and
report.json name the reason in one line, and every case left is ``error``. The
flood is graded case by case (a flood fails the case that meets it) and not cut
short. A ``--target-cmd`` process that exits in the middle of the run ends it
with its exit status and last output. Each run's wall time is printed (``-s``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import load_script, validate_report
from wsspec.earlystop import NOT_RUN

#: the most a run may take: starting pytest and two workers, collecting the
#: catalogue, three cases in a row waiting out 5 s on each worker, grading the rest.
BOUND = 60.0
#: every case of the catalogue gets a verdict.
CATALOGUE_AT_LEAST = 1100

km = load_script("kill_matrix")


@dataclass
class WsspecRun:
    wall_s: float
    returncode: int
    output: str
    report: dict[str, Any]

    @property
    def verdicts(self) -> Counter[str]:
        return Counter(str(case["verdict"]) for case in self.report["cases"])


@pytest.fixture(scope="module")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[str]:
    """Start the hostile server named by the test's parameter; its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wsspec.targets.hostile", request.param, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once it listens
        found = re.search(r"listening on ([\d.]+):(\d+)", line)
        assert found, line
        yield f"ws://{found.group(1)}:{found.group(2)}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_wsspec(args: list[str], tmp_path: Path, cache: Path, *, workers: int = 2,
               pytest_plugin: bool = False) -> WsspecRun:
    """``wsspec ARGS -n WORKERS`` (``python -m pytest ARGS`` with ``pytest_plugin``)."""
    runner = ["-m", "pytest", "-p", "no:cacheprovider"] if pytest_plugin else ["-m", "wsspec"]
    command = [sys.executable, *runner, *args, "-n", str(workers),
               "--report-dir", str(tmp_path / "reports")]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                              timeout=BOUND, env=km.child_env(cache))
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(args)}: the run did not end within {BOUND:g} s")
    wall = time.monotonic() - started
    output = done.stdout + done.stderr
    report_file = tmp_path / "reports" / "report.json"
    assert report_file.exists(), output[-3000:]
    report = json.loads(report_file.read_text())
    validate_report(report)
    run = WsspecRun(wall, done.returncode, output, report)
    print(f"{' '.join(command[1:])}: {wall:.1f} s wall, {dict(run.verdicts)}, "
          f"diagnosis: {report.get('diagnosis')}")
    assert "Traceback" not in output, output[output.index("Traceback") - 300:][:3000]
    assert len(report["cases"]) >= CATALOGUE_AT_LEAST, run.verdicts
    assert run.returncode == 1, output[-2000:]
    return run


def assert_ended_early(run: WsspecRun, line: str, *, or_first: str = "") -> None:
    """The run ended on ``line`` (a regular expression), said once in the terminal
    summary and in report.json; every case after it is ``error`` naming it (or the
    line ``or_first``, which a worker may have posted before the final one)."""
    diagnosis = str(run.report.get("diagnosis", ""))
    assert re.fullmatch(line, diagnosis), diagnosis
    summary = [text for text in run.output.splitlines()
               if text.startswith("the run ended early: ")]
    assert summary == [f"the run ended early: {diagnosis}"], run.output[-3000:]
    not_run = [case for case in run.report["cases"]
               if str(case["observed"]).startswith(NOT_RUN)]
    assert len(not_run) > CATALOGUE_AT_LEAST * 0.8, run.verdicts
    assert {case["verdict"] for case in not_run} == {"error"}
    named = [case for case in not_run if not str(case["observed"]).endswith(diagnosis)
             and not (or_first and re.search(or_first, str(case["observed"])))]
    assert not named, named[:3]
    assert run.verdicts["pass"] == 0


@pytest.mark.parametrize("workers", [2, 0])
@pytest.mark.parametrize("hostile", ["silent"], indirect=True)
def test_a_silent_target_ends_the_run(hostile: str, workers: int, tmp_path: Path,
                                      bytecode_cache: Path) -> None:
    run = run_wsspec([hostile], tmp_path, bytecode_cache, workers=workers)
    assert_ended_early(run, r"target stopped answering opening handshakes: 3 consecutive "
                            r"cases without a status line; no byte from it yet")


@pytest.mark.parametrize("hostile", ["trickle"], indirect=True)
def test_a_trickling_target_ends_the_run(hostile: str, tmp_path: Path,
                                         bytecode_cache: Path) -> None:
    run = run_wsspec([hostile], tmp_path, bytecode_cache)
    assert_ended_early(run, r"the target answers opening handshakes too slowly: 3 consecutive "
                            r"cases without a complete status line \(the last got \d+ bytes in "
                            r"[\d.]+ s\); last byte [\d.]+ s ago")


@pytest.mark.parametrize("hostile", ["http-200"], indirect=True)
def test_a_200_to_every_upgrade_ends_the_run(hostile: str, tmp_path: Path,
                                             bytecode_cache: Path) -> None:
    run = run_wsspec([hostile], tmp_path, bytecode_cache)
    assert_ended_early(run, r"the target answered 200 OK to every upgrade request \(3 "
                            r"consecutive cases, valid requests each\): is a proxy dropping "
                            r"the Upgrade header, or is this a plain HTTP server\?")


@pytest.mark.parametrize("hostile", ["http-200"], indirect=True)
def test_the_pytest_plugin_ends_the_run_the_same_way(hostile: str, tmp_path: Path,
                                                     bytecode_cache: Path) -> None:
    run = run_wsspec([f"--target={hostile}"], tmp_path, bytecode_cache, pytest_plugin=True)
    assert_ended_early(run, r"the target answered 200 OK to every upgrade request .*")


@pytest.mark.parametrize("hostile", ["ping-flood"], indirect=True)
def test_a_ping_flood_is_graded_case_by_case(hostile: str, tmp_path: Path,
                                             bytecode_cache: Path) -> None:
    run = run_wsspec([hostile], tmp_path, bytecode_cache)
    assert "diagnosis" not in run.report
    assert "the run ended early" not in run.output
    graded = [case for case in run.report["cases"] if case["verdict"] != "unsupported"]
    floods = [case for case in graded if "a ping flood" in str(case["observed"])]
    # the cases that only read the 101 may pass; every other meets the flood
    assert len(floods) > len(graded) * 0.8, run.verdicts
    assert not [case for case in graded if case["verdict"] == "error"], run.verdicts


#: a target that serves for a few seconds, says why it stops, and exits with status 3.
EXITING = ("sh -c '{python} -m wsspec.targets.hostile silent --port {{port}} & server=$!; "
           "sleep 3; kill -9 $server; wait $server; echo licence expired; exit 3'")


@pytest.mark.parametrize("workers", [2, 0])
def test_a_target_command_that_exits_ends_the_run(workers: int, tmp_path: Path,
                                                  bytecode_cache: Path) -> None:
    command = EXITING.format(python=sys.executable)
    run = run_wsspec([f"--target-cmd={command}"], tmp_path, bytecode_cache, workers=workers)
    # Under xdist a worker may find the port closed three times before the controller
    # has seen the process exit; the controller's line then replaces the worker's.
    assert_ended_early(run, r"the target command exited with status 3; its last output: "
                            r".*licence expired",
                       or_first=r"the target cannot be reached: 3 consecutive cases could "
                                r"not connect" if workers else "")
