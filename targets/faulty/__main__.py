"""``python -m wsspec.targets.faulty --fault NAME --port P``: a faulty reference server.

The options of ``python -m wsspec.targets.reference``, plus ``--fault NAME``
(repeatable, at least one) and ``--list``, which prints every fault with its
section and the rule it breaks. An unknown fault gets one line on stderr and
exit status 2.
"""

from __future__ import annotations

import sys

from wsspec.targets.reference.cli import fail, parser, serve

from . import FAULTS, WHOLE, behaviour_with

PROG = "python -m wsspec.targets.faulty"


def main(argv: list[str] | None = None) -> int:
    """Run a faulty server (see the module docstring); returns the exit status."""
    options = parser(PROG)
    options.description = "wsspec's reference server with deliberate faults."
    options.add_argument("--fault", action="append", default=[], metavar="NAME",
                         help="break one rule on purpose (repeatable; --list shows them)")
    options.add_argument("--list", action="store_true", help="list the faults and exit")
    args = options.parse_args(argv)
    if args.list:
        width = max(map(len, [*FAULTS, *WHOLE]))
        for name, fault in FAULTS.items():
            print(f"{name:<{width}}  {fault.section:<13}  {fault.rule}")
        for name, (broken, _) in WHOLE.items():
            print(f"{name:<{width}}  {'whole server':<13}  {broken}")
        return 0
    if not args.fault:
        return fail(PROG, "give at least one --fault NAME (--list shows them)")
    try:
        behaviour = behaviour_with(args.fault)
    except ValueError as exc:
        return fail(PROG, str(exc))
    return serve(args, PROG, behaviour)


if __name__ == "__main__":
    sys.exit(main())
