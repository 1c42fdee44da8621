"""What both drivers share: chopping writes, and the one-line messages they report.

Keeping the wording here means a case gets the same ``ConnectFailed`` text and
the same wire-log events whichever event loop ran it.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from wsspec.driver.base import ConnectFailed, DriverError

if TYPE_CHECKING:
    from wsspec.driver.base import TLSOptions
    from wsspec.wirelog import WireLog

#: seconds ``aclose`` lets a graceful close (flush, TLS close_notify) take before aborting.
CLOSE_GRACE = 1.0


def pieces(data: bytes, chunks: Sequence[int] | None) -> Iterator[bytes]:
    """``data`` cut into writes of the sizes in ``chunks``, cycled until it is spent.

    Without ``chunks`` the whole of ``data`` is one write (none if it is empty).
    Raises ValueError for an empty ``chunks`` or a size below 1: that is a bug in
    the case, not something a target did.
    """
    if chunks is None:
        if data:
            yield data
        return
    sizes = list(chunks)
    if not sizes or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"chunks must be positive sizes, got {sizes!r}")
    view = memoryview(data)
    start = 0
    index = 0
    while start < len(data):
        size = sizes[index % len(sizes)]
        yield bytes(view[start:start + size])
        start += size
        index += 1


def numeric_addrinfo(host: str, port: int) -> list[tuple[Any, ...]] | None:
    """``getaddrinfo`` for a host that is an IP address, answered without a
    resolver; None for a name (which needs one)."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                  flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):
        return None


def host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 literal in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def cannot_resolve(host: str, reason: str) -> str:
    return f"cannot resolve host {host!r}: {reason}"


def no_answer(where: str, timeout: float) -> str:
    return f"no answer from {where} within {timeout} s"


def connect_error(where: str, errors: Sequence[OSError]) -> str:
    """The message for a TCP connect that failed on every address tried."""
    if any(isinstance(e, ConnectionRefusedError) for e in errors):
        return f"connection refused by {where}"
    last = errors[-1] if errors else None
    return f"cannot connect to {where}: {os_reason(last) if last else 'no address to try'}"


def tls_failed(where: str, reason: str) -> str:
    return f"TLS handshake with {where} failed: {reason}"


def tls_timeout(where: str, timeout: float) -> str:
    return tls_failed(where, f"no reply within {timeout} s")


def tls_reason(exc: BaseException | None) -> str:
    """Why a TLS handshake failed, in words a server author recognises."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    # asyncio reports an EOF during the handshake as a bare ConnectionResetError()
    bare_reset = isinstance(exc, ConnectionResetError) and exc.errno is None
    if is_tls_eof(exc) or isinstance(exc, ssl.SSLZeroReturnError) or bare_reset:
        return "the server closed the connection during the handshake"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        # A plain-text server answers the ClientHello with something that is not
        # a TLS record; OpenSSL calls that a wrong version or a record failure.
        if reason in {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST",
                      "PACKET_LENGTH_TOO_LONG", "RECORD_TOO_LONG"}:
            return f"{reason} (the server does not seem to speak TLS)"
        return reason
    if isinstance(exc, OSError):
        return os_reason(exc)
    return one_line(str(exc)) if exc else "unknown error"


def is_tls_eof(exc: BaseException | None) -> bool:
    """True for OpenSSL's 'EOF without close_notify', which is still an orderly TCP close."""
    return isinstance(exc, ssl.SSLEOFError) or (
        isinstance(exc, ssl.SSLError) and "UNEXPECTED_EOF" in str(exc))


def os_reason(exc: BaseException) -> str:
    """``[Errno 104] Connection reset by peer`` → ``connection reset by peer (ECONNRESET)``."""
    if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) and exc.errno:
        # os.strerror, not exc.strerror: asyncio puts its own text in the latter
        text = os.strerror(exc.errno) if exc.errno > 0 else (exc.strerror or str(exc))
        name = errno.errorcode.get(exc.errno, str(exc.errno))
        return f"{text[0].lower()}{text[1:]} ({name})" if exc.errno > 0 else text
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"TLS error {exc.reason}"
    return one_line(str(exc)) or type(exc).__name__


def one_line(text: str) -> str:
    return " ".join(text.split())


# wire-log events, worded once for both drivers
def connected_event(host: str, port: int, address: str, tls_version: str | None) -> str:
    where = host_port(host, port)
    via = f"tls {tls_version}" if tls_version else "tcp"
    if address != host:
        return f"connected to {where} ({address}, {via})"
    return f"connected to {where} ({via})"


FIN_EVENT = "peer closed the connection (FIN)"


def reset_event(reason: str) -> str:
    return f"connection reset ({reason})"


def write_stalled(size: int, timeout: float) -> str:
    return (f"write of {size} bytes did not complete within {timeout} s: "
            "the peer is not reading")


def not_sent_event(size: int, end_name: str) -> str:
    return f"write of {size} bytes not sent: the stream has ended ({end_name})"


CLOSED_EVENT = "connection closed by the client"


class ConnectOnce:
    """The ``connect`` both drivers share: one connection per driver, and a failure
    to connect written to the wire log. A driver implements ``_connect``."""

    wirelog: WireLog
    _started: bool
    _closed: bool

    async def connect(self, host: str, port: int, *, tls: TLSOptions | None = None,
                      timeout: float = 5.0) -> None:
        if self._started or self._closed:
            raise DriverError("connect called twice on one driver")
        self._started = True
        try:
            await self._connect(host, port, tls, timeout)
        except ConnectFailed as exc:
            self.wirelog.event(f"connect failed: {exc}")
            raise

    async def _connect(self, host: str, port: int, tls: TLSOptions | None,
                       timeout: float) -> None:
        raise NotImplementedError
