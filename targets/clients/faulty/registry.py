"""The register of deliberate client faults: each declared once, next to its code.

A fault is a :class:`~wsspec.targets.clients.reference.ReferenceClient`
subclass decorated with :func:`fault`, in the module of the rules it breaks
(:mod:`.handshake`, :mod:`.framing`, :mod:`.deflate`,
:mod:`.session`, :mod:`.timers`). The decorator records
in :data:`CLIENT_FAULTS` the rule broken and the client cases that must catch
it; the kill matrix (``tests/clients/test_kill_matrix.py``) reads nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

from wsspec.targets.clients.reference import ReferenceClient

__all__ = ["CLIENT_FAULTS", "VERDICTS", "ClientFault", "fault"]

#: the verdicts a fault's cases may give it: ``fail`` for a MUST broken, ``non-strict``
#: for a SHOULD.
VERDICTS = ("fail", "non-strict")


@dataclass(frozen=True)
class ClientFault:
    """One deliberate fault of a client and what must catch it.

    Case patterns are :mod:`fnmatch` patterns on client case ids: every case matching
    ``catches`` gives ``verdict``; a case matching ``also`` may give any catching
    verdict (it meets the broken rule on its way to checking another).
    """

    name: str
    #: the rule broken, naming its RFC section, then what this client does instead
    rule: str
    client: type[ReferenceClient]
    #: the module declaring it
    section: str
    catches: tuple[str, ...]
    verdict: str = "fail"
    also: tuple[str, ...] = ()
    #: the reference client's timers on (heartbeat and reconnection, the timers profile)
    timers: bool = False


#: Every client fault by name, in the order the modules declare them.
CLIENT_FAULTS: dict[str, ClientFault] = {}

_C = TypeVar("_C", bound=type[ReferenceClient])


def fault(name: str, rule: str, *, catches: Collection[str], verdict: str = "fail",
          also: Collection[str] = (), timers: bool = False) -> Callable[[_C], _C]:
    """Class decorator registering the decorated client as the fault ``name``.
    ``ValueError`` for a name declared twice, an unknown verdict, or no catching case."""

    def register(client: _C) -> _C:
        if name in CLIENT_FAULTS:
            raise ValueError(f"client fault {name!r} is declared twice")
        if verdict not in VERDICTS:
            raise ValueError(f"client fault {name!r}: verdict must be one of {VERDICTS}")
        if not catches:
            raise ValueError(f"client fault {name!r}: name the cases that catch it")
        CLIENT_FAULTS[name] = ClientFault(name, rule, client,
                                          client.__module__.rsplit(".", 1)[-1],
                                          tuple(catches), verdict, tuple(also), timers)
        return client

    return register
