"""The trio driver: one connection in the running trio run.

Theory of operation. Trio's streams already hold no buffer of their own and read
only when asked, so the driver is a thin layer over :class:`trio.SocketStream`
(and :class:`trio.SSLStream` for TLS) that turns exceptions into
:class:`StreamEnd` values and deadlines into ``move_on_after`` scopes.
Cancelling ``receive_some`` is safe on both streams once the TLS handshake is
done, which is what lets ``receive`` take a deadline.

Because reads are lazy, a reset can surface on a write before any read sees
it; the kernel then reports a plain EOF to the next read. The driver remembers
that reset so ``receive`` still reports :attr:`StreamEnd.RESET` after the bytes
that arrived before it, as the asyncio driver (which reads eagerly) does.

Cancelling ``send_all`` is not safe: on an :class:`trio.SSLStream` it breaks
the stream for reading too. So writes are never cancelled from outside; the
TCP stream sits inside a :class:`_WriteGuard` that gives up on a write at its
own deadline, marks the write side stalled and returns, leaving the TLS state
intact so the bytes the peer sent can still be read.

TLS runs with ``https_compatible=False`` so ``aclose`` sends a close_notify,
as asyncio does; an EOF without close_notify is still reported as a FIN, since
at the TCP level that is what it is.
"""

from __future__ import annotations

import contextlib
import math
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import trio
from wsspec.driver import _shared as shared
from wsspec.driver.base import READ_CHUNK, ConnectFailed, DriverError, StreamEnd, TLSOptions
from wsspec.driver.runtime import DeadlineExceeded, Runtime
from wsspec.wirelog import WireLog

T = TypeVar("T")


class _WriteGuard(trio.abc.Stream):
    """The TCP stream, with writes bounded by ``deadline`` instead of by cancellation.

    A write still running at ``deadline`` is abandoned (part of it may have been
    sent) and every later write is dropped: after a stall the byte stream is
    no longer whole, so nothing more may go out. Reads pass straight through.
    """

    def __init__(self, inner: trio.SocketStream) -> None:
        self.inner = inner
        self.deadline = math.inf
        self.stalled = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self.stalled:
            await trio.lowlevel.checkpoint()
            return
        # shielded: an outer cancel must not cut a write in half; the deadline
        # still bounds it
        with trio.CancelScope(deadline=self.deadline, shield=True) as scope:
            await self.inner.send_all(data)
        if scope.cancelled_caught:
            self.stalled = True

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.inner.aclose()


class TrioDriver(shared.ConnectOnce):
    """A :class:`~wsspec.driver.base.Driver` in the running trio run."""

    def __init__(self, wirelog: WireLog) -> None:
        self.wirelog = wirelog
        self._tcp: _WriteGuard | None = None
        self._stream: _WriteGuard | trio.SSLStream[_WriteGuard] | None = None
        self._started = False
        self._closed = False
        self._read_end: StreamEnd | None = None
        self._write_end: StreamEnd | None = None
        self._reset_reason: str | None = None  # a reset seen on a write, for the read side
        self._write_stalled = False
        self._sending = False

    # connecting (connect: shared.ConnectOnce)
    async def _connect(self, host: str, port: int, tls: TLSOptions | None,
                       timeout: float) -> None:
        deadline = trio.current_time() + timeout
        where = shared.host_port(host, port)
        tcp, address = await self._open_socket(host, port, deadline, timeout)
        # TLS may write during a read or a close (alerts, key updates): bound those too
        tcp.deadline = deadline
        self._tcp = tcp
        if tls is None:
            self._stream = tcp
            self.wirelog.event(shared.connected_event(host, port, address, None))
            return
        stream = trio.SSLStream(tcp, tls.context(), server_hostname=tls.server_hostname or host,
                                https_compatible=False)
        try:
            with trio.move_on_at(deadline) as scope:
                await stream.do_handshake()
        except trio.BrokenResourceError as exc:
            await trio.aclose_forcefully(stream)
            raise ConnectFailed(shared.tls_failed(where, shared.tls_reason(exc.__cause__))
                                ) from exc
        except BaseException:
            await trio.aclose_forcefully(stream)
            raise
        if scope.cancelled_caught:
            await trio.aclose_forcefully(stream)
            raise ConnectFailed(shared.tls_timeout(where, timeout))
        self._stream = stream
        version = stream.version()
        self.wirelog.event(shared.connected_event(host, port, address, version or "TLS"))

    @staticmethod
    async def _open_socket(host: str, port: int, deadline: float,
                           timeout: float) -> tuple[_WriteGuard, str]:
        """Resolve ``host`` and connect to its addresses in turn, within ``deadline``."""
        where = shared.host_port(host, port)
        infos = None
        try:
            with trio.move_on_at(deadline):
                infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise ConnectFailed(shared.cannot_resolve(host, shared.os_reason(exc))) from exc
        if infos is None:
            raise ConnectFailed(shared.cannot_resolve(host, f"no answer within {timeout} s"))
        errors: list[OSError] = []
        for family, kind, proto, _, sockaddr in infos:
            sock = trio.socket.socket(family, kind, proto)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with trio.move_on_at(deadline) as scope:
                    await sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                errors.append(exc)
                continue
            except BaseException:
                sock.close()
                raise
            if scope.cancelled_caught:
                sock.close()
                raise ConnectFailed(shared.no_answer(where, timeout))
            return _WriteGuard(trio.SocketStream(sock)), str(sockaddr[0])
        raise ConnectFailed(shared.connect_error(where, errors))

    def _require(self, what: str) -> _WriteGuard | trio.SSLStream[_WriteGuard]:
        if self._closed:
            raise DriverError(f"{what} on a closed connection")
        if self._stream is None:
            raise DriverError(f"{what} before connect")
        return self._stream

    # writing
    async def send(self, data: bytes, *, chunks: Sequence[int] | None = None,
                   pause: float = 0.0, timeout: float = 5.0) -> StreamEnd | None:
        stream = self._require("send")
        if self._write_stalled:
            raise DriverError("send after a stalled write: the connection cannot be written to")
        for piece in shared.pieces(data, chunks):
            if self._write_end is not None:
                self.wirelog.event(shared.not_sent_event(len(piece), self._write_end.name))
                return self._write_end
            self.wirelog.raw("out", piece)
            assert self._tcp is not None  # set with self._stream
            self._tcp.deadline = trio.current_time() + max(timeout, 0.0)
            self._sending = True
            try:
                await stream.send_all(piece)
            except trio.BrokenResourceError as exc:
                return self._write_failed(exc.__cause__)
            except trio.ClosedResourceError:
                raise DriverError("send on a closed connection") from None
            finally:
                self._sending = False
            if self._tcp.stalled:
                self._write_stalled = True
                message = shared.write_stalled(len(piece), timeout)
                self.wirelog.event(message)
                raise DriverError(message)
            if pause > 0:
                await trio.sleep(pause)
        return None

    def _write_failed(self, cause: BaseException | None) -> StreamEnd:
        if self._read_end is StreamEnd.FIN:
            end = StreamEnd.FIN
        else:
            end = StreamEnd.RESET
            self._reset_reason = shared.os_reason(cause) if cause else "connection lost"
        self._write_end = end
        return end

    # reading
    async def receive(self, timeout: float) -> bytes | StreamEnd | None:
        stream = self._require("receive")
        if self._read_end is not None:
            return self._read_end
        if self._tcp is not None and not self._sending:
            # a TLS read may have to write (an alert, a key update); a send in
            # another task keeps its own, longer deadline
            self._tcp.deadline = trio.current_time() + max(timeout, 0.0)
        with trio.move_on_after(max(timeout, 0.0)):
            try:
                data = await stream.receive_some(READ_CHUNK)
            except trio.BrokenResourceError as exc:
                cause = exc.__cause__
                if shared.is_tls_eof(cause):
                    return self._ended(StreamEnd.FIN, None)
                return self._ended(StreamEnd.RESET,
                                   shared.os_reason(cause) if cause else "connection lost")
            except trio.ClosedResourceError:
                raise DriverError("receive on a closed connection") from None
            if not data:
                if self._reset_reason is not None:
                    return self._ended(StreamEnd.RESET, self._reset_reason)
                return self._ended(StreamEnd.FIN, None)
            self.wirelog.raw("in", bytes(data))
            return bytes(data)
        return None

    def _ended(self, end: StreamEnd, reason: str | None) -> StreamEnd:
        self._read_end = end
        self.wirelog.event(shared.FIN_EVENT if end is StreamEnd.FIN
                           else shared.reset_event(reason or "connection lost"))
        return end

    # time
    async def sleep(self, seconds: float) -> None:
        await trio.sleep(max(seconds, 0.0))

    def clock(self) -> float:
        return trio.current_time()

    # closing
    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        stream = self._stream
        if stream is None:
            return
        try:
            # SSLStream.aclose sends close_notify without waiting for the reply;
            # that send can still block on a peer that stopped reading.
            if self._tcp is not None:
                self._tcp.deadline = trio.current_time() + shared.CLOSE_GRACE
            with trio.move_on_after(shared.CLOSE_GRACE):
                await stream.aclose()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        finally:
            await trio.aclose_forcefully(stream)
            self.wirelog.event(shared.CLOSED_EVENT)


class TrioRuntime(Runtime):
    """The suite on trio: each :meth:`run` is a ``trio.run``."""

    name = "trio"

    def _run(self, async_fn: Callable[[], Awaitable[T]]) -> T:
        return trio.run(async_fn)

    def connection(self, wirelog: WireLog) -> TrioDriver:
        return TrioDriver(wirelog)

    async def within(self, seconds: float, async_fn: Callable[[], Awaitable[T]]) -> T:
        with trio.move_on_after(seconds):
            return await async_fn()
        raise DeadlineExceeded(seconds)

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(max(seconds, 0.0))

    async def run_all(self, calls: Sequence[Callable[[], Awaitable[None]]]) -> None:
        async with trio.open_nursery() as nursery:
            for call in calls:
                nursery.start_soon(call)

    async def stoppable(self, async_fn: Callable[[], Awaitable[None]],
                        on_stop: Callable[[Callable[[], None]], None]) -> None:
        token = trio.lowlevel.current_trio_token()
        with trio.CancelScope() as scope:
            on_stop(lambda: token.run_sync_soon(scope.cancel))
            await async_fn()

    async def wait_wake(self, on_wake: Callable[[Callable[[], None]], None]) -> None:
        token = trio.lowlevel.current_trio_token()
        event = trio.Event()

        def wake() -> None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(event.set)

        on_wake(wake)
        await event.wait()


RUNTIME = TrioRuntime()
