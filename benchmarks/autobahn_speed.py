"""wsspec beside Autobahn|Testsuite: the time each takes on the same server and sections.

    python benchmarks/autobahn_speed.py [--runs 5] [--workers 0,2] [--wstest PATH]
                                        [--no-bytecode-cache]

The server is websockets' echo server (``wsspec.targets.thirdparty.websockets_echo``,
``max_size`` 64 MiB as in tests/thirdparty), started afresh for every run and up before
the clock starts. Autobahn's fuzzing client (``wstest -m fuzzingclient``) runs its
sections 1-7 and 10; wsspec runs the sections that carry them over (framing, ping, rsv,
opcodes, fragmentation, utf8, close, limits, misc; without ``slow``, as Autobahn's 9.x
is left out), through the kill matrix's runner: a fresh ``python -m pytest``, serially
and with each ``-n`` of ``--workers``. The runs alternate (run 1: Autobahn then each
wsspec mode; run 2 starts with the next one; ...) so that load from other work on the
machine falls on all of them alike.

Prints per tool the median wall time, the median CPU time of the tool's processes and,
apart, of the server (Linux), the cases and milliseconds per case, and wsspec's median
over Autobahn's.
``wstest`` comes from ``--wstest`` or from ``scripts/install_autobahn.sh`` (Python 2.7,
its own virtualenv); when neither gives one, one line says why and only wsspec is timed.
With the default bytecode cache, compiled modules are kept in a temporary folder across
the runs (even where PYTHONDONTWRITEBYTECODE is set), as on a user's second run.

A measurement, never an assertion. The goal: wsspec at most 0.25x Autobahn's time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wsspec.launcher import LaunchedTarget, LaunchError, launch

# The suite runs through the kill matrix's runner, as the project's trust tests do.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import kill_matrix as km

INSTALLER = km.REPO / "scripts" / "install_autobahn.sh"
SERVER_CMD = (f"{sys.executable} -m wsspec.targets.thirdparty.websockets_echo {{port}} "
              "--max-size 67108864")
AUTOBAHN_CASES = ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "10.*"]
SECTIONS = ("framing", "ping", "rsv", "opcodes", "fragmentation", "utf8", "close", "limits",
            "misc")
MARKERS = f"({' or '.join(SECTIONS)}) and not slow"
#: bound on one run of either tool; both take seconds.
RUN_TIMEOUT = 600.0


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    server_cpu_s: float
    cases: int
    outcome: str


@contextlib.contextmanager
def echo_server() -> Iterator[LaunchedTarget]:
    target = launch(SERVER_CMD)
    try:
        yield target
    finally:
        target.stop()


def process_cpu(pid: int) -> float:
    """CPU seconds a running process has used so far (Linux's /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    # utime and stime, the 14th and 15th fields, counting from the pid.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_autobahn(wstest: str, folder: Path) -> Sample:
    with echo_server() as server:
        outdir = folder / "autobahn"
        spec = folder / "fuzzingclient.json"
        spec.write_text(json.dumps({
            "outdir": str(outdir),
            "servers": [{"agent": "websockets", "url": server.url}],
            "cases": AUTOBAHN_CASES, "exclude-cases": [], "exclude-agent-cases": {},
        }))
        cpu = children_cpu()
        started = time.monotonic()
        done = subprocess.run([wstest, "-m", "fuzzingclient", "-s", str(spec)], cwd=folder,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT, check=False)
        wall = time.monotonic() - started
        cpu = children_cpu() - cpu
        server_cpu = process_cpu(server.process.pid)
    try:
        index = json.loads((outdir / "index.json").read_text())
    except (OSError, ValueError):
        print(done.stdout.decode(errors="replace")[-2000:], file=sys.stderr)
        return Sample(wall, cpu, server_cpu, 0, f"exit {done.returncode}, no index.json")
    behaviours = Counter(case["behavior"] for agent in index.values()
                         for case in agent.values())
    return Sample(wall, cpu, server_cpu, sum(behaviours.values()), summary(behaviours))


def run_wsspec(workers: int, folder: Path, env: dict[str, str]) -> Sample:
    with echo_server() as server:
        cpu = children_cpu()
        run = km.run_suite([f"--target={server.url}"], markers=MARKERS, case_timeout=None,
                           workers=workers, report_dir=folder, env=env, timeout=RUN_TIMEOUT)
        cpu = children_cpu() - cpu
        server_cpu = process_cpu(server.process.pid)
    if not run.cases:
        print(run.output[-2000:], file=sys.stderr)
    verdicts = Counter(str(case["verdict"]) for case in run.cases)
    return Sample(run.wall_s, cpu, server_cpu, len(run.cases), summary(verdicts))


def summary(counts: Counter[str]) -> str:
    return ", ".join(f"{count} {name.lower()}" for name, count in counts.most_common())


def find_wstest(given: str | None) -> tuple[str | None, str]:
    """wstest's path, or None and the one-line reason there is none."""
    if given:
        return (given, "") if os.access(given, os.X_OK) else (None, f"{given} is not executable")
    try:
        done = subprocess.run(["bash", str(INSTALLER)], capture_output=True, text=True,
                              timeout=RUN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None, f"{INSTALLER.name} did not finish within {RUN_TIMEOUT:g} s"
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        return None, reason[-1]
    return done.stdout.strip().splitlines()[-1], ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", default="0,2",
                        help="wsspec's -n values, comma-separated (0: serial)")
    parser.add_argument("--wstest", help="Autobahn's wstest (default: install_autobahn.sh)")
    parser.add_argument("--no-bytecode-cache", action="store_true")
    args = parser.parse_args()
    try:
        workers = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error(f"--workers takes comma-separated integers, not {args.workers!r}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    wstest, reason = find_wstest(args.wstest)
    if wstest is None:
        print(f"Autobahn|Testsuite is not available ({reason}): timing wsspec alone")

    with tempfile.TemporaryDirectory(prefix="wsspec-autobahn-speed-") as tmp:
        root = Path(tmp)
        env = km.child_env(None if args.no_bytecode_cache else root / "pycache")
        tools: dict[str, Callable[[Path], Sample]] = {}
        if wstest is not None:
            tools["autobahn"] = lambda folder: run_autobahn(wstest, folder)
        for n in workers:
            tools[f"wsspec -n {n}" if n else "wsspec serial"] = (
                lambda folder, n=n: run_wsspec(n, folder, env))
        names = list(tools)
        samples: dict[str, list[Sample]] = {name: [] for name in names}
        print(f"{os.cpu_count()} CPUs; websockets' echo server; Autobahn cases "
              f"{' '.join(AUTOBAHN_CASES)}; wsspec -m {MARKERS!r}; {args.runs} alternating runs;"
              f" bytecode {'not ' if args.no_bytecode_cache else ''}cached; load (1 min) "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        for index in range(args.runs):
            order = names[index % len(names):] + names[:index % len(names)]
            for name in order:
                folder = root / f"{name.replace(' ', '')}-{index}"
                folder.mkdir()
                try:
                    sample = tools[name](folder)
                except (LaunchError, subprocess.TimeoutExpired) as exc:
                    print(f"run {index + 1} {name}: {exc}", file=sys.stderr)
                    continue
                samples[name].append(sample)
                print(f"  run {index + 1} {name:<15} {sample.wall_s:6.2f} s  "
                      f"({sample.cases} cases: {sample.outcome})", flush=True)

    print(f"load (1 min) at the end {os.getloadavg()[0]:.1f}")
    print(f"\n{'tool':<15} {'wall s':>7} {'cpu s':>6} {'server':>6} {'cases':>6} "
          f"{'ms/case':>8} {'vs autobahn':>11}  every run's wall")
    medians = {name: statistics.median(s.wall_s for s in runs)
               for name, runs in samples.items() if runs}
    for name, runs in samples.items():
        if not runs:
            print(f"{name:<15} no successful run")
            continue
        wall = medians[name]
        cases = runs[-1].cases
        ratio = f"{wall / medians['autobahn']:.2f}x" if "autobahn" in medians else "-"
        print(f"{name:<15} {wall:7.2f} {statistics.median(s.cpu_s for s in runs):6.2f} "
              f"{statistics.median(s.server_cpu_s for s in runs):6.2f} {cases:6d} "
              f"{1000 * wall / max(cases, 1):8.1f} {ratio:>11}  "
              f"{', '.join(f'{s.wall_s:.2f}' for s in runs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
