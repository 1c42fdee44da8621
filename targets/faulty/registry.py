"""The register of deliberate faults: each declared once, next to its code.

A fault is a :class:`~wsspec.targets.reference.server.Behaviour` subclass
decorated with :func:`fault`, in the module of the conformance section whose
rule it breaks (``handshake``, ``framing``, ``close``, ...). The decorator
records, in :data:`FAULTS`, the rule broken, the profile the fault needs, and
the cases that must catch it; the kill matrix (``scripts/kill_matrix.py``)
and the sensitivity test (``tests/trust/test_sensitivity.py``) read nothing
else. :mod:`wsspec.targets.faulty` imports every section module, which fills
the register.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

from wsspec.targets.profiles import PROFILES
from wsspec.targets.reference.server import Behaviour

__all__ = ["FAULTS", "VERDICTS", "WHOLE", "Fault", "behaviour_with", "fault", "whole_server"]

#: the verdicts a fault's cases may give it: ``fail`` for a MUST broken,
#: ``non-strict`` for a SHOULD.
VERDICTS = ("fail", "non-strict")


@dataclass(frozen=True)
class Fault:
    """One deliberate fault and what must catch it.

    Case patterns are :mod:`fnmatch` patterns on case ids (``ping.pong.*``).
    A fault is checked on the cases of the sections its patterns name,
    narrowed by ``scope`` when given, against a server enforcing ``profile``:
    every case matching ``catches`` gives ``verdict``, a case matching
    ``also`` may give any catching verdict, and every other case passes.
    """

    #: the name servers and tools know the fault by (``--fault NAME``)
    name: str
    #: the rule broken, in one sentence naming its RFC section or profile policy,
    #: then what this server does instead
    rule: str
    #: the behaviour that breaks it
    behaviour: type[Behaviour]
    #: the section module declaring it (``handshake``, ``close``, ...)
    section: str
    #: the cases that must catch it (for a ``searched`` fault: whose search finds it)
    catches: tuple[str, ...]
    #: the verdict each of them gives (see :data:`VERDICTS`)
    verdict: str = "fail"
    #: cases that may catch it too, e.g. because they meet the broken rule on
    #: their way to checking another
    also: tuple[str, ...] = ()
    #: the profile the server enforces, a key of
    #: :data:`wsspec.targets.profiles.PROFILES`: the one the rule needs
    profile: str = "reference"
    #: a ``pytest -k`` expression narrowing the cases checked (``None``: every
    #: case of the sections named)
    scope: str | None = None
    #: only a search finds it (the fuzz section, within its budgets), not a
    #: fixed case: ``tests/fuzz`` checks it, the kill matrix and the sensitivity
    #: test leave it out
    searched: bool = False

    @property
    def sections(self) -> tuple[str, ...]:
        """The sections of the cases it is checked on: those its patterns name."""
        named = (pattern.split(".")[0] for pattern in (*self.catches, *self.also))
        return tuple(dict.fromkeys(named))


#: Every fault by name, in the order the section modules declare them.
FAULTS: dict[str, Fault] = {}

_B = TypeVar("_B", bound=Behaviour)


def fault(
    name: str,
    rule: str,
    *,
    catches: Collection[str],
    verdict: str = "fail",
    also: Collection[str] = (),
    profile: str = "reference",
    scope: str | None = None,
    searched: bool = False,
) -> Callable[[type[_B]], type[_B]]:
    """Class decorator registering the decorated behaviour as the fault ``name``
    (see :class:`Fault` for the fields). ``ValueError`` for a name declared
    twice, an unknown profile or verdict, or no case to catch it."""

    def register(behaviour: type[_B]) -> type[_B]:
        if name in FAULTS:
            raise ValueError(f"fault {name!r} is declared twice")
        if profile not in PROFILES:
            raise ValueError(f"fault {name!r}: unknown profile {profile!r} "
                             f"(known: {', '.join(PROFILES)})")
        if verdict not in VERDICTS:
            raise ValueError(f"fault {name!r}: verdict must be one of {VERDICTS}")
        if not catches:
            raise ValueError(f"fault {name!r}: name the cases that catch it")
        FAULTS[name] = Fault(
            name, rule, behaviour, behaviour.__module__.rsplit(".", 1)[-1], tuple(catches),
            verdict, tuple(also), profile, scope, searched)
        return behaviour

    return register


#: Servers broken as a whole (every connection, not one rule): name -> (what is
#: broken, behaviour). The kill matrix leaves them out; tests/trust/test_liveness.py
#: checks what every case makes of them.
WHOLE: dict[str, tuple[str, type[Behaviour]]] = {}


def whole_server(name: str, broken: str) -> Callable[[type[_B]], type[_B]]:
    """Class decorator registering a server broken as a whole under ``name``."""

    def register(behaviour: type[_B]) -> type[_B]:
        if name in WHOLE or name in FAULTS:
            raise ValueError(f"faulty server {name!r} is declared twice")
        WHOLE[name] = (broken, behaviour)
        return behaviour

    return register


def behaviour_with(faults: Collection[str]) -> type[Behaviour]:
    """The :class:`Behaviour` with every named fault applied (each fault calls
    ``super()`` for the compliant work, so they combine).

    ``ValueError`` names an unknown fault and lists the known ones.
    """
    known = {name: fault.behaviour for name, fault in FAULTS.items()}
    known.update((name, behaviour) for name, (_, behaviour) in WHOLE.items())
    unknown = sorted(set(faults) - known.keys())
    if unknown:
        raise ValueError(
            f"unknown fault {', '.join(map(repr, unknown))} (known: {', '.join(known)})"
        )
    if not faults:
        return Behaviour
    names = sorted(set(faults))
    bases = tuple(known[name] for name in names)
    return type("FaultyBehaviour", bases, {"__doc__": "Faults: " + ", ".join(names)})
