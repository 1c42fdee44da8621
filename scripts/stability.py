"""Verdicts that repeat: the whole catalogue, several times, against each third-party server.

    python scripts/stability.py [--runs 5] [--servers websockets,aiohttp,...] [--workers 2]
                                [--run-timeout 900] [--keep DIR] [--json FILE]

Each server of ``tests/thirdparty`` (started as the compatibility tests start it,
with the profile its expected-results file declares) gets ``--runs`` runs of the
whole catalogue, one after the other, each a fresh ``pytest -n WORKERS``; the
servers run one after another. A case whose verdict is not the same in every
run *flips*, in one of three ways:

* ``fail/not-fail``: failing in some runs (``fail``, ``error``, or absent from
  the report) and not failing in others (``pass``, ``non-strict``,
  ``informational``): a verdict a user cannot rely on;
* ``pass/non-strict``: among the verdicts that do not fail (``pass``,
  ``non-strict``, ``informational``): the run passes either way, and only
  ``--strict`` (or a baseline) can tell;
* ``fail/error``: between the failing verdicts.

Prints, per server, each run's wall time and verdict counts, then every flip
with its verdicts run by run, whether ``tests/thirdparty/expected/<server>.json``
allows each verdict seen, and (for a flip) the observations that differ. Flips
in the sections whose verdicts the compatibility tests do not compare (the fuzz
section: :data:`wsspec.compatdocs.UNREPEATABLE`) are listed apart. The exit
status is 1 when a fail/not-fail flip outside them was seen, 0 otherwise.
``--keep DIR`` keeps every run's report as ``DIR/<server>/run-<n>.json`` (wire
logs included); ``--json FILE`` writes the findings as JSON.

A measurement of the suite against live servers: it takes minutes per server
(every run is CPU-bound on two cores) and is never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The suite runs through the kill matrix's runner, as the benchmarks and trust tests do;
# the servers start as tests/thirdparty starts them.
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "tests"))
import kill_matrix as km  # noqa: E402
from thirdparty.servers import SERVERS, BuildFailed, Unavailable, load_expected  # noqa: E402
from wsspec.compatdocs import UNREPEATABLE, allowed  # noqa: E402
from wsspec.verdicts import Verdict  # noqa: E402

#: the most runs per server one invocation makes.
MAX_RUNS = 50
#: a case missing from a run's report (the run ended before it).
ABSENT = "absent"
FAILING = frozenset({Verdict.FAIL.value, Verdict.ERROR.value, ABSENT})
NOT_FAILING = frozenset({Verdict.PASS.value, Verdict.NON_STRICT.value,
                         Verdict.INFORMATIONAL.value})
FAIL_FLIP = "fail/not-fail"
SOFT_FLIP = "pass/non-strict"
FAILING_FLIP = "fail/error"
#: the kinds of flip, worst first.
KINDS = (FAIL_FLIP, SOFT_FLIP, FAILING_FLIP)


def classify(verdicts: Iterable[str]) -> str | None:
    """The kind of flip a case's verdicts over the runs make; None when they agree."""
    seen = set(verdicts)
    if len(seen) < 2:
        return None
    if seen <= NOT_FAILING:
        return SOFT_FLIP
    if seen <= FAILING:
        return FAILING_FLIP
    return FAIL_FLIP  # failing and not failing, or unsupported beside anything else


@dataclass
class Flip:
    """One case whose verdict changed across the runs."""

    case: str
    kind: str
    verdicts: list[str]
    #: whether the server's expected-results file allows every verdict seen.
    recorded: bool
    #: each distinct observation, with the runs (1-based) that made it.
    observations: dict[str, list[int]] = field(default_factory=dict)

    @property
    def compared(self) -> bool:
        """Whether the compatibility tests compare this case's verdict."""
        return not self.case.startswith(UNREPEATABLE)


@dataclass
class ServerResult:
    """Every run against one server, and what flipped."""

    server: str
    command: str
    versions: dict[str, str]
    wall_s: list[float] = field(default_factory=list)
    counts: list[dict[str, int]] = field(default_factory=list)
    flips: list[Flip] = field(default_factory=list)
    problem: str = ""

    def tally(self, *, compared: bool = True) -> Counter[str]:
        return Counter(f.kind for f in self.flips if f.compared == compared)


def find_flips(runs: Sequence[Mapping[str, str]], observed: Sequence[Mapping[str, str]],
               expected: Mapping[str, str | list[str]]) -> list[Flip]:
    """The cases whose verdict is not the same in every run of ``runs`` (case → verdict),
    worst kind first; ``observed`` holds each run's observation per case."""
    cases = sorted(set().union(*runs)) if runs else []
    flips = []
    for case in cases:
        verdicts = [run.get(case, ABSENT) for run in runs]
        kind = classify(verdicts)
        if kind is None:
            continue
        wanted = allowed(expected.get(case, Verdict.PASS.value))
        recorded = all(v in wanted or v == Verdict.UNSUPPORTED.value for v in verdicts)
        observations: dict[str, list[int]] = {}
        for number, seen in enumerate(observed, 1):
            observations.setdefault(seen.get(case, ""), []).append(number)
        flips.append(Flip(case, kind, verdicts, recorded, observations))
    flips.sort(key=lambda f: (KINDS.index(f.kind), f.case))
    return flips


def measure(name: str, runs: int, workers: int, run_timeout: float, scratch: Path,
            keep: Path | None) -> ServerResult:
    """``runs`` runs of the catalogue against server ``name``."""
    expected = load_expected(name)
    build = scratch / "build"
    build.mkdir()
    try:
        target = SERVERS[name](build)
    except (Unavailable, BuildFailed) as exc:
        return ServerResult(name, "", {}, problem=str(exc))
    options = [f"--target-cmd={target.command}"]
    if expected.get("profile"):
        profile = scratch / "profile.toml"
        profile.write_text(expected["profile"])
        options.append(f"--target-profile={profile}")
    result = ServerResult(name, target.command, dict(target.versions))
    verdicts: list[dict[str, str]] = []
    observed: list[dict[str, str]] = []
    env = km.child_env(scratch / "bytecode")
    for number in range(1, runs + 1):
        folder = scratch / f"run-{number}"
        folder.mkdir()
        run = km.run_suite(options, markers=None, case_timeout=None, workers=workers,
                           report_dir=folder, timeout=run_timeout, env=env)
        result.wall_s.append(round(run.wall_s, 1))
        result.counts.append(dict(Counter(run.verdicts.values())))
        if not run.cases:
            result.problem = (f"run {number} wrote no report (exit {run.returncode}):\n"
                              + run.output[-2000:])
        verdicts.append(run.verdicts)
        observed.append(run.observed)
        if keep is not None and (folder / "report.json").exists():
            (keep / name).mkdir(parents=True, exist_ok=True)
            shutil.copy(folder / "report.json", keep / name / f"run-{number}.json")
        print(f"  {name} run {number}/{runs}: {run.wall_s:.1f} s, "
              + ", ".join(f"{k} {v}" for k, v in sorted(result.counts[-1].items())),
              flush=True)
    result.flips = find_flips(verdicts, observed, expected["verdicts"])
    return result


def render(result: ServerResult) -> list[str]:
    """One server's findings, for the terminal."""
    if not result.wall_s:
        return [f"{result.server}: not run: {result.problem}"]
    versions = ", ".join(f"{k} {v}" for k, v in result.versions.items())
    lines = [f"{result.server} ({versions}): {len(result.wall_s)} runs, wall "
             f"{min(result.wall_s):g}-{max(result.wall_s):g} s "
             f"(median {statistics.median(result.wall_s):g} s)"]
    if result.problem:
        lines.append(f"  problem: {result.problem}")
    for compared in (True, False):
        tally = result.tally(compared=compared)
        where = "" if compared else f" in {', '.join(UNREPEATABLE)} (not compared)"
        if compared or tally:
            lines.append(f"  flips{where}: " + (", ".join(
                f"{tally[kind]} {kind}" for kind in KINDS if tally[kind]) or "none"))
    for flip in result.flips:
        mark = "" if flip.recorded else "  [not all recorded in the expected file]"
        apart = "" if flip.compared else " (not compared)"
        lines.append(f"  {flip.kind:16} {flip.case}{apart}: {' '.join(flip.verdicts)}{mark}")
        if len(flip.observations) > 1:
            for text, numbers in flip.observations.items():
                shown = text if len(text) <= 300 else text[:300] + "…"
                lines.append(f"      runs {','.join(map(str, numbers))}: {shown}")
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run the whole catalogue several times against each third-party server "
                    "and list every case whose verdict changes across the runs.")
    parser.add_argument("--runs", type=int, default=5,
                        help=f"runs per server (default 5, at most {MAX_RUNS})")
    parser.add_argument("--servers", default=",".join(SERVERS),
                        help="comma-separated servers (default: all of "
                             f"{', '.join(SERVERS)})")
    parser.add_argument("--workers", type=int, default=2,
                        help="pytest-xdist workers per run (default 2; 0: one process)")
    parser.add_argument("--run-timeout", type=float, default=900.0, metavar="S",
                        help="seconds one run may take before the script stops (default 900)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep each run's report.json as DIR/<server>/run-<n>.json")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write the findings as JSON to FILE")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= MAX_RUNS:
        parser.error(f"--runs: expected 1 to {MAX_RUNS}, got {args.runs}")
    if args.workers < 0:
        parser.error(f"--workers: expected 0 or more, got {args.workers}")
    if args.run_timeout <= 0:
        parser.error(f"--run-timeout: expected a positive number of seconds, "
                     f"got {args.run_timeout:g}")
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in args.servers if s not in SERVERS]
    if unknown or not args.servers:
        parser.error(f"--servers: unknown {', '.join(unknown) or '(none given)'}; "
                     f"expected some of {', '.join(SERVERS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = []
    started = time.monotonic()
    for name in args.servers:
        print(f"{name}: {args.runs} runs, -n {args.workers}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"wsspec-stability-{name}-") as scratch:
            results.append(measure(name, args.runs, args.workers, args.run_timeout,
                                   Path(scratch), args.keep))
    print()
    for result in results:
        print("\n".join(render(result)))
    total = time.monotonic() - started
    print(f"\n{len(results)} servers, {args.runs} runs each, -n {args.workers}: {total:.0f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(
            {"runs": args.runs, "workers": args.workers, "wall_s": round(total, 1),
             "servers": [asdict(r) for r in results]}, indent=2) + "\n")
    unstable = any(r.tally()[FAIL_FLIP] or (r.problem and r.wall_s) for r in results)
    return 1 if unstable else 0


if __name__ == "__main__":
    sys.exit(main())
