"""Deliberately faulty servers: the reference server with one rule broken each.

The project's own tests run the suite against them to prove that each case
catches what it claims to catch. A fault is a name from :data:`FAULTS`; its
:class:`~wsspec.targets.reference.server.Behaviour` is handed to the reference
server, alone or combined with others::

    ReferenceServer(behaviour=behaviour_with({"no-pong"}))
    python -m wsspec.targets.faulty --fault no-pong --fault rsv-set --port 9002
    python -m wsspec.targets.faulty --list

Each fault overrides one method of the behaviour and calls ``super()`` for
the rest, so a faulty server differs from the reference server in exactly the
behaviour its name says. Faults are declared with
:func:`~wsspec.targets.faulty.registry.fault`, one module per conformance
section (:mod:`.handshake`, :mod:`.framing`, :mod:`.fragmentation`,
:mod:`.ping`, :mod:`.close`, :mod:`.utf8`, :mod:`.deflate`, :mod:`.policies`,
:mod:`.fuzz`); importing this package imports them all, which fills
:data:`FAULTS`. :mod:`.whole` declares servers broken as a whole
(:data:`WHOLE`: one that closes TCP after every 101, one that refuses every
handshake, one that sends unsolicited pongs), run the same way.
"""

from __future__ import annotations

from types import ModuleType

from . import close, deflate, fragmentation, framing, fuzz, handshake, ping, policies, utf8, whole
from .registry import FAULTS, WHOLE, Fault, behaviour_with

__all__ = ["FAULTS", "SECTIONS", "WHOLE", "Fault", "behaviour_with", "whole"]

#: The section modules; importing them filled :data:`FAULTS`, in this order.
SECTIONS: tuple[ModuleType, ...] = (
    close, deflate, fragmentation, framing, fuzz, handshake, ping, policies, utf8)

