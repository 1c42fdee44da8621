"""``wsspec load [URL]``: a staged load or soak run with conformance checked on every connection.

Without a URL the built-in reference server is started in this process;
``--target-cmd`` starts the server as the conformance run does (its RSS and
CPU are then sampled, as with ``--server-pid``). Stages, the message pattern
and the objectives come from the options or the profile's ``[load]`` table
(options win). Writes ``report.json`` (with its ``load`` section) and
``load.html`` into ``--report-dir``, JUnit XML with ``--junit``, and the
GitHub step summary when ``$GITHUB_STEP_SUMMARY`` is set. Exit status: 0 when
no rule was broken and every objective was met, 1 otherwise, 2 for bad input
or a target that cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from wsspec.launcher import LaunchError, launch, probe
from wsspec.profile import ProfileError, TargetProfile, load_profile

from .ci import append_step_summary, write_junit
from .engine import Engine
from .memory import judge_memory
from .monitor import ServerMonitor
from .report import load_report, load_section, now_utc
from .scenario import (
    Pattern,
    Scenario,
    ScenarioError,
    Stage,
    check_pattern,
    parse_rate,
    parse_stages,
)
from .slo import SloError, parse_slo
from .stats import Recorder

__all__ = ["main"]

PROG = "wsspec load"
_DEFAULT_STAGES = "10:5s"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"ERROR: {message} ({PROG} --help lists the options)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="A staged load or soak run against a WebSocket "
                     "server, with conformance checked on every connection (docs/load.md).")
    parser.add_argument("url", nargs="?", help="ws:// URL of the server (default: the "
                        "built-in reference server)")
    parser.add_argument("--target-cmd", metavar="CMD",
                        help='start the server: "node server.js {port}"')
    parser.add_argument("--profile", "--target-profile", dest="profile", metavar="FILE",
                        help="target profile (TOML); its [load] table sets the defaults")
    parser.add_argument("--stages", help=f"CONNECTIONS:DURATION,... (default {_DEFAULT_STAGES})")
    parser.add_argument("--ramp", type=float, help="connections opened a second (default 500)")
    parser.add_argument("--size", type=int, help="message payload bytes (default 64)")
    parser.add_argument("--rate", help="messages a second per connection (default 1; 0: "
                        "idle; max: as fast as echoes return, --window in flight)")
    parser.add_argument("--binary", action="store_true", default=None, help="binary messages")
    parser.add_argument("--deflate", action="store_true", default=None,
                        help="offer permessage-deflate (used if the profile declares it)")
    parser.add_argument("--lifetime", type=float, metavar="SECONDS",
                        help="close and replace each connection after this long (churn)")
    parser.add_argument("--window", type=int, default=32,
                        help="messages awaiting their echo per connection (default 32)")
    parser.add_argument("--echo-timeout", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument("--close-timeout", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument("--slo", help='objectives, e.g. "p99<50ms,errors<0.1%%"')
    parser.add_argument("--server-pid", type=int, help="sample this process's RSS and CPU")
    parser.add_argument("--memory-threshold", type=float, default=16.0, metavar="KIB",
                        help="memory a closed connection may leave behind (default 16 KiB)")
    parser.add_argument("--report-dir", default="reports", type=Path,
                        help="where report.json and load.html go (default reports)")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")
    parser.add_argument("--loop", choices=("auto", "uvloop", "asyncio"), default="auto",
                        help="event loop: uvloop when installed (auto), or asyncio's own")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    return parser


def scenario_from(options: argparse.Namespace, profile: TargetProfile) -> Scenario:
    """The scenario the options and the profile's ``[load]`` table describe."""
    policy = profile.load
    if options.stages is not None:
        stages = parse_stages(options.stages)
    elif policy is not None and policy.stages:
        stages = tuple(Stage(c, d) for c, d in policy.stages)
    else:
        stages = parse_stages(_DEFAULT_STAGES)

    def pick(option: Any, key: str, default: Any) -> Any:
        if option is not None:
            return option
        return getattr(policy, key) if policy is not None else default

    pattern = Pattern(
        size=pick(options.size, "message_size", 64),
        rate=pick(None if options.rate is None else parse_rate(options.rate), "message_rate",
                  1.0),
        binary=pick(options.binary, "binary", False),
        deflate=pick(options.deflate, "deflate", False),
        lifetime=pick(options.lifetime, "lifetime", None),
        window=options.window, echo_timeout=options.echo_timeout,
        close_timeout=options.close_timeout,
    )
    check_pattern(pattern)
    return Scenario(stages, pattern, ramp=pick(options.ramp, "ramp", 500.0))


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft open-files limit toward ``wanted`` (within the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    goal = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < goal:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (goal, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class _Progress:
    """One status line a second: on a terminal rewritten in place, else a line each."""

    def __init__(self, quiet: bool, scenario: Scenario) -> None:
        self.quiet = quiet
        self.scenario = scenario
        self.tty = sys.stderr.isatty()

    def __call__(self, point: dict[str, Any], engine: Engine) -> None:
        if self.quiet:
            return
        stages = self.scenario.stages
        stage = stages[min(engine.stage_index, len(stages) - 1)]
        line = (f"[{point['t']:7.1f}s] stage {engine.stage_index + 1}/{len(stages)} "
                f"({stage.label()}) conns {point['connections']}/{engine.target} "
                f"msg/s {point['messages_per_s']:.0f} p99 {point['p99']:.2f}ms "
                f"errors {point['errors']} violations {point['violations']}")
        if "server_rss_mb" in point:
            line += f" server {point['server_rss_mb']:.0f}MiB {point['server_cpu_pct']:.0f}%"
        print(("\r" + line + "\x1b[K") if self.tty else line, end="" if self.tty else "\n",
              file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty and not self.quiet:
            print(file=sys.stderr)


@contextlib.contextmanager
def _target(options: argparse.Namespace,
            profile: TargetProfile) -> Iterator[tuple[str, int | None]]:
    """The URL to load and the server's pid (when known), for the time of the run."""
    if options.target_cmd:
        launched = launch(options.target_cmd, options.url)
        try:
            yield launched.url, launched.process.pid
        finally:
            launched.stop()
        return
    if options.url:
        probe(options.url)
        yield options.url, options.server_pid
        return
    from wsspec.targets.reference.server import run_in_thread

    with run_in_thread(profile) as server:
        yield server.url, options.server_pid


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        profile = load_profile(options.profile) if options.profile else TargetProfile()
        scenario = scenario_from(options, profile)
        slo_text = options.slo or (profile.load.slo if profile.load else None)
        objectives = parse_slo(slo_text) if slo_text else ()
    except (ProfileError, ScenarioError, SloError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    limit = raise_fd_limit(scenario.peak + 1024)
    if limit < scenario.peak + 64:
        print(f"ERROR: --stages asks for {scenario.peak} connections but the open-files "
              f"limit is {limit}; raise it (ulimit -n)", file=sys.stderr)
        return 2
    deflate = scenario.pattern.deflate and profile.offers("deflate")
    started, clock = now_utc(), time.monotonic()
    progress = _Progress(options.quiet, scenario)
    try:
        with _target(options, profile) as (url, pid):
            monitor = ServerMonitor(pid) if pid is not None else None
            engine = Engine(scenario, url, heartbeat=profile.heartbeat, deflate=deflate,
                            monitor=monitor, progress=progress)
            recorder = _run_loop(options.loop, engine)
    except (LaunchError, ProfileError, ValueError) as exc:
        progress.done()
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    progress.done()
    if monitor is not None:
        judge_memory(recorder, options.memory_threshold, recorder.stage.ended or 0.0)
    section = load_section(recorder, scenario, engine="asyncio", objectives=objectives,
                           server_pid=pid)
    report = load_report(section, url, profile.to_dict(), started, time.monotonic() - clock)
    write_outputs(report, options.report_dir)
    if options.junit:
        write_junit(section, options.junit)
    append_step_summary(section, url)
    print_summary(section, options.report_dir)
    return 0 if section["passed"] else 1


def _run_loop(choice: str, engine: Engine) -> Recorder:
    """Run the engine on uvloop when asked (or, with ``auto``, when it is installed),
    else on asyncio's own loop: uvloop spends less CPU per message."""
    if choice != "asyncio" and importlib.util.find_spec("uvloop") is not None:
        import uvloop

        return uvloop.run(engine.run())
    return asyncio.run(engine.run())


def write_outputs(report: dict[str, Any], directory: Path) -> None:
    """``report.json`` and ``load.html`` in ``directory``."""
    from wsspec.reporting.load_page import render_load_page

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (directory / "load.html").write_text(render_load_page(report), encoding="utf-8")


def print_summary(section: dict[str, Any], directory: Path) -> None:
    """The stage table, the objectives and the first violations, on stdout."""
    print(f"{'stage':>14} {'conns':>6} {'msg/s':>9} {'p50':>8} {'p90':>8} {'p99':>8} "
          f"{'p99.9':>8} {'max':>8} {'errors':>7} {'viol.':>6}")
    for stage in section["stages"]:
        rtt = stage["rtt_ms"]
        print(f"{stage['label']:>14} {stage['peak_connections']:>6} "
              f"{stage['messages_per_s']:>9.1f} {rtt['p50']:>8.2f} {rtt['p90']:>8.2f} "
              f"{rtt['p99']:>8.2f} {rtt['p99_9']:>8.2f} {rtt['max']:>8.2f} "
              f"{sum(stage['errors'].values()):>7} {sum(stage['violations'].values()):>6}")
    totals = section["totals"]
    if totals["errors"]:
        print("errors: " + ", ".join(f"{k} {v}" for k, v in totals["errors"].items()))
    for outcome in section["slo"]:
        print(f"SLO {outcome['objective']}: measured {outcome['measured']:g} — "
              f"{'met' if outcome['met'] else 'MISSED'}")
    for example in section["examples"]:
        print(f"VIOLATION {example['kind']} (stage {example['stage'] + 1}, connection "
              f"{example['connection']}): {example['detail']}")
        for line in example["wirelog"]:
            print(f"    {line}")
    print(f"{'PASSED' if section['passed'] else 'FAILED'}; report: {directory / 'report.json'}, "
          f"{directory / 'load.html'}")
