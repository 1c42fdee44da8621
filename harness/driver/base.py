"""The driver interface: the only place where the suite touches sockets.

A driver owns one TCP (or TLS) connection and knows nothing of WebSocket: it
writes bytes, reads bytes with a deadline, tells a FIN from a reset, and
records every byte in the case's :class:`~wsspec.wirelog.WireLog`. The case
DSL is written against :class:`Driver` and the runtime seam only, so the same
case runs on every driver.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from wsspec.wirelog import WireLog

if TYPE_CHECKING:
    import ssl

#: the most bytes one ``receive`` returns; the caller's parser caps what it buffers.
READ_CHUNK = 65536


class StreamEnd(enum.Enum):
    """How the peer ended the byte stream."""

    FIN = "fin"  # orderly TCP close (or TLS close_notify / EOF)
    RESET = "reset"  # connection reset / broken pipe / TLS failure after connect


class DriverError(Exception):
    """The driver could not do what was asked; the message says why in one line."""


class ConnectFailed(DriverError):
    """TCP connect or TLS handshake failed (refused, unreachable, deadline, bad cert)."""


@dataclass(frozen=True)
class TLSOptions:
    """How to verify a ``wss://`` target: certificates are verified by default.

    ``insecure`` skips verification (certificate and host name); ``ca_file``
    trusts a CA (or a self-signed certificate) besides the system's;
    ``server_hostname`` overrides the name sent in SNI and checked against
    the certificate (default: the host connected to).
    """

    insecure: bool = False
    ca_file: str | None = None
    server_hostname: str | None = None

    def context(self) -> ssl.SSLContext:
        """A fresh client context for one connection."""
        import ssl  # here: the registry of drivers is imported by every pytest run

        ctx = ssl.create_default_context(cafile=self.ca_file)
        if self.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx


class Driver(Protocol):
    """One connection to a target. Every method that waits takes a deadline.

    A driver is made by its runtime (:meth:`~wsspec.driver.runtime.Runtime.connection`)
    and used inside the loop that runtime runs; one driver carries one connection, a case
    that needs several connections makes several drivers. One task may send
    while another receives; two tasks must not both send (or both receive).

    Reading. ``receive`` hands out the bytes in the order they arrived, and
    only then how the stream ended: :attr:`StreamEnd.FIN` for an orderly close
    (a TCP FIN, or a TLS close_notify or bare EOF), :attr:`StreamEnd.RESET` for an
    abortive one (a TCP reset, a broken pipe, a TLS error after the handshake).
    After ``receive`` has returned a :class:`StreamEnd`, further calls return the
    same value at once, and the FIN or reset is recorded once in the wire log.
    The driver buffers at most a few :data:`READ_CHUNK` of unread bytes; beyond
    that it stops reading and TCP flow control holds the peer back.

    Writing. ``send`` returns how the stream ended instead of raising when the
    peer has gone, because a server failing the connection while the client
    is still writing is an expected outcome, not a harness error. A peer that
    is there but does not take the bytes is different: ``send`` raises
    :class:`DriverError` once ``timeout`` has passed, and the connection can no
    longer be written to (it can still be read from and closed).

    Misuse (send or receive before ``connect`` or after ``aclose``, connecting
    twice, chunk sizes below 1) raises :class:`DriverError` or ValueError: that is
    a bug in the case, never a verdict on the target.
    """

    wirelog: WireLog

    async def connect(self, host: str, port: int, *, tls: TLSOptions | None = None,
                      timeout: float = 5.0) -> None:
        """Open the connection within ``timeout`` seconds (resolving, TCP connect
        with TCP_NODELAY, and the TLS handshake if ``tls`` is given, with
        ``server_hostname`` = ``tls.server_hostname`` or ``host``).

        Records ``connected to host:port (tcp)`` or ``(tls TLSv1.3)`` in the wire
        log. Raises :class:`ConnectFailed` with a one-line reason, one of
        ``cannot resolve host 'x': …``, ``connection refused by host:port``,
        ``no answer from host:port within 5.0 s``, ``cannot connect to host:port: …``,
        ``TLS handshake with host:port failed: …`` (bad certificate, plain-text
        server, no reply within the deadline); the failure is also logged.
        """

    async def send(self, data: bytes, *, chunks: Sequence[int] | None = None,
                   pause: float = 0.0, timeout: float = 5.0) -> StreamEnd | None:
        """Write ``data``; with ``chunks``, as separate writes of those sizes
        (cycled until the data is spent), each flushed and followed by ``pause``
        seconds. Returns None, or how the peer ended the stream if it did.

        Each write is recorded as ``raw("out", piece)`` when it is handed to the
        connection. "Flushed" means handed to the operating system (for TLS:
        encrypted and passed to the TCP layer), so each piece leaves as its own
        write before the next one is made. ``timeout`` bounds each flush, not the
        whole call, so pauses do not count against it: a piece the peer has not
        taken within ``timeout`` seconds raises :class:`DriverError` (``write of
        N bytes did not complete within T s: the peer is not reading``).

        If the connection is gone, returns :attr:`StreamEnd.FIN` when the peer
        is known to have closed in order first and :attr:`StreamEnd.RESET`
        otherwise; the remaining pieces are not written. ``receive`` remains the
        authority on how the peer ended the stream.
        """

    async def receive(self, timeout: float) -> bytes | StreamEnd | None:
        """Up to :data:`READ_CHUNK` bytes; a :class:`StreamEnd`; or None when
        ``timeout`` seconds pass with nothing to read.

        Never waits beyond ``timeout`` and never raises for anything the peer
        does. Bytes are recorded as ``raw("in", data)``. A ``timeout`` of 0 is
        not a reliable poll: it may return None while bytes are in flight.
        """

    async def sleep(self, seconds: float) -> None:
        """Wait on this driver's event loop (for paced writes, never for verdicts)."""

    def clock(self) -> float:
        """Monotonic seconds on this driver's event loop."""

    async def aclose(self) -> None:
        """Close the connection (idempotent, never raises).

        Closes gracefully (pending bytes flushed, a TLS close_notify sent) but
        gives that a bounded time before aborting, so a peer that stopped reading
        cannot hold the suite. Safe to call on a driver that never connected.
        """
