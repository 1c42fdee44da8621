"""Echo clients on third-party WebSocket libraries, for ``--client-cmd``.

    python -m wsspec.targets.clients.thirdparty websockets {url}
    python -m wsspec.targets.clients.thirdparty aiohttp {url}
    python -m wsspec.targets.clients.thirdparty tornado {url}

Each connects with the library's own client, echoes every message until the
connection closes, and leaves every rule to the library: what the suite then
reports is the library's behaviour. Libraries are imported only when chosen.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

__all__ = ["CLIENTS", "main"]


def _websockets(url: str) -> None:
    from websockets.sync.client import connect

    with connect(url, max_size=None, compression=None, open_timeout=10) as ws:
        for message in ws:
            ws.send(message)


def _aiohttp(url: str) -> None:
    import aiohttp

    async def run() -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(
                url, max_msg_size=0, compress=0) as ws:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    await ws.send_str(message.data)
                elif message.type == aiohttp.WSMsgType.BINARY:
                    await ws.send_bytes(message.data)
                else:
                    break

    asyncio.run(run())


def _tornado(url: str) -> None:
    from tornado.websocket import websocket_connect

    async def run() -> None:
        connection = await websocket_connect(url, max_message_size=64 * 2**20)
        while (message := await connection.read_message()) is not None:
            await connection.write_message(message, binary=isinstance(message, bytes))

    asyncio.run(run())


#: library name -> its echo client
CLIENTS: dict[str, Callable[[str], None]] = {
    "websockets": _websockets, "aiohttp": _aiohttp, "tornado": _tornado,
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


if __name__ == "__main__":
    sys.exit(main())
