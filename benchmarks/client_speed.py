"""wsspec's client catalogue beside Autobahn|Testsuite's fuzzingserver, on the same client.

    python benchmarks/client_speed.py [--runs 5] [--workers 0,2] [--wstest PATH]
                                      [--client CMD] [--no-bytecode-cache]

The client is websockets' echo client (``python -m wsspec.targets.clients.thirdparty
websockets {url}``, or ``--client``), started once per case by both tools' rules:
wsspec starts it with each case's URL (``--client-cmd``); for Autobahn
(``wstest -m fuzzingserver``, sections 1-7 and 10 of its spec) this script follows
Autobahn's client-script contract, starting the same command with
``/runCase?case=N&agent=A`` for each N of ``/getCaseCount``, then asking
``/updateReports``. wsspec runs the client sections that carry those over (framing,
ping, rsv, opcodes, fragmentation, utf8, close, misc; without ``slow`` (9.x) and so
without deflate (12.x, 13.x)), through the kill matrix's runner, serially and with
each ``-n`` of ``--workers``. Each tool's clock runs from its own start (wstest's
Twisted start-up included) to its report written. The runs alternate so that load
from other work on the machine falls on all of them alike.

Prints per tool the median wall time, the median CPU time of its processes (the
clients included), the cases, the milliseconds per case, and wsspec's median over
Autobahn's. ``wstest`` comes from ``--wstest`` or ``scripts/install_autobahn.sh``;
when neither gives one, one line says why and only wsspec is timed.

A measurement, never an assertion. The goal: wsspec at most 0.25x Autobahn's time.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from wsspec.launcher import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
import autobahn_speed as ab  # the server-side benchmark: its runner, samples and wstest

km = ab.km
CLIENT_CMD = shlex.join([sys.executable, "-m", "wsspec.targets.clients.thirdparty",
                        "websockets"]) + " {url}"
AGENT = "websockets"
SECTIONS = ("framing", "ping", "rsv", "opcodes", "fragmentation", "utf8", "close", "misc")
MARKERS = f"({' or '.join(SECTIONS)}) and not slow"
#: seconds one client process may take on one Autobahn case (its slowest wait a few).
CASE_BOUND = 60.0
#: seconds wstest gets to start listening.
STARTUP_BOUND = 60.0
NAN = float("nan")


def _message(url: str) -> str:
    from websockets.sync.client import connect

    with connect(url, open_timeout=10, close_timeout=5) as ws:
        message = ws.recv(timeout=30)
    return message if isinstance(message, str) else message.decode()


def _until_closed(url: str) -> None:
    """Connects and waits for the server to close (wstest writes its reports first)."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(url, open_timeout=10, close_timeout=5) as ws:
        for _ in range(1000):  # bounded: wstest sends nothing here
            try:
                ws.recv(timeout=CASE_BOUND)
            except ConnectionClosed:
                return


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_BOUND
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"wstest exited with status {process.returncode} at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"wstest did not listen within {STARTUP_BOUND:g} s")


def run_autobahn(wstest: str, client: str, folder: Path, env: dict[str, str]) -> ab.Sample:
    port = free_port()
    base = f"ws://127.0.0.1:{port}"
    outdir = folder / "autobahn"
    spec = folder / "fuzzingserver.json"
    spec.write_text(json.dumps({"url": base, "outdir": str(outdir), "cases": ab.AUTOBAHN_CASES,
                                "exclude-cases": [], "exclude-agent-cases": {}}))
    cpu = ab.children_cpu()
    started = time.monotonic()
    server = subprocess.Popen([wstest, "-m", "fuzzingserver", "-s", str(spec), "--webport", "0"],
                              cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, server)
        count = int(_message(f"{base}/getCaseCount"))
        for number in range(1, count + 1):
            url = f"{base}/runCase?case={number}&agent={AGENT}"
            subprocess.run(shlex.split(client.replace("{url}", url)), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=CASE_BOUND, env=env, check=False)
        _until_closed(f"{base}/updateReports?agent={AGENT}")
        wall = time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
    cpu = ab.children_cpu() - cpu
    try:
        index = json.loads((outdir / "index.json").read_text())
    except (OSError, ValueError):
        return ab.Sample(wall, cpu, NAN, 0, "no index.json")
    behaviours = Counter(case["behavior"] for agent in index.values()
                         for case in agent.values())
    return ab.Sample(wall, cpu, NAN, sum(behaviours.values()), ab.summary(behaviours))


def run_wsspec(client: str, workers: int, folder: Path, env: dict[str, str]) -> ab.Sample:
    cpu = ab.children_cpu()
    run = km.run_suite([f"--client-cmd={client}"], markers=MARKERS, case_timeout=None,
                       workers=workers, report_dir=folder, env=env, timeout=ab.RUN_TIMEOUT)
    cpu = ab.children_cpu() - cpu
    if not run.cases:
        print(run.output[-2000:], file=sys.stderr)
    verdicts = Counter(str(case["verdict"]) for case in run.cases)
    return ab.Sample(run.wall_s, cpu, NAN, len(run.cases), ab.summary(verdicts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", default="0,2",
                        help="wsspec's -n values, comma-separated (0: serial)")
    parser.add_argument("--wstest", help="Autobahn's wstest (default: install_autobahn.sh)")
    parser.add_argument("--client", default=CLIENT_CMD,
                        help="the client command, {url} standing for the case URL")
    parser.add_argument("--no-bytecode-cache", action="store_true")
    args = parser.parse_args()
    try:
        workers = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error(f"--workers takes comma-separated integers, not {args.workers!r}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if "{url}" not in args.client:
        parser.error(f"--client {args.client!r}: it must contain {{url}}")
    wstest, reason = ab.find_wstest(args.wstest)
    if wstest is None:
        print(f"Autobahn|Testsuite is not available ({reason}): timing wsspec alone")

    with tempfile.TemporaryDirectory(prefix="wsspec-client-speed-") as tmp:
        root = Path(tmp)
        env = km.child_env(None if args.no_bytecode_cache else root / "pycache")
        tools: dict[str, Callable[[Path], ab.Sample]] = {}
        if wstest is not None:
            tools["autobahn"] = lambda folder: run_autobahn(wstest, args.client, folder, env)
        for n in workers:
            tools[f"wsspec -n {n}" if n else "wsspec serial"] = (
                lambda folder, n=n: run_wsspec(args.client, n, folder, env))
        names = list(tools)
        samples: dict[str, list[ab.Sample]] = {name: [] for name in names}
        print(f"{os.cpu_count()} CPUs; client {args.client!r}; Autobahn fuzzingserver cases "
              f"{' '.join(ab.AUTOBAHN_CASES)}; wsspec -m {MARKERS!r}; {args.runs} alternating "
              f"runs; bytecode {'not ' if args.no_bytecode_cache else ''}cached; load (1 min) "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        for index in range(args.runs):
            order = names[index % len(names):] + names[:index % len(names)]
            for name in order:
                folder = root / f"{name.replace(' ', '')}-{index}"
                folder.mkdir()
                try:
                    sample = tools[name](folder)
                except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                    print(f"run {index + 1} {name}: {exc}", file=sys.stderr)
                    continue
                samples[name].append(sample)
                print(f"  run {index + 1} {name:<15} {sample.wall_s:6.2f} s  "
                      f"({sample.cases} cases: {sample.outcome})", flush=True)

    print(f"load (1 min) at the end {os.getloadavg()[0]:.1f}")
    print(f"\n{'tool':<15} {'wall s':>7} {'cpu s':>6} {'cases':>6} {'ms/case':>8} "
          f"{'vs autobahn':>11}  every run's wall")
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
              f"{cases:6d} {1000 * wall / max(cases, 1):8.1f} {ratio:>11}  "
              f"{', '.join(f'{s.wall_s:.2f}' for s in runs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
