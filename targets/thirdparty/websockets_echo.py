"""An echo server on the ``websockets`` library (asyncio), for ``--target-cmd``.

python -m targets.thirdparty.websockets_echo PORT [--deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from websockets.asyncio.server import ServerConnection, serve


async def echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


async def run(port: int, deflate: bool) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        echo,
        "127.0.0.1",
        port,
        compression="deflate" if deflate else None,
        max_size=None,
        ping_interval=None,
    ):
        print(f"websockets echo server listening on ws://127.0.0.1:{port}/", flush=True)
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("--deflate", action="store_true", help="offer permessage-deflate")
    options = parser.parse_args()
    asyncio.run(run(options.port, options.deflate))


if __name__ == "__main__":
    main()
