"""The suite's end of a client's TCP connection: a listener, and an accepted stream.

The client under test is a separate process, so the suite's side is plain
blocking sockets driven with deadlines; no event loop is needed. Every wait
takes a timeout, every read is capped at :data:`~wsspec.driver.base.READ_CHUNK`,
and every byte is recorded in the case's wire log.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Sequence

from wsspec.driver.base import READ_CHUNK, StreamEnd
from wsspec.wirelog import WireLog

__all__ = ["Listener", "PeerStream"]

LOOPBACK = "127.0.0.1"


class PeerStream:
    """One accepted connection from the client under test.

    :meth:`receive` returns bytes, a :class:`StreamEnd` (then the same one on every
    later call), or ``None`` when its timeout passes; :meth:`send` returns how the
    client ended the stream if it did, instead of raising.
    """

    def __init__(self, sock: socket.socket, wirelog: WireLog) -> None:
        self._sock = sock
        self.wirelog = wirelog
        self._end: StreamEnd | None = None
        self._write_end: StreamEnd | None = None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def ended(self) -> StreamEnd | None:
        """How the client ended the stream, once :meth:`receive` has seen it."""
        return self._end

    def receive(self, timeout: float) -> bytes | StreamEnd | None:
        if self._end is not None:
            return self._end
        try:
            ready, _, _ = select.select([self._sock], [], [], max(timeout, 0.0))
            if not ready:
                return None
            data = self._sock.recv(READ_CHUNK)
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            return self._ended(StreamEnd.RESET)
        except OSError:
            return self._ended(StreamEnd.RESET)
        if not data:
            return self._ended(StreamEnd.FIN)
        self.wirelog.raw("in", data)
        return data

    def _ended(self, end: StreamEnd) -> StreamEnd:
        self._end = end
        self.wirelog.event("client closed the TCP connection (FIN)" if end is StreamEnd.FIN
                           else "client reset the TCP connection")
        return end

    def send(self, data: bytes, *, chunks: Sequence[int] | None = None,
             timeout: float = 5.0) -> StreamEnd | None:
        """Write ``data`` (with ``chunks``: as writes of those sizes, cycled), each write
        bounded by ``timeout``. Returns ``None``, or how the stream ended."""
        if self._write_end is not None:
            return self._write_end
        pieces = [data] if not chunks else _cut(data, chunks)
        for piece in pieces:
            self.wirelog.raw("out", piece)
            try:
                self._sock.settimeout(timeout)
                self._sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                self._write_end = self._end or StreamEnd.RESET
                return self._write_end
            except TimeoutError:
                self.wirelog.event(f"write of {len(piece)} bytes did not complete within "
                                   f"{timeout:g} s: the client is not reading")
                self._write_end = StreamEnd.RESET
                return self._write_end
            except OSError:
                self._write_end = StreamEnd.RESET
                return self._write_end
            finally:
                self._sock.setblocking(True)
        return None

    def shutdown_write(self) -> None:
        """Send a FIN (the server's TCP close of RFC 6455 §7.1.1); reading goes on."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)
        self.wirelog.event("suite closed its side of the TCP connection (FIN)")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


def _cut(data: bytes, chunks: Sequence[int]) -> list[bytes]:
    if any(size < 1 for size in chunks):
        raise ValueError(f"chunk sizes must be at least 1, got {list(chunks)}")
    pieces, offset, turn = [], 0, 0
    while offset < len(data):
        size = chunks[turn % len(chunks)]
        pieces.append(data[offset:offset + size])
        offset += size
        turn += 1
    return pieces or [b""]


class Listener:
    """A loopback listening socket (on a free port by default); the client under test
    connects to it."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        self._sock = socket.create_server((host, port), backlog=16)
        self.host = host
        self.port: int = self._sock.getsockname()[1]

    def accept(self, timeout: float) -> socket.socket | None:
        """The next connection, or ``None`` when none arrives within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._sock], [], [], max(left, 0.0))
            if ready:
                with contextlib.suppress(BlockingIOError, ConnectionAbortedError):
                    sock, _ = self._sock.accept()
                    sock.setblocking(True)
                    return sock
            if time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()
