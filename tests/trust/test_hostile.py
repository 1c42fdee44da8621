"""The suite survives hostile targets: a verdict for every case, in bounded time
and memory, and never a traceback.

Each server of :mod:`wsspec.targets.hostile` is run with ``python -m wsspec.targets.hostile
NAME`` and the suite runs against it (``-n 2``, ``--case-timeout=0.5``) in a
child process, through a wrapper that reads the peak resident memory of the
run. The default tier runs a representative subset: the first case of every
``section.topic`` of the catalogue; the full catalogue (without ``slow``) is
the opt-in slow tier (``-m slow`` or ``WSSPEC_SLOW=1``).

For each server: the run ends within ``startup + cases x per-case deadline /
workers``; peak memory stays under 300 MB; no output line is a traceback;
every case has a verdict; every ``fail`` or ``error`` says what was observed;
and no case passes where the server is broken for it (the table below says,
per server, which cases may pass and which may be non-strict, and why).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import load_script, slow_enabled
from wsspec.targets.hostile import HOSTILE

CASE_TIMEOUT = 0.5
WORKERS = 2
#: the most one case may take against a hostile server: a few waits of
#: --case-timeout (a fuzz case fails once, then shrinks twice), plus connecting.
PER_CASE = 4 * CASE_TIMEOUT + 0.25
#: starting pytest, its workers and the server, collecting the catalogue, writing reports.
STARTUP = 45.0
MAX_RSS_MB = 300.0

#: what the hostile runs may assume: permessage-deflate and a message limit, so the
#: deflate and limits cases run too; no timers (their cases would wait on them).
PROFILE = """\
echo = true
[deflate]
enabled = true
[limits]
max_message_size = 1048576
"""


km = load_script("kill_matrix")


@dataclass(frozen=True)
class Expectation:
    """Which verdicts a hostile server may get besides ``fail``, ``error`` and
    ``unsupported``, as case-id prefixes (a prefix ``handshake.`` covers a section)."""

    may_pass: tuple[str, ...] = ()
    may_be_non_strict: tuple[str, ...] = ()
    may_be_informational: tuple[str, ...] = ()
    scheme: str = "ws"


#: A server without a valid opening handshake can pass nothing. One that sends a
#: valid 101 and then misbehaves may pass the cases that only read the 101 (the
#: handshake and subprotocol sections check the response and nothing after it);
#: one that closes TCP right after the 101 fails every case that sends a frame: the
#: connection shows no processing (no pong to the ping sent before the case's first
#: frame), so its end is not the failure a case expects.
_AFTER_101 = ("handshake.", "subprotocol.")
_RECORDED = ("handshake.headers.oversized.",)  # how much header a server takes: no right answer
EXPECTATIONS: dict[str, Expectation] = {
    "silent": Expectation(),
    "trickle": Expectation(),
    "http-200": Expectation(),
    "garbage": Expectation(),
    "reset-handshake": Expectation(),
    "tls-to-plain": Expectation(),
    "plain-to-tls": Expectation(scheme="wss"),
    "endless-frame": Expectation(may_pass=_AFTER_101, may_be_informational=_RECORDED),
    "huge-length": Expectation(may_pass=_AFTER_101, may_be_informational=_RECORDED),
    "ping-flood": Expectation(may_pass=_AFTER_101, may_be_informational=_RECORDED),
    "close-after-101": Expectation(may_pass=_AFTER_101, may_be_informational=_RECORDED),
}


def test_every_hostile_server_has_an_expectation() -> None:
    assert set(EXPECTATIONS) == set(HOSTILE)


@pytest.fixture(scope="session")
def profile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.toml"
    path.write_text(PROFILE)
    return path


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture(scope="session")
def representative(profile_file: Path, bytecode_cache: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The first case of every ``section.topic`` (without ``slow``), by id."""
    cwd = tmp_path_factory.mktemp("listing")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--target=reference",
         "--wsspec-list", "-m", "not slow", "-q"],
        capture_output=True, text=True, cwd=cwd, timeout=120,
        env=km.child_env(bytecode_cache))
    ids = [line.split()[0] for line in done.stdout.splitlines()
           if re.match(r"[a-z]+\.[^\s]+ ", line)]
    topics: dict[str, str] = {}
    for case in ids:
        topics.setdefault(".".join(case.split(".")[:2]), case)
    assert len(topics) > 40, done.stdout[-2000:] + done.stderr[-2000:]
    return sorted(topics.values())


def _run(name: str, ids: list[str] | None, profile: Path, cache: Path,
         tmp: Path) -> tuple[km.SuiteRun, float]:
    expectation = EXPECTATIONS[name]
    count = len(ids) if ids is not None else 1100
    bound = STARTUP + count * PER_CASE / WORKERS
    command = km.python_cmd('-m', 'wsspec.targets.hostile', name, '--port', '{port}')
    target = [f"--target-cmd={command}",
              f"--target={expectation.scheme}://127.0.0.1:{{port}}/",
              f"--target-profile={profile}"]
    if expectation.scheme == "wss":
        target.append("--insecure")
    keywords = " or ".join(ids) if ids is not None else None
    try:
        run = km.run_suite(target, markers="not slow", keywords=keywords,
                           case_timeout=CASE_TIMEOUT, workers=WORKERS, report_dir=tmp,
                           timeout=bound, env=km.child_env(cache))
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run against {name} did not finish within {bound:.0f} s "
                    f"({count} cases x {PER_CASE:g} s / {WORKERS} workers + {STARTUP:g} s)")
    return run, bound


def _check(name: str, run: km.SuiteRun, bound: float, selected: int | None) -> None:
    expectation = EXPECTATIONS[name]
    summary = Counter(run.verdicts.values())
    where = f"{name}: {dict(summary)}, {run.wall_s:.1f} s (bound {bound:.0f} s), " \
            f"peak RSS {run.peak_rss_mb:.0f} MB"
    print(where)  # the figures, for -s / -rP
    assert run.cases, f"{where}: no report\n{run.output[-3000:]}"
    assert "Traceback" not in run.output, f"{where}: a traceback reached the user\n" \
        + run.output[run.output.index("Traceback") - 500:][:3000]
    assert run.peak_rss_mb < MAX_RSS_MB, where
    assert run.returncode == 1, f"{where}: exit status {run.returncode}\n{run.output[-2000:]}"
    if selected is not None:
        assert len(run.cases) >= selected, f"{where}: {len(run.cases)} of {selected} cases ran"
    wrong = []
    for case in run.cases:
        case_id, verdict = str(case["id"]), str(case["verdict"])
        allowed = {"fail", "error", "unsupported"}
        if case_id.startswith(expectation.may_pass):
            allowed.add("pass")
        if case_id.startswith(expectation.may_be_non_strict):
            allowed.add("non-strict")
        if case_id.startswith(expectation.may_be_informational):
            allowed.add("informational")
        if verdict not in allowed:
            wrong.append(f"{case_id}: {verdict} ({case.get('observed')})")
        elif verdict in ("fail", "error") and not str(case.get("observed") or "").strip():
            wrong.append(f"{case_id}: {verdict} without saying what was observed")
    assert not wrong, f"{where}:\n" + "\n".join(wrong[:20])


@pytest.mark.parametrize("name", list(HOSTILE))
def test_suite_survives(name: str, representative: list[str], profile_file: Path,
                        bytecode_cache: Path, tmp_path: Path) -> None:
    run, bound = _run(name, representative, profile_file, bytecode_cache, tmp_path)
    _check(name, run, bound, len(representative))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_whole_suite_survives(name: str, profile_file: Path, bytecode_cache: Path,
                              tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if not slow_enabled(request.config):
        pytest.skip("slow: run with -m slow or WSSPEC_SLOW=1")
    run, bound = _run(name, None, profile_file, bytecode_cache, tmp_path)
    _check(name, run, bound, None)


#: what the sections graded against ``http-200`` may take with the default
#: --case-timeout (5 s): a 200 settles every handshake at the end of its head, so
#: no case waits for the body that never ends (waiting would take cases x 5 s / 2).
HTTP_200_SECTIONS = "handshake or framing"
HTTP_200_BOUND = 60.0


def test_a_200_answer_is_graded_at_the_end_of_its_head(profile_file: Path,
                                                        bytecode_cache: Path,
                                                        tmp_path: Path) -> None:
    command = km.python_cmd('-m', 'wsspec.targets.hostile', 'http-200', '--port', '{port}')
    try:
        run = km.run_suite([f"--target-cmd={command}", "--target=ws://127.0.0.1:{port}/",
                            f"--target-profile={profile_file}"],
                           markers=f"({HTTP_200_SECTIONS}) and not slow", case_timeout=None,
                           workers=WORKERS, report_dir=tmp_path, timeout=HTTP_200_BOUND,
                           env=km.child_env(bytecode_cache))
    except subprocess.TimeoutExpired:
        pytest.fail(f"the {HTTP_200_SECTIONS} sections against http-200 did not finish "
                    f"within {HTTP_200_BOUND:g} s: a case waited for the body of a 200")
    _check("http-200", run, HTTP_200_BOUND, None)
    graded = {case: seen for case, seen in run.observed.items()
              if run.verdicts[case] in ("fail", "error")}
    assert len(graded) > 100, f"{run.verdicts}\n{run.output[-2000:]}"
    assert {str(c["section"]) for c in run.cases} == {"handshake", "framing"}
    unnamed = {case: seen for case, seen in graded.items() if "200" not in seen}
    assert not unnamed, unnamed
