"""``python -m wsspec.targets.faulty --fault NAME --port P``: a faulty reference server.

Same options as ``python -m wsspec.targets.reference``; at least one ``--fault`` is
required, and ``--list`` prints every fault with the rule it breaks.
"""

from __future__ import annotations

import sys

from wsspec.targets.reference.cli import main as reference_main

from . import FAULTS


def main(argv: list[str] | None = None) -> int:
    """Run a faulty server (see the module docstring); returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if "--list" in args:
        width = max(map(len, FAULTS))
        for name, rule in FAULTS.items():
            print(f"{name:<{width}}  {rule}")
        return 0
    if "--fault" not in args and not any(a.startswith("--fault=") for a in args):
        print("wsspec.targets.faulty: give at least one --fault NAME (--list shows them)",
              file=sys.stderr)
        return 2
    return reference_main(args, prog="python -m wsspec.targets.faulty")


if __name__ == "__main__":
    sys.exit(main())
