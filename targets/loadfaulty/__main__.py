"""``python -m wsspec.targets.loadfaulty --fault NAME [--above N]``: serve one load fault."""

from __future__ import annotations

import argparse
import asyncio
import sys

from wsspec.profile import ProfileError, TargetProfile, load_profile
from wsspec.targets.reference.cli import fail, parser, serve_until_signalled

from . import FAULTS, LoadFaultyServer


def main(argv: list[str] | None = None) -> int:
    prog = "python -m wsspec.targets.loadfaulty"
    options = parser(prog)
    options.add_argument("--fault", help="the load fault to serve (--list names them)")
    options.add_argument("--above", type=int, help="the threshold (default: the fault's)")
    options.add_argument("--list", action="store_true", help="list the faults and exit")
    args: argparse.Namespace = options.parse_args(argv)
    if args.list:
        for fault in FAULTS.values():
            print(f"{fault.name:16} {fault.rule}")
        return 0
    if args.fault not in FAULTS:
        return fail(prog, f"--fault must be one of {', '.join(FAULTS)}, got {args.fault!r}")
    profile: TargetProfile | None = None
    if args.profile:
        try:
            profile = load_profile(args.profile)
        except ProfileError as exc:
            return fail(prog, str(exc))
    server = LoadFaultyServer(args.fault, profile, above=args.above, host=args.host,
                              port=args.port)
    try:
        asyncio.run(serve_until_signalled(
            server, lambda: f"wsspec load-faulty server ({args.fault}) listening on "
                            f"{server.url}"))
    except OSError as exc:
        return fail(prog, f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", 1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
