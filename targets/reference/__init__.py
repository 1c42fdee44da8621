"""The reference server: a strict RFC 6455 + RFC 7692 echo server.

Built on the sans-IO core (:mod:`wsspec.protocol`) and nothing of the suite
itself; the whole conformance suite passes against it with no non-strict
verdict. ``pytest --target=reference`` runs one per worker through
:func:`run_in_thread`, with the profile :data:`REFERENCE_PROFILE`;
``python -m wsspec.targets.reference`` runs one from the command line.
"""

from wsspec.targets.profiles import REFERENCE_PROFILE

from .cli import main
from .server import Behaviour, ReferenceServer, RunningServer, judge, run_in_thread

__all__ = [
    "REFERENCE_PROFILE",
    "Behaviour",
    "ReferenceServer",
    "RunningServer",
    "judge",
    "main",
    "run_in_thread",
]
