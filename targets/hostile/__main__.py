"""``python -m wsspec.targets.hostile NAME --port P``: run one hostile server until SIGTERM.

Prints ``wsspec hostile server NAME listening on 127.0.0.1:PORT`` once it
listens; ``--list`` prints every server with what it does. Bad input gets
one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from wsspec.targets.reference.cli import serve_until_signalled

from . import HOSTILE, HostileServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m wsspec.targets.hostile",
        description="A hostile peer for testing that a WebSocket test run survives it.",
    )
    parser.add_argument("name", nargs="?", help="which server (see --list)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=9003, help="port to listen on (0: any)")
    parser.add_argument("--list", action="store_true", help="list the servers and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the named server (see the module docstring); returns the exit status."""
    args = _parser().parse_args(argv)
    if args.list:
        width = max(map(len, HOSTILE))
        for name, (text, _handler) in HOSTILE.items():
            print(f"{name:<{width}}  {' '.join(text.split())}")
        return 0
    if not args.name:
        print("python -m wsspec.targets.hostile: name a server (--list shows them)",
              file=sys.stderr)
        return 2
    try:
        server = HostileServer(args.name, host=args.host, port=args.port)
    except ValueError as exc:
        print(f"python -m wsspec.targets.hostile: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve_until_signalled(server, lambda: (
            f"wsspec hostile server {server.name} listening on {server.host}:{server.port}")))
    except OSError as exc:
        print(f"python -m wsspec.targets.hostile: cannot listen on {args.host}:{args.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
