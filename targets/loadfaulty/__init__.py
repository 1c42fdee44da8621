"""Servers that break a rule only under load: the reference server, faulty beyond a threshold.

Each fault of :data:`FAULTS` behaves like the reference server until the
server holds (or has accepted) more connections than its threshold, then
breaks one rule; ``wsspec load`` must catch it at the stage where it starts::

    python -m wsspec.targets.loadfaulty --fault cross-sessions --port 9003
    python -m wsspec.targets.loadfaulty --fault keep-memory --above 500 --port 9003

They are not in :mod:`wsspec.targets.faulty`'s register, whose faults are
caught by conformance cases on single connections.
"""

from __future__ import annotations

from .server import FAULTS, LoadFault, LoadFaultyServer

__all__ = ["FAULTS", "LoadFault", "LoadFaultyServer"]
