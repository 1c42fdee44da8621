"""An echo server on the ``tornado`` library, for ``--target-cmd``.

python -m wsspec.targets.thirdparty.tornado_echo PORT [--max-size BYTES]

Every path is a WebSocket endpoint that echoes text and binary messages with
their type; tornado answers pings and the closing handshake itself, and closes
with 1009 a message larger than ``--max-size`` (tornado's default, 10 MiB,
when not given).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from tornado.web import Application
from tornado.websocket import WebSocketClosedError, WebSocketHandler


class EchoHandler(WebSocketHandler):
    """Sends every message back, text as text and binary as binary."""

    def check_origin(self, origin: str) -> bool:
        return True  # an echo endpoint for any page; tornado refuses cross-origin by default

    async def on_message(self, message: str | bytes) -> None:
        with contextlib.suppress(WebSocketClosedError):  # the client left before the echo
            await self.write_message(message, binary=isinstance(message, bytes))


async def run(port: int, max_size: int | None) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    settings: dict[str, Any] = {} if max_size is None else {"websocket_max_message_size": max_size}
    app = Application([(r"/.*", EchoHandler)], **settings)
    server = app.listen(port, address="127.0.0.1")
    print(f"tornado echo server listening on ws://127.0.0.1:{port}/", flush=True)
    try:
        await stop
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("--max-size", type=int, metavar="BYTES",
                        help="close with 1009 on larger messages (default: tornado's 10 MiB)")
    options = parser.parse_args()
    asyncio.run(run(options.port, options.max_size))


if __name__ == "__main__":
    main()
