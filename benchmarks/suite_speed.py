"""How long the whole catalogue takes: against the reference server and websockets'
server, in one process and in parallel.

    python benchmarks/suite_speed.py [--runs 3] [--targets reference,websockets]
                                     [--modes serial,parallel] [--workers auto]
                                     [--slow] [--bytecode-cache]

Each run is a fresh ``python -m pytest`` in an empty folder, as a user runs the
suite; ``--slow`` includes the large-message cases (``-m "not slow"`` otherwise).
Prints, per target and mode, the median wall time of the runs, the CPU time of
every process involved (pytest, its workers, the target), the cases run and the
load average around the runs: on a machine shared with other work the wall
times say little without it. ``--bytecode-cache`` caches compiled modules in a
temporary folder even where PYTHONDONTWRITEBYTECODE is set (pytest's assertion
rewriting then compiles the plugins' modules once instead of on every run).

A measurement, never an assertion. The goals: the catalogue without ``slow``
under 10 s with ``-n auto`` on 2 cores, with ``slow`` under 30 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The suite runs through the kill matrix's runner, as the project's trust tests do.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import kill_matrix as km

TARGETS = {
    "reference": ["--target=reference"],
    # As in tests/thirdparty: a finite max_size, without which websockets waits for the
    # payload of a frame declaring 2^63 bytes (docs/compatibility.md).
    "websockets": [f"--target-cmd={sys.executable} -m "
                   "wsspec.targets.thirdparty.websockets_echo {port} "
                   "--max-size 67108864"],
}


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    cases: int
    returncode: int


def run_once(target: list[str], *, workers: str, slow: bool, env: dict[str, str],
             folder: Path) -> Sample:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = km.run_suite(target, markers=None if slow else "not slow", case_timeout=None,
                       workers=0 if workers == "0" else workers, report_dir=folder, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if not run.cases:
        print(run.output[-4000:], file=sys.stderr)
    return Sample(run.wall_s, cpu, len(run.cases), run.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--targets", default="reference,websockets")
    parser.add_argument("--modes", default="serial,parallel")
    parser.add_argument("--workers", default="auto", help="-n of the parallel mode")
    parser.add_argument("--slow", action="store_true", help="include the slow cases")
    parser.add_argument("--bytecode-cache", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wsspec-speed-") as tmp:
        env = km.child_env(Path(tmp) / "pycache" if args.bytecode_cache else None)
        print(f"{os.cpu_count()} CPUs; PYTHONDONTWRITEBYTECODE="
              f"{env.get('PYTHONDONTWRITEBYTECODE', '')!r}; "
              f"{'with' if args.slow else 'without'} slow cases; median of {args.runs} runs")
        print(f"{'target':<11} {'mode':<9} {'wall s':>7} {'cpu s':>7} {'cases':>6} "
              f"{'exit':>4}  load (1 min) before → after, every run's wall")
        for name in args.targets.split(","):
            for mode in args.modes.split(","):
                workers = "0" if mode == "serial" else args.workers
                samples: list[Sample] = []
                loads: list[str] = []
                for index in range(args.runs):
                    folder = Path(tmp) / f"{name}-{mode}-{index}"
                    folder.mkdir()
                    load_before = os.getloadavg()[0]
                    samples.append(run_once(TARGETS[name], workers=workers, slow=args.slow,
                                            env=env, folder=folder))
                    loads.append(f"{load_before:.1f}→{os.getloadavg()[0]:.1f}")
                walls = [s.wall_s for s in samples]
                print(f"{name:<11} {mode:<9} {statistics.median(walls):7.1f} "
                      f"{statistics.median(s.cpu_s for s in samples):7.1f} "
                      f"{samples[-1].cases:6d} {samples[-1].returncode:4d}  "
                      f"{', '.join(loads)}; {', '.join(f'{w:.1f}' for w in walls)}",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
