"""``python -m wsspec.targets.clients.faulty --fault NAME URL``: a faulty reference client.

The options of ``python -m wsspec.targets.clients.reference``, plus ``--fault
NAME`` and ``--list``, which prints every fault with its module and the rule it
breaks. An unknown fault gets one line on stderr and exit status 2.
"""

from __future__ import annotations

import sys

from wsspec.targets.clients.reference.client import parser, run_client

from . import CLIENT_FAULTS

PROG = "python -m wsspec.targets.clients.faulty"


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if "--list" in argv:
        width = max(map(len, CLIENT_FAULTS))
        for name, fault in CLIENT_FAULTS.items():
            print(f"{name:<{width}}  {fault.section:<9}  {fault.rule}")
        return 0
    options = parser(PROG)
    options.description = "wsspec's reference client with one deliberate fault."
    options.add_argument("--fault", required=True, metavar="NAME",
                         help="the rule to break (--list shows them)")
    args = options.parse_args(argv)
    if args.fault not in CLIENT_FAULTS:
        print(f"{PROG}: unknown fault {args.fault!r} (known: {', '.join(CLIENT_FAULTS)})",
              file=sys.stderr)
        return 2
    return run_client(CLIENT_FAULTS[args.fault].client, args, PROG)


if __name__ == "__main__":
    sys.exit(main())
