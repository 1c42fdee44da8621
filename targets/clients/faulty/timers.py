"""Client faults of the client's own timers: its heartbeat and its reconnections.

Each is declared with ``timers=True``: the kill matrix runs it with the reference
client's timers on and the profile that declares them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from wsspec.targets.clients.reference import ReferenceClient

from .registry import fault


@fault("no-heartbeat", "Profile [heartbeat]: the client pings every ping_interval; this "
       "client never pings.", catches=["client.heartbeat.pings"], timers=True)
class NoHeartbeat(ReferenceClient):
    def send_ping(self) -> None:
        pass


@fault("ignores-silence", "Profile [heartbeat]: the client gives up on a server silent for "
       "its timeout; this client waits on.", catches=["client.heartbeat.timeout"], timers=True)
class IgnoresSilence(ReferenceClient):
    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.ping_timeout = None  # the generic wait of --timeout applies instead


@fault("gives-up-early", "Profile [heartbeat]: the client waits its whole timeout for a "
       "silent server; this client gives up after a quarter of it.",
       catches=["client.heartbeat.timeout"], timers=True)
class GivesUpEarly(ReferenceClient):
    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        if self.ping_timeout is not None:
            self.ping_timeout /= 4


@fault("reconnects-at-once", "RFC 6455 7.2.3: the first reconnection SHOULD be delayed (the "
       "profile's initial_delay); this client reconnects at once.",
       catches=["client.close.reconnect.backoff"], timers=True)
class ReconnectsAtOnce(ReferenceClient):
    def reconnect_delays(self) -> Iterator[float]:
        return itertools.repeat(0.0)


@fault("no-backoff", "RFC 6455 7.2.3: later reconnections SHOULD wait increasingly longer; "
       "this client always waits the initial delay.",
       catches=["client.close.reconnect.backoff"], verdict="non-strict", timers=True)
class NoBackoff(ReferenceClient):
    def reconnect_delays(self) -> Iterator[float]:
        assert self.reconnect is not None
        return itertools.repeat(self.reconnect[0])


@fault("no-reconnect", "Profile [reconnect]: the client connects again after a lost "
       "connection; this client gives up.", catches=["client.close.reconnect.backoff"],
       timers=True)
class NoReconnect(ReferenceClient):
    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.reconnect = None
