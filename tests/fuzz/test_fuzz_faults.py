"""The fuzz section against faulty servers: each planted bug is found, shrunk, replayed.

Every run is a fresh ``pytest`` process with ``--target-cmd`` starting a faulty
server, as a user would run it, with the default budgets (the ``ci`` profile).
The default tier runs one fault of each kind (framing, fragmentation, UTF-8,
close, ping) against the fuzz case meant to find it, all in parallel, plus the
reference server (which must pass) and a replay; the slow tier (``-m slow`` or
``WSSPEC_SLOW=1``) runs every fault, then the whole fuzz section against each,
and the ``deep`` profile against a bug only a rare combination of frames
reveals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import Run, run_tool, server_cmd, slow_enabled

FAULTY = "wsspec.targets.faulty"
FUZZ_FAULTY = "wsspec.targets.faulty"

#: fault → (module serving it, the case that finds it, the most frames its shrunk example has).
FAULTS: dict[str, tuple[str, str, int]] = {
    "accept-unmasked": (FAULTY, "fuzz.frames.unmasked", 2),
    "accept-reserved-opcode": (FAULTY, "fuzz.frames.reserved-opcode", 2),
    "ignore-utf8": (FAULTY, "fuzz.text.utf8", 2),
    "no-pong": (FAULTY, "fuzz.messages.valid", 2),
    "pong-wrong-payload": (FAULTY, "fuzz.messages.valid", 2),
    "close-1005-on-wire": (FAULTY, "fuzz.close.payloads", 2),
    "extended-length-corrupts": (FUZZ_FAULTY, "fuzz.messages.valid", 2),
    "control-inside-fragments-fails": (FUZZ_FAULTY, "fuzz.messages.valid", 3),
    "split-code-point-fails": (FUZZ_FAULTY, "fuzz.text.utf8", 3),
    "accept-invalid-close-code": (FUZZ_FAULTY, "fuzz.close.payloads", 2),
}

#: One fault per kind of bug (framing, fragmentation, UTF-8, close, ping) runs in the
#: default tier; every fault runs in the slow tier.
DEFAULT_TIER = ("accept-unmasked", "control-inside-fragments-fails", "split-code-point-fails",
                "accept-invalid-close-code", "no-pong")

#: Faults run on the trio driver (the others on asyncio), so both drivers fail cases.
ON_TRIO = {"no-pong", "accept-invalid-close-code"}

#: Faster waits for what never comes (a missing pong): the budgets stay the defaults.
WAIT = "--case-timeout=1"


def target_cmd(module: str, fault: str) -> str:
    return server_cmd(module, "--fault", fault, "--port", "{port}")


def case_run(fault: str, folder: Path) -> Run:
    """The fuzz case meant to find ``fault``, against a server with it."""
    module, case, _frames = FAULTS[fault]
    args = [f"--target-cmd={target_cmd(module, fault)}", "-m", "fuzz", "-k", case, WAIT]
    if fault in ON_TRIO:
        args.append("--driver=trio")
    return run_tool(args, folder, 240.0)


def check_found(run: Run, fault: str) -> None:
    """The fault's case failed, shrunk to a few frames, with a replay file and command."""
    _module, case_id, most = FAULTS[fault]
    assert run.returncode == 1, run.output
    assert run.verdicts()[case_id] == "fail", run.output
    files = replay_files(run, case_id)
    assert len(files) == 1
    assert 0 <= shrunk_frames(files[0]) <= most, files[0].read_text()
    case = next(c for c in run.report()["cases"] if c["id"] == case_id)
    assert "shrunk example" in case["observed"] and "wsspec replay " in case["observed"]
    assert any(entry["dir"] == "out" for entry in case["wirelog"])


def replay_files(run: Run, case_id: str) -> list[Path]:
    return sorted((run.cwd / "reports" / "fuzz").glob(f"{case_id}-*.json"))


def shrunk_frames(path: Path) -> int:
    document = json.loads(path.read_text())
    return sum(len(step["frames"]) for step in document["example"]["steps"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every default-tier run, started together: faults, the reference, a bad option."""
    folders = {name: tmp_path_factory.mktemp(name)
               for name in (*DEFAULT_TIER, "reference", "bad-option")}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {fault: pool.submit(case_run, fault, folders[fault]) for fault in DEFAULT_TIER}
        futures["reference"] = pool.submit(run_tool, ["--target=reference", "-m", "fuzz"],
                                           folders["reference"], 240.0)
        futures["bad-option"] = pool.submit(
            run_tool, ["--target=reference", "-m", "fuzz", "--fuzz-profile=huge"],
            folders["bad-option"], 60.0)
        yield {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("fault", DEFAULT_TIER)
def test_fault_is_found_and_shrunk(runs: dict[str, Run], fault: str) -> None:
    check_found(runs[fault], fault)


def test_reference_server_passes_quickly(runs: dict[str, Run]) -> None:
    run = runs["reference"]
    assert run.returncode == 0, run.output
    report = run.report()
    verdicts = {case["id"]: case["verdict"] for case in report["cases"]}
    assert set(verdicts.values()) <= {"pass", "unsupported"}, verdicts
    assert len([v for v in verdicts.values() if v == "pass"]) >= 10
    assert report["duration_s"] < 120  # about 10 s on an idle machine


def test_bad_fuzz_option_is_one_line(runs: dict[str, Run]) -> None:
    run = runs["bad-option"]
    assert run.returncode == 4
    assert "--fuzz-profile: unknown profile 'huge'; choose one of ci, dev, deep" in run.output


def test_replay_reproduces_from_a_fresh_process(runs: dict[str, Run]) -> None:
    run = runs["split-code-point-fails"]
    path = replay_files(run, "fuzz.text.utf8")[0]
    replay = run_tool(["wsspec", "replay", str(path)], run.cwd, 60.0)
    assert replay.returncode == 1, replay.output
    assert "identical to the recorded run" in replay.output
    assert "verdict: fail (reproduced" in replay.output
    recorded = json.loads(path.read_text())
    assert f"expected: {recorded['expected']}" in replay.output
    fixed = run_tool(["wsspec", "replay", str(path),
                      f"--target-cmd={server_cmd('wsspec.targets.reference', '--port', '{port}')}"],
                     run.cwd, 60.0)
    assert fixed.returncode == 0, fixed.output
    assert "did not reproduce" in fixed.output


# -- slow tier -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("fault", [f for f in FAULTS if f not in DEFAULT_TIER])
def test_other_fault_is_found_and_shrunk(request: pytest.FixtureRequest, tmp_path: Path,
                                         fault: str) -> None:
    if not slow_enabled(request.config):
        pytest.skip("slow: run with -m slow or WSSPEC_SLOW=1")
    check_found(case_run(fault, tmp_path), fault)


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(FAULTS))
def test_whole_fuzz_section_finds_fault(request: pytest.FixtureRequest, tmp_path: Path,
                                        fault: str) -> None:
    if not slow_enabled(request.config):
        pytest.skip("slow: run with -m slow or WSSPEC_SLOW=1")
    module, case_id, most = FAULTS[fault]
    run = run_tool([f"--target-cmd={target_cmd(module, fault)}", "-m", "fuzz", WAIT],
                   tmp_path, 600.0)
    assert run.returncode == 1, run.output
    assert run.verdicts()[case_id] == "fail", run.output
    assert shrunk_frames(replay_files(run, case_id)[0]) <= most


@pytest.mark.slow
def test_deep_profile_finds_the_rare_bug(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The echo goes wrong only when a text message's third fragment follows a ping
    and the boundary before it cuts a code point."""
    if not slow_enabled(request.config):
        pytest.skip("slow: run with -m slow or WSSPEC_SLOW=1")
    fault = "third-fragment-after-ping-corrupts"
    run = run_tool([f"--target-cmd={target_cmd(FUZZ_FAULTY, fault)}", "-m", "fuzz",
                    "-k", "fuzz.messages.valid or fuzz.text.utf8", "--fuzz-profile=deep",
                    "--fuzz-budget=120", WAIT], tmp_path, 900.0)
    assert run.returncode == 1, run.output
    found = [c for c in run.report()["cases"] if c["verdict"] == "fail"]
    assert found, run.output
    for case in found:
        document: dict[str, Any] = json.loads(replay_files(run, case["id"])[0].read_text())
        frames = [f for step in document["example"]["steps"] for f in step["frames"]]
        assert len(frames) <= 5
        assert [f["opcode"] for f in frames].count(0x9) >= 1
