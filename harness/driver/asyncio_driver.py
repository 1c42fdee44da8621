"""The asyncio driver: one connection on the running asyncio event loop.

Theory of operation. The connection is a small :class:`asyncio.Protocol` of
our own rather than a StreamReader/StreamWriter pair, for two reasons:

* StreamReader raises a connection error *before* handing out bytes it had
  already buffered, so a close frame sent just ahead of a reset would be lost.
  Here the bytes always come first and the :class:`StreamEnd` after them, as on
  the wire.
* StreamWriter.drain() returns at the low-water mark, not when the bytes have
  gone. With the write limits at zero, the transport pauses us whenever it
  holds anything, so "flushed" means "handed to the kernel" and chopped writes
  really leave one by one.

The loop reads eagerly into a buffer; past ``_READ_BUFFER_CAP`` the transport
stops reading and the kernel's TCP window holds the peer back. For plain TCP an
EOF keeps the transport open, so a client may still write after the server's
FIN (a half-closed connection is legal, and some cases probe it).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import functools
import socket
import ssl
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar, cast

from wsspec.driver import _shared as shared
from wsspec.driver.base import READ_CHUNK, ConnectFailed, DriverError, StreamEnd, TLSOptions
from wsspec.driver.runtime import DeadlineExceeded, Runtime
from wsspec.wirelog import WireLog

T = TypeVar("T")

#: unread bytes kept before reading pauses.
_READ_BUFFER_CAP = 4 * READ_CHUNK

#: the most bytes handed to the TLS transport at once (a multiple of the 16 KiB record).
_TLS_WRITE_SLICE = 4 * 16384


class _Connection(asyncio.Protocol):
    """Transport callbacks turned into state the driver polls, plus two wake-ups."""

    def __init__(self, *, keep_open_on_eof: bool, plain_socket: socket.socket | None = None
                 ) -> None:
        self.transport: asyncio.Transport | None = None
        self._plain_socket = plain_socket
        self.buffer = bytearray()
        self.eof = False
        self.lost = False
        self.lost_exc: BaseException | None = None
        self.reading_paused = False
        self._keep_open = keep_open_on_eof
        # one waiter per direction, so one task can send while another receives
        self._read_waiter: asyncio.Future[None] | None = None
        self._write_waiter: asyncio.Future[None] | None = None
        self._lost_waiter: asyncio.Future[None] | None = None

    # transport callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= _READ_BUFFER_CAP and not self.reading_paused and self.transport:
            self.reading_paused = True
            self.transport.pause_reading()
        _wake(self._read_waiter)

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self._read_waiter)
        return self._keep_open

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self._take_what_the_kernel_holds()
        self.lost = True
        self.lost_exc = exc
        for waiter in (self._read_waiter, self._write_waiter, self._lost_waiter):
            _wake(waiter)

    def _take_what_the_kernel_holds(self) -> None:
        """A write that fails (the peer reset the connection) makes asyncio stop
        reading at once, while the bytes the peer sent before its reset (a close
        frame, say) may still wait in the kernel: read them now, before the
        transport closes the socket, so they come before the end, as on the
        wire. Plain TCP only (TLS bytes would need the TLS layer); bounded by
        the read buffer's cap."""
        sock = self._plain_socket
        if sock is None:
            return
        with contextlib.suppress(OSError):  # nothing more (EAGAIN), or the reset itself
            while len(self.buffer) < _READ_BUFFER_CAP:
                data = sock.recv(READ_CHUNK)
                if not data:
                    break
                self.buffer += data

    def resume_writing(self) -> None:
        _wake(self._write_waiter)

    # waiting, each bounded
    async def wait_readable(self, timeout: float) -> None:
        if self.buffer or self.eof or self.lost:
            return
        self._read_waiter = asyncio.get_running_loop().create_future()
        try:
            await _wait(self._read_waiter, timeout)
        finally:
            self._read_waiter = None

    async def wait_writable(self, timeout: float) -> None:
        self._write_waiter = asyncio.get_running_loop().create_future()
        try:
            await _wait(self._write_waiter, timeout)
        finally:
            self._write_waiter = None

    async def wait_lost(self, timeout: float) -> None:
        if self.lost:
            return
        self._lost_waiter = asyncio.get_running_loop().create_future()
        try:
            await _wait(self._lost_waiter, timeout)
        finally:
            self._lost_waiter = None

    def take(self) -> bytes:
        data = bytes(self.buffer[:READ_CHUNK])
        del self.buffer[:READ_CHUNK]
        if self.reading_paused and len(self.buffer) < _READ_BUFFER_CAP // 2 and self.transport:
            self.reading_paused = False
            self.transport.resume_reading()
        return data


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


async def _wait(waiter: asyncio.Future[None], timeout: float) -> None:
    """Wait for ``waiter`` at most ``timeout`` seconds; the caller re-checks the state."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(waiter, max(timeout, 0.0))


class AsyncioDriver(shared.ConnectOnce):
    """A :class:`~wsspec.driver.base.Driver` on the running asyncio loop."""

    def __init__(self, wirelog: WireLog) -> None:
        self.wirelog = wirelog
        self._conn: _Connection | None = None
        self._transport: asyncio.Transport | None = None
        self._started = False
        self._closed = False
        self._read_end: StreamEnd | None = None
        self._write_stalled = False
        self._tls_slice: int | None = None  # set for TLS, see _write

    # connecting (connect: shared.ConnectOnce)
    async def _connect(self, host: str, port: int, tls: TLSOptions | None,
                       timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        where = shared.host_port(host, port)
        sock, address = await self._open_socket(host, port, deadline, timeout)
        conn = _Connection(keep_open_on_eof=tls is None,
                           plain_socket=sock if tls is None else None)
        version: str | None
        if tls is None:
            try:
                await loop.create_connection(lambda: conn, sock=sock)
            except BaseException:
                sock.close()
                raise
            version = None
        else:
            version = await self._handshake(conn, sock, host, where, tls, deadline, timeout)
        transport = conn.transport
        assert transport is not None  # create_connection returned, so connection_made ran
        self._conn, self._transport = conn, transport
        if tls is None:
            # zero: pause as soon as the transport holds a byte, see the module docstring
            transport.set_write_buffer_limits(high=0)
        else:
            # the TLS transport pauses at size >= high, so 1 means "holds a byte" there
            # Python 3.10's TLS transport drops its socket transport as soon as a
            # peer that closed right after the handshake is seen; reads report it.
            with contextlib.suppress(AttributeError):
                transport.set_write_buffer_limits(high=1, low=0)
            self._tls_slice = _TLS_WRITE_SLICE
        self.wirelog.event(shared.connected_event(host, port, address, version))

    @staticmethod
    async def _handshake(conn: _Connection, sock: socket.socket, host: str, where: str,
                         tls: TLSOptions, deadline: float, timeout: float) -> str:
        """Run the TLS handshake on the connected ``sock``; the TLS version on success."""
        loop = asyncio.get_running_loop()
        try:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise asyncio.TimeoutError
            # asyncio's own handshake timeout is set past ours, so ours decides.
            transport, _ = await asyncio.wait_for(
                loop.create_connection(lambda: conn, sock=sock, ssl=tls.context(),
                                       server_hostname=tls.server_hostname or host,
                                       ssl_handshake_timeout=remaining + 1.0),
                remaining)
        except asyncio.TimeoutError:
            sock.close()
            raise ConnectFailed(shared.tls_timeout(where, timeout)) from None
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise ConnectFailed(shared.tls_failed(where, shared.tls_reason(exc))) from exc
        except BaseException:
            sock.close()
            raise
        ssl_object = transport.get_extra_info("ssl_object")
        return str(ssl_object.version()) if ssl_object is not None else "TLS"

    async def _open_socket(self, host: str, port: int, deadline: float,
                           timeout: float) -> tuple[socket.socket, str]:
        """Resolve ``host`` and connect to its addresses in turn, within ``deadline``."""
        loop = asyncio.get_running_loop()
        where = shared.host_port(host, port)
        # An IP address needs no resolver: asyncio would still hand it to a worker
        # thread, which costs more than many a case.
        numeric = shared.numeric_addrinfo(host, port)
        if numeric is not None:
            infos = numeric
        else:
            try:
                infos = await asyncio.wait_for(
                    loop.getaddrinfo(host, port, type=socket.SOCK_STREAM),
                    max(deadline - loop.time(), 0.0))
            except asyncio.TimeoutError:
                raise ConnectFailed(shared.cannot_resolve(
                    host, f"no answer within {timeout} s")) from None
            except (socket.gaierror, UnicodeError) as exc:
                raise ConnectFailed(shared.cannot_resolve(host, shared.os_reason(exc))) from exc
        errors: list[OSError] = []
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await asyncio.wait_for(loop.sock_connect(sock, sockaddr),
                                       max(deadline - loop.time(), 0.0))
            except asyncio.TimeoutError:
                sock.close()
                raise ConnectFailed(shared.no_answer(where, timeout)) from None
            except OSError as exc:
                sock.close()
                errors.append(exc)
                continue
            except BaseException:
                sock.close()
                raise
            return sock, str(sockaddr[0])
        raise ConnectFailed(shared.connect_error(where, errors))

    def _require(self, what: str) -> tuple[_Connection, asyncio.Transport]:
        if self._closed:
            raise DriverError(f"{what} on a closed connection")
        if self._conn is None or self._transport is None:
            raise DriverError(f"{what} before connect")
        return self._conn, self._transport

    # writing
    async def send(self, data: bytes, *, chunks: Sequence[int] | None = None,
                   pause: float = 0.0, timeout: float = 5.0) -> StreamEnd | None:
        conn, transport = self._require("send")
        if self._write_stalled:
            raise DriverError("send after a stalled write: the connection cannot be written to")
        for piece in shared.pieces(data, chunks):
            end = self._write_end(conn)
            if end is not None:
                self.wirelog.event(shared.not_sent_event(len(piece), end.name))
                return end
            self.wirelog.raw("out", piece)
            end = await self._write(conn, transport, piece, timeout)
            if end is not None:
                return end
            if pause > 0:
                await asyncio.sleep(pause)
        return None

    async def _write(self, conn: _Connection, transport: asyncio.Transport, piece: bytes,
                     timeout: float) -> StreamEnd | None:
        """Write ``piece`` and wait until it has left; the end if the connection went."""
        deadline = asyncio.get_running_loop().time() + timeout
        if self._tls_slice is None:
            transport.write(piece)
            return await self._flush(conn, transport, len(piece), timeout, deadline)
        # The TLS transport encrypts a whole write at once and hands it to the
        # TCP transport below, whose buffer has no cap: a 32 MiB write to a peer
        # that does not read would look flushed. In slices, the TLS layer's own
        # buffer fills once the TCP transport pauses, and the stall shows. The
        # slices are a multiple of the 16 KiB record size, so the records on the
        # wire are the same as for one write.
        view = memoryview(piece)
        for start in range(0, len(piece), self._tls_slice):
            transport.write(view[start:start + self._tls_slice])
            end = await self._flush(conn, transport, len(piece), timeout, deadline)
            if end is not None:
                return end
        return None

    async def _flush(self, conn: _Connection, transport: asyncio.Transport, size: int,
                     timeout: float, deadline: float) -> StreamEnd | None:
        """Wait until the transport holds nothing; the end if the connection went."""
        loop = asyncio.get_running_loop()
        while True:
            if self._closed:
                raise DriverError("send on a closed connection")
            if conn.lost:
                return self._write_end(conn)
            # A write that failed at once closes the transport and schedules
            # connection_lost for the next loop turn: wait for it rather than
            # report the write as delivered.
            if not transport.is_closing() and transport.get_write_buffer_size() == 0:
                return None
            remaining = deadline - loop.time()
            if remaining <= 0:
                self._write_stalled = True
                message = shared.write_stalled(size, timeout)
                self.wirelog.event(message)
                raise DriverError(message)
            await conn.wait_writable(remaining)

    @staticmethod
    def _write_end(conn: _Connection) -> StreamEnd | None:
        if not conn.lost:
            return None
        return StreamEnd.FIN if conn.eof or conn.lost_exc is None else StreamEnd.RESET

    # reading
    async def receive(self, timeout: float) -> bytes | StreamEnd | None:
        conn, _ = self._require("receive")
        if self._read_end is not None:
            return self._read_end
        await conn.wait_readable(timeout)
        if conn.buffer:
            data = conn.take()
            self.wirelog.raw("in", data)
            return data
        if conn.eof or (conn.lost and conn.lost_exc is None):
            self._read_end = StreamEnd.FIN
            self.wirelog.event(shared.FIN_EVENT)
            return self._read_end
        if conn.lost:
            self._read_end = StreamEnd.RESET
            reason = shared.os_reason(conn.lost_exc) if conn.lost_exc else "connection lost"
            self.wirelog.event(shared.reset_event(reason))
            return self._read_end
        return None

    # time
    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    def clock(self) -> float:
        return asyncio.get_running_loop().time()

    # closing
    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        conn, transport = self._conn, self._transport
        if conn is None or transport is None:
            return
        try:
            # after a stalled write there is nothing worth flushing
            if not conn.lost and not self._write_stalled:
                # close() flushes and, for TLS, exchanges close_notify; a peer
                # that neither reads nor answers gets CLOSE_GRACE, then an abort.
                with contextlib.suppress(Exception):
                    transport.close()
                await conn.wait_lost(shared.CLOSE_GRACE)
        finally:
            if not conn.lost:
                transport.abort()
            self.wirelog.event(shared.CLOSED_EVENT)


class AsyncioRuntime(Runtime):
    """The suite on asyncio.

    In the main thread every :meth:`run` reuses one event loop, closed when the
    process exits: a worker runs hundreds of short cases, and a new loop costs
    each of them its set-up and teardown (0.3 ms against 0.1 ms). Each run still
    starts clean, as with ``asyncio.run``: in a fresh copy of the context, and
    the tasks it leaves behind are cancelled before it returns. Other threads (a
    :class:`~wsspec.driver.background.BackgroundRun`) and Python 3.10 get a loop
    per run.
    """

    name = "asyncio"

    def _run(self, async_fn: Callable[[], Awaitable[T]]) -> T:
        async def main() -> T:
            try:
                return await async_fn()
            finally:
                await _cancel_the_others()

        if sys.version_info >= (3, 11) and threading.current_thread() is threading.main_thread():
            return _main_thread_runner().run(main(), context=contextvars.copy_context())
        return asyncio.run(main())

    def connection(self, wirelog: WireLog) -> AsyncioDriver:
        return AsyncioDriver(wirelog)

    async def within(self, seconds: float, async_fn: Callable[[], Awaitable[T]]) -> T:
        try:
            return await asyncio.wait_for(async_fn(), seconds)
        except asyncio.TimeoutError:
            raise DeadlineExceeded(seconds) from None

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    async def run_all(self, calls: Sequence[Callable[[], Awaitable[None]]]) -> None:
        await asyncio.gather(*(call() for call in calls))

    async def stoppable(self, async_fn: Callable[[], Awaitable[None]],
                        on_stop: Callable[[Callable[[], None]], None]) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        stopped = False

        def stop() -> None:
            nonlocal stopped
            stopped = True
            loop.call_soon_threadsafe(task.cancel)

        on_stop(stop)
        try:
            await async_fn()
        except asyncio.CancelledError:
            if not stopped:
                raise

    async def wait_wake(self, on_wake: Callable[[Callable[[], None]], None]) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def settle() -> None:
            if not future.done():
                future.set_result(None)

        def wake() -> None:
            # RuntimeError: that loop is closed, nobody waits any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle)

        on_wake(wake)
        await future


if sys.version_info >= (3, 11):
    @functools.cache
    def _main_thread_runner() -> asyncio.Runner:
        runner = asyncio.Runner()
        atexit.register(runner.close)
        return runner


async def _cancel_the_others() -> None:
    """Cancel the tasks other than the caller's, and wait for them (``asyncio.run``'s
    last act, done here so that a reused loop starts the next run clean)."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


RUNTIME = AsyncioRuntime()
