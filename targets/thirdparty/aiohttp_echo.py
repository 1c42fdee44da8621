"""An echo server on the ``aiohttp`` library, for ``--target-cmd``.

python -m wsspec.targets.thirdparty.aiohttp_echo PORT [--deflate] [--max-size BYTES]

Every path is a WebSocket endpoint that echoes text and binary messages with
their type; aiohttp answers pings and the closing handshake itself, and
closes with 1009 a message larger than ``--max-size`` (no limit when not given).
SIGTERM or SIGINT closes open connections with 1001 and stops the server.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import WSCloseCode, WSMsgType, web


def make_app(deflate: bool, max_size: int | None = None) -> web.Application:
    """An application whose every GET path is the echo endpoint."""
    open_sockets: set[web.WebSocketResponse] = set()

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=deflate, max_msg_size=max_size or 0, heartbeat=None)
        await ws.prepare(request)
        open_sockets.add(ws)
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await ws.send_str(message.data)
                elif message.type is WSMsgType.BINARY:
                    await ws.send_bytes(message.data)
        finally:
            open_sockets.discard(ws)
        return ws

    async def close_open_sockets(app: web.Application) -> None:
        # Without this, stopping waits for every connected client to leave.
        for ws in list(open_sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")

    app = web.Application()
    app.router.add_get("/{path:.*}", echo)
    app.on_shutdown.append(close_open_sockets)
    return app


async def run(port: int, deflate: bool, max_size: int | None = None) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    runner = web.AppRunner(make_app(deflate, max_size), handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print(f"aiohttp echo server listening on ws://127.0.0.1:{port}/", flush=True)
        await stop
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    parser.add_argument("--max-size", type=int, metavar="BYTES",
                        help="close with 1009 on larger messages (default: no limit)")
    options = parser.parse_args()
    asyncio.run(run(options.port, options.deflate, options.max_size))


if __name__ == "__main__":
    main()
