"""The Locust engine: ``locust -f`` this file runs the scenario of ``wsspec load`` on many machines.

A third driver: a Locust :class:`~locust.User` holds one
:class:`~wsspec.load.session.LoadSession` over a gevent socket, so every frame
goes through the strict parser and every echo is checked for its connection,
order and bytes, as in the asyncio engine. Locust does the rest: the stages are
a :class:`~locust.LoadTestShape`, users are spread over ``--worker`` processes
(or ``--processes``), and its statistics and ``--csv`` files come out as usual,
echoes as ``WS echo`` requests and errors and violations as failures. Each
worker hands its recorder's counts and HDR histograms to the master with its
reports; the master merges them and, on quitting, writes ``report.json`` (its
``load`` section, engine ``locust``, with Locust's totals) and ``load.html``
into ``--wsspec-report-dir``, and exits 1 on any violation or missed objective::

    locust -f $(python -m wsspec.load.locustfile) --headless --host ws://HOST:PORT/ \\
        --wsspec-stages 100:30s,1000:60s --master --expect-workers 2
    locust -f $(python -m wsspec.load.locustfile) --worker      # on each machine
"""

from __future__ import annotations

import itertools
import socket
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import gevent
from locust import LoadTestShape, User, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner
from wsspec.load.report import load_report, load_section, now_utc
from wsspec.load.scenario import MAX_RATE, Pattern, Scenario, parse_rate, parse_stages
from wsspec.load.session import Endpoint, LoadSession, State
from wsspec.load.slo import parse_slo
from wsspec.load.stats import Recorder
from wsspec.profile import TargetAddress, TargetProfile, load_profile

__all__ = ["StagesShape", "WsspecUser"]

_TAKE_KEY = "wsspec"


class LocustRecorder(Recorder):
    """A recorder that also reports to Locust's statistics."""

    def opened(self, connect: float, handshake: float) -> None:
        super().opened(connect, handshake)
        events.request.fire(request_type="WS", name="handshake",
                            response_time=(connect + handshake) * 1000, response_length=0,
                            exception=None, context={})

    def echoed(self, rtt: float, size: int) -> None:
        super().echoed(rtt, size)
        events.request.fire(request_type="WS", name="echo", response_time=rtt * 1000,
                            response_length=size, exception=None, context={})

    def error(self, kind: str) -> None:
        super().error(kind)
        events.request.fire(request_type="WS", name=f"error {kind}", response_time=0,
                            response_length=0, exception=ConnectionError(kind), context={})

    def violation(self, kind: str, detail: str, now: float, connection: int,
                  wirelog: list[str]) -> None:
        super().violation(kind, detail, now, connection, wirelog)
        events.request.fire(request_type="WS", name=f"violation {kind}", response_time=0,
                            response_length=0, exception=AssertionError(detail), context={})


class _Run:
    """The state of this process: its options, scenario, recorder and clock."""

    recorder = LocustRecorder()
    scenario: Scenario | None = None
    profile = TargetProfile()
    started = now_utc()
    clock = time.monotonic()
    ids = itertools.count()
    worker = 0
    stage = -1
    #: the workers whose reports were merged
    reporters: ClassVar[set[str]] = set()


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--wsspec-stages", default="10:10s", help="CONNECTIONS:DURATION,...")
    parser.add_argument("--wsspec-ramp", type=float, default=100.0)
    parser.add_argument("--wsspec-size", type=int, default=64)
    parser.add_argument("--wsspec-rate", default="1", help="messages a second, or max")
    parser.add_argument("--wsspec-binary", action="store_true", default=False)
    parser.add_argument("--wsspec-deflate", action="store_true", default=False,
                        help="offer permessage-deflate (used if the profile declares it)")
    parser.add_argument("--wsspec-profile", default="", help="target profile (TOML)")
    parser.add_argument("--wsspec-slo", default="", help='e.g. "p99<50ms,errors<0.1%%"')
    parser.add_argument("--wsspec-report-dir", default="reports")


def _scenario(options: Any) -> Scenario:
    pattern = Pattern(size=options.wsspec_size, rate=parse_rate(options.wsspec_rate),
                      binary=options.wsspec_binary, deflate=options.wsspec_deflate)
    return Scenario(parse_stages(options.wsspec_stages), pattern, ramp=options.wsspec_ramp)


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    options = environment.parsed_options
    if options is None:
        return
    _Run.scenario = _scenario(options)
    if options.wsspec_profile:
        _Run.profile = load_profile(options.wsspec_profile)
    _Run.recorder.begin_stage(_Run.scenario.stages[0].connections,
                              _Run.scenario.stages[0].duration, 0.0)
    _Run.stage = 0
    if isinstance(environment.runner, WorkerRunner):
        _Run.worker = environment.runner.worker_index + 1


@events.test_start.add_listener
def _test_start(environment: Environment, **_: Any) -> None:
    _Run.clock = time.monotonic()
    _Run.started = now_utc()
    if environment.parsed_options is not None and _Run.scenario is None:
        _init(environment)
    if _Run.scenario is not None and not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_sampler, environment)


def _sampler(environment: Environment) -> None:
    """The master's (or the single process's) time series, once a second."""
    runner = environment.runner
    while runner is not None and runner.state not in ("stopped", "quitting"):
        gevent.sleep(1.0)
        _Run.recorder.sample(time.monotonic() - _Run.clock)


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    data[_TAKE_KEY] = _Run.recorder.take()


@events.worker_report.add_listener
def _worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    if _TAKE_KEY in data:
        _Run.recorder.merge(data[_TAKE_KEY], client_id)
        _Run.reporters.add(client_id)


class StagesShape(LoadTestShape):
    """The stages of ``--wsspec-stages``: users (connections) per stage, ramped at
    ``--wsspec-ramp`` a second; the master's recorder starts a stage with each."""

    def tick(self) -> tuple[int, float] | None:
        scenario = _Run.scenario
        if scenario is None:
            return None
        elapsed = self.get_run_time()
        for index, stage in enumerate(scenario.stages):
            if elapsed < stage.duration:
                if index != _Run.stage:
                    _Run.stage = index
                    _Run.recorder.begin_stage(stage.connections, stage.duration,
                                              time.monotonic() - _Run.clock)
                return stage.connections, scenario.ramp
            elapsed -= stage.duration
        return None


class WsspecUser(User):
    """One WebSocket connection of the scenario (see the module docstring)."""

    session: LoadSession | None = None
    sock: socket.socket | None = None

    def wait_time(self) -> float:
        rate = _Run.scenario.pattern.rate if _Run.scenario else 0.0
        if self.session is None or self.session.done:
            return 1.0  # nothing to send on a connection that failed or ended
        if rate == MAX_RATE:
            return 0.001 if self.session.tracker.full() else 0.0
        return 1.0 / rate if rate else 0.5

    def on_start(self) -> None:
        scenario = _Run.scenario
        assert scenario is not None and self.host
        address = TargetAddress.from_url(self.host)
        conn = (_Run.worker << 24) | (next(_Run.ids) & 0xFFFFFF)
        started = time.monotonic()
        try:
            self.sock = socket.create_connection((address.host, address.port),
                                                 timeout=scenario.connect_timeout)
        except OSError as exc:
            _Run.recorder.error("refused" if isinstance(exc, ConnectionRefusedError)
                                else "timeout" if isinstance(exc, TimeoutError) else "reset")
            return
        self.sock.settimeout(None)
        session = self.session = LoadSession(
            conn, Endpoint(address.netloc, address.resource), scenario.pattern, _Run.recorder,
            heartbeat=_Run.profile.heartbeat,
            deflate=scenario.pattern.deflate and _Run.profile.offers("deflate"),
            started=started, connected=time.monotonic(),
            connect_timeout=scenario.connect_timeout)
        self.sock.sendall(session.handshake())
        self._reader = gevent.spawn(self._read)
        deadline = started + scenario.connect_timeout
        while session.state is State.CONNECTING and time.monotonic() < deadline:
            gevent.sleep(0.005)
        session.check(time.monotonic())

    def _read(self) -> None:
        session, sock = self.session, self.sock
        assert session is not None and sock is not None
        while not session.done:
            try:
                data = sock.recv(65536)
            except OSError as exc:
                session.eof(time.monotonic(), reset=isinstance(exc, ConnectionResetError))
                return
            if not data:
                session.eof(time.monotonic())
                return
            answer = session.feed(data, time.monotonic())
            if answer:
                try:
                    sock.sendall(answer)
                except OSError:
                    session.eof(time.monotonic(), reset=True)
                    return

    @task
    def send(self) -> None:
        session = self.session
        if session is None or self.sock is None:
            return
        now = time.monotonic()
        session.check(now)
        data = session.next_message(now)
        if data:
            try:
                self.sock.sendall(data)
            except OSError:
                session.eof(now, reset=True)

    def on_stop(self) -> None:
        session, sock = self.session, self.sock
        if session is None or sock is None:
            return
        data = session.close(time.monotonic())
        try:
            if data:
                sock.sendall(data)
            deadline = time.monotonic() + session.pattern.close_timeout + 0.5
            while not session.done and time.monotonic() < deadline:
                gevent.sleep(0.02)
                session.check(time.monotonic())
        except OSError:
            session.eof(time.monotonic(), reset=True)
        finally:
            sock.close()
            self._reader.kill(block=False)


@events.quitting.add_listener
def _write_report(environment: Environment, **_: Any) -> None:
    """On the master (or the single process): the report, and the exit code."""
    if isinstance(environment.runner, WorkerRunner) or _Run.scenario is None:
        return
    options = environment.parsed_options
    recorder = _Run.recorder
    recorder.end(time.monotonic() - _Run.clock)
    objectives = parse_slo(options.wsspec_slo) if options and options.wsspec_slo else ()
    section = load_section(recorder, _Run.scenario, engine="locust", objectives=objectives)
    total = environment.stats.total
    section["locust"] = {
        "workers": len(_Run.reporters) if isinstance(environment.runner, MasterRunner) else 0,
        "requests": total.num_requests, "failures": total.num_failures,
        "rps": round(total.total_rps, 1),
        "p99_ms": total.get_response_time_percentile(0.99),
    }
    from wsspec.load.cli import write_outputs

    report = load_report(section, environment.host or "", _Run.profile.to_dict(), _Run.started,
                         time.monotonic() - _Run.clock)

    directory = Path(options.wsspec_report_dir if options else "reports")
    write_outputs(report, directory)
    if not section["passed"]:
        environment.process_exit_code = 1


if __name__ == "__main__":
    # `python -m wsspec.load.locustfile` prints this file's path, for `locust -f`.
    print(__file__)
    sys.exit(0)
