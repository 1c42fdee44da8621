"""The asyncio load generator: many connections in one event loop, stage by stage.

Each connection is an :class:`asyncio.Protocol` around a
:class:`~wsspec.load.session.LoadSession` (no stream objects, no task per
connection, no per-frame wire log beyond the session's short ring), which is
what lets one process hold ten thousand connections. The :class:`Engine`
walks the stages: it opens or closes connections at the ramp rate toward each
stage's count, sends each connection's messages on timers, judges every
connection's deadlines twice a second and samples the statistics once a
second (with the server's RSS and CPU when a :class:`ServerMonitor` is given).
"""

from __future__ import annotations

import asyncio
import errno
import random
import time
from collections.abc import Callable
from typing import Any, cast

from wsspec.profile import HeartbeatPolicy, TargetAddress

from .monitor import ServerMonitor
from .scenario import MAX_RATE, Scenario
from .session import Endpoint, LoadSession, State
from .stats import Recorder

#: the clock of every timestamp: uvloop's ``loop.time()`` is libuv's cached
#: millisecond clock, too coarse for loopback round trips of tens of microseconds.
_clock = time.perf_counter

__all__ = ["Engine"]

_TICK = 0.05
_SWEEP = 0.5
_SAMPLE = 1.0


class _Client(asyncio.Protocol):
    """One connection: bytes in and out of its session, messages on a timer."""

    def __init__(self, engine: Engine, session: LoadSession) -> None:
        self.engine = engine
        self.session = session
        self.loop = engine.loop
        self.transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.closing = False  # counted in the engine's closing connections
        rate = engine.scenario.pattern.rate
        self._flood = rate == MAX_RATE
        self._interval = 1.0 / rate if rate and not self._flood else 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio.Transport; they have its methods
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.session.handshake())

    def data_received(self, data: bytes) -> None:
        session = self.session
        was_open = session.state is State.OPEN
        now = _clock()
        answer = session.feed(data, now)
        if self._flood and session.state is State.OPEN and was_open:
            answer += session.fill(now)  # each echo made room for a message: one write
        if answer and self.transport is not None:
            self.transport.write(answer)
        if session.done:
            self.shut()
        elif not was_open and session.state is State.OPEN:
            self.engine.on_open(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.eof(_clock(), reset=isinstance(exc, ConnectionResetError))
        self._cancel()
        self.transport = None
        self.engine.forget(self)

    def start_sending(self) -> None:
        if self._flood and self.transport is not None:
            self.transport.write(self.session.fill(_clock()))
        elif self._interval:
            # a random phase, so connections opened together do not send together
            self._timer = self.loop.call_later(random.random() * self._interval, self._send)
        lifetime = self.engine.scenario.pattern.lifetime
        if lifetime is not None:
            self.loop.call_later(lifetime, self.close)

    def _send(self) -> None:
        data = self.session.next_message(_clock())
        if data and self.transport is not None:
            self.transport.write(data)
        if self.session.state is State.OPEN:
            self._timer = self.loop.call_later(self._interval, self._send)

    def close(self) -> None:
        """Start the close handshake (or drop a connection not yet open)."""
        self._cancel()
        data = self.session.close(_clock())
        if self.session.state is State.CLOSING and not self.closing:
            self.closing = True
            self.engine.closing += 1
        if data and self.transport is not None:
            self.transport.write(data)
        if self.session.done:
            self.shut()

    def check(self, now: float) -> None:
        self.session.check(now)
        if self.session.done:
            self.shut()

    def shut(self) -> None:
        self._cancel()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self._cancel()
        if self.transport is not None:
            self.transport.abort()

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"os-{errno.errorcode.get(exc.errno, exc.errno)}".lower()
    return type(exc).__name__


class Engine:
    """Runs ``scenario`` against ``url`` (see the module docstring).

    ``progress`` is called with each one-second sample; ``monitor`` follows the
    server process. :meth:`run` returns the :class:`Recorder`.
    """

    def __init__(self, scenario: Scenario, url: str, *, heartbeat: HeartbeatPolicy | None = None,
                 deflate: bool = False, monitor: ServerMonitor | None = None,
                 progress: Callable[[dict[str, Any], Engine], None] | None = None) -> None:
        self.scenario = scenario
        self.address = TargetAddress.from_url(url)
        if self.address.secure:
            raise ValueError("load runs support ws:// targets only")
        self.endpoint = Endpoint(self.address.netloc, self.address.resource)
        self.heartbeat = heartbeat
        self.deflate = deflate
        self.monitor = monitor
        self.progress = progress
        self.recorder = Recorder()
        self.clients: dict[int, _Client] = {}
        self.open_clients: dict[int, _Client] = {}
        self.connecting = 0
        self.closing = 0
        self._next_id = 0
        self._t0 = 0.0
        self._pending: set[asyncio.Task[None]] = set()
        self.target = 0
        self.stage_index = 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def now(self) -> float:
        return _clock() - self._t0

    # -- connections ------------------------------------------------------------

    async def _open(self) -> None:
        loop = self.loop
        conn = self._next_id
        self._next_id += 1
        started = _clock()
        try:
            _, client = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Client(self, LoadSession(
                        conn, self.endpoint, self.scenario.pattern, self.recorder,
                        heartbeat=self.heartbeat, deflate=self.deflate, started=started,
                        connected=_clock(),
                        connect_timeout=self.scenario.connect_timeout)),
                    self.address.host, self.address.port),
                self.scenario.connect_timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            self.recorder.error(_error_kind(exc))
            return
        finally:
            self.connecting -= 1
        if client.transport is not None:  # not already lost
            self.clients[conn] = client
        elif client.closing:
            self.closing -= 1

    def on_open(self, client: _Client) -> None:
        self.open_clients[client.session.conn] = client
        client.start_sending()

    def forget(self, client: _Client) -> None:
        if self.clients.pop(client.session.conn, None) is not None and client.closing:
            self.closing -= 1
        self.open_clients.pop(client.session.conn, None)

    def _live(self) -> int:
        """Connections counted toward the stage: opening, open, not closing."""
        return self.connecting + len(self.clients) - self.closing

    def _adjust(self, budget: float) -> float:
        """Open or close up to ``budget`` connections toward the target; the budget left."""
        live = self._live()
        whole = int(budget)
        if live < self.target and whole:
            count = min(whole, self.target - live)
            for _ in range(count):
                self.connecting += 1
                task = asyncio.ensure_future(self._open())
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
            return budget - count
        if live > self.target and whole:
            count = min(whole, live - self.target)
            victims = [c for c in self.clients.values()
                       if c.session.state in (State.OPEN, State.CONNECTING)][:count]
            for client in victims:
                client.close()
            return budget - len(victims)
        return min(budget, self.scenario.ramp)  # no saving up beyond a second's worth

    def _sweep(self) -> None:
        now = _clock()
        for client in list(self.clients.values()):
            client.check(now)

    def _sample(self) -> None:
        server = self.monitor.sample() if self.monitor is not None else None
        point = self.recorder.sample(self.now(), server)
        if self.progress is not None:
            self.progress(point, self)

    # -- the run -------------------------------------------------------------------

    async def run(self) -> Recorder:
        self._t0 = _clock()
        recorder = self.recorder
        next_sweep = next_sample = _clock()
        budget = 0.0
        last = _clock()
        for index, stage in enumerate(self.scenario.stages):
            self.stage_index = index
            self.target = stage.connections
            recorder.begin_stage(stage.connections, stage.duration, self.now())
            self._server_mark("start")
            end = _clock() + stage.duration
            while _clock() < end:
                await asyncio.sleep(_TICK)
                now = _clock()
                budget = self._adjust(budget + (now - last) * self.scenario.ramp)
                last = now
                if now >= next_sweep:
                    self._sweep()
                    next_sweep = now + _SWEEP
                if now >= next_sample:
                    self._sample()
                    next_sample = now + _SAMPLE
            self._server_mark("end")
        await self._wind_down()
        self._sample()
        recorder.end(self.now())
        return recorder

    def _server_mark(self, edge: str) -> None:
        """The server's RSS and the closes so far at a stage's start or end."""
        stage = self.recorder.stage
        stage.server[f"closed_{edge}"] = sum(s.closed for s in self.recorder.stages)
        stage.server[f"held_{edge}"] = self.recorder.held
        if self.monitor is not None:
            rss = self.monitor.rss_bytes()
            if rss:
                stage.server[f"rss_{edge}_mb"] = round(rss / 2**20, 2)

    async def _wind_down(self) -> None:
        """Close every connection with a close handshake, within the close timeout."""
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=self.scenario.connect_timeout)
        for client in list(self.clients.values()):
            client.close()
        deadline = _clock() + self.scenario.pattern.close_timeout + 2 * _SWEEP
        while self.clients and _clock() < deadline:
            await asyncio.sleep(_TICK)
            self._sweep()
        for client in list(self.clients.values()):
            client.abort()
        await asyncio.sleep(0)
