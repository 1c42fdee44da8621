"""Deliberately faulty servers: the reference server with one rule broken each.

The project's own tests run the suite against them to prove that each case
catches what it claims to catch. A fault is a name from :data:`FAULTS`; the
reference server takes any set of them::

    ReferenceServer(faults={"no-pong"})
    python -m wsspec.targets.faulty --fault no-pong --port 9002
    python -m wsspec.targets.reference --fault no-pong --fault rsv-set --port 9002

Each fault overrides one method of :class:`~wsspec.targets.reference.server.Behaviour`
(see :mod:`wsspec.targets.faulty.faults`), so a faulty server differs from the
reference server in exactly the behaviour its name says.
"""

from __future__ import annotations

from collections.abc import Collection

from wsspec.targets.reference.server import Behaviour

from .faults import CATALOGUE

__all__ = ["FAULTS", "behaviour_with"]

#: Every fault: name → the rule it breaks, in one sentence naming the RFC section.
FAULTS: dict[str, str] = {name: rule for name, (rule, _cls) in CATALOGUE.items()}


def behaviour_with(faults: Collection[str]) -> type[Behaviour]:
    """The :class:`Behaviour` with every named fault applied.

    ``ValueError`` names an unknown fault and lists the known ones.
    """
    unknown = sorted(set(faults) - FAULTS.keys())
    if unknown:
        raise ValueError(
            f"unknown fault {', '.join(map(repr, unknown))} (known: {', '.join(FAULTS)})"
        )
    if not faults:
        return Behaviour
    bases = tuple(CATALOGUE[name][1] for name in sorted(set(faults)))
    return type("FaultyBehaviour", bases, {"__doc__": "Faults: " + ", ".join(sorted(faults))})
