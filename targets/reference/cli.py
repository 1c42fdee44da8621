"""Command line of the reference server: ``python -m wsspec.targets.reference``.

Prints one line, ``wsspec reference server listening on ws://HOST:PORT/``,
once it listens, and serves until SIGTERM or SIGINT. Bad input (a profile,
a certificate, a port in use) gets one line on stderr and exit status 2 (1
when the port cannot be bound), never a traceback.

:func:`parser` and :func:`serve` are the pieces ``python -m
wsspec.targets.faulty`` builds on: it adds its options and hands in the
behaviour to serve with.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import ssl
import sys
from collections.abc import Callable
from typing import Protocol

from wsspec.profile import ProfileError, TargetProfile, load_profile

from .server import Behaviour, ReferenceServer

__all__ = ["fail", "main", "parser", "serve", "serve_until_signalled"]


def parser(prog: str) -> argparse.ArgumentParser:
    """The options of the reference server (``--host``, ``--port``, ``--profile``, TLS)."""
    options = argparse.ArgumentParser(
        prog=prog,
        description="wsspec's reference WebSocket echo server (RFC 6455, RFC 7692).",
    )
    options.add_argument("--host", default="127.0.0.1", help="address to listen on")
    options.add_argument(
        "--port", type=int, default=9001, help="port to listen on (0: any free port)"
    )
    options.add_argument("--profile", metavar="FILE", help="target profile (TOML) to enforce")
    options.add_argument("--certfile", metavar="FILE", help="TLS certificate chain (PEM): wss://")
    options.add_argument("--keyfile", metavar="FILE", help="TLS private key (PEM)")
    return options


def fail(prog: str, message: str, status: int = 2) -> int:
    """Print ``message`` as one line on stderr; returns ``status``."""
    print(f"{prog}: {message}", file=sys.stderr, flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the server until SIGTERM/SIGINT; returns the exit status."""
    prog = "python -m wsspec.targets.reference"
    return serve(parser(prog).parse_args(argv), prog)


def serve(args: argparse.Namespace, prog: str, behaviour: type[Behaviour] = Behaviour) -> int:
    """Serve with ``behaviour`` as the options of :func:`parser` say, until
    SIGTERM/SIGINT; returns the exit status."""
    profile: TargetProfile | None = None
    if args.profile:
        try:
            profile = load_profile(args.profile)
        except ProfileError as exc:
            return fail(prog, str(exc))
    ssl_context = None
    if args.certfile or args.keyfile:
        if not args.certfile:
            return fail(prog, "--keyfile needs --certfile")
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            ssl_context.load_cert_chain(args.certfile, args.keyfile)
        except (OSError, ssl.SSLError) as exc:
            return fail(prog, f"cannot load the TLS certificate {args.certfile}: {exc}")
    if not 0 <= args.port <= 65535:
        return fail(prog, f"--port must be 0-65535, got {args.port}")
    server = ReferenceServer(
        profile, host=args.host, port=args.port, ssl_context=ssl_context, behaviour=behaviour
    )
    try:
        asyncio.run(serve_until_signalled(
            server, lambda: f"wsspec reference server listening on {server.url}"))
    except OSError as exc:
        return fail(prog, f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", 1)
    except KeyboardInterrupt:  # signal handlers unavailable (Windows)
        pass
    return 0


class Served(Protocol):
    """A server :func:`serve_until_signalled` can run."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def serve_until_signalled(server: Served, banner: Callable[[], str]) -> None:
    """Start ``server``, print ``banner()`` (the line launchers wait for; called once
    the server listens, so it can name the port given), serve until SIGTERM/SIGINT."""
    await server.start()
    print(banner(), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
