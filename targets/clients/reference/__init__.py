"""The reference client: a strict RFC 6455 echo client on the sans-IO core.

It connects to a URL, offers what it is told to (subprotocols, an Origin),
checks the server's answer as RFC 6455 §4.1 requires, then echoes every
message and answers every ping until the server closes; it fails the
connection on any rule a server's frame breaks, and leaves the TCP close to
the server (§7.1.1). Every wait has a deadline. Its behaviour is a set of
methods, so a faulty client (:mod:`wsspec.targets.clients.faulty`) overrides
exactly one of them.
"""

from .client import ReferenceClient, main

__all__ = ["REFERENCE_CLIENT_PROFILE", "TIMERS_CLIENT_PROFILE", "ReferenceClient", "main",
           "reference_command"]

from pathlib import Path as _Path

#: the client profile the reference client meets when started by :func:`reference_command`.
REFERENCE_CLIENT_PROFILE = _Path(__file__).with_name("profile.toml")
#: the same with its timers: heartbeat and reconnection (``reference_command(timers=True)``).
TIMERS_CLIENT_PROFILE = _Path(__file__).with_name("profile-timers.toml")


def reference_command(*, fault: str | None = None, timers: bool = False) -> str:
    """The ``--client-cmd`` that runs the reference client (or the faulty one ``fault``) with
    this interpreter, doing what :data:`REFERENCE_CLIENT_PROFILE` (with ``timers``:
    :data:`TIMERS_CLIENT_PROFILE`) declares."""
    import shlex
    import sys

    module = ("wsspec.targets.clients.reference" if fault is None
              else "wsspec.targets.clients.faulty")
    words = [sys.executable, "-m", module, "--subprotocol", "chat.v1", "--subprotocol",
             "chat.v2", "--origin", "http://wsspec.test", "--deflate"]
    if timers:
        words += ["--ping-interval", "0.4", "--ping-timeout", "1.5", "--reconnect", "0.3:1.2"]
    if fault is not None:
        words += ["--fault", fault]
    return shlex.join(words) + " {url}"
