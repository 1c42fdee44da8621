"""The case DSL: the language conformance cases are written in.

A case opens connections through a :class:`Client`, sends messages or raw
frames on a :class:`Connection`, and states what must come back with the
``expect_*`` calls. Each ``expect_*`` waits for an event with a deadline and
grades what it sees: it returns when the target behaves as the RFC requires,
downgrades the case to ``non-strict`` when the behaviour is allowed but not
preferred, and raises :class:`~wsspec.verdicts.CaseFailed` with expected vs
observed otherwise.

Three things hold for every connection of every case, so no case has to ask:

* every byte the server sends goes through the strict sans-IO
  :class:`~wsspec.protocol.messages.Receiver`, so a server that masks its
  frames, sets RSV bits, writes non-minimal lengths, sends invalid UTF-8 or a
  1005/1006/1015 close code fails whichever case it happens in;
* the profile applies: valid credentials when ``[auth]`` is declared, an
  allowed Origin when ``[origin]`` is, a subprotocol when one is required;
* pings the server sends on its own (a heartbeat) are answered and never seen
  by the case, unless the case turns ``auto_pong`` off.

The modules: :mod:`~wsspec.dsl.client` (the target, handshakes, refusals),
:mod:`~wsspec.dsl.connection` (sending and the ``expect_*`` calls),
:mod:`~wsspec.dsl.render` (events in words, for every failure message) and
:mod:`~wsspec.dsl.timers` (timer cases observed at once). The DSL runs on
whichever runtime :mod:`wsspec.driver` gives it and knows nothing of pytest.
"""

from wsspec.driver.runtime import gather
from wsspec.dsl.client import Client, HandshakeResult, Target
from wsspec.dsl.connection import Connection
from wsspec.dsl.render import describe_close, describe_event, describe_message
from wsspec.dsl.timers import ConcurrentObservations, Observation

__all__ = [
    "Client",
    "ConcurrentObservations",
    "Connection",
    "HandshakeResult",
    "Observation",
    "Target",
    "describe_close",
    "describe_event",
    "describe_message",
    "gather",
]
