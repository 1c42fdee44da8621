"""Which case catches which fault: the suite run against every faulty server.

    python scripts/kill_matrix.py [--faults NAME,...] [--jobs 2] [--workers 0]
                                  [--markers "not slow"] [--case-timeout 1]
                                  [--output docs/kill-matrix.md] [--json FILE]

The conformance suite (by default without its ``slow`` cases) runs once against
the reference server and once against each fault of
:data:`wsspec.targets.faulty.FAULTS` (``python -m wsspec.targets.faulty --fault NAME``),
both enforcing the profile the fault's declaration names; faults declared
``searched`` (found by the fuzz section's search, within its budgets) are left
to ``tests/fuzz``. A case *catches* a fault when its verdict against the faulty
server is ``fail``, ``error`` or ``non-strict`` and differs from its verdict
against the reference server. The matrix goes to ``docs/kill-matrix.md``: per
fault, the cases that catch it and how many; a fault no case catches, and a
case the declaration says catches a fault but did not (with the verdict it
declares), are listed first, as gaps.

The module is also the project's way to run the suite in a child process and
read its verdicts (:func:`run_suite`), for the tests of ``tests/trust`` and the
speed benchmark: each run goes through a small wrapper that reports the peak
resident memory of the pytest process and everything it started.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import fnmatch
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wsspec.targets.profiles import PROFILES, REFERENCE_PROFILE

if TYPE_CHECKING:
    from wsspec.targets.faulty import Fault

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
PROFILE = REFERENCE_PROFILE
DOC = REPO / "docs" / "kill-matrix.md"
#: profile → the name of the reference run against it.
BASELINES = {path: "reference" if name == "reference" else f"reference-{name}"
             for name, path in PROFILES.items()}


def checked_faults() -> dict[str, Fault]:
    """The faults the matrix runs: every declared fault but those only a search finds."""
    from wsspec.targets.faulty import FAULTS

    return {name: fault for name, fault in FAULTS.items() if not fault.searched}


def profile_for(fault: Fault) -> Path:
    """The profile a fault's server (and the reference run it is compared with)
    enforces: the one its declaration names."""
    return PROFILES[fault.profile]


#: verdicts that count as catching a fault (when the reference server's differs).
CATCHING = ("fail", "error", "non-strict")

# Runs pytest, then prints the peak RSS of pytest and all it started (KiB on Linux).
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'\\nwsspec-peak-rss-kib {peak}', file=sys.stderr, flush=True)\n"
    "sys.exit(code)\n"
)
_RSS_MARK = "wsspec-peak-rss-kib "


@dataclass
class SuiteRun:
    """A finished run of the suite in a child process."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    output: str
    cases: list[dict[str, object]] = field(default_factory=list)

    @property
    def verdicts(self) -> dict[str, str]:
        return {str(c["id"]): str(c["verdict"]) for c in self.cases}

    @property
    def observed(self) -> dict[str, str]:
        return {str(c["id"]): str(c.get("observed") or "") for c in self.cases}


def python_cmd(*args: str) -> str:
    """A command line running this interpreter (for ``--target-cmd``)."""
    return shlex.join([sys.executable, *args])


def reference_target(*faults: str, profile: Path = PROFILE) -> list[str]:
    """pytest options running the reference server, with ``faults``, in its own
    process, enforcing ``profile`` (on its first path)."""
    extra = [arg for fault in faults for arg in ("--fault", fault)]
    module = "wsspec.targets.faulty" if faults else "wsspec.targets.reference"
    command = python_cmd("-m", module, *extra, "--port", "{port}", "--profile", str(profile))
    paths = tomllib.loads(profile.read_text()).get("paths") or ["/"]
    return [f"--target-cmd={command}", f"--target=ws://127.0.0.1:{{port}}{paths[0]}",
            f"--target-profile={profile}"]


def child_env(bytecode_cache: Path | None = None) -> dict[str, str]:
    """The environment of a child run. With ``bytecode_cache``, compiled modules
    (pytest's rewritten ones included) are cached there, outside the tree, even
    where PYTHONDONTWRITEBYTECODE is set: a series of runs then compiles once."""
    env = dict(os.environ)
    if bytecode_cache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache)
    return env


def run_suite(
    target: Sequence[str],
    *,
    markers: str | None = "not slow",
    keywords: str | None = None,
    case_timeout: float | None = 1.0,
    workers: int | str = 0,
    report_dir: Path,
    extra: Sequence[str] = (),
    timeout: float | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> SuiteRun:
    """Run the suite against ``target`` (pytest options) and read its report.

    ``workers`` is pytest-xdist's ``-n`` (0: in one process). ``timeout`` bounds
    the whole run (``subprocess.TimeoutExpired`` beyond it).
    """
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *target,
            f"--report-dir={report_dir}"]
    if markers:
        args += ["-m", markers]
    if keywords:
        args += ["-k", keywords]
    if case_timeout is not None:
        args.append(f"--case-timeout={case_timeout:g}")
    if workers:
        args += ["-n", str(workers)]
    args += list(extra)
    report = report_dir / "report.json"
    report.unlink(missing_ok=True)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or report_dir,
                          env=dict(env) if env is not None else None)
    wall = time.monotonic() - started
    output = done.stdout + done.stderr
    peak = 0.0
    head, mark, tail = output.rpartition(_RSS_MARK)
    if mark:
        peak = int(tail.split()[0]) / 1024
        output = head.rstrip("\n")
    cases = json.loads(report.read_text())["cases"] if report.exists() else []
    return SuiteRun(done.returncode, wall, peak, output, cases)


def catches(baseline: Mapping[str, str], run: Mapping[str, str]) -> dict[str, str]:
    """The cases that catch a fault: case id → verdict against the faulty server."""
    return {case: verdict for case, verdict in run.items()
            if verdict in CATCHING and verdict != baseline.get(case)}


def matches(case: str, patterns: Iterable[str]) -> bool:
    """Whether ``case`` matches one of ``patterns`` (:mod:`fnmatch`, as faults declare them)."""
    return any(fnmatch.fnmatchcase(case, pattern) for pattern in patterns)


def missed(fault: Fault, caught: Mapping[str, str], run: Iterable[str]) -> list[str]:
    """What a fault's declaration promises and the matrix did not show: each case of
    ``run`` matching its ``catches`` that is not in ``caught`` with its declared
    verdict (``case (verdict)``), and each pattern matching no case of ``run``."""
    ran = list(run)
    gaps = [f"`{case}` ({caught.get(case, 'not caught')})" for case in sorted(ran)
            if matches(case, fault.catches) and caught.get(case) != fault.verdict]
    gaps += [f"`{pattern}` (no such case)" for pattern in fault.catches
             if not any(fnmatch.fnmatchcase(case, pattern) for case in ran)]
    return gaps


# -- the document ------------------------------------------------------------------


def group_ids(ids: Iterable[str], universe: Iterable[str] = (), *,
              spell_out: int = 4) -> list[str]:
    """Case ids for reading: a whole section of ``universe`` (every case run)
    shows as ``section.*`` (n), a whole topic (``section.topic``) as
    ``section.topic.*`` (n), a group of more than ``spell_out`` ids of a topic as
    ``section.topic.*`` (n of m); the rest are spelled out."""
    chosen = sorted(set(ids))
    everything = set(universe) | set(chosen)

    def members(prefix: str) -> list[str]:
        return [c for c in everything if c.startswith(prefix + ".")]

    shown: list[str] = []
    by_section: dict[str, list[str]] = {}
    for case in chosen:
        by_section.setdefault(case.split(".")[0], []).append(case)
    for section, cases in by_section.items():
        if len(cases) == len(members(section)) and len(cases) > 1:
            shown.append(f"`{section}.*` ({len(cases)})")
            continue
        by_topic: dict[str, list[str]] = {}
        for case in cases:
            by_topic.setdefault(".".join(case.split(".")[:2]), []).append(case)
        for topic, in_topic in by_topic.items():
            total = len(members(topic))
            if len(in_topic) > 1 and len(in_topic) == total:
                shown.append(f"`{topic}.*` ({total})")
            elif len(in_topic) > spell_out:
                shown.append(f"`{topic}.*` ({len(in_topic)} of {total})")
            else:
                shown += [f"`{case}`" for case in in_topic]
    return shown


def render(matrix: Mapping[str, Mapping[str, str]], rules: Mapping[str, str], *,
           cases_run: int, markers: str | None, reference_problems: Mapping[str, str],
           universe: Iterable[str] = (), profiles: Mapping[str, Path] | None = None,
           modules: Mapping[str, str] | None = None,
           declared_missed: Mapping[str, Sequence[str]] | None = None) -> str:
    """The kill matrix as Markdown: ``rules`` (fault → rule) in order, ``modules``
    (fault → the section module declaring it), ``declared_missed`` (fault → what its
    declaration promises and the matrix did not show, see :func:`missed`)."""
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    lines = [
        "# Kill matrix: which case catches which fault",
        "",
        "Generated by `python scripts/kill_matrix.py` (do not edit by hand) on "
        f"{when}: the suite ({cases_run} cases"
        + (f", `-m \"{markers}\"`" if markers else "") + ") run against the reference "
        "server and against each deliberately faulty server of `targets/faulty` "
        "(`python -m wsspec.targets.faulty --fault NAME`, reference profile unless said).",
        "",
        "A case *catches* a fault when its verdict against the faulty server is `fail`, "
        "`error` or `non-strict` and differs from its verdict against the reference "
        "server. Each fault's declaration (in the module of its section) names the cases "
        "that must catch it; `tests/trust/test_sensitivity.py` checks them on every test "
        "run; this page is the whole picture.",
        "",
    ]
    if reference_problems:
        lines += ["Cases not passing against the reference server itself (left out of "
                  "every count): " + ", ".join(f"`{c}` ({v})" for c, v in
                                               sorted(reference_problems.items())), ""]
    uncaught = [name for name in rules if not matrix.get(name)]
    if uncaught:
        lines += ["**Faults no case catches:** " + ", ".join(f"`{m}`" for m in uncaught), ""]
    gaps = {name: cases for name, cases in (declared_missed or {}).items() if cases}
    if gaps:
        lines += ["**Declared catches not seen:** " + "; ".join(
            f"`{name}`: " + ", ".join(cases) for name, cases in gaps.items()), ""]
    lines += ["| fault | caught by | verdicts | sections |", "|---|---:|---|---|"]
    for name in rules:
        caught = matrix.get(name, {})
        verdicts = Counter(caught.values())
        sections = Counter(case.split(".")[0] for case in caught)
        lines.append(
            f"| [`{name}`](#{name}) | {len(caught)} | "
            + ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())) + " | "
            + ", ".join(f"{s} {n}" for s, n in sorted(sections.items())) + " |")
    lines.append("")
    for name, rule in rules.items():
        caught = matrix.get(name, {})
        profile = (profiles or {}).get(name, PROFILE)
        note = "" if profile == PROFILE else \
            f" (run with `{profile.relative_to(REPO)}`, which its rule needs)"
        module = (modules or {}).get(name)
        where = [f"Declared in `targets/faulty/{module}.py`.", ""] if module else []
        lines += [f"## {name}", "", rule, "", *where, f"Caught by {len(caught)} cases{note}"
                  + (":" if caught else "."), ""]
        for verdict in CATCHING:
            ids = [case for case, v in caught.items() if v == verdict]
            if ids:
                lines.append(f"- **{verdict}** ({len(ids)}): "
                             + ", ".join(group_ids(ids, universe)))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    faults = checked_faults()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--faults", help="comma-separated faults (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--workers", default="0", help="pytest-xdist -n of each run")
    parser.add_argument("--markers", default="not slow", help="-m of each run")
    parser.add_argument("--case-timeout", type=float, default=1.0)
    parser.add_argument("--output", type=Path, default=DOC)
    parser.add_argument("--json", type=Path,
                        help="also write every verdict here (after each run)")
    parser.add_argument("--reuse", type=Path,
                        help="verdicts of an earlier --json: run only what it lacks")
    args = parser.parse_args(argv)
    names = args.faults.split(",") if args.faults else list(faults)
    unknown = sorted(set(names) - set(faults))
    if unknown:
        parser.error(f"unknown faults: {', '.join(unknown)}")
    verdicts: dict[str, dict[str, str]] = {}
    if args.reuse is not None and args.reuse.exists():
        verdicts = json.loads(args.reuse.read_text())
    baselines = BASELINES
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="wsspec-kill-") as tmp:
        root = Path(tmp)
        env = child_env(root / "pycache")

        def run(key: str, fault: str | None, profile: Path) -> SuiteRun:
            folder = root / key
            folder.mkdir()
            return run_suite(reference_target(*([fault] if fault else []), profile=profile),
                             markers=args.markers, case_timeout=args.case_timeout,
                             workers=args.workers, report_dir=folder, env=env)

        todo = [(key, None, profile) for profile, key in baselines.items()
                if key not in verdicts and any(profile_for(faults[n]) == profile for n in names)]
        todo += [(name, name, profile_for(faults[name])) for name in names
                 if name not in verdicts]
        with concurrent.futures.ThreadPoolExecutor(max(args.jobs, 1)) as pool:
            futures = {pool.submit(run, *job): job[0] for job in todo}
            for future in concurrent.futures.as_completed(futures):
                key = futures[future]
                result = future.result()
                if not result.cases:
                    print(result.output[-3000:], file=sys.stderr)
                    print(f"kill_matrix: the run {key} wrote no report", file=sys.stderr)
                    return 1
                verdicts[key] = result.verdicts
                if args.json:  # after every run, so that --reuse resumes an interrupted one
                    args.json.write_text(json.dumps(verdicts, indent=1, sort_keys=True) + "\n")
                print(f"{key:<36} {len(result.cases):>5} cases in {result.wall_s:.0f} s",
                      flush=True)
    baseline = verdicts.get("reference", {})
    problems: dict[str, str] = {}
    matrix: dict[str, dict[str, str]] = {}
    declared_missed: dict[str, list[str]] = {}
    for name in names:
        against = verdicts[baselines[profile_for(faults[name])]]
        skip = {c for c, v in against.items() if v in CATCHING}
        problems.update({c: against[c] for c in skip})
        matrix[name] = {c: v for c, v in catches(against, verdicts[name]).items()
                        if c not in skip}
        declared_missed[name] = missed(faults[name], matrix[name], verdicts[name])
    text = render(matrix, {name: faults[name].rule for name in names},
                  cases_run=len(baseline), markers=args.markers,
                  reference_problems=problems, universe=baseline,
                  profiles={name: profile_for(faults[name]) for name in names},
                  modules={name: faults[name].section for name in names},
                  declared_missed=declared_missed)
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: {len(names)} faults in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
