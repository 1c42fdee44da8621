"""The hostile servers: one connection handler each, on raw asyncio streams.

None of them is a WebSocket server gone slightly wrong (that is what
:mod:`wsspec.targets.faulty` is for); each is a peer a conformance run may meet in
the wild and must survive: one that never answers, one that answers a byte a
second, one that speaks another protocol, one that floods. A handler gets the
connection's reader and writer and returns when it is done with it; the
server then closes the socket.

Every handler is bounded: no connection is served longer than
:data:`MAX_CONNECTION_TIME` seconds, and no stream sends more than
:data:`MAX_STREAMED` bytes, so a test that forgets a hostile server cannot
leave it running for ever.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import os
import random
import re
import socket
import struct
from collections.abc import Awaitable, Callable

__all__ = ["HOSTILE", "MAX_CONNECTION_TIME", "MAX_STREAMED", "Handler"]

#: the longest one connection is served (s).
MAX_CONNECTION_TIME = 120.0
#: the most bytes an endless stream sends on one connection.
MAX_STREAMED = 1 << 30
#: the cap on the request head a handler reads (bytes).
MAX_HEAD = 16 * 1024

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_KEY_RE = re.compile(rb"(?im)^Sec-WebSocket-Key:[ \t]*([^\r\n]*?)[ \t]*\r?$")

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


# -- helpers ------------------------------------------------------------------------


async def read_head(reader: asyncio.StreamReader, timeout: float = 10.0) -> bytes:
    """The request head (up to the blank line), or what came before EOF, a deadline
    or :data:`MAX_HEAD` bytes."""
    head = bytearray()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while b"\r\n\r\n" not in head and len(head) < MAX_HEAD:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            data = await asyncio.wait_for(reader.read(4096), remaining)
        except (asyncio.TimeoutError, OSError):
            break
        if not data:
            break
        head += data
    return bytes(head)


def switching_protocols(head: bytes) -> bytes:
    """A correct 101 response to ``head`` (the accept value of its key, if any)."""
    match = _KEY_RE.search(head)
    key = match.group(1) if match else b""
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    return (b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\n"
            b"Connection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")


def frame_header(opcode: int, length: int, *, fin: bool = True) -> bytes:
    """An unmasked frame header declaring ``length`` bytes in the 64-bit form
    when it does not fit the shorter ones (no check on the top bit)."""
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        return bytes((first, length))
    if length < 1 << 16:
        return bytes((first, 126)) + struct.pack("!H", length)
    return bytes((first, 127)) + struct.pack("!Q", length)


async def discard(reader: asyncio.StreamReader) -> None:
    """Read and drop everything until EOF (or the connection breaks)."""
    with contextlib.suppress(OSError):
        while await reader.read(65536):
            pass


async def write(writer: asyncio.StreamWriter, data: bytes) -> bool:
    """Write and drain; False once the peer is gone."""
    try:
        writer.write(data)
        await writer.drain()
    except (OSError, RuntimeError):
        return False
    return True


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), not a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# -- the servers ----------------------------------------------------------------------


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts the connection, reads everything, never writes a byte."""
    await discard(reader)


async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers a correct 101, one byte per second."""
    response = switching_protocols(await read_head(reader))
    drain = asyncio.ensure_future(discard(reader))
    try:
        for byte in response:
            if not await write(writer, bytes((byte,))):
                return
            await asyncio.sleep(1.0)
        await drain
    finally:
        drain.cancel()


async def http_200(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers like a plain HTTP server (or a proxy that drops Upgrade): 200 OK
    without Content-Length, then a body one byte per second, never closing."""
    await read_head(reader)
    if not await write(writer, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                               b"Server: hostile-http\r\n\r\n"):
        return
    drain = asyncio.ensure_future(discard(reader))
    try:
        for byte in itertools.cycle(b"<html>not a WebSocket server</html>\n"):
            if drain.done() or not await write(writer, bytes((byte,))):
                return
            await asyncio.sleep(1.0)
    finally:
        drain.cancel()


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers the request with 4 KiB of random bytes (no HTTP at all), then closes."""
    await read_head(reader)
    await write(writer, random.Random(6455).randbytes(4096))


async def endless_frame(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A correct 101, then a binary frame declaring 2^62 bytes (a legal 63-bit
    length) whose payload streams as fast as the client reads it."""
    head = await read_head(reader)
    if not await write(writer, switching_protocols(head) + frame_header(0x2, 1 << 62)):
        return
    drain = asyncio.ensure_future(discard(reader))
    chunk = b"\xa5" * 65536
    try:
        for _ in range(MAX_STREAMED // len(chunk)):
            if drain.done() or not await write(writer, chunk):
                return
    finally:
        drain.cancel()


async def huge_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A correct 101, then a binary frame declaring 2^63 bytes (the top bit of the
    64-bit length set, which RFC 6455 5.2 forbids), then nothing more."""
    head = await read_head(reader)
    if await write(writer, switching_protocols(head) + frame_header(0x2, 1 << 63) + b"huge"):
        await discard(reader)


async def reset_handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Starts a 101 response, then resets the connection in the middle of it."""
    head = await read_head(reader)
    await write(writer, switching_protocols(head)[:40])
    reset(writer)


def _tls_record(content_type: int, body: bytes) -> bytes:
    return struct.pack("!BHH", content_type, 0x0303, len(body)) + body


def _server_hello() -> bytes:
    # ServerHello: version, 32 random bytes, empty session id,
    # TLS_AES_128_GCM_SHA256, no compression, no extensions.
    body = struct.pack("!H", 0x0303) + os.urandom(32) + b"\x00" + b"\x13\x01" + b"\x00"
    body += b"\x00\x00"
    return _tls_record(0x16, b"\x02" + len(body).to_bytes(3, "big") + body)


async def tls_to_plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers a plain-text request the way a TLS-only port does: a TLS
    ServerHello record, then a fatal alert, then closes."""
    await read_head(reader)
    alert = _tls_record(0x15, b"\x02\x32")  # fatal, decode_error
    await write(writer, _server_hello() + alert)


async def plain_to_tls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A plain-HTTP port reached by a TLS client: the ClientHello is answered with
    a plain-text 400 and the connection closed."""
    with contextlib.suppress(asyncio.TimeoutError, OSError):
        await asyncio.wait_for(reader.read(4096), 10.0)
    await write(writer, b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                        b"Content-Length: 25\r\nConnection: close\r\n\r\n"
                        b"this port speaks no TLS\r\n")


async def close_after_101(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A correct 101, then the TCP connection closed at once, without a close frame."""
    await write(writer, switching_protocols(await read_head(reader)))


async def ping_flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A correct 101, then pings as fast as the client reads them (it reads and
    drops everything the client sends: pongs, messages, close frames)."""
    head = await read_head(reader)
    if not await write(writer, switching_protocols(head)):
        return
    drain = asyncio.ensure_future(discard(reader))
    sent = 0
    try:
        for count in itertools.count():
            payload = b"flood %d" % count
            batch = b"".join(frame_header(0x9, len(payload)) + payload for _ in range(64))
            if drain.done() or sent > MAX_STREAMED or not await write(writer, batch):
                return
            sent += len(batch)
    finally:
        drain.cancel()


#: name → (what it does, its connection handler).
HOSTILE: dict[str, tuple[str, Handler]] = {
    "silent": (silent.__doc__ or "", silent),
    "trickle": (trickle.__doc__ or "", trickle),
    "http-200": (http_200.__doc__ or "", http_200),
    "garbage": (garbage.__doc__ or "", garbage),
    "endless-frame": (endless_frame.__doc__ or "", endless_frame),
    "huge-length": (huge_length.__doc__ or "", huge_length),
    "reset-handshake": (reset_handshake.__doc__ or "", reset_handshake),
    "tls-to-plain": (tls_to_plain.__doc__ or "", tls_to_plain),
    "plain-to-tls": (plain_to_tls.__doc__ or "", plain_to_tls),
    "close-after-101": (close_after_101.__doc__ or "", close_after_101),
    "ping-flood": (ping_flood.__doc__ or "", ping_flood),
}
