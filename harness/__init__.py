"""wsspec: a WebSocket conformance suite and test harness.

``wsspec.protocol`` is the sans-IO core (bytes in, events out). Drivers, the
case DSL (``wsspec.dsl``), profiles, the pytest plugin and the CLI are built on it.
"""

__version__ = "0.1.0"
