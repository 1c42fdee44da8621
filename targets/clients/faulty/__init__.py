"""Deliberately faulty clients: the reference client with one rule broken each.

The project's own tests run the client catalogue against them to prove each
client case catches what it claims to (``tests/clients/test_kill_matrix.py``)::

    python -m wsspec.targets.clients.faulty --fault fixed-key {url}
    python -m wsspec.targets.clients.faulty --list

Each fault overrides one method (or names one violation it reads past) and
keeps the rest of the reference client. Importing this package imports the
modules that declare them, which fills :data:`CLIENT_FAULTS`.
"""

from __future__ import annotations

from . import deflate, framing, handshake, session, timers
from .registry import CLIENT_FAULTS, ClientFault

__all__ = ["CLIENT_FAULTS", "SECTIONS", "ClientFault"]

SECTIONS = (handshake, framing, deflate, session, timers)
