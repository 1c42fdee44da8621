"""An echo server on the ``websockets`` library (asyncio), for ``--target-cmd``.

python -m wsspec.targets.thirdparty.websockets_echo PORT [--deflate] [--max-size BYTES]
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from websockets.asyncio.server import ServerConnection, serve


async def echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


async def run(port: int, deflate: bool, max_size: int | None = None) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        echo,
        "127.0.0.1",
        port,
        compression="deflate" if deflate else None,
        max_size=max_size,
        ping_interval=None,
    ):
        print(f"websockets echo server listening on ws://127.0.0.1:{port}/", flush=True)
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    parser.add_argument("--max-size", type=int, metavar="BYTES",
                        help="refuse messages larger than this with 1009 (default: no limit)")
    options = parser.parse_args()
    asyncio.run(run(options.port, options.deflate, options.max_size))


if __name__ == "__main__":
    main()
