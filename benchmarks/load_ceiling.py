"""The load generator's ceiling: messages per CPU second, and connections per GiB.

    python benchmarks/load_ceiling.py [--runs 3] [--seconds 6] [--connections 100]
                                      [--rate 20] [--servers reference,websockets,gin]
                                      [--generators ...] [--idle 1000,5000,10000]
                                      [--skip-throughput] [--skip-idle]

Throughput: every generator runs the same scenario (``--connections``
connections, each sending ``--rate`` 64-byte text messages a second and waiting
for their echo, for ``--seconds``) against each server, and the echoes it
counted are divided by the CPU seconds its own process used (``wait4``
rusage: user + system), as the difference between that run and a 2-second one
so that start-up (imports, Locust's web of greenlets), ramp and wind-down
cancel out. The generators:

* ``wsspec-asyncio``: ``wsspec load`` (strict parser, identity checks, HDR histograms);
* ``wsspec-locust``: Locust with wsspec's locustfile, one process;
* ``wsspec-driver``: the conformance suite's asyncio driver, one task per
  connection, each with its own full wire log (what the load engine does not use);
* ``locust-websocket-client``: a plain Locust script on websocket-client;
* ``asyncio-websockets``: a plain asyncio script on the websockets client.

Idle connections: ``wsspec load --rate 0`` holds ``--idle`` connections against
the Gin server (Go, so the server is not the limit) and reports the
generator's peak RSS, its CPU seconds and the connections per GiB; the open
files limit is raised to the hard limit first.

Servers: the reference server (``python -m wsspec.targets.reference``),
websockets' server (``wsspec.targets.thirdparty.websockets_echo``) and the Gin
server (``targets/thirdparty/go``, built here with Debian's Go libraries).
Every figure is the median of ``--runs`` runs. A measurement, never an
assertion; the goals: at least 3x the messages per CPU second of
Locust + websocket-client, and 10,000 idle connections within 1 GiB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wsspec.launcher import LaunchedTarget, launch, python_command

REPO = Path(__file__).resolve().parent.parent
GO_MAIN = REPO / "targets" / "thirdparty" / "go" / "main.go"
GOPATH = Path("/usr/share/gocode")
PY = sys.executable
#: seconds of the short run whose cost is subtracted from the long run's
SHORT = 2

LOCUST_WEBSOCKET_CLIENT = '''
import os, time
import websocket
from locust import User, constant_pacing, events, task

PAYLOAD = "x" * 64

RATE = os.environ["BENCH_RATE"]


class EchoUser(User):
    wait_time = constant_pacing(0.0 if RATE == "max" else 1.0 / float(RATE))

    def on_start(self):
        # no Origin header: the Gin server checks origins and allows requests without one
        self.ws = websocket.create_connection(self.host, suppress_origin=True)

    @task
    def echo(self):
        started = time.perf_counter()
        self.ws.send(PAYLOAD)
        answer = self.ws.recv()
        events.request.fire(request_type="WS", name="echo",
                            response_time=(time.perf_counter() - started) * 1000,
                            response_length=len(answer), exception=None, context={})

    def on_stop(self):
        self.ws.close()
'''

ASYNCIO_WEBSOCKETS = '''
import asyncio, sys, time
from websockets.asyncio.client import connect

URL, CONNECTIONS = sys.argv[1], int(sys.argv[2])
PERIOD = 0.0 if sys.argv[3] == "max" else 1.0 / float(sys.argv[3])
SECONDS = float(sys.argv[4])
PAYLOAD = "x" * 64
echoes = 0

async def one(end):
    global echoes
    async with connect(URL, compression=None, max_queue=None) as ws:
        next_at = time.monotonic()
        while time.monotonic() < end:
            await ws.send(PAYLOAD)
            await ws.recv()
            echoes += 1
            next_at += PERIOD
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

async def main():
    end = time.monotonic() + SECONDS
    await asyncio.gather(*(one(end) for _ in range(CONNECTIONS)))
    print(echoes)

asyncio.run(main())
'''

WSSPEC_DRIVER = '''
import asyncio, sys, time
from urllib.parse import urlsplit
from wsspec.driver.asyncio_driver import AsyncioDriver
from wsspec.protocol import Frame, Message, Opcode, Receiver, ResponseParser, build_request
from wsspec.wirelog import WireLog

URL, CONNECTIONS = sys.argv[1], int(sys.argv[2])
PERIOD = 0.0 if sys.argv[3] == "max" else 1.0 / float(sys.argv[3])
SECONDS = float(sys.argv[4])
PAYLOAD = b"x" * 64
echoes = 0

async def one(end):
    global echoes
    parts = urlsplit(URL)
    driver = AsyncioDriver(WireLog())
    await driver.connect(parts.hostname, parts.port, timeout=10)
    await driver.send(build_request(parts.netloc, parts.path or "/").encode())
    parser, response = ResponseParser(), None
    while response is None:
        response = parser.feed(await driver.receive(10))
    receiver = Receiver()
    receiver.feed(parser.trailing)
    next_at = time.monotonic()
    while time.monotonic() < end:
        frame = Frame(Opcode.TEXT, PAYLOAD, mask_key=b"abcd")
        driver.wirelog.frame("out", frame)  # as the case DSL records every frame
        await driver.send(frame.encode())
        got = False
        while not got:
            data = await driver.receive(10)
            for event in receiver.feed(data):
                if isinstance(event, Frame):
                    driver.wirelog.frame("in", event)
                got = got or isinstance(event, Message)
        echoes += 1
        next_at += PERIOD
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await driver.aclose()

async def main():
    end = time.monotonic() + SECONDS
    await asyncio.gather(*(one(end) for _ in range(CONNECTIONS)))
    print(echoes)

asyncio.run(main())
'''


Generator = Callable[[str, argparse.Namespace, int, Path], "Measured"]


@dataclass
class Measured:
    echoes: int
    cpu: float  # seconds, user + system, of the generator process alone
    peak_rss_mib: float
    wall: float


def measured_run(argv: list[str], cwd: Path, timeout: float) -> tuple[Measured, str]:
    """Run ``argv``; its own CPU time and peak RSS (from wait4), and its output."""
    out = cwd / "output.txt"
    started = time.monotonic()
    with out.open("w") as sink:
        process = subprocess.Popen(argv, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    text = out.read_text(errors="replace")
    return Measured(0, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                    time.monotonic() - started), text


def locustfile_path() -> str:
    import wsspec.load

    return str(Path(wsspec.load.__file__).parent / "locustfile.py")


def _report_echoes(folder: Path) -> int:
    data = json.loads((folder / "reports" / "report.json").read_text())
    return int(data["load"]["totals"]["messages_received"])


def gen_wsspec_asyncio(url: str, args: argparse.Namespace, seconds: int,
                       folder: Path) -> Measured:
    run, _ = measured_run(
        [PY, "-m", "wsspec", "load", url, "--stages", f"{args.connections}:{seconds}s",
         "--rate", str(args.rate), "--ramp", "2000", "-q", "--report-dir",
         str(folder / "reports")], folder, seconds + 60)
    run.echoes = _report_echoes(folder)
    return run


def gen_wsspec_locust(url: str, args: argparse.Namespace, seconds: int,
                      folder: Path) -> Measured:
    run, _ = measured_run(
        [PY, "-m", "locust", "-f", locustfile_path(), "--headless", "--host", url,
         "--wsspec-stages", f"{args.connections}:{seconds}s", "--wsspec-rate",
         str(args.rate), "--wsspec-ramp", "2000", "--wsspec-report-dir",
         str(folder / "reports"), "--only-summary", "--loglevel", "WARNING"],
        folder, seconds + 60)
    run.echoes = _report_echoes(folder)
    return run


def gen_locust_websocket_client(url: str, args: argparse.Namespace, seconds: int,
                                folder: Path) -> Measured:
    script = folder / "plain_locustfile.py"
    script.write_text(LOCUST_WEBSOCKET_CLIENT)
    env_rate = str(args.rate)
    os.environ["BENCH_RATE"] = env_rate
    run, _ = measured_run(
        [PY, "-m", "locust", "-f", str(script), "--headless", "--host", url,
         "-u", str(args.connections), "-r", "2000", "-t", f"{seconds}s",
         "--csv", str(folder / "plain"), "--only-summary", "--loglevel", "WARNING"],
        folder, seconds + 60)
    with (folder / "plain_stats.csv").open() as stats:
        row = next(r for r in csv.DictReader(stats) if r["Name"] == "echo")
    run.echoes = int(row["Request Count"])
    return run


def _script_generator(source: str) -> Generator:
    def generate(url: str, args: argparse.Namespace, seconds: int, folder: Path) -> Measured:
        script = folder / "client.py"
        script.write_text(source)
        run, text = measured_run([PY, str(script), url, str(args.connections), str(args.rate),
                                  str(seconds)], folder, seconds + 60)
        run.echoes = int(text.strip().splitlines()[-1])
        return run

    return generate


GENERATORS: dict[str, Generator] = {
    "wsspec-asyncio": gen_wsspec_asyncio,
    "wsspec-locust": gen_wsspec_locust,
    "wsspec-driver": _script_generator(WSSPEC_DRIVER),
    "locust-websocket-client": gen_locust_websocket_client,
    "asyncio-websockets": _script_generator(ASYNCIO_WEBSOCKETS),
}


def build_gin(scratch: Path) -> str | None:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src" / "github.com" / "gin-gonic" / "gin").is_dir():
        return None
    binary = scratch / "gin-echo"
    env = {**os.environ, "GOPATH": str(GOPATH), "GO111MODULE": "off",
           "GOCACHE": str(scratch / "gocache"), "HOME": os.environ.get("HOME", str(scratch))}
    done = subprocess.run([go, "build", "-o", str(binary), str(GO_MAIN)], cwd=scratch,
                          capture_output=True, text=True, timeout=600, env=env, check=False)
    if done.returncode:
        print(f"go build failed: {done.stderr[-500:]}", file=sys.stderr)
        return None
    return shlex.join([str(binary), "-addr", "127.0.0.1:{port}"])


def server_commands(scratch: Path, names: list[str]) -> dict[str, str]:
    commands = {
        "reference": python_command("wsspec.targets.reference", "--port", "{port}"),
        "websockets": python_command("wsspec.targets.thirdparty.websockets_echo", "{port}"),
    }
    if "gin" in names:
        gin = build_gin(scratch)
        if gin is not None:
            commands["gin"] = gin
        else:
            print("the Gin server cannot be built here; left out", file=sys.stderr)
    return {name: commands[name] for name in names if name in commands}


def throughput(args: argparse.Namespace, scratch: Path) -> None:
    servers = server_commands(scratch, args.servers.split(","))
    generators = args.generators.split(",")
    print(f"\nthroughput: {args.connections} connections x {args.rate} msg/s, 64 B text, "
          f"{args.seconds} s; median of {args.runs} runs")
    print(f"{'server':<11} {'generator':<24} {'echoes/s':>9} {'Δ CPU s':>7} "
          f"{'msg per CPU s':>14} {'peak RSS MiB':>13}")
    for server_name, command in servers.items():
        per_cpu: dict[str, float] = {}
        for generator in generators:
            runs: list[tuple[Measured, Measured]] = []
            for n in range(args.runs):
                pair = []
                for seconds in (SHORT, args.seconds):
                    target: LaunchedTarget = launch(command)
                    folder = scratch / f"{server_name}-{generator}-{n}-{seconds}"
                    folder.mkdir()
                    try:
                        pair.append(GENERATORS[generator](target.url, args, seconds, folder))
                    except Exception as exc:  # one failed generator must not lose the table
                        print(f"  {generator} on {server_name} failed: {exc}", file=sys.stderr)
                    finally:
                        target.stop()
                if len(pair) == 2:
                    runs.append((pair[0], pair[1]))
            if not runs:
                continue
            # the difference between a long and a short run: start-up, ramp and wind-down
            # cost the same in both and cancel out
            rate = statistics.median(long.echoes / args.seconds for _, long in runs)
            cpu = statistics.median(long.cpu - short.cpu for short, long in runs)
            per = statistics.median((long.echoes - short.echoes) / max(long.cpu - short.cpu,
                                                                       1e-6)
                                    for short, long in runs)
            rss = statistics.median(long.peak_rss_mib for _, long in runs)
            per_cpu[generator] = per
            print(f"{server_name:<11} {generator:<24} {rate:>9.0f} {cpu:>7.2f} {per:>14.0f} "
                  f"{rss:>13.1f}", flush=True)
        base = per_cpu.get("locust-websocket-client")
        if base and "wsspec-asyncio" in per_cpu:
            print(f"{server_name:<11} wsspec-asyncio / locust-websocket-client: "
                  f"{per_cpu['wsspec-asyncio'] / base:.1f}x messages per CPU second")


def idle(args: argparse.Namespace, scratch: Path) -> None:
    servers = server_commands(scratch, ["gin"]) or server_commands(scratch, ["reference"])
    name, command = next(iter(servers.items()))
    print(f"\nidle connections held by wsspec load (asyncio engine) against {name}; "
          f"median of {args.runs} runs")
    print(f"{'connections':>11} {'peak RSS MiB':>13} {'KiB/conn':>9} {'CPU s':>7} "
          f"{'conns per GiB':>14} {'errors':>7}")
    for count in (int(c) for c in args.idle.split(",")):
        runs = []
        for n in range(args.runs):
            target = launch(command)
            folder = scratch / f"idle-{count}-{n}"
            folder.mkdir()
            try:
                run, _ = measured_run(
                    [PY, "-m", "wsspec", "load", target.url, "--stages", f"{count}:12s",
                     "--rate", "0", "--ramp", "2000", "-q", "--report-dir",
                     str(folder / "reports")], folder, 120)
                data = json.loads((folder / "reports" / "report.json").read_text())["load"]
                runs.append((run, data["totals"]["peak_connections"],
                             data["totals"]["error_count"]))
            finally:
                target.stop()
        rss = statistics.median(r.peak_rss_mib for r, _, _ in runs)
        cpu = statistics.median(r.cpu for r, _, _ in runs)
        held = statistics.median(h for _, h, _ in runs)
        errors = statistics.median(e for _, _, e in runs)
        print(f"{held:>11.0f} {rss:>13.1f} {rss * 1024 / max(held, 1):>9.1f} {cpu:>7.2f} "
              f"{held / (rss / 1024):>14.0f} {errors:>7.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rate", default="max",
                        help="messages a second per connection, or max (default): as fast "
                        "as each generator can")
    parser.add_argument("--servers", default="reference,websockets,gin")
    parser.add_argument("--generators", default=",".join(GENERATORS))
    parser.add_argument("--idle", default="1000,5000,10000")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-idle", action="store_true")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    print(f"open files limit {hard}; load average {os.getloadavg()[0]:.2f}; "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="wsspec-load-ceiling-") as name:
        scratch = Path(name)
        if not args.skip_throughput:
            throughput(args, scratch)
        if not args.skip_idle:
            idle(args, scratch)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
