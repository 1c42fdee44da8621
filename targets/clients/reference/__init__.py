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

__all__ = ["ReferenceClient", "main"]
