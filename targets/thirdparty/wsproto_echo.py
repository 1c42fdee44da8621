"""An echo server on the sans-IO ``wsproto`` library (``h11`` parses the
opening handshake), driven by asyncio streams, for ``--target-cmd``.

python -m wsspec.targets.thirdparty.wsproto_echo PORT [--max-size BYTES]

Every path is a WebSocket endpoint that echoes text and binary messages with
their type. wsproto leaves the I/O to the application, so this module does
what a server built on it must: answer pings and close frames, fail the
connection with the code wsproto reports for a protocol error, refuse a bad
opening handshake with the response wsproto proposes, and close TCP (after
letting the client's last bytes drain, so they do not turn the close into a
reset).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Request,
    TextMessage,
)
from wsproto.utilities import RemoteProtocolError

READ_SIZE = 64 * 1024
#: how long a failed connection's remaining input is read and dropped before closing.
LINGER = 2.0


class EchoSession:
    """One connection's protocol state: bytes in, bytes to send out."""

    def __init__(self, max_size: int | None) -> None:
        self.ws = WSConnection(ConnectionType.SERVER)
        self.max_size = max_size
        self.parts: list[str | bytes | bytearray] = []
        self.size = 0
        #: the connection is over: send what is left, then close TCP.
        self.finished = False
        #: it ended by a failure or refusal: drain the client's input before closing.
        self.failed = False

    def receive(self, data: bytes | None) -> bytes:
        """Feed bytes from the client (None at end of stream); the bytes to send."""
        try:
            self.ws.receive_data(data)
        except RemoteProtocolError as exc:  # a bad opening handshake
            self.finished = self.failed = True
            return self.ws.send(exc.event_hint) if exc.event_hint is not None else b""
        out = bytearray()
        for event in self.ws.events():
            out += self.handle(event)
            if self.finished:
                break
        return bytes(out)

    def handle(self, event: Event) -> bytes:
        if isinstance(event, Request):
            return self.ws.send(AcceptConnection())
        if isinstance(event, (TextMessage, BytesMessage)):
            return self.collect(event)
        if isinstance(event, Ping):
            return self.ws.send(event.response())
        if isinstance(event, CloseConnection):
            self.finished = True
            if self.ws.state is ConnectionState.REMOTE_CLOSING:  # the client's close
                return self.ws.send(event.response())
            if self.ws.state is ConnectionState.OPEN:  # wsproto found a protocol error
                self.failed = True
                return self.ws.send(CloseConnection(code=event.code, reason=event.reason))
        return b""

    def collect(self, event: TextMessage | BytesMessage) -> bytes:
        self.parts.append(event.data)
        self.size += len(event.data)
        if self.max_size is not None and self.size > self.max_size:
            self.finished = self.failed = True
            return self.ws.send(CloseConnection(code=1009, reason="message too big"))
        if not event.message_finished:
            return b""
        parts, self.parts, self.size = self.parts, [], 0
        if isinstance(event, TextMessage):
            return self.ws.send(TextMessage(data="".join(p for p in parts if isinstance(p, str))))
        return self.ws.send(BytesMessage(data=b"".join(p for p in parts if not isinstance(p, str))))


async def drain(reader: asyncio.StreamReader) -> None:
    while await reader.read(READ_SIZE):
        pass


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           max_size: int | None) -> None:
    session = EchoSession(max_size)
    try:
        while not session.finished:
            data = await reader.read(READ_SIZE)
            out = session.receive(data or None)
            if out:
                writer.write(out)
                await writer.drain()
            if not data:
                break
        if session.failed and writer.can_write_eof():
            writer.write_eof()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(drain(reader), LINGER)
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def run(port: int, max_size: int | None) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_connection(reader, writer, max_size)

    server = await asyncio.start_server(on_connection, "127.0.0.1", port)
    async with server:
        print(f"wsproto echo server listening on ws://127.0.0.1:{port}/", flush=True)
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("--max-size", type=int, metavar="BYTES",
                        help="close with 1009 on larger messages (default: no limit)")
    options = parser.parse_args()
    asyncio.run(run(options.port, options.max_size))


if __name__ == "__main__":
    main()
