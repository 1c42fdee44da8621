"""Echo clients on third-party Python WebSocket libraries, for ``--client-cmd``.

    python -m wsspec.targets.clients.thirdparty LIBRARY {url}

with LIBRARY one of websockets, aiohttp, tornado, wsproto, trio-websocket. Each
connects with the library's own client, echoes every message until the
connection closes, and leaves every rule to the library: what the suite then
reports is the library's behaviour. wsproto is sans-IO, so its client drives a
blocking socket and does what wsproto leaves to its user (answering pings and
close frames, sending the close frame of a connection it fails). Libraries are
imported only when chosen (asyncio too: a client starts once per case).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["CLIENTS", "main"]

#: the largest message a client takes (the suite's largest is 16 MiB).
MAX_MESSAGE = 64 * 2**20
#: seconds a client waits on a silent connection before it gives up: the suite ends
#: every case well within it, and kills the client anyway when a case ends.
IDLE_TIMEOUT = 60.0


def _websockets(url: str) -> None:
    from websockets.sync.client import connect

    with connect(url, max_size=MAX_MESSAGE, compression=None, open_timeout=10) as ws:
        for message in ws:
            ws.send(message)


def _aiohttp(url: str) -> None:
    import asyncio

    import aiohttp

    async def run() -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(
                url, max_msg_size=MAX_MESSAGE, compress=0) as ws:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    await ws.send_str(message.data)
                elif message.type == aiohttp.WSMsgType.BINARY:
                    await ws.send_bytes(message.data)
                else:
                    break

    asyncio.run(run())


def _tornado(url: str) -> None:
    import asyncio

    from tornado.websocket import websocket_connect

    async def run() -> None:
        connection = await websocket_connect(url, max_message_size=MAX_MESSAGE)
        while (message := await connection.read_message()) is not None:
            await connection.write_message(message, binary=isinstance(message, bytes))

    asyncio.run(run())


def _trio_websocket(url: str) -> None:
    import trio
    from trio_websocket import ConnectionClosed, open_websocket_url

    async def run() -> None:
        async with open_websocket_url(url, max_message_size=MAX_MESSAGE,
                                      connect_timeout=10, disconnect_timeout=5) as ws:
            while True:
                try:
                    message = await ws.get_message()
                except ConnectionClosed:
                    return
                await ws.send_message(message)

    trio.run(run)


def _wsproto(url: str) -> None:
    import socket
    from urllib.parse import urlsplit

    from wsproto import ConnectionType, WSConnection
    from wsproto.connection import ConnectionState
    from wsproto.events import (
        BytesMessage,
        CloseConnection,
        Event,
        Message,
        Ping,
        RejectConnection,
        RejectData,
        Request,
        TextMessage,
    )

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = WSConnection(ConnectionType.CLIENT)
    texts: list[str] = []
    binaries: list[bytes] = []

    def answer(event: Event) -> bytes:
        """What the client sends for ``event``: an echo, a pong, a close frame."""
        if isinstance(event, (RejectConnection, RejectData)):
            raise ConnectionError(f"the server refused the handshake: {event!r}")
        if isinstance(event, CloseConnection):
            if connection.state is ConnectionState.REMOTE_CLOSING:
                return connection.send(event.response())
            if connection.state is ConnectionState.OPEN:  # wsproto met a protocol error
                return connection.send(CloseConnection(code=event.code))
            return b""
        if connection.state is not ConnectionState.OPEN:  # closing: nothing more to echo
            return b""
        if isinstance(event, Ping):
            return connection.send(event.response())
        if isinstance(event, TextMessage | BytesMessage):
            held = sum(map(len, texts)) + sum(map(len, binaries)) + len(event.data)
            if held > MAX_MESSAGE:  # the cap the other clients take as max_size
                return connection.send(CloseConnection(code=1009))
        if isinstance(event, TextMessage):
            texts.append(event.data)
            if event.message_finished:
                return connection.send(Message(data="".join(texts)))
        elif isinstance(event, BytesMessage):
            binaries.append(bytes(event.data))
            if event.message_finished:
                return connection.send(Message(data=b"".join(binaries)))
        return b""

    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    with socket.create_connection((host, port), timeout=IDLE_TIMEOUT) as sock:
        sock.sendall(connection.send(Request(host=parts.netloc, target=target)))
        while True:  # bounded: each read waits at most IDLE_TIMEOUT, and EOF ends it
            data = sock.recv(65536)
            connection.receive_data(data or None)
            for event in connection.events():
                out = answer(event)
                if out:
                    sock.sendall(out)
                if isinstance(event, TextMessage | BytesMessage) and event.message_finished:
                    texts.clear()
                    binaries.clear()
            if not data:
                return


#: library name -> its echo client
CLIENTS: dict[str, Callable[[str], None]] = {
    "websockets": _websockets, "aiohttp": _aiohttp, "tornado": _tornado,
    "wsproto": _wsproto, "trio-websocket": _trio_websocket,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in CLIENTS:
        print(f"usage: python -m wsspec.targets.clients.thirdparty "
              f"{{{','.join(CLIENTS)}}} URL", file=sys.stderr)
        return 2
    try:
        CLIENTS[args[0]](args[1])
    except Exception as exc:  # the library's own way of ending a connection it refused
        print(f"{args[0]}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
